//! Fresh tenants and people for each test, written through the application role
//! under a system scope (the same path the seed uses), registered under the test
//! issuer so that tokens from `Issuer` sign them in.

use crate::{TestDb, suffix};
use kernel::Ctx;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: Uuid,
    pub email: String,
    pub subject: String,
    /// Membership id in the tenant it was created for, if any.
    pub membership_id: Option<Uuid>,
}

#[derive(Clone, Debug)]
pub struct TestTenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub director: TestUser,
    pub coordinator: TestUser,
    pub mediator: TestUser,
    pub viewer: TestUser,
}

async fn exec(db: &db::Db, q: &str, v: Vec<sea_orm::Value>) {
    let tx = db
        .scoped(&Ctx::system("test fixture"))
        .await
        .expect("scope");
    tx.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, q, v))
        .await
        .expect("fixture statement");
    tx.commit().await.expect("commit");
}

/// A person with a sign-in identity at `issuer`.
pub async fn user(db: &db::Db, issuer: &str, email: &str) -> TestUser {
    let id = Uuid::now_v7();
    let subject = format!("sub-{}", Uuid::now_v7());
    exec(
        db,
        "insert into users (id, email, display_name) values ($1, $2, $3)",
        vec![
            id.into(),
            email.into(),
            format!("Personne {}", &email[..email.find('@').unwrap_or(0)]).into(),
        ],
    )
    .await;
    exec(
        db,
        "insert into user_identities (id, user_id, issuer, subject) values ($1, $2, $3, $4)",
        vec![
            Uuid::now_v7().into(),
            id.into(),
            issuer.into(),
            subject.clone().into(),
        ],
    )
    .await;
    TestUser {
        id,
        email: email.to_owned(),
        subject,
        membership_id: None,
    }
}

pub async fn union_user(db: &db::Db, issuer: &str, role: &str) -> TestUser {
    let u = user(
        db,
        issuer,
        &format!("{role}-{}@union.test.example", suffix()),
    )
    .await;
    exec(
        db,
        "insert into union_staff (user_id, role) values ($1, $2)",
        vec![u.id.into(), role.into()],
    )
    .await;
    u
}

pub async fn add_member(db: &db::Db, tenant: Uuid, u: &mut TestUser, role: &str) {
    let id = Uuid::now_v7();
    exec(
        db,
        "insert into memberships (tenant_id, id, user_id, role) values ($1, $2, $3, $4)",
        vec![tenant.into(), id.into(), u.id.into(), role.into()],
    )
    .await;
    u.membership_id = Some(id);
}

impl TestTenant {
    pub async fn create(tdb: &TestDb, issuer: &str) -> Self {
        let db = tdb.app().await;
        let s = suffix();
        let slug = format!("test-{s}");
        let name = format!("PIMMS Test {s}");
        let id = Uuid::now_v7();
        exec(
            &db,
            "insert into tenants (id, slug, name) values ($1, $2, $3)",
            vec![id.into(), slug.clone().into(), name.clone().into()],
        )
        .await;
        let mut people = Vec::new();
        for role in ["director", "coordinator", "mediator", "viewer"] {
            let mut u = user(&db, issuer, &format!("{role}-{s}@{slug}.test.example")).await;
            add_member(&db, id, &mut u, role).await;
            people.push(u);
        }
        db.close().await;
        let mut it = people.into_iter();
        let mut next = || it.next().expect("four people");
        Self {
            id,
            slug,
            name,
            director: next(),
            coordinator: next(),
            mediator: next(),
            viewer: next(),
        }
    }

    pub fn gid(&self) -> String {
        kernel::gid::encode("Tenant", self.id)
    }
}

/// Gives a tenant one object of every kind the API exposes (the isolation suite
/// probes them all). Extend it when a domain adds a kind of object.
pub async fn populate(tdb: &TestDb, t: &TestTenant) {
    let db = tdb.app().await;
    let site = Uuid::now_v7();
    let perm = Uuid::now_v7();
    exec(&db, "insert into sites (tenant_id, id, name, kind, street, postcode, city, insee_code, latitude, longitude, qpv_code, opened_on, services) \
               values ($1, $2, $3, 'site', '12 rue des Essais', '69009', 'Lyon', '69389', 45.77, 4.80, 'QP069012', '2001-05-02', '{partner_visits,general_visits}')",
        vec![t.id.into(), site.into(), format!("Site principal {}", t.slug).into()]).await;
    exec(&db, "insert into sites (tenant_id, id, name, kind, parent_site_id, host_place, postcode, city, opened_on) \
               values ($1, $2, $3, 'permanence', $4, $5, '69120', 'Vaulx-en-Velin', '2010-01-04')",
        vec![t.id.into(), perm.into(), format!("Permanence {}", t.slug).into(), site.into(), format!("Mairie annexe {}", t.slug).into()]).await;
    exec(&db, "insert into site_opening_hours (tenant_id, id, site_id, weekday, opens, closes) values ($1, $2, $3, 1, '09:00', '12:00')",
        vec![t.id.into(), Uuid::now_v7().into(), site.into()]).await;
    exec(&db, "insert into site_closures (tenant_id, id, site_id, starts_on, ends_on, reason) values ($1, $2, $3, '2026-12-24', '2026-12-26', $4)",
        vec![t.id.into(), Uuid::now_v7().into(), site.into(), format!("Fermeture {}", t.slug).into()]).await;
    exec(&db, "insert into site_labels (tenant_id, id, site_id, label, granted_on) values ($1, $2, $3, 'france_services', '2020-01-01')",
        vec![t.id.into(), Uuid::now_v7().into(), site.into()]).await;
    exec(&db, "insert into invitations (tenant_id, id, email, role, invited_by, expires_at) values ($1, $2, $3, 'mediator', $4, now() + interval '7 days')",
        vec![t.id.into(), Uuid::now_v7().into(), format!("invitee@{}.test.example", t.slug).into(), t.director.id.into()]).await;
    // The journal: a beneficiary with consent, a visit with a request and a note,
    // a workshop, a survey campaign with an answer, and the matching rollups.
    let (ben, visit, mediator) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        t.mediator.membership_id.expect("membership"),
    );
    exec(&db, "insert into beneficiaries (tenant_id, id, pseudonym, age_band, neighbourhood) values ($1, $2, $3, '41_60', $4)",
        vec![t.id.into(), ben.into(), format!("B-{}", t.slug).into(), format!("Quartier {}", t.slug).into()]).await;
    exec(&db, "insert into consents (tenant_id, id, beneficiary_id, purpose, recipient, given_on, channel, expires_on) \
               values ($1, $2, $3, $4, 'EDF', current_date - 10, 'written', current_date + 300)",
        vec![t.id.into(), Uuid::now_v7().into(), ben.into(), format!("Suivi impayé {}", t.slug).into()]).await;
    exec(&db, "insert into visits (tenant_id, id, site_id, mediator_id, occurred_at, channel, duration_minutes, language, beneficiary_id, client_key) \
               values ($1, $2, $3, $4, now() - interval '2 days', 'on_site', 25, 'ar', $5, $6)",
        vec![t.id.into(), visit.into(), site.into(), mediator.into(), ben.into(), format!("fixture-{}", t.slug).into()]).await;
    exec(&db, "insert into visit_requests (tenant_id, id, visit_id, position, theme, kind, outcome, mediation_act, referred_to) \
               values ($1, $2, $3, 0, 'housing', 'general', 'oriented', false, $4)",
        vec![t.id.into(), Uuid::now_v7().into(), visit.into(), format!("CCAS {}", t.slug).into()]).await;
    exec(
        &db,
        "insert into visit_notes (tenant_id, id, visit_id, body) values ($1, $2, $3, $4)",
        vec![
            t.id.into(),
            Uuid::now_v7().into(),
            visit.into(),
            format!("Note confidentielle {}", t.slug).into(),
        ],
    )
    .await;
    exec(
        &db,
        "insert into visit_daily (tenant_id, site_id, day, channel, visits, minutes) \
               values ($1, $2, (now() - interval '2 days')::date, 'on_site', 1, 25)",
        vec![t.id.into(), site.into()],
    )
    .await;
    exec(&db, "insert into request_daily (tenant_id, site_id, day, channel, theme, kind, partner_key, requests, mediation_acts) \
               values ($1, $2, (now() - interval '2 days')::date, 'on_site', 'housing', 'general', '00000000-0000-0000-0000-000000000000', 1, 0)",
        vec![t.id.into(), site.into()]).await;
    let ws = Uuid::now_v7();
    exec(&db, "insert into workshops (tenant_id, id, site_id, theme, title, held_on, duration_minutes, facilitator_id, attendees, client_key) \
               values ($1, $2, $3, 'digital', $4, current_date - 3, 120, $5, 8, $6)",
        vec![t.id.into(), ws.into(), site.into(), format!("Atelier numérique {}", t.slug).into(), mediator.into(), format!("fixture-ws-{}", t.slug).into()]).await;
    exec(&db, "insert into workshop_attendees (tenant_id, id, workshop_id, beneficiary_id) values ($1, $2, $3, $4)",
        vec![t.id.into(), Uuid::now_v7().into(), ws.into(), ben.into()]).await;
    exec(&db, "insert into workshop_daily (tenant_id, site_id, day, theme, workshops, attendees) values ($1, $2, current_date - 3, 'digital', 1, 8)",
        vec![t.id.into(), site.into()]).await;
    let camp = Uuid::now_v7();
    exec(&db, "insert into survey_campaigns (tenant_id, id, site_id, title, starts_on, ends_on) values ($1, $2, $3, $4, current_date - 30, current_date + 30)",
        vec![t.id.into(), camp.into(), site.into(), format!("Enquête {}", t.slug).into()]).await;
    exec(&db, "insert into survey_answers (tenant_id, id, campaign_id, score, answered_on, client_key) values ($1, $2, $3, 4, current_date - 1, $4)",
        vec![t.id.into(), Uuid::now_v7().into(), camp.into(), format!("fixture-answer-{}", t.slug).into()]).await;
    db.close().await;
}
