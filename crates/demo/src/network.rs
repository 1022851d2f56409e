//! The demo network: the associations, the partner organisations and the people
//! (the union's staff, every association's staff in every role, a board member of
//! two associations, a user of each partner), then the associations' sites (see
//! `sites`). Idempotent: every row is keyed by a natural key (slug, email, name) and
//! skipped when present. Demo accounts sign in through the development issuer
//! (subject = email).

mod sites;

use crate::Error;
use entity::partner_organisation::{PartnerReach, PartnerSector};
use entity::{
    membership, partner_organisation, partner_user, tenant, union_staff, user, user_identity,
};
use kernel::{TenantRole, UnionRole};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use std::collections::HashMap;
use uuid::Uuid;

pub struct DemoTenant {
    pub slug: &'static str,
    pub name: &'static str,
}

pub struct DemoAccount {
    pub email: &'static str,
    pub name: &'static str,
    /// (tenant slug, role) pairs.
    pub memberships: &'static [(&'static str, TenantRole)],
    pub union_role: Option<UnionRole>,
    pub partner: Option<&'static str>,
}

pub const TENANTS: &[DemoTenant] = &[
    DemoTenant {
        slug: "pimms-lyon-metropole",
        name: "PIMMS Lyon Métropole",
    },
    DemoTenant {
        slug: "pimms-nimes",
        name: "PIMMS de Nîmes",
    },
    DemoTenant {
        slug: "pimms-grenoble-alpes",
        name: "PIMMS Médiation Grenoble Alpes",
    },
    DemoTenant {
        slug: "pimms-marseille",
        name: "PIMMS de Marseille",
    },
    DemoTenant {
        slug: "pimms-cherbourg",
        name: "PIMMS Médiation Cherbourg-en-Cotentin",
    },
];

/// (name, sector, reach)
pub const PARTNERS: &[(&str, PartnerSector, PartnerReach)] = &[
    ("EDF", PartnerSector::Energy, PartnerReach::National),
    ("ENGIE", PartnerSector::Energy, PartnerReach::National),
    ("SNCF", PartnerSector::Transport, PartnerReach::National),
    ("La Poste", PartnerSector::Postal, PartnerReach::National),
    ("Keolis", PartnerSector::Transport, PartnerReach::National),
    ("Veolia", PartnerSector::Water, PartnerReach::National),
    (
        "Eau du Grand Lyon",
        PartnerSector::Water,
        PartnerReach::Local,
    ),
];

const fn staff(
    email: &'static str,
    name: &'static str,
    m: &'static [(&'static str, TenantRole)],
) -> DemoAccount {
    DemoAccount {
        email,
        name,
        memberships: m,
        union_role: None,
        partner: None,
    }
}

const fn partner_user(
    email: &'static str,
    name: &'static str,
    partner: &'static str,
) -> DemoAccount {
    DemoAccount {
        email,
        name,
        memberships: &[],
        union_role: None,
        partner: Some(partner),
    }
}

pub const ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        email: "admin@union-pimms.example",
        name: "Isabelle Laurent",
        memberships: &[],
        union_role: Some(UnionRole::Admin),
        partner: None,
    },
    DemoAccount {
        email: "audit@union-pimms.example",
        name: "Marc Petit",
        memberships: &[],
        union_role: Some(UnionRole::Auditor),
        partner: None,
    },
    DemoAccount {
        email: "observatoire@union-pimms.example",
        name: "Léa Moreau",
        memberships: &[],
        union_role: Some(UnionRole::Analyst),
        partner: None,
    },
    staff(
        "direction@lyon.pimms.example",
        "Nadia Benali",
        &[("pimms-lyon-metropole", TenantRole::Director)],
    ),
    staff(
        "coordination@lyon.pimms.example",
        "Julien Morel",
        &[("pimms-lyon-metropole", TenantRole::Coordinator)],
    ),
    staff(
        "mediatrice.vaise@lyon.pimms.example",
        "Fatou Diallo",
        &[("pimms-lyon-metropole", TenantRole::Mediator)],
    ),
    staff(
        "mediateur.bron@lyon.pimms.example",
        "Karim Haddad",
        &[("pimms-lyon-metropole", TenantRole::Mediator)],
    ),
    staff(
        "administratrice@lyon.pimms.example",
        "Hélène Rousseau",
        &[("pimms-lyon-metropole", TenantRole::Viewer)],
    ),
    staff(
        "direction@nimes.pimms.example",
        "Sophie Martin",
        &[("pimms-nimes", TenantRole::Director)],
    ),
    staff(
        "coordination@nimes.pimms.example",
        "Mehdi Saïdi",
        &[("pimms-nimes", TenantRole::Coordinator)],
    ),
    staff(
        "mediatrice.valdegour@nimes.pimms.example",
        "Aminata Traoré",
        &[("pimms-nimes", TenantRole::Mediator)],
    ),
    staff(
        "mediateur.pissevin@nimes.pimms.example",
        "Lucas Garcia",
        &[("pimms-nimes", TenantRole::Mediator)],
    ),
    staff(
        "administrateur@nimes.pimms.example",
        "Pierre Fabre",
        &[("pimms-nimes", TenantRole::Viewer)],
    ),
    // Sits on both boards: picks the association with X-Passerelle-Tenant.
    staff(
        "claire.dubois@pimms.example",
        "Claire Dubois",
        &[
            ("pimms-lyon-metropole", TenantRole::Viewer),
            ("pimms-nimes", TenantRole::Viewer),
        ],
    ),
    staff(
        "direction@grenoble.pimms.example",
        "Valérie Chabert",
        &[("pimms-grenoble-alpes", TenantRole::Director)],
    ),
    staff(
        "mediatrice.villeneuve@grenoble.pimms.example",
        "Samira Belkacem",
        &[("pimms-grenoble-alpes", TenantRole::Mediator)],
    ),
    staff(
        "direction@marseille.pimms.example",
        "Olivier Santoni",
        &[("pimms-marseille", TenantRole::Director)],
    ),
    staff(
        "mediateur.belledemai@marseille.pimms.example",
        "Yacine Boudjema",
        &[("pimms-marseille", TenantRole::Mediator)],
    ),
    staff(
        "direction@cherbourg.pimms.example",
        "Anne Lemarchand",
        &[("pimms-cherbourg", TenantRole::Director)],
    ),
    staff(
        "mediatrice.provinces@cherbourg.pimms.example",
        "Émilie Hamel",
        &[("pimms-cherbourg", TenantRole::Mediator)],
    ),
    DemoAccount {
        email: "relations.pimms@edf.example",
        name: "Thomas Girard",
        memberships: &[],
        union_role: None,
        partner: Some("EDF"),
    },
    partner_user("relations.pimms@engie.example", "Nathalie Perrin", "ENGIE"),
    partner_user("relations.pimms@sncf.example", "Romain Lefèvre", "SNCF"),
    partner_user(
        "relations.pimms@laposte.example",
        "Céline Bertrand",
        "La Poste",
    ),
    partner_user(
        "relations.pimms@keolis.example",
        "Antoine Marchal",
        "Keolis",
    ),
    partner_user("relations.pimms@veolia.example", "Sandrine Roux", "Veolia"),
    partner_user(
        "relations.pimms@eaudugrandlyon.example",
        "Benoît Chevalier",
        "Eau du Grand Lyon",
    ),
];

/// Someone to create, with their development-issuer identity and their roles.
pub(crate) struct Person {
    pub email: String,
    pub name: String,
    /// (association slug, role) pairs.
    pub memberships: Vec<(String, TenantRole)>,
    pub union_role: Option<UnionRole>,
    pub partner: Option<String>,
}

impl From<&DemoAccount> for Person {
    fn from(a: &DemoAccount) -> Self {
        Person {
            email: a.email.to_owned(),
            name: a.name.to_owned(),
            memberships: a
                .memberships
                .iter()
                .map(|&(t, r)| (t.to_owned(), r))
                .collect(),
            union_role: a.union_role,
            partner: a.partner.map(str::to_owned),
        }
    }
}

/// The demo network: associations, partner organisations, accounts, then sites.
/// Runs inside the seed's transaction.
pub(crate) async fn seed(tx: &db::Scoped) -> Result<(), Error> {
    let tenants: Vec<(String, String)> = TENANTS
        .iter()
        .map(|t| (t.slug.to_owned(), t.name.to_owned()))
        .collect();
    associations(tx, &tenants).await?;
    partner_organisations(tx).await?;
    let people: Vec<Person> = ACCOUNTS.iter().map(Person::from).collect();
    create_people(tx, &people).await?;
    sites::seed_sites(tx).await
}

/// Associations by (slug, name); one already there (by slug) is left as it is.
pub(crate) async fn associations(
    tx: &db::Scoped,
    tenants: &[(String, String)],
) -> Result<(), Error> {
    let rows = tenants.iter().map(|(slug, name)| tenant::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(slug.clone()),
        name: Set(name.clone()),
        ..Default::default()
    });
    tenant::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([tenant::Column::Slug])
        .exec_without_returning(&**tx)
        .await?;
    Ok(())
}

/// The national partners (PARTNERS), by name: both the demo and the bench datasets
/// have them.
pub(crate) async fn partner_organisations(tx: &db::Scoped) -> Result<(), Error> {
    let rows = PARTNERS
        .iter()
        .map(|&(name, sector, reach)| partner_organisation::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(name.to_owned()),
            sector: Set(sector),
            reach: Set(reach),
            ..Default::default()
        });
    partner_organisation::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([partner_organisation::Column::Name])
        .exec_without_returning(&**tx)
        .await?;
    Ok(())
}

/// The ids of the associations among `slugs`, by slug.
pub(crate) async fn tenant_ids(
    tx: &db::Scoped,
    slugs: impl IntoIterator<Item = String>,
) -> Result<HashMap<String, Uuid>, Error> {
    Ok(tenant::Entity::find()
        .filter(tenant::Column::Slug.is_in(slugs))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|t| (t.slug, t.id))
        .collect())
}

/// The ids of the partner organisations among `names`, by name.
pub(crate) async fn partner_ids(
    tx: &db::Scoped,
    names: impl IntoIterator<Item = String>,
) -> Result<HashMap<String, Uuid>, Error> {
    Ok(partner_organisation::Entity::find()
        .filter(partner_organisation::Column::Name.is_in(names))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|p| (p.name, p.id))
        .collect())
}

/// Users, their identities at the development issuer, memberships, union roles and
/// partner attachments. A user already there (by email) keeps their name, and every
/// role they already hold is left as it is (one membership per association, one
/// union role, one partner). A membership of a missing association, or an attachment
/// to a missing partner, is skipped.
pub(crate) async fn create_people(tx: &db::Scoped, people: &[Person]) -> Result<(), Error> {
    let users = people.iter().map(|p| user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(p.email.clone()),
        display_name: Set(p.name.clone()),
        ..Default::default()
    });
    user::Entity::insert_many(users)
        .on_conflict_do_nothing_on([user::Column::Email])
        .exec_without_returning(&**tx)
        .await?;
    // New or already there, found by email.
    let users: HashMap<String, Uuid> = user::Entity::find()
        .filter(user::Column::Email.is_in(people.iter().map(|p| p.email.clone())))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|u| (u.email, u.id))
        .collect();
    let identities = people.iter().filter_map(|p| {
        let (email, id) = users.get_key_value(&p.email)?;
        Some(user_identity::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(*id),
            issuer: Set(auth::dev_issuer_id().to_owned()),
            subject: Set(email.clone()),
            ..Default::default()
        })
    });
    user_identity::Entity::insert_many(identities.collect::<Vec<_>>())
        .on_conflict_do_nothing_on([
            user_identity::Column::Issuer,
            user_identity::Column::Subject,
        ])
        .exec_without_returning(&**tx)
        .await?;
    let tenants = tenant_ids(
        tx,
        people
            .iter()
            .flat_map(|p| p.memberships.iter().map(|m| m.0.clone())),
    )
    .await?;
    let memberships = people.iter().flat_map(|p| {
        let (tenants, user) = (&tenants, users.get(&p.email));
        p.memberships.iter().filter_map(move |(slug, role)| {
            Some(membership::ActiveModel {
                tenant_id: Set(*tenants.get(slug)?),
                id: Set(Uuid::now_v7()),
                user_id: Set(*user?),
                role: Set(*role),
                ..Default::default()
            })
        })
    });
    membership::Entity::insert_many(memberships.collect::<Vec<_>>())
        .on_conflict_do_nothing_on([membership::Column::TenantId, membership::Column::UserId])
        .exec_without_returning(&**tx)
        .await?;
    let staff = people.iter().filter_map(|p| {
        Some(union_staff::ActiveModel {
            user_id: Set(*users.get(&p.email)?),
            role: Set(p.union_role?),
            ..Default::default()
        })
    });
    union_staff::Entity::insert_many(staff.collect::<Vec<_>>())
        .on_conflict_do_nothing_on([union_staff::Column::UserId])
        .exec_without_returning(&**tx)
        .await?;
    let partners = partner_ids(tx, people.iter().filter_map(|p| p.partner.clone())).await?;
    let partner_users = people.iter().filter_map(|p| {
        Some(partner_user::ActiveModel {
            user_id: Set(*users.get(&p.email)?),
            partner_id: Set(*partners.get(p.partner.as_ref()?)?),
            ..Default::default()
        })
    });
    partner_user::Entity::insert_many(partner_users.collect::<Vec<_>>())
        .on_conflict_do_nothing_on([partner_user::Column::UserId])
        .exec_without_returning(&**tx)
        .await?;
    Ok(())
}
