//! What the tester found in the landed journal: a reused client key dropped a visit,
//! coding acted on the wrong request of seeded visits, amendments dropped codings
//! and kept a history in raw ids, closures and opening hours went unnoticed, the
//! service codes had no catalogue, and the demo had no "last year" to compare with.

use crate::journal::{visit, with_partner};
use crate::support::*;
use serde_json::{Value, json};
use std::sync::Arc;
use testkit::{Gql, Issuer, TestDb, TestTenant};
use uuid::Uuid;

fn key() -> String {
    Uuid::now_v7().to_string()
}

fn gid(t: &str, id: Uuid) -> String {
    kernel::gid::encode(t, id)
}

fn ext(r: &testkit::gql::Reply, k: &str) -> String {
    r.body["errors"][0]["extensions"][k]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

const RECORD_W: &str = "mutation($i: RecordVisitInput!) { recordVisit(input: $i) { replayed warnings { code message field } visit { id duration: durationMinutes requests { agreement { id } proposedAgreement { id } } } } }";
const AMEND: &str = "mutation($i: AmendVisitInput!) { amendVisit(input: $i) { warnings { code message field } visit { id revision requests { theme agreement { id } proposedAgreement { id } } history { revision action reason changedAt author { user { email } } previous } } } }";
const CODE: &str = "mutation($i: CodeVisitRequestsInput!) { codeVisitRequests(input: $i) { visit { id requests { theme agreement { id } } } } }";

/// The warning that a coding was removed, among an amendment's warnings.
fn removed(warnings: &Value) -> Option<&Value> {
    warnings
        .as_array()?
        .iter()
        .find(|w| w["code"] == "AGREEMENT_CODING_REMOVED")
}

/// A local agreement of `t` with `partner` over `sites` (partner visits: energy,
/// water), from 60 days ago for ten months, activated by the union admin.
async fn agreement(app: &TestApp, t: &TestTenant, partner: &str, sites: &[&str]) -> String {
    let admin = app.union_user("admin").await;
    let today = kernel::time::today();
    let r = app.as_user(&admin, None,
        "mutation($i: CreateAgreementInput!) { createAgreement(input: $i) { agreement { id } } }",
        json!({"i": {
            "tenantId": t.gid(), "partnerId": partner,
            "reference": format!("CONV-{}", testkit::suffix()),
            "title": "Convention de partenariat locale",
            "startsOn": (today - chrono::Days::new(60)).to_string(),
            "endsOn": (today + chrono::Days::new(300)).to_string(),
            "services": ["PARTNER_VISITS"], "themes": ["energy", "water"],
            "siteIds": sites, "fundingCents": 100_000, "reportingFrequency": "QUARTERLY",
        }})).await;
    assert!(r.ok(), "{:?}", r.body);
    let id = r.data()["createAgreement"]["agreement"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app.as_user(&admin, None,
        "mutation($i: SetAgreementStatusInput!) { setAgreementStatus(input: $i) { agreement { status } } }",
        json!({"i": {"agreementId": id, "status": "ACTIVE", "reason": "Signée par les deux parties"}})).await;
    assert!(r.ok(), "{:?}", r.body);
    id
}

async fn sites_of(app: &TestApp, t: &TestTenant) -> Vec<String> {
    let r = app
        .as_user(
            &t.director,
            None,
            "{ sites { edges { node { id } } } }",
            json!({}),
        )
        .await;
    r.data()["sites"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

fn journal_rows(t: &TestTenant) -> String {
    format!(
        "select (select count(*) from visits where tenant_id = '{0}') + (select count(*) from visit_requests where tenant_id = '{0}') \
           + (select coalesce(sum(visits), 0) from visit_daily where tenant_id = '{0}') \
           + (select count(*) from workshops where tenant_id = '{0}') + (select count(*) from survey_answers where tenant_id = '{0}')",
        t.id
    )
}

#[tokio::test]
async fn a_client_key_names_one_input_and_another_input_under_it_is_a_conflict() {
    let app = spawn_app().await;
    let (t, site, p) = with_partner(&app).await;
    let k = key();
    // One input, built once (visit() reads the clock).
    let original = visit(&site, &p, 5);
    let first = app
        .as_user(
            &t.mediator,
            None,
            RECORD_W,
            json!({"i": {"clientKey": k, "visit": original}}),
        )
        .await;
    assert!(first.ok(), "{:?}", first.body);
    assert_eq!(first.data()["recordVisit"]["replayed"], false);
    let rows = journal_rows(&t);
    let before = app.count(&rows).await;

    // The same key with another duration, another mediator, a note: refused,
    // nothing recorded.
    let mut variants: Vec<Value> = Vec::new();
    let mut v = original.clone();
    v["durationMinutes"] = json!(45);
    variants.push(json!({"clientKey": k, "visit": v}));
    let mut v = original.clone();
    v["mediatorId"] = json!(gid("Membership", Uuid::now_v7()));
    variants.push(json!({"clientKey": k, "visit": v}));
    variants.push(json!({"clientKey": k, "visit": original, "note": "Autre chose"}));
    for i in variants {
        let r = app
            .as_user(&t.mediator, None, RECORD_W, json!({ "i": i }))
            .await;
        assert_eq!(r.code(), Some("CONFLICT"), "{:?}", r.body);
        assert_eq!(ext(&r, "field"), "clientKey", "{:?}", r.body);
    }
    assert_eq!(app.count(&rows).await, before, "nothing recorded");

    // The same input again is a replay: the first visit, unchanged.
    let r = app
        .as_user(
            &t.mediator,
            None,
            RECORD_W,
            json!({"i": {"clientKey": k, "visit": original}}),
        )
        .await;
    assert_eq!(r.data()["recordVisit"]["replayed"], true, "{:?}", r.body);
    assert_eq!(
        r.data()["recordVisit"]["visit"]["id"],
        first.data()["recordVisit"]["visit"]["id"]
    );
    assert_eq!(r.data()["recordVisit"]["visit"]["duration"], 20);
    assert_eq!(app.count(&rows).await, before);

    // Workshops: the same rule.
    let today = kernel::time::today();
    let ws = "mutation($i: RecordWorkshopInput!) { recordWorkshop(input: $i) { replayed workshop { id attendees } } }";
    let wk = key();
    let workshop = |attendees: i32| {
        json!({"i": {"clientKey": wk, "siteId": site, "theme": "digital", "title": "Créer son espace CAF",
            "heldOn": today.to_string(), "durationMinutes": 120, "attendees": attendees}})
    };
    let r = app.as_user(&t.mediator, None, ws, workshop(6)).await;
    assert_eq!(
        r.data()["recordWorkshop"]["replayed"],
        false,
        "{:?}",
        r.body
    );
    let before = app.count(&rows).await;
    let r = app.as_user(&t.mediator, None, ws, workshop(9)).await;
    assert_eq!(r.code(), Some("CONFLICT"), "{:?}", r.body);
    assert_eq!(ext(&r, "field"), "clientKey");
    assert_eq!(app.count(&rows).await, before);
    let r = app.as_user(&t.mediator, None, ws, workshop(6)).await;
    assert_eq!(r.data()["recordWorkshop"]["replayed"], true, "{:?}", r.body);
    assert_eq!(r.data()["recordWorkshop"]["workshop"]["attendees"], 6);

    // Survey answers: another score under a used key is refused, not dropped.
    let r = app.as_user(&t.coordinator, None,
        "mutation($i: CreateSurveyCampaignInput!) { createSurveyCampaign(input: $i) { campaign { id } } }",
        json!({"i": {"siteId": site, "title": "Enquête de satisfaction",
            "startsOn": (today - chrono::Days::new(10)).to_string(), "endsOn": (today + chrono::Days::new(10)).to_string()}})).await;
    let cid = r.data()["createSurveyCampaign"]["campaign"]["id"].clone();
    let answer = "mutation($i: RecordSurveyAnswerInput!) { recordSurveyAnswer(input: $i) { campaign { answers } } }";
    let ak = key();
    let a = |score: i32| json!({"i": {"campaignId": cid, "score": score, "answeredOn": today.to_string(), "clientKey": ak}});
    let r = app.as_user(&t.mediator, None, answer, a(4)).await;
    assert_eq!(
        r.data()["recordSurveyAnswer"]["campaign"]["answers"],
        1,
        "{:?}",
        r.body
    );
    let r = app.as_user(&t.mediator, None, answer, a(1)).await;
    assert_eq!(r.code(), Some("CONFLICT"), "{:?}", r.body);
    assert_eq!(ext(&r, "field"), "clientKey");
    let r = app.as_user(&t.mediator, None, answer, a(4)).await;
    assert_eq!(
        r.data()["recordSurveyAnswer"]["campaign"]["answers"],
        1,
        "{:?}",
        r.body
    );
}

#[tokio::test]
async fn coding_names_requests_from_zero_and_refuses_an_unknown_position() {
    let app = spawn_app().await;
    let (t, site, _) = with_partner(&app).await;
    let (edf, _) = app.partner("EDF", "energy").await;
    let edf = gid("PartnerOrganisation", edf);
    let x = agreement(&app, &t, &edf, &[&site]).await;
    let mut v = visit(&site, &edf, 5);
    v["requests"] = json!([
        {"theme": "housing", "kind": "GENERAL", "outcome": "ORIENTED"},
        {"theme": "energy", "kind": "PARTNER", "partnerId": edf, "outcome": "MEDIATED"},
    ]);
    let r = app
        .as_user(
            &t.mediator,
            None,
            RECORD_W,
            json!({"i": {"clientKey": key(), "visit": v}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let id = r.data()["recordVisit"]["visit"]["id"].clone();
    let activity = format!(
        "select coalesce(sum(count), 0) from agreement_activity_monthly where tenant_id = '{}'",
        t.id
    );
    for (position, field) in [(2, "requests[0].position"), (-1, "requests[0].position")] {
        let r = app
            .as_user(&t.mediator, None, CODE,
                json!({"i": {"visitId": id, "requests": [{"position": position, "agreementId": x}]}}))
            .await;
        assert_eq!(r.code(), Some("VALIDATION"), "{:?}", r.body);
        assert_eq!(ext(&r, "field"), field);
    }
    assert_eq!(app.count(&activity).await, 0, "nothing coded");
    let r = app
        .as_user(
            &t.mediator,
            None,
            CODE,
            json!({"i": {"visitId": id, "requests": [{"position": 1, "agreementId": x}]}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let reqs = &r.data()["codeVisitRequests"]["visit"]["requests"];
    assert_eq!(reqs[0]["agreement"], json!(null));
    assert_eq!(reqs[1]["agreement"]["id"], x.as_str());
    assert_eq!(app.count(&activity).await, 1);
}

#[tokio::test]
async fn amendments_keep_the_codings_that_still_fit_and_history_speaks_the_schema() {
    let app = spawn_app().await;
    let (t, _, _) = with_partner(&app).await;
    let sites = sites_of(&app, &t).await;
    let (a, b) = (sites[0].clone(), sites[1].clone());
    let (edf, _) = app.partner("EDF", "energy").await;
    let edf = gid("PartnerOrganisation", edf);
    let x = agreement(&app, &t, &edf, &[&a]).await;
    let y = agreement(&app, &t, &edf, &[&b]).await;
    let at = (chrono::Utc::now() - chrono::Duration::minutes(30)).to_rfc3339();
    let fields = |site: &str, minutes: i32, agreement: Option<&str>| {
        let mut edf_req =
            json!({"theme": "energy", "kind": "PARTNER", "partnerId": edf, "outcome": "MEDIATED"});
        if let Some(g) = agreement {
            edf_req["agreementId"] = json!(g);
        }
        json!({"siteId": site, "occurredAt": at, "channel": "ON_SITE", "durationMinutes": minutes,
            "requests": [edf_req, {"theme": "housing", "kind": "GENERAL", "outcome": "INFORMED"}]})
    };
    let r = app
        .as_user(
            &t.mediator,
            None,
            RECORD_W,
            json!({"i": {"clientKey": key(), "visit": fields(&a, 20, Some(&x))}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let id = r.data()["recordVisit"]["visit"]["id"].clone();
    let coded_to = |agreement: &str| {
        let u = kernel::gid::decode(agreement).map(|(_, u)| u).unwrap();
        format!(
            "select coalesce(sum(count), 0) from agreement_activity_monthly where agreement_id = '{u}'"
        )
    };
    assert_eq!(app.count(&coded_to(&x)).await, 1);

    // Another duration, no agreement given: the coding still fits and stays.
    let r = app
        .as_user(&t.coordinator, None, AMEND,
            json!({"i": {"visitId": id, "visit": fields(&a, 35, None), "reason": "Durée corrigée"}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let v = &r.data()["amendVisit"];
    assert_eq!(
        v["visit"]["requests"][0]["agreement"]["id"],
        x.as_str(),
        "{:?}",
        r.body
    );
    assert!(removed(&v["warnings"]).is_none(), "{:?}", r.body);
    assert_eq!(app.count(&coded_to(&x)).await, 1, "the rollup kept it once");

    // The history says who, when, and the previous state in the schema's terms.
    let h = &v["visit"]["history"][0];
    assert_eq!(h["action"], "amended");
    assert_eq!(h["author"]["user"]["email"], t.coordinator.email.as_str());
    assert!(h["changedAt"].is_string());
    let prev = &h["previous"];
    assert_eq!(prev["siteId"], a.as_str());
    assert_eq!(prev["channel"], "ON_SITE");
    assert_eq!(prev["status"], "RECORDED");
    assert_eq!(prev["durationMinutes"], 20);
    assert!(
        prev["mediatorId"]
            .as_str()
            .and_then(kernel::gid::decode)
            .is_some_and(|(t, _)| t == "Membership"),
        "{prev}"
    );
    assert_eq!(prev["requests"][0]["kind"], "PARTNER");
    assert_eq!(prev["requests"][0]["outcome"], "MEDIATED");
    assert_eq!(prev["requests"][0]["partnerId"], edf.as_str());
    assert_eq!(prev["requests"][0]["agreementId"], x.as_str());
    assert_eq!(prev["requests"][0]["position"], 0);
    assert_eq!(prev["requests"][1]["kind"], "GENERAL");

    // Moved to the other site: X no longer covers it, so the coding goes, with a
    // warning, and the request proposes Y, the one agreement that fits there.
    let r = app
        .as_user(
            &t.coordinator,
            None,
            AMEND,
            json!({"i": {"visitId": id, "visit": fields(&b, 35, None), "reason": "Mauvais site"}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let v = &r.data()["amendVisit"];
    assert_eq!(v["visit"]["requests"][0]["agreement"], json!(null));
    assert_eq!(
        v["visit"]["requests"][0]["proposedAgreement"]["id"],
        y.as_str()
    );
    let w = removed(&v["warnings"]).expect("a warning");
    assert_eq!(w["field"], "requests[0].agreementId");
    assert!(w["message"].as_str().unwrap().contains("convention"));
    assert_eq!(app.count(&coded_to(&x)).await, 0, "withdrawn from X");
    assert_eq!(app.count(&coded_to(&y)).await, 0, "not coded to Y unasked");

    // An explicit null uncodes; an explicit agreement codes.
    let mut f = fields(&b, 35, Some(&y));
    let r = app
        .as_user(
            &t.coordinator,
            None,
            AMEND,
            json!({"i": {"visitId": id, "visit": f.clone()}}),
        )
        .await;
    assert_eq!(
        r.data()["amendVisit"]["visit"]["requests"][0]["agreement"]["id"],
        y.as_str(),
        "{:?}",
        r.body
    );
    assert_eq!(app.count(&coded_to(&y)).await, 1);
    f["requests"][0]["agreementId"] = json!(null);
    let r = app
        .as_user(
            &t.coordinator,
            None,
            AMEND,
            json!({"i": {"visitId": id, "visit": f}}),
        )
        .await;
    assert_eq!(
        r.data()["amendVisit"]["visit"]["requests"][0]["agreement"],
        json!(null),
        "{:?}",
        r.body
    );
    assert!(removed(&r.data()["amendVisit"]["warnings"]).is_none());
    assert_eq!(app.count(&coded_to(&y)).await, 0);
}

/// An instant given as Paris local time: `days` before today (Paris), at `hh:mm`.
async fn paris(app: &TestApp, days: i64, hhmm: &str) -> String {
    let epoch = app
        .count(&format!(
            "select extract(epoch from (((now() at time zone 'Europe/Paris')::date - {days}) + time '{hhmm}') \
               at time zone 'Europe/Paris')::bigint"
        ))
        .await;
    chrono::DateTime::from_timestamp(epoch, 0)
        .unwrap()
        .to_rfc3339()
}

async fn paris_day(app: &TestApp, days: i64) -> String {
    let n = app
        .count(&format!(
            "select to_char((now() at time zone 'Europe/Paris')::date - {days}, 'YYYYMMDD')::bigint"
        ))
        .await;
    format!("{}-{:02}-{:02}", n / 10000, n / 100 % 100, n % 100)
}

#[tokio::test]
async fn visits_during_a_closure_or_outside_hours_are_kept_with_a_warning_and_counted() {
    let app = spawn_app().await;
    let (t, site, p) = with_partner(&app).await;
    let slots: Vec<Value> = (1..=7)
        .map(|d| json!({"weekday": d, "opens": "09:00:00", "closes": "17:00:00"}))
        .collect();
    let r = app.as_user(&t.director, None,
        "mutation($i: SetSiteOpeningHoursInput!) { setSiteOpeningHours(input: $i) { site { id } } }",
        json!({"i": {"siteId": site, "slots": slots}})).await;
    assert!(r.ok(), "{:?}", r.body);
    let closed = paris_day(&app, 2).await;
    let r = app.as_user(&t.director, None,
        "mutation($i: AddSiteClosureInput!) { addSiteClosure(input: $i) { site { id } } }",
        json!({"i": {"siteId": site, "startsOn": closed, "endsOn": closed, "reason": "Travaux"}})).await;
    assert!(r.ok(), "{:?}", r.body);

    let record = |at: String, channel: &str| {
        let mut v = visit(&site, &p, 0);
        v["occurredAt"] = json!(at);
        v["channel"] = json!(channel);
        json!({"i": {"clientKey": key(), "visit": v}})
    };
    let codes = |r: &testkit::gql::Reply| -> Vec<String> {
        r.data()["recordVisit"]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let during = app
        .as_user(
            &t.mediator,
            None,
            RECORD_W,
            record(paris(&app, 2, "10:00").await, "ON_SITE"),
        )
        .await;
    assert!(during.ok(), "recorded all the same: {:?}", during.body);
    assert_eq!(codes(&during), vec!["VISIT_DURING_CLOSURE"]);
    assert!(
        during.data()["recordVisit"]["warnings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("fermeture")
    );
    let night = app
        .as_user(
            &t.mediator,
            None,
            RECORD_W,
            record(paris(&app, 1, "03:00").await, "ON_SITE"),
        )
        .await;
    assert_eq!(
        codes(&night),
        vec!["VISIT_OUTSIDE_OPENING_HOURS"],
        "{:?}",
        night.body
    );
    let phone = app
        .as_user(
            &t.mediator,
            None,
            RECORD_W,
            record(paris(&app, 1, "03:00").await, "PHONE"),
        )
        .await;
    assert_eq!(
        codes(&phone),
        Vec::<String>::new(),
        "hours hold for on-site visits only"
    );
    let fine = app
        .as_user(
            &t.mediator,
            None,
            RECORD_W,
            record(paris(&app, 1, "10:00").await, "ON_SITE"),
        )
        .await;
    assert_eq!(codes(&fine), Vec::<String>::new());

    // The dashboard's data-quality figures count them, and follow a void.
    let dash = "query($i: DashboardInput!) { dashboard(input: $i) { totals { people visitsDuringClosure visitsOutsideHours } rows { period counts { visitsDuringClosure visitsOutsideHours } } } }";
    let input = json!({"i": {"from": paris_day(&app, 3).await, "to": paris_day(&app, 0).await, "granularity": "DAY", "siteId": site}});
    let r = app.as_user(&t.viewer, None, dash, input.clone()).await;
    let totals = &r.data()["dashboard"]["totals"];
    assert_eq!(totals["visitsDuringClosure"], 1, "{:?}", r.body);
    assert_eq!(totals["visitsOutsideHours"], 1);
    let exact = format!(
        "select (select count(*) from visits where tenant_id = '{0}' and status = 'recorded' and during_closure) * 1000 \
           + (select count(*) from visits where tenant_id = '{0}' and status = 'recorded' and outside_hours) \
           - (select coalesce(sum(during_closure), 0) * 1000 + coalesce(sum(outside_hours), 0) from visit_daily where tenant_id = '{0}')",
        t.id
    );
    assert_eq!(app.count(&exact).await, 0, "the rollup equals the journal");
    let r = app.as_user(&t.mediator, None,
        "mutation($i: VoidVisitInput!) { voidVisit(input: $i) { visit { status } } }",
        json!({"i": {"visitId": night.data()["recordVisit"]["visit"]["id"], "reason": "Doublon"}})).await;
    assert!(r.ok(), "{:?}", r.body);
    let r = app.as_user(&t.viewer, None, dash, input).await;
    assert_eq!(
        r.data()["dashboard"]["totals"]["visitsOutsideHours"],
        0,
        "{:?}",
        r.body
    );
    assert_eq!(r.data()["dashboard"]["totals"]["visitsDuringClosure"], 1);
    assert_eq!(app.count(&exact).await, 0);

    // A replay answers with the warnings of the first recording.
    let input = json!({"i": {"clientKey": key(), "visit": {
        "siteId": site, "occurredAt": paris(&app, 2, "11:00").await, "channel": "ON_SITE", "durationMinutes": 10,
        "requests": [{"theme": "housing", "kind": "GENERAL", "outcome": "INFORMED"}]}}});
    let r = app
        .as_user(&t.mediator, None, RECORD_W, input.clone())
        .await;
    assert_eq!(codes(&r), vec!["VISIT_DURING_CLOSURE"]);
    let r = app.as_user(&t.mediator, None, RECORD_W, input).await;
    assert_eq!(r.data()["recordVisit"]["replayed"], true, "{:?}", r.body);
    assert_eq!(codes(&r), vec!["VISIT_DURING_CLOSURE"]);
}

#[tokio::test]
async fn service_codes_have_their_catalogue() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let r = app
        .as_user(
            &t.mediator,
            None,
            "{ siteServices { code label } }",
            json!({}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let list = r.data()["siteServices"].as_array().unwrap();
    assert_eq!(list.len(), 11, "the services of crates/sites");
    assert!(
        list.iter().any(|s| s["code"] == "partner_visits"
            && s["label"].as_str().unwrap().starts_with("Accueil"))
    );
    // Every code it lists is one createSite takes.
    let codes: Vec<Value> = list.iter().map(|s| s["code"].clone()).collect();
    let r = app.as_user(&t.director, None,
        "mutation($i: CreateSiteInput!) { createSite(input: $i) { site { services { code } } } }",
        json!({"i": {"name": "Antenne du catalogue", "postcode": "69009", "city": "Lyon", "openedOn": "2020-01-06", "services": codes}})).await;
    assert!(r.ok(), "{:?}", r.body);
    let anon = app
        .gql
        .raw(None, None, json!({"query": "{ siteServices { code } }"}))
        .await;
    assert_eq!(anon.code(), Some("UNAUTHENTICATED"));
}

/// The demo network with `visits` visits in a database of its own, and an app on it.
async fn demo_app(visits: u64) -> TestApp {
    let tdb: &'static TestDb = Box::leak(Box::new(testkit::testdb::separate_db().await));
    let db = tdb.app().await;
    demo::demo(&db, visits).await.expect("demo seed");
    db.close().await;
    let issuer = Arc::new(Issuer::start().await);
    let vars = base_config(tdb, &issuer.url);
    let config = server::Config::from_map(&vars).expect("test configuration");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = server::build(config).await.expect("build app");
    tokio::spawn(async move {
        let _ = server::serve(app, listener).await;
    });
    TestApp {
        gql: Gql::new(&base),
        base,
        issuer,
        db: tdb,
    }
}

#[tokio::test]
async fn the_demo_journal_numbers_requests_like_the_api_and_covers_two_years() {
    let app = demo_app(3000).await;
    // Positions 0..n-1 in every seeded visit, as the API numbers them.
    assert_eq!(
        app.count(
            "select count(*) from (select visit_id, min(position) m, max(position) x, count(*) c \
             from visit_requests group by visit_id) s where m <> 0 or x <> c - 1"
        )
        .await,
        0
    );
    let lyon = app
        .count("select count(*) from tenants where slug = 'pimms-lyon-metropole'")
        .await;
    assert_eq!(lyon, 1);
    let admin = app.db.app().await;
    let mut coord = testkit::fixtures::user(
        &admin,
        &app.issuer.url,
        &format!("coord-{}@test.example", testkit::suffix()),
    )
    .await;
    let tenant: Uuid = {
        use sea_orm::ConnectionTrait;
        let c = app.db.admin().await;
        let r = c
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "select id from tenants where slug = 'pimms-lyon-metropole'".to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        let _ = c.close().await;
        r.try_get_by_index(0).unwrap()
    };
    testkit::fixtures::add_member(&admin, tenant, &mut coord, "coordinator").await;
    admin.close().await;

    // A seeded visit with a coded request that is not its first: uncoding it by the
    // position the API shows changes that request, and only it.
    let q = app
        .count(&format!(
            "select count(*) from visits v where v.tenant_id = '{tenant}' and v.status = 'recorded' and exists ( \
               select 1 from visit_requests r where r.tenant_id = v.tenant_id and r.visit_id = v.id \
                 and r.agreement_id is not null and r.position > 0)"
        ))
        .await;
    assert!(q > 0, "the demo codes some later requests");
    let found = {
        use sea_orm::ConnectionTrait;
        let c = app.db.admin().await;
        let r = c
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                format!(
                    "select v.id from visits v where v.tenant_id = '{tenant}' and v.status = 'recorded' and exists ( \
                       select 1 from visit_requests r where r.tenant_id = v.tenant_id and r.visit_id = v.id \
                         and r.agreement_id is not null and r.position > 0) order by v.id limit 1"
                ),
            ))
            .await
            .unwrap()
            .unwrap();
        let _ = c.close().await;
        r.try_get_by_index::<Uuid>(0).unwrap()
    };
    let vid = gid("Visit", found);
    let r = app
        .as_user(&coord, None,
            "query($id: ID!) { node(id: $id) { ... on Visit { requests { theme agreement { id } } } } }",
            json!({"id": vid}))
        .await;
    let before = r.data()["node"]["requests"].as_array().unwrap().clone();
    let k = before
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, r)| !r["agreement"].is_null())
        .map(|(k, _)| k)
        .expect("a coded later request");
    let r = app
        .as_user(
            &coord,
            None,
            CODE,
            json!({"i": {"visitId": vid, "requests": [{"position": k, "agreementId": null}]}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let after = r.data()["codeVisitRequests"]["visit"]["requests"]
        .as_array()
        .unwrap()
        .clone();
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        if i == k {
            assert_eq!(a["agreement"], json!(null), "request {k} uncoded");
        } else {
            assert_eq!(a, b, "request {i} untouched");
        }
    }

    // Two years: the dashboard's "same period last year" has something in it.
    let today = kernel::time::today();
    let r = app
        .as_user(&coord, None,
            "query($i: DashboardInput!) { dashboard(input: $i) { totals { people } lastYearTotals { people } } }",
            json!({"i": {"from": (today - chrono::Days::new(90)).to_string(), "to": today.to_string(), "granularity": "MONTH"}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let d = &r.data()["dashboard"];
    assert!(d["totals"]["people"].as_i64().unwrap() > 0, "{d}");
    assert!(d["lastYearTotals"]["people"].as_i64().unwrap() > 0, "{d}");
    app.db.drop_database().await;
}
