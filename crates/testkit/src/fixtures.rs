//! Fresh tenants and people for each test, written through the application role
//! under a system scope (the same path the seed uses), registered under the test
//! issuer so that tokens from `Issuer` sign them in.

mod compliance;
mod pathways;

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

/// A partner organisation with a unique name.
pub async fn partner_org(db: &db::Db, name: &str, sector: &str) -> Uuid {
    let id = Uuid::now_v7();
    exec(
        db,
        "insert into partner_organisations (id, name, sector) values ($1, $2, $3)",
        vec![
            id.into(),
            format!("{name} {}", suffix()).into(),
            sector.into(),
        ],
    )
    .await;
    id
}

/// A person working for partner `partner`.
pub async fn partner_user(db: &db::Db, issuer: &str, partner: Uuid) -> TestUser {
    let u = user(
        db,
        issuer,
        &format!("agent-{}@partner.test.example", suffix()),
    )
    .await;
    exec(
        db,
        "insert into partner_users (user_id, partner_id) values ($1, $2)",
        vec![u.id.into(), partner.into()],
    )
    .await;
    u
}

/// A person of partner `partner` who also sits in association `tenant` with `role`
/// (an EDF agent on a PIMMS board, say): two identities, chosen per request.
pub async fn partner_member(
    db: &db::Db,
    issuer: &str,
    partner: Uuid,
    tenant: Uuid,
    role: &str,
) -> TestUser {
    let mut u = partner_user(db, issuer, partner).await;
    add_member(db, tenant, &mut u, role).await;
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
    pathways::populate(&db, t, site).await;
    compliance::populate(&db, t, site).await;
    // The association's access log: a mutation and a read of its beneficiary.
    exec(&db, "select app.access_log_append(jsonb_build_array( \
                 jsonb_build_object('tenant_id', $1::uuid, 'kind', 'mutation', 'operation', 'createBeneficiary', 'object_type', 'Beneficiary', \
                   'object_id', $2::uuid, 'actor_kind', 'user', 'user_id', $3::uuid, 'outcome', 'ok'), \
                 jsonb_build_object('tenant_id', $1::uuid, 'kind', 'read', 'operation', 'beneficiaries', 'object_type', 'Beneficiary', \
                   'object_id', $2::uuid, 'actor_kind', 'user', 'user_id', $3::uuid, 'outcome', 'ok')))",
        vec![t.id.into(), ben.into(), t.director.id.into()]).await;
    db.close().await;
}

/// What `populate_partner` made.
#[derive(Clone, Debug)]
pub struct TestPartner {
    pub id: Uuid,
    pub user: TestUser,
    pub local_agreement: Uuid,
    pub national_agreement: Uuid,
    pub campaign: Uuid,
    pub case: Uuid,
}

/// A partner firm working with association `t` (after `populate`): one of its people,
/// a contact, a local agreement with `t` and a national framework, both covering `t`'s
/// main site and in force today, with a target, payments, a revision and coded
/// activity; an outreach campaign in `t` with a case and an attempt. Everything a
/// partner can own, so the isolation suite probes it all.
pub async fn populate_partner(tdb: &TestDb, issuer: &str, t: &TestTenant) -> TestPartner {
    let db = tdb.app().await;
    let s = suffix();
    let partner = partner_org(&db, "Partenaire", "energy").await;
    let user = partner_user(&db, issuer, partner).await;
    let tx = db
        .scoped(&Ctx::system("test fixture"))
        .await
        .expect("scope");
    let site: Uuid = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "select id from sites where tenant_id = $1 and kind = 'site' order by id limit 1",
            [t.id.into()],
        ))
        .await
        .expect("site query")
        .expect("populate made a site")
        .try_get("", "id")
        .expect("site id");
    tx.commit().await.expect("commit");
    exec(&db, "insert into partner_contacts (id, partner_id, full_name, job_title, email, phone) values ($1, $2, $3, 'Chargée de partenariat', $4, '+33 4 72 00 00 00')",
        vec![Uuid::now_v7().into(), partner.into(), format!("Contact {s}").into(), format!("contact-{s}@partner.test.example").into()]).await;
    exec(
        &db,
        "insert into partner_invitations (id, partner_id, email) values ($1, $2, $3)",
        vec![
            Uuid::now_v7().into(),
            partner.into(),
            format!("invitee-{s}@partner.test.example").into(),
        ],
    )
    .await;
    let (local, national) = (Uuid::now_v7(), Uuid::now_v7());
    for (id, tenant, kind) in [(local, Some(t.id), "LOC"), (national, None, "NAT")] {
        exec(&db, "insert into agreements (id, partner_id, tenant_id, reference, title, starts_on, ends_on, status, services, themes, workshop_themes, funding_cents, reporting_frequency, revision) \
                   values ($1, $2, $3, $4, $5, current_date - 60, current_date + 300, 'active', '{partner_visits,outreach,workshops}', '{energy,water}', '{energy_saving}', 1200000, 'quarterly', 2)",
            vec![id.into(), partner.into(), tenant.into(), format!("{kind}-{s}").into(), format!("Convention {kind} {}", t.slug).into()]).await;
        exec(&db, "insert into agreement_sites (agreement_id, partner_id, tenant_id, site_id) values ($1, $2, $3, $4)",
            vec![id.into(), partner.into(), t.id.into(), site.into()]).await;
        exec(&db, "insert into agreement_targets (agreement_id, partner_id, indicator, annual_target) values ($1, $2, 'mediation_acts', 400)",
            vec![id.into(), partner.into()]).await;
        exec(&db, "insert into agreement_payments (id, agreement_id, partner_id, kind, on_date, amount_cents, label) values ($1, $2, $3, 'received', current_date - 20, 300000, $4)",
            vec![Uuid::now_v7().into(), id.into(), partner.into(), format!("Acompte {kind} {s}").into()]).await;
        exec(&db, "insert into agreement_revisions (id, agreement_id, partner_id, tenant_id, revision, previous, reason) values ($1, $2, $3, $4, 1, $5, $6)",
            vec![Uuid::now_v7().into(), id.into(), partner.into(), tenant.into(),
                 serde_json::json!({"title": format!("Ancien titre {kind} {s}")}).into(), format!("Avenant {kind} {s}").into()]).await;
        exec(&db, "insert into agreement_activity_monthly (agreement_id, partner_id, tenant_id, site_id, month, activity, theme, count, mediation_acts) \
                   values ($1, $2, $3, $4, date_trunc('month', current_date)::date, 'request', 'energy', 7, 5)",
            vec![id.into(), partner.into(), t.id.into(), site.into()]).await;
    }
    let (campaign, case) = (Uuid::now_v7(), Uuid::now_v7());
    exec(&db, "insert into outreach_campaigns (tenant_id, id, agreement_id, partner_id, title, purpose, legal_basis, starts_on, ends_on) \
               values ($1, $2, $3, $4, $5, 'unpaid_energy_bills', 'legitimate_interest', current_date - 10, current_date + 80)",
        vec![t.id.into(), campaign.into(), local.into(), partner.into(), format!("Campagne impayés {}", t.slug).into()]).await;
    exec(&db, "insert into outreach_cases (tenant_id, id, campaign_id, partner_id, customer_ref, full_name, phone, email, address, postal_code, status, attempts, submitted_by_user) \
               values ($1, $2, $3, $4, $5, $6, '+33 6 11 22 33 44', $7, $8, '69009', 'in_progress', 1, $9)",
        vec![t.id.into(), case.into(), campaign.into(), partner.into(), format!("CLI-{s}").into(), format!("Résidente {s}").into(),
             format!("residente-{s}@mail.test.example").into(), format!("{s} rue des Sondes").into(), user.id.into()]).await;
    exec(&db, "insert into outreach_attempts (tenant_id, id, case_id, channel, attempted_at, result, note, mediator_id) \
               values ($1, $2, $3, 'phone', now() - interval '1 day', 'no_answer', $4, $5)",
        vec![t.id.into(), Uuid::now_v7().into(), case.into(), format!("Messagerie pleine {s}").into(), t.mediator.membership_id.expect("membership").into()]).await;
    // Its webhooks: an endpoint, an event of the case, its delivery (failed once).
    let (endpoint, event) = (Uuid::now_v7(), Uuid::now_v7());
    exec(&db, "insert into webhook_endpoints (partner_id, id, url, event_types, secret) values ($1, $2, $3, '{outreach.case.outcome_recorded}', $4)",
        vec![partner.into(), endpoint.into(), format!("https://hooks-{s}.partner.test.example/passerelle").into(), format!("whsec_c2VjcmV0LXt7c319LXRlc3Q{s}").into()]).await;
    exec(&db, "insert into event_outbox (id, event_type, tenant_id, partner_id, subject_id, payload, dispatched_at) values ($1, 'outreach.case.outcome_recorded', $2, $3, $4, $5, now())",
        vec![event.into(), t.id.into(), partner.into(), case.into(), serde_json::json!({"id": event.to_string(), "type": "outreach.case.outcome_recorded", "data": {}}).into()]).await;
    exec(&db, "insert into webhook_deliveries (partner_id, id, endpoint_id, event_id, event_type, status, attempts, retry_until, last_response_code, last_error) \
               values ($1, $2, $3, $4, 'outreach.case.outcome_recorded', 'failed', 1, now(), 500, $5)",
        vec![partner.into(), Uuid::now_v7().into(), endpoint.into(), event.into(), format!("réponse autre que 2xx {s}").into()]).await;
    db.close().await;
    TestPartner {
        id: partner,
        user,
        local_agreement: local,
        national_agreement: national,
        campaign,
        case,
    }
}
