//! `passerelle seed --demo`: a small, realistic network to click through, with two
//! years of mediation journal (see `seed_journal`) and its partners' agreements, coding,
//! API clients and outreach (see `seed_partners`). Idempotent: every row is keyed by a
//! natural key (slug, email, name) and skipped when present; an association whose
//! journal was already generated is left alone. Demo accounts sign in through the
//! development issuer (subject = email).

use kernel::Ctx;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

pub use crate::seed_journal::{DEFAULT_VISITS, JournalSummary, MAX_VISITS};
pub use crate::seed_partners::{DemoApiClient, PartnerSummary, demo_api_clients};

/// What one `seed --demo` added: the journal, then the partners' side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DemoSummary {
    pub journal: JournalSummary,
    pub partners: PartnerSummary,
}

impl std::fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\n{}", self.journal, self.partners)
    }
}

pub struct DemoTenant {
    pub slug: &'static str,
    pub name: &'static str,
}

pub struct DemoAccount {
    pub email: &'static str,
    pub name: &'static str,
    /// (tenant slug, role) pairs.
    pub memberships: &'static [(&'static str, &'static str)],
    pub union_role: Option<&'static str>,
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
pub const PARTNERS: &[(&str, &str, &str)] = &[
    ("EDF", "energy", "national"),
    ("ENGIE", "energy", "national"),
    ("SNCF", "transport", "national"),
    ("La Poste", "postal", "national"),
    ("Keolis", "transport", "national"),
    ("Veolia", "water", "national"),
    ("Eau du Grand Lyon", "water", "local"),
];

const fn staff(
    email: &'static str,
    name: &'static str,
    m: &'static [(&'static str, &'static str)],
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
        union_role: Some("admin"),
        partner: None,
    },
    DemoAccount {
        email: "audit@union-pimms.example",
        name: "Marc Petit",
        memberships: &[],
        union_role: Some("auditor"),
        partner: None,
    },
    DemoAccount {
        email: "observatoire@union-pimms.example",
        name: "Léa Moreau",
        memberships: &[],
        union_role: Some("analyst"),
        partner: None,
    },
    staff(
        "direction@lyon.pimms.example",
        "Nadia Benali",
        &[("pimms-lyon-metropole", "director")],
    ),
    staff(
        "coordination@lyon.pimms.example",
        "Julien Morel",
        &[("pimms-lyon-metropole", "coordinator")],
    ),
    staff(
        "mediatrice.vaise@lyon.pimms.example",
        "Fatou Diallo",
        &[("pimms-lyon-metropole", "mediator")],
    ),
    staff(
        "mediateur.bron@lyon.pimms.example",
        "Karim Haddad",
        &[("pimms-lyon-metropole", "mediator")],
    ),
    staff(
        "administratrice@lyon.pimms.example",
        "Hélène Rousseau",
        &[("pimms-lyon-metropole", "viewer")],
    ),
    staff(
        "direction@nimes.pimms.example",
        "Sophie Martin",
        &[("pimms-nimes", "director")],
    ),
    staff(
        "coordination@nimes.pimms.example",
        "Mehdi Saïdi",
        &[("pimms-nimes", "coordinator")],
    ),
    staff(
        "mediatrice.valdegour@nimes.pimms.example",
        "Aminata Traoré",
        &[("pimms-nimes", "mediator")],
    ),
    staff(
        "mediateur.pissevin@nimes.pimms.example",
        "Lucas Garcia",
        &[("pimms-nimes", "mediator")],
    ),
    staff(
        "administrateur@nimes.pimms.example",
        "Pierre Fabre",
        &[("pimms-nimes", "viewer")],
    ),
    // Sits on both boards: picks the association with X-Passerelle-Tenant.
    staff(
        "claire.dubois@pimms.example",
        "Claire Dubois",
        &[
            ("pimms-lyon-metropole", "viewer"),
            ("pimms-nimes", "viewer"),
        ],
    ),
    staff(
        "direction@grenoble.pimms.example",
        "Valérie Chabert",
        &[("pimms-grenoble-alpes", "director")],
    ),
    staff(
        "mediatrice.villeneuve@grenoble.pimms.example",
        "Samira Belkacem",
        &[("pimms-grenoble-alpes", "mediator")],
    ),
    staff(
        "direction@marseille.pimms.example",
        "Olivier Santoni",
        &[("pimms-marseille", "director")],
    ),
    staff(
        "mediateur.belledemai@marseille.pimms.example",
        "Yacine Boudjema",
        &[("pimms-marseille", "mediator")],
    ),
    staff(
        "direction@cherbourg.pimms.example",
        "Anne Lemarchand",
        &[("pimms-cherbourg", "director")],
    ),
    staff(
        "mediatrice.provinces@cherbourg.pimms.example",
        "Émilie Hamel",
        &[("pimms-cherbourg", "mediator")],
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

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("seed: {0}")]
    Db(#[from] db::DbError),
    #[error("seed: {0}")]
    Sql(#[from] sea_orm::DbErr),
    /// The demo data itself is wrong (a date out of range, a hash that failed).
    #[error("seed: {0}")]
    Demo(String),
}

pub(crate) async fn exec(
    tx: &db::Scoped,
    q: &str,
    v: Vec<sea_orm::Value>,
) -> Result<(), SeedError> {
    tx.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, q, v))
        .await?;
    Ok(())
}

/// Loads the demo network and generates `visits` journal visits across it (0: no
/// journal), then the partners' side, in one transaction.
/// The national partners (PARTNERS), by name: both the demo and the bench datasets
/// have them.
pub(crate) async fn partner_organisations(tx: &db::Scoped) -> Result<(), SeedError> {
    for (name, sector, reach) in PARTNERS {
        exec(
            tx,
            "insert into partner_organisations (id, name, sector, reach) values ($1, $2, $3, $4) \
             on conflict (name) do nothing",
            vec![
                Uuid::now_v7().into(),
                (*name).into(),
                (*sector).into(),
                (*reach).into(),
            ],
        )
        .await?;
    }
    Ok(())
}

pub async fn demo(db: &db::Db, visits: u64) -> Result<DemoSummary, SeedError> {
    let ctx = Ctx::system("seed demo data");
    let tx = db.scoped(&ctx).await?;
    for t in TENANTS {
        exec(&tx, "insert into tenants (id, slug, name) values ($1, $2, $3) on conflict (slug) do nothing",
            vec![Uuid::now_v7().into(), t.slug.into(), t.name.into()]).await?;
    }
    partner_organisations(&tx).await?;
    for a in ACCOUNTS {
        exec(&tx, "insert into users (id, email, display_name) values ($1, $2, $3) on conflict (email) do nothing",
            vec![Uuid::now_v7().into(), a.email.into(), a.name.into()]).await?;
        exec(&tx, "insert into user_identities (id, user_id, issuer, subject) \
                   select $1, id, $2, email from users where email = $3 on conflict (issuer, subject) do nothing",
            vec![Uuid::now_v7().into(), auth::dev_issuer_id().into(), a.email.into()]).await?;
        for (slug, role) in a.memberships {
            exec(&tx, "insert into memberships (tenant_id, id, user_id, role) \
                       select t.id, $1, u.id, $2 from tenants t, users u where t.slug = $3 and u.email = $4 \
                       on conflict (tenant_id, user_id) do nothing",
                vec![Uuid::now_v7().into(), (*role).into(), (*slug).into(), a.email.into()]).await?;
        }
        if let Some(role) = a.union_role {
            exec(
                &tx,
                "insert into union_staff (user_id, role) select id, $1 from users where email = $2 \
                       on conflict (user_id) do nothing",
                vec![role.into(), a.email.into()],
            )
            .await?;
        }
        if let Some(partner) = a.partner {
            exec(&tx, "insert into partner_users (user_id, partner_id) \
                       select u.id, p.id from users u, partner_organisations p where u.email = $1 and p.name = $2 \
                       on conflict (user_id) do nothing",
                vec![a.email.into(), partner.into()]).await?;
        }
    }
    crate::seed_sites::seed_sites(&tx).await?;
    let journal = crate::seed_journal::seed_journal(&tx, visits).await?;
    let partners = crate::seed_partners::seed_partners(&tx).await?;
    tx.commit().await?;
    Ok(DemoSummary { journal, partners })
}
