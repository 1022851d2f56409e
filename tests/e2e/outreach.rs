//! Outbound mediation through the API: an association opens a campaign under a
//! fitting agreement only; the partner hands over cases (a batch or a CSV file) all
//! or nothing, to its own running campaigns only; mediators record attempts and
//! outcomes (unreachable on their own after the last attempt); contact data reaches
//! only those who work cases, report details the partner only with consent; the
//! dashboard counts; the purge erases contact data and keeps the counts.

use crate::support::*;
use chrono::{Days, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use testkit::gql::Reply;
use testkit::{TestTenant, TestUser};
use uuid::Uuid;

const OPEN: &str = "mutation($i: OpenOutreachCampaignInput!) { openOutreachCampaign(input: $i) { campaign { \
    id status agreementId agreement { id status } title purposeLabel legalBasisLabel maxAttempts retentionDays startsOn endsOn closedAt \
    association { name } partner { name } } } }";
const CLOSE_CAMPAIGN: &str = "mutation($i: CloseOutreachCampaignInput!) { closeOutreachCampaign(input: $i) { \
    campaign { id status closedAt purgeDueAt } } }";
const SUBMIT: &str = "mutation($i: SubmitOutreachCasesInput!) { submitOutreachCases(input: $i) { \
    submitted cases { id customerRef status fullName phone email } campaign { id } } }";
const UPLOAD: &str = "mutation($i: UploadOutreachCasesCsvInput!) { uploadOutreachCasesCsv(input: $i) { \
    submitted cases { id customerRef } } }";
const ATTEMPT: &str = "mutation($i: RecordOutreachAttemptInput!) { recordOutreachAttempt(input: $i) { \
    case { id status outcome attemptCount } attempt { channel result note mediator { id } } } }";
const CLOSE_CASE: &str = "mutation($i: CloseOutreachCaseInput!) { closeOutreachCase(input: $i) { \
    case { id status outcome consentToReport reportDetails } } }";
const CASES: &str = "query($c: ID!) { outreachCases(campaignId: $c, first: 100) { edges { node { \
    id customerRef fullName phone email address postalCode status outcome attemptCount consentToReport reportDetails \
    attempts { channel result note } } } } }";
const DASHBOARD: &str = "query($id: ID!) { node(id: $id) { ... on OutreachCampaign { purgedAt dashboard { \
    cases closedCases contactedCases contactRate attempts attemptsPerCase \
    byStatus { status count } byOutcome { outcome count } csv } } } }";

fn today() -> NaiveDate {
    kernel::time::today()
}

fn day(offset: i64) -> String {
    let t = today();
    let d = if offset >= 0 {
        t + Days::new(offset as u64)
    } else {
        t - Days::new(offset.unsigned_abs())
    };
    d.to_string()
}

fn uuid_of(gid: &str) -> Uuid {
    kernel::gid::decode(gid).expect("a global id").1
}

/// As the superuser: the fixtures the API does not create (sites, agreements).
async fn exec(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) {
    let admin = app.db.admin().await;
    admin
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .expect(sql);
    let _ = admin.close().await;
}

async fn site(app: &TestApp, tenant: Uuid) -> Uuid {
    let id = Uuid::now_v7();
    exec(
        app,
        "insert into sites (tenant_id, id, name, kind, postcode, city, opened_on, services) \
         values ($1, $2, $3, 'site', '69009', 'Lyon', '2001-05-02', '{partner_visits}')",
        vec![
            tenant.into(),
            id.into(),
            format!("Site {}", testkit::suffix()).into(),
        ],
    )
    .await;
    id
}

/// An agreement (tenant None: a national framework) covering `sites` (tenant, site),
/// from 30 days ago to 335 days ahead; its global id.
async fn agreement(
    app: &TestApp,
    partner: Uuid,
    tenant: Option<Uuid>,
    status: &str,
    services: &str,
    sites: &[(Uuid, Uuid)],
) -> String {
    let id = Uuid::now_v7();
    exec(
        app,
        "insert into agreements (id, partner_id, tenant_id, reference, title, starts_on, ends_on, status, services) \
         values ($1, $2, $3, $4, 'Convention médiation sortante', current_date - 30, current_date + 335, $5, $6::text[])",
        vec![
            id.into(),
            partner.into(),
            tenant.into(),
            format!("CONV-{}", testkit::suffix()).into(),
            status.into(),
            services.into(),
        ],
    )
    .await;
    for (t, s) in sites {
        exec(
            app,
            "insert into agreement_sites (agreement_id, partner_id, tenant_id, site_id) values ($1, $2, $3, $4)",
            vec![id.into(), partner.into(), (*t).into(), (*s).into()],
        )
        .await;
    }
    kernel::gid::encode("Agreement", id)
}

/// An association with a site and a local outreach agreement with EDF, whose agent
/// submits cases.
struct World {
    app: TestApp,
    t: TestTenant,
    partner: Uuid,
    agent: TestUser,
    site: Uuid,
    agreement: String,
}

async fn world() -> World {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let (partner, agent) = app.partner("EDF", "energy").await;
    let site = site(&app, t.id).await;
    let agreement = agreement(
        &app,
        partner,
        Some(t.id),
        "active",
        "{partner_visits,outreach}",
        &[(t.id, site)],
    )
    .await;
    World {
        app,
        t,
        partner,
        agent,
        site,
        agreement,
    }
}

fn campaign_input(agreement: &str) -> Value {
    json!({
        "agreementId": agreement, "title": "Impayés d'énergie, hiver", "purpose": "UNPAID_ENERGY_BILLS",
        "legalBasis": "LEGITIMATE_INTEREST", "startsOn": day(-1), "endsOn": day(60),
    })
}

fn with(mut v: Value, changes: Value) -> Value {
    for (k, x) in changes.as_object().expect("an object") {
        v[k] = x.clone();
    }
    v
}

impl World {
    async fn open(&self, u: &TestUser, input: Value) -> Reply {
        self.app.as_user(u, None, OPEN, json!({ "i": input })).await
    }

    /// An open campaign (the director's); its global id.
    async fn campaign(&self, max_attempts: i32, retention_days: i32) -> String {
        let r = self
            .open(
                &self.t.director,
                with(
                    campaign_input(&self.agreement),
                    json!({"maxAttempts": max_attempts, "retentionDays": retention_days}),
                ),
            )
            .await;
        assert!(r.ok(), "{}", r.body);
        r.data()["openOutreachCampaign"]["campaign"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn submit(&self, u: &TestUser, campaign: &str, cases: Value) -> Reply {
        self.app
            .as_user(
                u,
                None,
                SUBMIT,
                json!({"i": {"campaignId": campaign, "cases": cases}}),
            )
            .await
    }

    async fn upload(&self, u: &TestUser, campaign: &str, csv: &str) -> Reply {
        self.app
            .as_user(
                u,
                None,
                UPLOAD,
                json!({"i": {"campaignId": campaign, "csv": csv}}),
            )
            .await
    }

    /// Cases submitted by the agent; their global ids in order.
    async fn cases(&self, campaign: &str, refs: &[&str]) -> Vec<String> {
        let cases: Vec<Value> = refs
            .iter()
            .map(|r| json!({"customerRef": r, "fullName": format!("Client {r}"), "phone": "06 12 34 56 78"}))
            .collect();
        let r = self.submit(&self.agent, campaign, json!(cases)).await;
        assert!(r.ok(), "{}", r.body);
        r.data()["submitOutreachCases"]["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn attempt(&self, u: &TestUser, case: &str, input: Value) -> Reply {
        let i = with(json!({"caseId": case}), input);
        self.app.as_user(u, None, ATTEMPT, json!({ "i": i })).await
    }

    async fn close_case(&self, u: &TestUser, case: &str, input: Value) -> Reply {
        let i = with(json!({"caseId": case}), input);
        self.app
            .as_user(u, None, CLOSE_CASE, json!({ "i": i }))
            .await
    }

    async fn count_cases(&self, campaign: &str) -> i64 {
        self.app
            .count(&format!(
                "select count(*) from outreach_cases where campaign_id = '{}'",
                uuid_of(campaign)
            ))
            .await
    }
}

/// The VALIDATION error's field is `field`; its reason.
fn invalid(r: &Reply, field: &str) -> String {
    assert_eq!(r.code(), Some("VALIDATION"), "{field}: {}", r.body);
    assert_eq!(
        r.body["errors"][0]["extensions"]["field"], field,
        "{}",
        r.body
    );
    r.body["errors"][0]["extensions"]["reason"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn campaigns_open_under_a_fitting_agreement_only() {
    let w = world().await;
    let app = &w.app;
    let r = w.open(&w.t.director, campaign_input(&w.agreement)).await;
    assert!(r.ok(), "{}", r.body);
    let c = &r.data()["openOutreachCampaign"]["campaign"];
    assert_eq!(c["status"], "OPEN");
    assert_eq!(c["agreementId"], w.agreement.as_str());
    assert_eq!(c["agreement"]["id"], w.agreement.as_str());
    assert_eq!(c["agreement"]["status"], "ACTIVE");
    assert_eq!(c["purposeLabel"], "Factures d'énergie impayées");
    assert_eq!(c["legalBasisLabel"], "Intérêt légitime");
    assert_eq!(
        (c["maxAttempts"].as_i64(), c["retentionDays"].as_i64()),
        (Some(3), Some(90)),
        "defaults"
    );
    assert_eq!(c["association"]["name"], w.t.name.as_str());
    assert!(c["partner"]["name"].as_str().unwrap().starts_with("EDF"));
    let first = c["id"].as_str().unwrap().to_owned();
    let r = w.open(&w.t.coordinator, campaign_input(&w.agreement)).await;
    assert!(r.ok(), "coordinators open campaigns too: {}", r.body);

    // Mediators, viewers and the partner itself do not.
    for u in [&w.t.mediator, &w.t.viewer, &w.agent] {
        let r = w.open(u, campaign_input(&w.agreement)).await;
        assert_eq!(r.code(), Some("FORBIDDEN"), "{}", r.body);
    }

    // A national framework covering one of the association's sites binds it; one
    // covering only another association's does not, nor does that one's local agreement.
    let other = app.tenant().await;
    let other_site = site(app, other.id).await;
    let national = agreement(
        app,
        w.partner,
        None,
        "active",
        "{outreach}",
        &[(w.t.id, w.site), (other.id, other_site)],
    )
    .await;
    let r = w.open(&w.t.director, campaign_input(&national)).await;
    assert!(r.ok(), "{}", r.body);
    let elsewhere = agreement(
        app,
        w.partner,
        None,
        "active",
        "{outreach}",
        &[(other.id, other_site)],
    )
    .await;
    let theirs = agreement(
        app,
        w.partner,
        Some(other.id),
        "active",
        "{outreach}",
        &[(other.id, other_site)],
    )
    .await;
    let draft = agreement(
        app,
        w.partner,
        Some(w.t.id),
        "draft",
        "{outreach}",
        &[(w.t.id, w.site)],
    )
    .await;
    let no_outreach = agreement(
        app,
        w.partner,
        Some(w.t.id),
        "active",
        "{partner_visits,workshops}",
        &[(w.t.id, w.site)],
    )
    .await;
    let before = app
        .count(&format!(
            "select count(*) from outreach_campaigns where tenant_id = '{}'",
            w.t.id
        ))
        .await;
    assert_eq!(before, 3);
    let unknown = kernel::gid::encode("Agreement", Uuid::now_v7());
    for (input, field, reason) in [
        (
            campaign_input(&elsewhere),
            "agreementId",
            "unknown agreement",
        ),
        (campaign_input(&theirs), "agreementId", "unknown agreement"),
        (campaign_input(&unknown), "agreementId", "unknown agreement"),
        (
            campaign_input(&draft),
            "agreementId",
            "the agreement is not active",
        ),
        (
            campaign_input(&no_outreach),
            "agreementId",
            "the agreement does not cover outreach",
        ),
        (
            campaign_input(&w.t.gid()),
            "agreementId",
            "not a Agreement id",
        ),
        (
            with(campaign_input(&w.agreement), json!({"startsOn": day(-31)})),
            "startsOn",
            "",
        ),
        (
            with(campaign_input(&w.agreement), json!({"endsOn": day(336)})),
            "endsOn",
            "",
        ),
        (
            with(
                campaign_input(&w.agreement),
                json!({"startsOn": day(-20), "endsOn": day(-10)}),
            ),
            "endsOn",
            "already over",
        ),
        (
            with(campaign_input(&w.agreement), json!({"endsOn": day(-2)})),
            "endsOn",
            "before the start",
        ),
        (
            with(campaign_input(&w.agreement), json!({"title": " x "})),
            "title",
            "",
        ),
        (
            with(campaign_input(&w.agreement), json!({"maxAttempts": 0})),
            "maxAttempts",
            "",
        ),
        (
            with(campaign_input(&w.agreement), json!({"retentionDays": 2000})),
            "retentionDays",
            "",
        ),
    ] {
        let r = w.open(&w.t.director, input).await;
        let got = invalid(&r, field);
        assert!(got.starts_with(reason), "{field}: {got}");
    }
    let after = app
        .count(&format!(
            "select count(*) from outreach_campaigns where tenant_id = '{}'",
            w.t.id
        ))
        .await;
    assert_eq!(after, before, "nothing opened");

    // Closing: directors and coordinators, once; another association's is not found.
    let close = json!({"i": {"campaignId": first}});
    let r = app
        .as_user(&w.t.mediator, None, CLOSE_CAMPAIGN, close.clone())
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    let r = app
        .as_user(&other.director, None, CLOSE_CAMPAIGN, close.clone())
        .await;
    assert_eq!(r.code(), Some("NOT_FOUND"), "{}", r.body);
    let r = app
        .as_user(&w.t.director, None, CLOSE_CAMPAIGN, close.clone())
        .await;
    assert!(r.ok(), "{}", r.body);
    let c = &r.data()["closeOutreachCampaign"]["campaign"];
    assert_eq!(c["status"], "CLOSED");
    assert!(c["closedAt"].is_string() && c["purgeDueAt"].is_string());
    let r = app
        .as_user(&w.t.director, None, CLOSE_CAMPAIGN, close)
        .await;
    assert_eq!(r.code(), Some("CONFLICT"));

    // Listing: the association's, by status; the partner's across associations.
    let q = "query($s: OutreachCampaignStatus) { outreachCampaigns(status: $s) { edges { node { id status } } } }";
    let r = app
        .as_user(&w.t.viewer, None, q, json!({"s": "OPEN"}))
        .await;
    assert_eq!(
        r.data()["outreachCampaigns"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{}",
        r.body
    );
    let r = app.as_user(&w.agent, None, q, json!({})).await;
    assert_eq!(
        r.data()["outreachCampaigns"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "{}",
        r.body
    );
    let r = app.as_user(&other.director, None, q, json!({})).await;
    assert_eq!(
        r.data()["outreachCampaigns"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn partners_submit_batches_all_or_nothing() {
    let w = world().await;
    let c = w.campaign(3, 90).await;
    let r = w
        .submit(
            &w.agent,
            &c,
            json!([
                {"customerRef": "EDF-0001", "fullName": "Jeanne Martin", "phone": "06 12 34 56 78"},
                {"customerRef": "EDF-0002", "email": " Karim.Benali@Example.fr "},
                {"customerRef": "EDF-0003", "address": "12 rue des Lilas", "postalCode": "69009"},
            ]),
        )
        .await;
    assert!(r.ok(), "{}", r.body);
    let p = &r.data()["submitOutreachCases"];
    assert_eq!(p["submitted"], 3);
    assert_eq!(p["campaign"]["id"], c.as_str());
    let refs: Vec<&str> = p["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["customerRef"].as_str().unwrap())
        .collect();
    assert_eq!(
        refs,
        ["EDF-0001", "EDF-0002", "EDF-0003"],
        "in the order given"
    );
    assert_eq!(p["cases"][0]["status"], "PENDING");
    assert!(
        p["cases"][0]["phone"].is_null() && p["cases"][0]["fullName"].is_null(),
        "contact data never goes back to the partner"
    );
    let stored = w
        .app
        .count(&format!(
            "select count(*) from outreach_cases where campaign_id = '{}' and phone = '+33612345678' and submitted_by_user = '{}'",
            uuid_of(&c),
            w.agent.id
        ))
        .await;
    assert_eq!(
        stored, 1,
        "phones are stored normalised, with who submitted"
    );
    assert_eq!(
        w.app
            .count(&format!("select count(*) from outreach_cases where campaign_id = '{}' and email = 'karim.benali@example.fr'", uuid_of(&c)))
            .await,
        1
    );

    let ok = |r: &str| json!({"customerRef": r, "phone": "0478123456"});
    let mut bad_phone = vec![ok("N-1"), ok("N-2"), ok("N-3"), ok("N-4"), ok("N-5")];
    bad_phone[3]["phone"] = json!("rappeler le soir");
    let many: Vec<Value> = (0..501).map(|i| ok(&format!("M-{i}"))).collect();
    for (cases, field, reason) in [
        (json!(bad_phone), "cases[3].phone", "not a phone number"),
        (
            json!([ok("D-1"), ok("D-2"), ok("D-1")]),
            "cases[2].customerRef",
            "duplicate of cases[0]",
        ),
        (
            json!([ok("E-1"), ok("EDF-0002")]),
            "cases[1].customerRef",
            "already in the campaign",
        ),
        (
            json!([ok("F-1"), {"customerRef": "F-2", "fullName": "Sans coordonnées"}]),
            "cases[1]",
            "a phone, an email or an address",
        ),
        (
            json!([{"customerRef": "G-1", "address": "3 place Bellecour"}]),
            "cases[0].postalCode",
            "required with an address",
        ),
        (
            json!([{"customerRef": "H-1", "email": "pas-un-courriel"}]),
            "cases[0].email",
            "not an email",
        ),
        (
            json!([{"customerRef": "bad ref", "phone": "0612345678"}]),
            "cases[0].customerRef",
            "",
        ),
        (json!([]), "cases", "between 1 and 500"),
        (json!(many), "cases", "between 1 and 500"),
    ] {
        let r = w.submit(&w.agent, &c, cases).await;
        let got = invalid(&r, field);
        assert!(got.starts_with(reason), "{field}: {got}");
    }
    assert_eq!(w.count_cases(&c).await, 3, "no bad batch recorded anything");

    // The association does not submit cases: the partner does.
    let r = w.submit(&w.t.director, &c, json!([ok("S-1")])).await;
    assert_eq!(r.code(), Some("FORBIDDEN"), "{}", r.body);
    assert_eq!(w.count_cases(&c).await, 3);
}

#[tokio::test]
async fn csv_uploads_are_all_or_nothing_and_name_the_line() {
    let w = world().await;
    let c = w.campaign(3, 90).await;
    let semi = "\u{feff}customer_ref;full_name;phone;email;address;postal_code\r\n\
                EDF-1;\"Martin; Jeanne\";06 12 34 56 78;;;\r\n\
                \r\n\
                EDF-2;Karim Benali;;karim@example.fr;;\r\n\
                EDF-3;;;;12 rue des Lilas;1000\r\n";
    let r = w.upload(&w.agent, &c, semi).await;
    assert!(r.ok(), "{}", r.body);
    assert_eq!(r.data()["uploadOutreachCasesCsv"]["submitted"], 3);
    let comma = "phone,customer_ref\n+32 470 12 34 56,EDF-4\n0590 12 34 56,EDF-5\n";
    let r = w.upload(&w.agent, &c, comma).await;
    assert!(r.ok(), "{}", r.body);
    assert_eq!(r.data()["uploadOutreachCasesCsv"]["submitted"], 2);
    let normalised = w
        .app
        .count(&format!(
            "select count(*) from outreach_cases where campaign_id = '{}' and \
             ((customer_ref = 'EDF-1' and full_name = 'Martin; Jeanne' and phone = '+33612345678') \
              or (customer_ref = 'EDF-3' and postal_code = '01000') \
              or (customer_ref = 'EDF-4' and phone = '+32470123456') \
              or (customer_ref = 'EDF-5' and phone = '+590590123456'))",
            uuid_of(&c)
        ))
        .await;
    assert_eq!(normalised, 4);

    for (csv, reason) in [
        (
            "customer_ref;phone\nC-1;0612345678\nC-2;0612345679\nC-3;pas de téléphone\n",
            "ligne 4 : phone: not a phone number",
        ),
        (
            "customer_ref;phone\nC-1;0612345678\nC-2;0612345679;en trop\n",
            "ligne 3 : 3 fields where the header has 2",
        ),
        (
            "customer_ref;phone\nC-1;\"0612345678\n",
            "ligne 2 : a quote is left open",
        ),
        (
            "C-1;0612345678\nC-2;0612345679\n",
            "ligne 1 : unknown column",
        ),
        (
            "phone;email\n0612345678;\n",
            "ligne 1 : the customer_ref column is required",
        ),
        (
            "customer_ref;phone\nC-1;0612345678\nC-1;0612345679\n",
            "ligne 3 : customer_ref: duplicate of ligne 2",
        ),
        (
            "customer_ref;phone\n\nEDF-2;0612345678\n",
            "ligne 3 : customer_ref: already in the campaign",
        ),
        (
            "customer_ref;full_name\nC-1;Sans coordonnées\n",
            "ligne 2 : a phone, an email or an address",
        ),
        ("customer_ref;phone\n", "no case after the header line"),
        ("", "empty"),
    ] {
        let r = w.upload(&w.agent, &c, csv).await;
        let got = invalid(&r, "csv");
        assert!(got.starts_with(reason), "{reason}: {got}");
    }
    assert_eq!(w.count_cases(&c).await, 5, "no bad file recorded anything");
}

#[tokio::test]
async fn a_partner_submits_only_to_its_own_running_campaigns() {
    let w = world().await;
    let app = &w.app;
    let c = w.campaign(3, 90).await;
    let cases = w.cases(&c, &["EDF-1"]).await;
    let (_, engie) = app.partner("ENGIE", "energy").await;
    let one = json!([{"customerRef": "X-1", "phone": "0612345678"}]);
    let unknown = kernel::gid::encode("OutreachCampaign", Uuid::now_v7());
    for campaign in [&c, &unknown] {
        let r = w.submit(&engie, campaign, one.clone()).await;
        assert_eq!(invalid(&r, "campaignId"), "unknown campaign");
        let r = w
            .upload(&engie, campaign, "customer_ref;phone\nX-1;0612345678\n")
            .await;
        assert_eq!(invalid(&r, "campaignId"), "unknown campaign");
    }
    let r = w.submit(&w.agent, &unknown, one.clone()).await;
    assert_eq!(invalid(&r, "campaignId"), "unknown campaign");
    assert_eq!(w.count_cases(&c).await, 1);

    // Nor does another partner read anything of it.
    let r = app.as_user(&engie, None, CASES, json!({"c": c})).await;
    assert_eq!(r.code(), Some("NOT_FOUND"), "{}", r.body);
    let r = app
        .as_user(
            &engie,
            None,
            "query($a: ID!, $b: ID!) { nodes(ids: [$a, $b]) { id } }",
            json!({"a": c, "b": cases[0]}),
        )
        .await;
    assert_eq!(r.data()["nodes"], json!([null, null]), "{}", r.body);
    // Nor another association's staff.
    let other = app.tenant().await;
    let r = app
        .as_user(&other.director, None, CASES, json!({"c": c}))
        .await;
    assert_eq!(r.code(), Some("NOT_FOUND"));
    let r = w
        .attempt(
            &other.mediator,
            &cases[0],
            json!({"channel": "PHONE", "result": "NO_ANSWER"}),
        )
        .await;
    assert_eq!(r.code(), Some("NOT_FOUND"), "{}", r.body);
    let r = w
        .close_case(&other.director, &cases[0], json!({"outcome": "REFUSED"}))
        .await;
    assert_eq!(r.code(), Some("NOT_FOUND"));
    assert_eq!(
        app.count(&format!(
            "select count(*) from outreach_attempts where case_id = '{}'",
            uuid_of(&cases[0])
        ))
        .await,
        0
    );

    // A campaign not started yet, or closed, takes no case.
    let later = w
        .open(
            &w.t.director,
            with(
                campaign_input(&w.agreement),
                json!({"startsOn": day(5), "endsOn": day(30)}),
            ),
        )
        .await;
    let later = later.data()["openOutreachCampaign"]["campaign"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = w.submit(&w.agent, &later, one.clone()).await;
    assert!(invalid(&r, "campaignId").starts_with("the campaign runs from"));
    app.as_user(
        &w.t.director,
        None,
        CLOSE_CAMPAIGN,
        json!({"i": {"campaignId": c}}),
    )
    .await;
    let r = w.submit(&w.agent, &c, one).await;
    assert_eq!(invalid(&r, "campaignId"), "the campaign is closed");
    assert_eq!(w.count_cases(&c).await + w.count_cases(&later).await, 1);
}

#[tokio::test]
async fn contact_data_reaches_only_those_who_work_cases() {
    let w = world().await;
    let app = &w.app;
    let c = w.campaign(3, 90).await;
    let r = w
        .submit(
            &w.agent,
            &c,
            json!([
                {"customerRef": "EDF-77", "fullName": "Jeanne Martin", "phone": "06 12 34 56 78",
                 "email": "jeanne.martin@example.fr", "address": "12 rue des Lilas", "postalCode": "69009"},
                {"customerRef": "EDF-78", "fullName": "Karim Benali", "phone": "07 98 76 54 32"},
            ]),
        )
        .await;
    let ids: Vec<String> = r.data()["submitOutreachCases"]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    let r = w
        .attempt(
            &w.t.mediator,
            &ids[0],
            json!({"channel": "PHONE", "result": "REACHED", "note": "Rappeler après 18 h"}),
        )
        .await;
    assert!(r.ok(), "{}", r.body);
    // Details for the partner need the resident's consent.
    let r = w
        .close_case(
            &w.t.mediator,
            &ids[0],
            json!({"outcome": "PAYMENT_PLAN_AGREED", "reportDetails": "Échéancier sur 6 mois"}),
        )
        .await;
    assert_eq!(
        invalid(&r, "reportDetails"),
        "only with the resident's consent to report"
    );
    let r = w
        .close_case(
            &w.t.mediator,
            &ids[0],
            json!({"outcome": "PAYMENT_PLAN_AGREED", "consentToReport": true, "reportDetails": "Échéancier sur 6 mois"}),
        )
        .await;
    assert!(r.ok(), "{}", r.body);
    w.attempt(
        &w.t.mediator,
        &ids[1],
        json!({"channel": "DOOR_TO_DOOR", "result": "REACHED", "note": "Voisine présente"}),
    )
    .await;
    let r = w
        .close_case(
            &w.t.coordinator,
            &ids[1],
            json!({"outcome": "CONTACT_RESTORED"}),
        )
        .await;
    assert!(r.ok(), "{}", r.body);

    let node = |r: &Reply, i: usize| r.data()["outreachCases"]["edges"][i]["node"].clone();
    // Newest first: ids[1], then ids[0].
    for u in [&w.t.mediator, &w.t.coordinator, &w.t.director] {
        let r = app.as_user(u, None, CASES, json!({"c": c})).await;
        assert!(r.ok(), "{}", r.body);
        let n = node(&r, 1);
        assert_eq!(n["id"], ids[0].as_str());
        assert_eq!(n["fullName"], "Jeanne Martin");
        assert_eq!(n["phone"], "+33612345678");
        assert_eq!(n["email"], "jeanne.martin@example.fr");
        assert_eq!(
            (n["address"].as_str(), n["postalCode"].as_str()),
            (Some("12 rue des Lilas"), Some("69009"))
        );
        assert_eq!(n["attempts"][0]["note"], "Rappeler après 18 h");
        assert_eq!(n["reportDetails"], "Échéancier sur 6 mois");
    }
    // The read-only viewer: statuses and outcomes, no one's details.
    let r = app.as_user(&w.t.viewer, None, CASES, json!({"c": c})).await;
    assert!(r.ok(), "{}", r.body);
    let n = node(&r, 1);
    assert_eq!(
        (n["status"].as_str(), n["outcome"].as_str()),
        (Some("CLOSED"), Some("PAYMENT_PLAN_AGREED"))
    );
    for f in [
        "customerRef",
        "fullName",
        "phone",
        "email",
        "address",
        "postalCode",
        "reportDetails",
    ] {
        assert!(n[f].is_null(), "viewer sees {f}: {}", r.body);
    }
    assert_eq!(n["attempts"][0]["result"], "REACHED");
    assert!(n["attempts"][0]["note"].is_null());

    // The partner: its reference, status, outcome, attempt count, and details only
    // with consent; never contact data, never attempts.
    let r = app.as_user(&w.agent, None, CASES, json!({"c": c})).await;
    let body = r.body.to_string();
    for secret in [
        "Jeanne",
        "Karim",
        "+336",
        "+337",
        "jeanne.martin",
        "Lilas",
        "69009",
        "18 h",
        "Voisine",
    ] {
        assert!(
            !body.contains(secret),
            "the partner sees {secret:?}: {body}"
        );
    }
    let (consented, other) = (node(&r, 1), node(&r, 0));
    assert_eq!(consented["customerRef"], "EDF-77");
    assert_eq!(consented["outcome"], "PAYMENT_PLAN_AGREED");
    assert_eq!(consented["attemptCount"], 1);
    assert_eq!(consented["reportDetails"], "Échéancier sur 6 mois");
    assert!(consented["attempts"].is_null());
    assert_eq!(other["outcome"], "CONTACT_RESTORED");
    assert_eq!(other["consentToReport"], false);
    assert!(other["reportDetails"].is_null());
    let errors = r.body["errors"].as_array().expect("attempts refused");
    assert!(
        errors
            .iter()
            .all(|e| e["extensions"]["code"] == "FORBIDDEN" && e["path"][4] == "attempts"),
        "{}",
        r.body
    );

    // The union reads none of it.
    let analyst = app.union_user("analyst").await;
    let r = app
        .as_user(
            &analyst,
            None,
            "{ outreachCampaigns { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    let r = app.as_user(&analyst, None, CASES, json!({"c": c})).await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    let r = app
        .as_user(
            &analyst,
            None,
            "query($a: ID!, $b: ID!) { nodes(ids: [$a, $b]) { id } }",
            json!({"a": c, "b": ids[0]}),
        )
        .await;
    assert_eq!(r.data()["nodes"], json!([null, null]));
}

#[tokio::test]
async fn attempts_move_cases_on_and_the_last_one_closes_them() {
    let w = world().await;
    let app = &w.app;
    let c = w.campaign(2, 90).await;
    let ids = w.cases(&c, &["A", "B", "C"]).await;
    let (a, b, cc) = (&ids[0], &ids[1], &ids[2]);

    // Nobody answers twice: unreachable, on its own.
    let r = w
        .attempt(
            &w.t.mediator,
            a,
            json!({"channel": "PHONE", "result": "NO_ANSWER"}),
        )
        .await;
    assert!(r.ok(), "{}", r.body);
    let p = &r.data()["recordOutreachAttempt"];
    assert_eq!(
        (
            p["case"]["status"].as_str(),
            p["case"]["attemptCount"].as_i64()
        ),
        (Some("IN_PROGRESS"), Some(1))
    );
    assert_eq!(
        p["attempt"]["mediator"]["id"],
        kernel::gid::encode("Membership", w.t.mediator.membership_id.unwrap())
    );
    let r = w
        .attempt(
            &w.t.mediator,
            a,
            json!({"channel": "SMS", "result": "LEFT_MESSAGE"}),
        )
        .await;
    let p = &r.data()["recordOutreachAttempt"]["case"];
    assert_eq!(
        (
            p["status"].as_str(),
            p["outcome"].as_str(),
            p["attemptCount"].as_i64()
        ),
        (Some("CLOSED"), Some("UNREACHABLE"), Some(2)),
        "{}",
        r.body
    );
    let r = w
        .attempt(
            &w.t.mediator,
            a,
            json!({"channel": "PHONE", "result": "NO_ANSWER"}),
        )
        .await;
    assert_eq!(r.code(), Some("CONFLICT"), "a closed case takes no attempt");
    let r = w
        .close_case(&w.t.mediator, a, json!({"outcome": "REFUSED"}))
        .await;
    assert_eq!(r.code(), Some("CONFLICT"));

    // Reached once: the last attempt does not close it; the mediator does.
    w.attempt(
        &w.t.coordinator,
        b,
        json!({"channel": "PHONE", "result": "REACHED"}),
    )
    .await;
    let r = w
        .attempt(
            &w.t.director,
            b,
            json!({"channel": "PHONE", "result": "NO_ANSWER"}),
        )
        .await;
    let p = &r.data()["recordOutreachAttempt"]["case"];
    assert_eq!(
        (p["status"].as_str(), p["attemptCount"].as_i64()),
        (Some("IN_PROGRESS"), Some(2)),
        "{}",
        r.body
    );
    let r = w
        .close_case(&w.t.mediator, b, json!({"outcome": "CONTACT_RESTORED"}))
        .await;
    assert_eq!(
        r.data()["closeOutreachCase"]["case"]["status"],
        "CLOSED",
        "{}",
        r.body
    );

    // Rules on attempts and outcomes.
    let r = w
        .close_case(&w.t.mediator, cc, json!({"outcome": "WRONG_NUMBER"}))
        .await;
    assert_eq!(r.code(), Some("CONFLICT"), "an attempt first: {}", r.body);
    let future = (Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let r = w
        .attempt(
            &w.t.mediator,
            cc,
            json!({"channel": "PHONE", "result": "NO_ANSWER", "attemptedAt": future}),
        )
        .await;
    assert_eq!(invalid(&r, "attemptedAt"), "in the future");
    let r = w
        .attempt(
            &w.t.mediator,
            cc,
            json!({"channel": "LETTER", "result": "REACHED"}),
        )
        .await;
    invalid(&r, "result");
    for u in [&w.t.viewer, &w.agent] {
        let r = w
            .attempt(u, cc, json!({"channel": "PHONE", "result": "NO_ANSWER"}))
            .await;
        assert_eq!(r.code(), Some("FORBIDDEN"), "{}", r.body);
        let r = w.close_case(u, cc, json!({"outcome": "REFUSED"})).await;
        assert_eq!(r.code(), Some("FORBIDDEN"));
    }
    let r = w
        .attempt(
            &w.t.mediator,
            cc,
            json!({"channel": "LETTER", "result": "LETTER_SENT"}),
        )
        .await;
    assert!(r.ok(), "{}", r.body);
    let r = w
        .close_case(
            &w.t.mediator,
            cc,
            json!({"outcome": "UNREACHABLE", "consentToReport": true}),
        )
        .await;
    assert_eq!(
        invalid(&r, "consentToReport"),
        "only a resident who was reached can consent"
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from outreach_attempts where case_id = '{}'",
            uuid_of(cc)
        ))
        .await,
        1,
        "refused attempts recorded nothing"
    );

    // A closed campaign is no longer worked; its open cases stay as they are.
    app.as_user(
        &w.t.director,
        None,
        CLOSE_CAMPAIGN,
        json!({"i": {"campaignId": c}}),
    )
    .await;
    let r = w
        .attempt(
            &w.t.mediator,
            cc,
            json!({"channel": "PHONE", "result": "NO_ANSWER"}),
        )
        .await;
    assert_eq!(r.code(), Some("CONFLICT"), "{}", r.body);
    assert_eq!(
        app.count(&format!(
            "select count(*) from outreach_cases where id = '{}' and status = 'in_progress'",
            uuid_of(cc)
        ))
        .await,
        1
    );
}

/// Five cases: unreachable after two attempts, a payment plan, a refusal, one in
/// progress, one pending.
async fn worked_campaign(w: &World, retention_days: i32) -> (String, Vec<String>) {
    let c = w.campaign(2, retention_days).await;
    let ids = w.cases(&c, &["D-1", "D-2", "D-3", "D-4", "D-5"]).await;
    let m = &w.t.mediator;
    for _ in 0..2 {
        w.attempt(
            m,
            &ids[0],
            json!({"channel": "PHONE", "result": "NO_ANSWER", "note": "Messagerie de Mme X"}),
        )
        .await;
    }
    w.attempt(
        m,
        &ids[1],
        json!({"channel": "PHONE", "result": "REACHED", "note": "Appel de M. Y"}),
    )
    .await;
    let r = w
        .close_case(m, &ids[1], json!({"outcome": "PAYMENT_PLAN_AGREED", "consentToReport": true, "reportDetails": "Plan sur 10 mois"}))
        .await;
    assert!(r.ok(), "{}", r.body);
    w.attempt(
        m,
        &ids[2],
        json!({"channel": "DOOR_TO_DOOR", "result": "REFUSED"}),
    )
    .await;
    w.close_case(m, &ids[2], json!({"outcome": "REFUSED"}))
        .await;
    w.attempt(
        m,
        &ids[3],
        json!({"channel": "PHONE", "result": "NO_ANSWER"}),
    )
    .await;
    (c, ids)
}

#[tokio::test]
async fn the_dashboard_counts_statuses_outcomes_and_attempts() {
    let w = world().await;
    let (c, _) = worked_campaign(&w, 90).await;
    let mut seen = Vec::new();
    for u in [&w.t.director, &w.t.viewer, &w.agent] {
        let r = w.app.as_user(u, None, DASHBOARD, json!({"id": c})).await;
        assert!(r.ok(), "{}", r.body);
        seen.push(r.data()["node"]["dashboard"].clone());
    }
    assert!(
        seen.iter().all(|d| *d == seen[0]),
        "the association and the partner read the same numbers"
    );
    let d = &seen[0];
    assert_eq!(d["cases"], 5);
    assert_eq!(d["closedCases"], 3);
    assert_eq!(d["contactedCases"], 1, "a refusal restores no contact");
    assert!((d["contactRate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(d["attempts"], 5);
    assert_eq!(d["attemptsPerCase"], 1.0);
    assert_eq!(
        d["byStatus"],
        json!([{"status": "PENDING", "count": 1}, {"status": "IN_PROGRESS", "count": 1}, {"status": "CLOSED", "count": 3}])
    );
    let outcomes: Vec<(String, i64)> = d["byOutcome"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["outcome"].as_str().unwrap().to_owned(),
                o["count"].as_i64().unwrap(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(
        outcomes,
        [
            ("PAYMENT_PLAN_AGREED".to_owned(), 1),
            ("REFUSED".to_owned(), 1),
            ("UNREACHABLE".to_owned(), 1)
        ]
    );
    let csv = d["csv"].as_str().unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(
        csv.contains(";contact;taux;Taux de contact (cas clôturés);0,333\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains(";issue;unreachable;Injoignable;1\r\n"),
        "{csv}"
    );

    // Another partner, and the union, see no dashboard.
    let (_, engie) = w.app.partner("ENGIE", "energy").await;
    let r = w
        .app
        .as_user(&engie, None, DASHBOARD, json!({"id": c}))
        .await;
    assert!(r.data()["node"].is_null(), "{}", r.body);
}

#[tokio::test]
async fn the_purge_erases_contact_data_and_keeps_the_counts() {
    let w = world().await;
    let app = &w.app;
    let (expired, ids) = worked_campaign(&w, 30).await;
    let (recent, _) = worked_campaign(&w, 30).await;
    let (running, _) = worked_campaign(&w, 30).await;
    for c in [&expired, &recent] {
        let r = app
            .as_user(
                &w.t.coordinator,
                None,
                CLOSE_CAMPAIGN,
                json!({"i": {"campaignId": c}}),
            )
            .await;
        assert!(r.ok(), "{}", r.body);
    }
    // Closed 31 days ago, 30 days of retention: due.
    exec(
        app,
        "update outreach_campaigns set closed_at = now() - interval '31 days' where id = $1",
        vec![uuid_of(&expired).into()],
    )
    .await;
    let agent = &w.agent;
    let dashboard = |c: String| async move {
        let r = app.as_user(agent, None, DASHBOARD, json!({"id": c})).await;
        assert!(r.ok(), "{}", r.body);
        r.data()["node"].clone()
    };
    let before = dashboard(expired.clone()).await;
    let contact = "customer_ref is not null or full_name is not null or phone is not null or email is not null \
                   or address is not null or postal_code is not null or report_details is not null";
    let with_contact = |c: &str| {
        format!(
            "select count(*) from outreach_cases where campaign_id = '{}' and ({contact})",
            uuid_of(c)
        )
    };
    assert_eq!(app.count(&with_contact(&expired)).await, 5);

    let purger = ::partners::Partners::new(app.db.app().await, None);
    let purged = purger.purge_expired_outreach().await.expect("purge");
    assert!(
        purged.campaigns >= 1 && purged.cases >= 5 && purged.attempt_notes >= 3,
        "{purged:?}"
    );

    // Every contact field, reference, detail and note of the expired campaign is gone.
    assert_eq!(app.count(&with_contact(&expired)).await, 0);
    assert_eq!(
        app.count(&format!(
            "select count(*) from outreach_cases where campaign_id = '{}' and purged_at is not null",
            uuid_of(&expired)
        ))
        .await,
        5
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from outreach_attempts a join outreach_cases k on k.tenant_id = a.tenant_id and k.id = a.case_id \
             where k.campaign_id = '{}' and a.note is not null",
            uuid_of(&expired)
        ))
        .await,
        0
    );
    // The counts stay: same dashboard, outcomes and attempts still there.
    let after = dashboard(expired.clone()).await;
    assert!(after["purgedAt"].is_string());
    assert_eq!(after["dashboard"], before["dashboard"]);
    let r = app
        .as_user(&w.t.director, None, CASES, json!({"c": expired}))
        .await;
    let n = &r.data()["outreachCases"]["edges"][3]["node"];
    assert_eq!(n["id"], ids[1].as_str());
    assert_eq!(
        (n["outcome"].as_str(), n["attemptCount"].as_i64()),
        (Some("PAYMENT_PLAN_AGREED"), Some(1))
    );
    for f in ["customerRef", "fullName", "phone", "reportDetails"] {
        assert!(n[f].is_null(), "{f} purged: {}", r.body);
    }
    assert_eq!(n["attempts"][0]["result"], "REACHED");
    assert!(n["attempts"][0]["note"].is_null());

    // Campaigns still within retention, or still open, keep their data.
    for c in [&recent, &running] {
        assert_eq!(app.count(&with_contact(c)).await, 5, "{c}");
    }
    // Purged once only.
    let stamp = format!(
        "select count(*) from outreach_campaigns where id = '{}' and purged_at = (select max(purged_at) from outreach_cases where campaign_id = '{}')",
        uuid_of(&expired),
        uuid_of(&expired)
    );
    assert_eq!(app.count(&stamp).await, 1);
    purger.purge_expired_outreach().await.expect("purge again");
    assert_eq!(
        app.count(&stamp).await,
        1,
        "a purged campaign is not purged again"
    );
}

#[tokio::test]
async fn api_clients_act_within_their_scopes() {
    let w = world().await;
    let app = &w.app;
    let c = w.campaign(3, 90).await;
    let admin = app.union_user("admin").await;
    let (_, reader_id, reader_secret) =
        crate::partners::register(app, &admin, w.partner, &["OUTREACH_READ"]).await;
    let (_, writer_id, writer_secret) =
        crate::partners::register(app, &admin, w.partner, &["OUTREACH_READ", "OUTREACH_WRITE"])
            .await;
    let (_, other_id, other_secret) =
        crate::partners::register(app, &admin, w.partner, &["AGREEMENTS_READ"]).await;
    let reader = crate::partners::token(app, &reader_id, &reader_secret, None).await;
    let writer = crate::partners::token(app, &writer_id, &writer_secret, None).await;
    let other = crate::partners::token(app, &other_id, &other_secret, None).await;
    let cases = json!({"i": {"campaignId": c, "cases": [{"customerRef": "API-1", "fullName": "Paul Durand", "phone": "0612345678"}]}});

    // outreach:write submits; the client is recorded as the submitter.
    let r = app
        .gql
        .run(writer.token(), None, SUBMIT, cases.clone())
        .await;
    assert!(r.ok(), "{}", r.body);
    assert_eq!(
        app.count(&format!(
            "select count(*) from outreach_cases k join partner_api_clients a on a.id = k.submitted_by_client \
             where k.campaign_id = '{}' and a.client_id = '{writer_id}' and k.submitted_by_user is null",
            uuid_of(&c)
        ))
        .await,
        1
    );
    // outreach:read reads, without contact data, and submits nothing.
    let r = app.gql.run(reader.token(), None, SUBMIT, cases).await;
    assert_eq!(r.code(), Some("FORBIDDEN"), "{}", r.body);
    let r = app
        .gql
        .run(reader.token(), None, CASES, json!({"c": c}))
        .await;
    let n = &r.data()["outreachCases"]["edges"][0]["node"];
    assert_eq!(n["customerRef"], "API-1", "{}", r.body);
    assert!(n["fullName"].is_null() && n["phone"].is_null());
    assert!(!r.body.to_string().contains("Durand"));
    // Without agreements:read the campaign's agreement stays hidden; without
    // outreach:read there is no outreach at all.
    let q = "{ outreachCampaigns { edges { node { id agreementId agreement { id } } } } }";
    let r = app.gql.run(reader.token(), None, q, json!({})).await;
    let node = &r.data()["outreachCampaigns"]["edges"][0]["node"];
    assert_eq!(node["id"], c.as_str(), "{}", r.body);
    assert!(node["agreement"].is_null());
    let r = app.gql.run(other.token(), None, q, json!({})).await;
    assert_eq!(r.code(), Some("FORBIDDEN"), "{}", r.body);
    assert_eq!(w.count_cases(&c).await, 1);
}
