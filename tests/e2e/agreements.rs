//! Agreements through the API: who may create, amend, move along and fund them;
//! bad input changes nothing; coding journal entries checks the agreement and the
//! platform proposes the only one that fits; the coded activity equals the journal
//! after random corrections; partners see small counts hidden and only their own
//! agreements; the report compares deliverables with pro-rated targets, with CSV.

use crate::support::*;
use chrono::{Datelike, Days, NaiveDate};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use testkit::{TestTenant, TestUser};
use uuid::Uuid;

const CREATE: &str = "mutation($i: CreateAgreementInput!) { createAgreement(input: $i) { agreement { id reference title status revision national fundingCents sites { id } targets { indicator annualTarget } } } }";
const AMEND: &str = "mutation($i: AmendAgreementInput!) { amendAgreement(input: $i) { agreement { id title revision sites { id } targets { indicator annualTarget } history { revision action reason previous } } } }";
const STATUS: &str = "mutation($i: SetAgreementStatusInput!) { setAgreementStatus(input: $i) { agreement { status revision history { revision action reason } } } }";
const PAY: &str = "mutation($i: RecordAgreementPaymentInput!) { recordAgreementPayment(input: $i) { payment { id kind amountCents } agreement { funding { agreedCents scheduledCents receivedCents outstandingCents } payments { amountCents } } } }";
const RECORD: &str = "mutation($i: RecordVisitInput!) { recordVisit(input: $i) { visit { id requests { theme agreement { id } proposedAgreement { id } } } } }";
const AMEND_VISIT: &str =
    "mutation($i: AmendVisitInput!) { amendVisit(input: $i) { visit { id } } }";
const VOID_VISIT: &str = "mutation($i: VoidVisitInput!) { voidVisit(input: $i) { visit { id } } }";
const CODE: &str = "mutation($i: CodeVisitRequestsInput!) { codeVisitRequests(input: $i) { visit { id requests { theme agreement { id } proposedAgreement { id } } } } }";
const WORKSHOP: &str = "mutation($i: RecordWorkshopInput!) { recordWorkshop(input: $i) { workshop { id agreement { id } proposedAgreement { id } fundingPartner { id } } } }";
const CODE_WORKSHOP: &str = "mutation($i: CodeWorkshopInput!) { codeWorkshop(input: $i) { workshop { id agreement { id } proposedAgreement { id } fundingPartner { id } } } }";
const ACTIVITY: &str = "query($a: ID, $p: ID, $f: NaiveDate!, $t: NaiveDate!) { agreementActivity(agreementId: $a, partnerId: $p, from: $f, to: $t) { suppressed rows { agreement { id } site { id } month activity theme count countValue mediationActs mediationActsValue attendees attendeesValue } } }";
const REPORT: &str = "query($a: ID!) { agreementReport(agreementId: $a) { suppressed partial from to periods { start end label deliverables { indicator achieved achievedValue target rate } sites { siteName associationName site { id } deliverables { indicator achieved achievedValue } } } totals { indicator achieved achievedValue } csv } }";

fn today() -> NaiveDate {
    kernel::time::today()
}

fn day(offset: i64) -> String {
    let t = today();
    if offset >= 0 {
        t + Days::new(offset as u64)
    } else {
        t - Days::new(offset.unsigned_abs())
    }
    .to_string()
}

fn gid(t: &str, id: Uuid) -> String {
    kernel::gid::encode(t, id)
}

fn key() -> String {
    Uuid::now_v7().to_string()
}

fn field(r: &testkit::gql::Reply) -> String {
    assert_eq!(r.code(), Some("VALIDATION"), "{:?}", r.body);
    r.body["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn reason(r: &testkit::gql::Reply) -> String {
    r.body["errors"][0]["extensions"]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// An association with two sites (a site and a permanence), another association
/// with its own, the union admin, and two partner firms with one person each.
struct World {
    app: TestApp,
    t: TestTenant,
    u: TestTenant,
    admin: TestUser,
    edf: String,
    edf_user: TestUser,
    engie: String,
    engie_user: TestUser,
    a: String,
    b: String,
    u_site: String,
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

async fn world() -> World {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let u = app.tenant().await;
    testkit::fixtures::populate(app.db, &t).await;
    testkit::fixtures::populate(app.db, &u).await;
    let admin = app.union_user("admin").await;
    let (edf, edf_user) = app.partner("EDF", "energy").await;
    let (engie, engie_user) = app.partner("ENGIE", "energy").await;
    let ts = sites_of(&app, &t).await;
    let us = sites_of(&app, &u).await;
    World {
        t,
        u,
        admin,
        edf: gid("PartnerOrganisation", edf),
        edf_user,
        engie: gid("PartnerOrganisation", engie),
        engie_user,
        a: ts[0].clone(),
        b: ts[1].clone(),
        u_site: us[0].clone(),
        app,
    }
}

/// A local agreement of `t` with `partner` over `sites`, partner visits (energy,
/// water) and workshops (energy saving, digital), from 60 days ago for ten months.
fn local(partner: &str, sites: &[&str]) -> Value {
    json!({
        "partnerId": partner,
        "reference": format!("CONV-{}", testkit::suffix()),
        "title": "Convention de partenariat locale",
        "startsOn": day(-60), "endsOn": day(300),
        "services": ["PARTNER_VISITS", "WORKSHOPS"],
        "themes": ["energy", "water"], "workshopThemes": ["energy_saving", "digital"],
        "siteIds": sites,
        "targets": [{"indicator": "PARTNER_REQUESTS", "annualTarget": 120}],
        "fundingCents": 1_500_000,
        "reportingFrequency": "QUARTERLY",
    })
}

fn with(mut v: Value, changes: Value) -> Value {
    if let (Some(o), Some(c)) = (v.as_object_mut(), changes.as_object()) {
        for (k, x) in c {
            o.insert(k.clone(), x.clone());
        }
    }
    v
}

impl World {
    async fn create(
        &self,
        who: &TestUser,
        tenant: Option<&str>,
        input: Value,
    ) -> testkit::gql::Reply {
        self.app
            .as_user(who, tenant, CREATE, json!({"i": input}))
            .await
    }

    /// Created by the union admin for association `t` and activated.
    async fn active(&self, input: Value) -> String {
        let r = self
            .create(
                &self.admin,
                None,
                with(input, json!({"tenantId": self.t.gid()})),
            )
            .await;
        assert!(r.ok(), "{:?}", r.body);
        let id = r.data()["createAgreement"]["agreement"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = self
            .app
            .as_user(
                &self.admin,
                None,
                STATUS,
                json!({"i": {"agreementId": id, "status": "ACTIVE", "reason": "Signée par les deux parties"}}),
            )
            .await;
        assert!(r.ok(), "{:?}", r.body);
        id
    }

    fn visit(&self, site: &str, minutes_ago: i64, requests: Value) -> Value {
        json!({
            "siteId": site,
            "occurredAt": (chrono::Utc::now() - chrono::Duration::minutes(minutes_ago)).to_rfc3339(),
            "channel": "ON_SITE", "durationMinutes": 20,
            "requests": requests,
        })
    }

    fn edf_request(&self, theme: &str, agreement: Option<&str>) -> Value {
        json!({"theme": theme, "kind": "PARTNER", "partnerId": self.edf, "outcome": "MEDIATED", "agreementId": agreement})
    }

    async fn record(&self, visit: Value) -> testkit::gql::Reply {
        self.app
            .as_user(
                &self.t.mediator,
                None,
                RECORD,
                json!({"i": {"clientKey": key(), "visit": visit}}),
            )
            .await
    }

    async fn activity(&self, who: &TestUser, agreement: &str) -> testkit::gql::Reply {
        self.app
            .as_user(
                who,
                None,
                ACTIVITY,
                json!({"a": agreement, "f": day(-120), "t": day(0)}),
            )
            .await
    }
}

#[tokio::test]
async fn agreements_are_written_by_whom_the_workflow_allows() {
    let w = world().await;
    let app = &w.app;
    // A national framework: the union admin only.
    let national = json!({
        "partnerId": w.edf, "national": true, "reference": format!("EDF-CADRE-{}", testkit::suffix()),
        "title": "Convention cadre nationale EDF", "startsOn": day(-10), "endsOn": day(700),
        "services": ["PARTNER_VISITS", "OUTREACH"], "themes": ["energy"],
        "siteIds": [w.a, w.u_site], "fundingCents": 9_000_000, "reportingFrequency": "ANNUAL",
        "targets": [{"indicator": "OUTREACH_CASES", "annualTarget": 400}],
    });
    for (who, tenant) in [
        (&w.t.director, None),
        (&w.edf_user, None),
        (&w.app.union_user("auditor").await, None),
    ] {
        let r = w.create(who, tenant, national.clone()).await;
        assert_eq!(r.code(), Some("FORBIDDEN"), "{:?}", r.body);
    }
    let r = w.create(&w.admin, None, national.clone()).await;
    assert!(r.ok(), "{:?}", r.body);
    let nat = &r.data()["createAgreement"]["agreement"];
    assert_eq!(nat["status"], "DRAFT");
    assert_eq!(nat["national"], true);
    assert_eq!(nat["revision"], 1);
    assert_eq!(nat["sites"].as_array().unwrap().len(), 2);
    let nat = nat["id"].as_str().unwrap().to_owned();

    // A local agreement: the association's director, acting in it (not a
    // coordinator, not for another association).
    let r = w
        .create(&w.t.coordinator, None, local(&w.edf, &[&w.a]))
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    let r = w
        .create(
            &w.t.director,
            None,
            with(local(&w.edf, &[&w.u_site]), json!({"tenantId": w.u.gid()})),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    let r = w
        .create(&w.t.director, None, local(&w.edf, &[&w.a, &w.b]))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let loc = r.data()["createAgreement"]["agreement"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Amendments bump the revision and keep the previous state, sites and targets included.
    let r = app
        .as_user(&w.t.director, None, AMEND, json!({"i": {"agreementId": loc, "reason": "Avenant n°1",
            "title": "Convention EDF, avenant 1", "siteIds": [w.a],
            "targets": [{"indicator": "PARTNER_REQUESTS", "annualTarget": 150}, {"indicator": "WORKSHOPS", "annualTarget": 10}]}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let a = &r.data()["amendAgreement"]["agreement"];
    assert_eq!(a["revision"], 2);
    assert_eq!(a["title"], "Convention EDF, avenant 1");
    assert_eq!(a["sites"].as_array().unwrap().len(), 1);
    assert_eq!(a["targets"].as_array().unwrap().len(), 2);
    let h = &a["history"][0];
    assert_eq!(
        (h["revision"].clone(), h["action"].clone()),
        (json!(1), json!("amended"))
    );
    assert_eq!(h["reason"], "Avenant n°1");
    assert_eq!(h["previous"]["title"], "Convention de partenariat locale");
    assert_eq!(h["previous"]["sites"].as_array().unwrap().len(), 2);
    assert_eq!(h["previous"]["targets"][0]["annualTarget"], 120);
    let r = app
        .as_user(
            &w.t.coordinator,
            None,
            AMEND,
            json!({"i": {"agreementId": loc, "reason": "Avenant", "title": "Autre titre"}}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));

    // The workflow: draft -> active <-> suspended -> ended, final.
    let status = |s: &str| json!({"i": {"agreementId": loc, "status": s, "reason": format!("Passage à {s}")}});
    let r = app
        .as_user(&w.t.director, None, STATUS, status("SUSPENDED"))
        .await;
    assert_eq!(r.code(), Some("CONFLICT"), "a draft cannot be suspended");
    for s in ["ACTIVE", "SUSPENDED", "ACTIVE", "ENDED"] {
        let r = app.as_user(&w.t.director, None, STATUS, status(s)).await;
        assert!(r.ok(), "{s}: {:?}", r.body);
        assert_eq!(r.data()["setAgreementStatus"]["agreement"]["status"], s);
    }
    let r = app.as_user(&w.admin, None, STATUS, status("ACTIVE")).await;
    assert_eq!(r.code(), Some("CONFLICT"), "ended is final");
    let r = app
        .as_user(
            &w.t.director,
            None,
            AMEND,
            json!({"i": {"agreementId": loc, "reason": "Trop tard", "title": "Autre titre"}}),
        )
        .await;
    assert_eq!(r.code(), Some("CONFLICT"));
    let r = app
        .as_user(
            &w.t.director,
            None,
            "query($id: ID!) { node(id: $id) { ... on Agreement { revision history { revision action reason } } } }",
            json!({"id": loc}),
        )
        .await;
    let actions: Vec<&str> = r.data()["node"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["amended", "status", "status", "status", "status"]);
    assert_eq!(r.data()["node"]["revision"], 6);
    let r = app
        .as_user(
            &w.t.director,
            None,
            STATUS,
            json!({"i": {"agreementId": nat, "status": "ACTIVE", "reason": "Signée"}}),
        )
        .await;
    assert_eq!(
        r.code(),
        Some("FORBIDDEN"),
        "a national framework is the union's"
    );

    // Payments: instalments scheduled, payments received, the funding summary.
    let pay = |kind: &str, on: String, amount: i64| json!({"i": {"agreementId": nat, "kind": kind, "onDate": on, "amountCents": amount, "label": "Versement"}});
    let r = app
        .as_user(&w.t.director, None, PAY, pay("SCHEDULED", day(30), 100))
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    let r = app
        .as_user(&w.admin, None, PAY, pay("RECEIVED", day(3), 100))
        .await;
    assert_eq!(
        field(&r),
        "onDate",
        "a payment received is not in the future"
    );
    for (kind, on, amount) in [
        ("SCHEDULED", day(30), 4_500_000),
        ("SCHEDULED", day(210), 4_500_000),
        ("RECEIVED", day(-1), 3_000_000),
    ] {
        let r = app
            .as_user(&w.admin, None, PAY, pay(kind, on, amount))
            .await;
        assert!(r.ok(), "{:?}", r.body);
    }
    let r = app
        .as_user(&w.admin, None, PAY, pay("RECEIVED", day(0), 1_500_000))
        .await;
    assert_eq!(
        r.data()["recordAgreementPayment"]["agreement"]["funding"],
        json!({"agreedCents": 9_000_000, "scheduledCents": 9_000_000, "receivedCents": 4_500_000, "outstandingCents": 4_500_000})
    );

    // What an association sees of a national framework: its own site, no money,
    // no other association in the history either.
    let r = app
        .as_user(&w.admin, None, AMEND, json!({"i": {"agreementId": nat, "reason": "Ajout d'un site", "siteIds": [w.a, w.b, w.u_site]}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let q = "query($id: ID!) { node(id: $id) { ... on Agreement { fundingCents funding { agreedCents } payments { amountCents } sites { id } history { previous } tenant { id } } } }";
    let r = app
        .as_user(&w.t.director, None, q, json!({"id": nat}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let n = &r.data()["node"];
    assert_eq!(n["fundingCents"], Value::Null);
    assert_eq!(n["funding"], Value::Null);
    assert_eq!(n["payments"], json!([]));
    let mut mine = vec![w.a.clone(), w.b.clone()];
    mine.sort();
    let mut seen: Vec<String> = n["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    seen.sort();
    assert_eq!(seen, mine);
    let body = r.body.to_string();
    let u_site_uuid = kernel::gid::decode(&w.u_site).unwrap().1.to_string();
    assert!(
        !body.contains(&u_site_uuid) && !body.contains(&w.u.id.to_string()),
        "{body}"
    );
    assert!(!body.contains("fundingCents\":9"), "{body}");
    // The union and the partner see it all.
    for who in [&w.admin, &w.edf_user] {
        let r = app.as_user(who, None, q, json!({"id": nat})).await;
        assert_eq!(r.data()["node"]["fundingCents"], 9_000_000, "{:?}", r.body);
        assert_eq!(r.data()["node"]["sites"].as_array().unwrap().len(), 3);
    }
    // The other association sees the framework (it covers its site), not t's local agreement.
    let list = "{ agreements { edges { node { id } } } }";
    let ids = |r: &testkit::gql::Reply| -> Vec<String> {
        r.data()["agreements"]["edges"]
            .as_array()
            .map(|e| {
                e.iter()
                    .map(|x| x["node"]["id"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let r = app.as_user(&w.u.viewer, None, list, json!({})).await;
    assert_eq!(ids(&r), vec![nat.clone()]);
    let r = app.as_user(&w.t.viewer, None, list, json!({})).await;
    assert_eq!(ids(&r), vec![loc.clone(), nat.clone()]);
    // A partner reads its own agreements, never another partner's.
    let r = app.as_user(&w.edf_user, None, list, json!({})).await;
    assert_eq!(ids(&r), vec![loc.clone(), nat.clone()]);
    let r = app.as_user(&w.engie_user, None, list, json!({})).await;
    assert_eq!(ids(&r), Vec::<String>::new());
    let r = app
        .as_user(
            &w.engie_user,
            None,
            "query($id: ID!) { node(id: $id) { id } }",
            json!({"id": nat}),
        )
        .await;
    assert_eq!(r.data()["node"], Value::Null);

    // Contacts: added by the union admin; read by the union and the partner itself.
    let add = "mutation($i: AddPartnerContactInput!) { addPartnerContact(input: $i) { contact { id fullName email } } }";
    let contact = json!({"i": {"partnerId": w.edf, "fullName": "Claire Martin", "jobTitle": "Responsable solidarité",
        "email": "Claire.Martin@edf.test.example", "phone": "+33 4 72 00 00 00"}});
    let r = app.as_user(&w.t.director, None, add, contact.clone()).await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    let r = app.as_user(&w.admin, None, add, contact.clone()).await;
    assert_eq!(
        r.data()["addPartnerContact"]["contact"]["email"],
        "claire.martin@edf.test.example",
        "{:?}",
        r.body
    );
    let r = app
        .as_user(
            &w.admin,
            None,
            add,
            json!({"i": {"partnerId": w.edf, "fullName": "X Y", "email": "pas une adresse"}}),
        )
        .await;
    assert_eq!(field(&r), "email");
    let r = app
        .as_user(
            &w.edf_user,
            None,
            "{ viewer { partner { contacts { fullName } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r.data()["viewer"]["partner"]["contacts"],
        json!([{"fullName": "Claire Martin"}]),
        "{:?}",
        r.body
    );
    let q = "query($id: ID!) { node(id: $id) { ... on PartnerOrganisation { contacts { fullName } } } }";
    let r = app
        .as_user(&w.engie_user, None, q, json!({"id": w.edf}))
        .await;
    assert!(!r.body.to_string().contains("Claire"), "{:?}", r.body);
    let r = app
        .as_user(&w.t.director, None, q, json!({"id": w.edf}))
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    let r = app.as_user(&w.admin, None, q, json!({"id": w.edf})).await;
    assert_eq!(r.data()["node"]["contacts"][0]["fullName"], "Claire Martin");
}

#[tokio::test]
async fn bad_agreements_change_nothing() {
    let w = world().await;
    let app = &w.app;
    let edf = kernel::gid::decode(&w.edf).unwrap().1;
    let count = format!(
        "select (select count(*) from agreements where partner_id = '{edf}') \
           + (select count(*) from agreement_sites where partner_id = '{edf}') \
           + (select count(*) from agreement_targets where partner_id = '{edf}') \
           + (select count(*) from agreement_revisions where partner_id = '{edf}') \
           + (select coalesce(sum(revision), 0) from agreements where partner_id = '{edf}')"
    );
    let taken = w.active(local(&w.edf, &[&w.a])).await;
    let taken_ref = app
        .as_user(
            &w.admin,
            None,
            "query($id: ID!) { node(id: $id) { ... on Agreement { reference } } }",
            json!({"id": taken}),
        )
        .await
        .data()["node"]["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = app.count(&count).await;
    let base = with(local(&w.edf, &[&w.a]), json!({"tenantId": w.t.gid()}));
    let cases: Vec<(&str, Value)> = vec![
        (
            "partnerId",
            json!({"partnerId": gid("PartnerOrganisation", Uuid::now_v7())}),
        ),
        ("reference", json!({"reference": "EDF 2026"})),
        ("endsOn", json!({"endsOn": day(-61)})),
        ("services", json!({"services": []})),
        ("themes[1]", json!({"themes": ["energy", "astrology"]})),
        ("workshopThemes[0]", json!({"workshopThemes": ["knitting"]})),
        ("workshopThemes", json!({"services": ["PARTNER_VISITS"]})),
        ("siteIds[1]", json!({"siteIds": [w.a, w.u_site]})),
        (
            "siteIds[0]",
            json!({"siteIds": [gid("Site", Uuid::now_v7())]}),
        ),
        (
            "targets[0].annualTarget",
            json!({"targets": [{"indicator": "PARTNER_REQUESTS", "annualTarget": 0}]}),
        ),
        (
            "targets[0].indicator",
            json!({"targets": [{"indicator": "OUTREACH_CASES", "annualTarget": 10}]}),
        ),
        ("fundingCents", json!({"fundingCents": -5})),
        ("tenantId", json!({"national": true})),
    ];
    for (f, change) in cases {
        let r = w.create(&w.admin, None, with(base.clone(), change)).await;
        assert_eq!(field(&r), f, "{:?}", r.body);
    }
    // Another association's site is as unknown to a director as a missing one.
    let r = w
        .create(&w.t.director, None, local(&w.edf, &[&w.a, &w.u_site]))
        .await;
    assert_eq!(field(&r), "siteIds[1]");
    let r = w
        .create(
            &w.admin,
            None,
            with(base.clone(), json!({"reference": taken_ref})),
        )
        .await;
    assert_eq!(r.code(), Some("CONFLICT"), "{:?}", r.body);
    // A bad amendment changes nothing either, not even the history.
    for (f, change) in [
        ("themes[0]", json!({"themes": ["astrology"]})),
        ("siteIds[0]", json!({"siteIds": [w.u_site]})),
        ("endsOn", json!({"endsOn": day(-100)})),
        ("reason", json!({"reason": "x"})),
        ("input", json!({})),
    ] {
        let i = with(json!({"agreementId": taken, "reason": "Avenant"}), change);
        let r = app.as_user(&w.admin, None, AMEND, json!({"i": i})).await;
        assert_eq!(field(&r), f, "{:?}", r.body);
    }
    let r = app.as_user(&w.admin, None, PAY, json!({"i": {"agreementId": taken, "kind": "RECEIVED", "onDate": day(0), "amountCents": 0}})).await;
    assert_eq!(field(&r), "amountCents");
    assert_eq!(app.count(&count).await, before, "nothing changed");
    assert_eq!(
        app.count(&format!(
            "select count(*) from agreement_payments where partner_id = '{edf}'"
        ))
        .await,
        0
    );
}

#[tokio::test]
async fn coding_checks_the_agreement_and_the_platform_proposes_the_only_fit() {
    let w = world().await;
    let app = &w.app;
    let x = w.active(local(&w.edf, &[&w.a])).await;
    let draft = w
        .create(
            &w.admin,
            None,
            with(local(&w.edf, &[&w.a]), json!({"tenantId": w.t.gid()})),
        )
        .await;
    let draft = draft.data()["createAgreement"]["agreement"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // An agreement covering partner visits from tomorrow only.
    let later = w
        .active(with(local(&w.edf, &[&w.a]), json!({"startsOn": day(1)})))
        .await;

    let general = json!({"theme": "housing", "kind": "GENERAL", "outcome": "ORIENTED"});
    let visits = format!(
        "select (select count(*) from visits where tenant_id = '{0}') + (select count(*) from visit_requests where tenant_id = '{0}') \
           + (select count(*) from agreement_activity_monthly where tenant_id = '{0}')",
        w.t.id
    );
    let before = app.count(&visits).await;
    let engie_request = json!({"theme": "energy", "kind": "PARTNER", "partnerId": w.engie, "outcome": "INFORMED", "agreementId": x});
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            w.visit(&w.b, 5, json!([w.edf_request("energy", Some(&x))])),
            "requests[0].agreementId",
            "does not cover this site",
        ),
        (
            w.visit(
                &w.a,
                60 * 24 * 90,
                json!([w.edf_request("energy", Some(&x))]),
            ),
            "requests[0].agreementId",
            "outside the agreement's period",
        ),
        (
            w.visit(&w.a, 5, json!([w.edf_request("energy", Some(&later))])),
            "requests[0].agreementId",
            "outside the agreement's period",
        ),
        (
            w.visit(&w.a, 5, json!([general, w.edf_request("budget", Some(&x))])),
            "requests[1].agreementId",
            "does not cover this theme",
        ),
        (
            w.visit(&w.a, 5, json!([engie_request])),
            "requests[0].agreementId",
            "another partner",
        ),
        (
            w.visit(&w.a, 5, json!([w.edf_request("energy", Some(&draft))])),
            "requests[0].agreementId",
            "still a draft",
        ),
        (
            w.visit(
                &w.a,
                5,
                json!([with(general.clone(), json!({"agreementId": x}))]),
            ),
            "requests[0].agreementId",
            "only a partner request",
        ),
        (
            w.visit(
                &w.a,
                5,
                json!([w.edf_request("energy", Some(&gid("Agreement", Uuid::now_v7())))]),
            ),
            "requests[0].agreementId",
            "unknown agreement",
        ),
    ];
    for (v, f, why) in cases {
        let r = w.record(v).await;
        assert_eq!(field(&r), f, "{:?}", r.body);
        assert!(reason(&r).contains(why), "{why}: {:?}", r.body);
    }
    assert_eq!(app.count(&visits).await, before, "nothing recorded");

    // Coded when recorded; proposed when not coded and exactly one fits.
    let r = w
        .record(w.visit(
            &w.a,
            5,
            json!([w.edf_request("energy", Some(&x)), general.clone()]),
        ))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let reqs = &r.data()["recordVisit"]["visit"]["requests"];
    assert_eq!(reqs[0]["agreement"]["id"], x);
    assert_eq!(reqs[0]["proposedAgreement"], Value::Null);
    assert_eq!(
        reqs[1]["proposedAgreement"],
        Value::Null,
        "a general request is never proposed"
    );
    let r = w
        .record(w.visit(
            &w.a,
            5,
            json!([general.clone(), w.edf_request("water", None)]),
        ))
        .await;
    let visit = r.data()["recordVisit"]["visit"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        r.data()["recordVisit"]["visit"]["requests"][1]["proposedAgreement"]["id"],
        x
    );
    let r = w
        .record(w.visit(&w.b, 5, json!([w.edf_request("water", None)])))
        .await;
    assert_eq!(
        r.data()["recordVisit"]["visit"]["requests"][0]["proposedAgreement"],
        Value::Null,
        "no agreement covers site B"
    );

    // Coding afterwards, by position: writers only, the agreement still checked.
    let code = |position: i32, agreement: Value| json!({"i": {"visitId": visit, "requests": [{"position": position, "agreementId": agreement}]}});
    let r = app
        .as_user(&w.t.viewer, None, CODE, code(1, json!(x)))
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    let r = app
        .as_user(&w.u.director, None, CODE, code(1, json!(x)))
        .await;
    assert_eq!(
        r.code(),
        Some("NOT_FOUND"),
        "another association's visit is as missing"
    );
    let r = app
        .as_user(&w.t.mediator, None, CODE, code(0, json!(x)))
        .await;
    assert_eq!(field(&r), "requests[0].agreementId");
    let r = app
        .as_user(&w.t.mediator, None, CODE, code(5, json!(x)))
        .await;
    assert_eq!(field(&r), "requests[0].position");
    let r = app
        .as_user(&w.t.mediator, None, CODE, code(1, json!(draft)))
        .await;
    assert_eq!(field(&r), "requests[0].agreementId");
    let r = app
        .as_user(&w.t.mediator, None, CODE, code(1, json!(x)))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let reqs = &r.data()["codeVisitRequests"]["visit"]["requests"];
    assert_eq!(reqs[1]["agreement"]["id"], x);
    assert_eq!(reqs[1]["proposedAgreement"], Value::Null);
    let r = app
        .as_user(&w.t.coordinator, None, CODE, code(1, Value::Null))
        .await;
    let reqs = &r.data()["codeVisitRequests"]["visit"]["requests"];
    assert_eq!(reqs[1]["agreement"], Value::Null);
    assert_eq!(reqs[1]["proposedAgreement"]["id"], x);

    // Workshops: the agreement's partner is (or becomes) the funding partner.
    let ws = |agreement: Option<&str>, funder: Option<&str>| {
        json!({"i": {"clientKey": key(), "siteId": w.a, "theme": "energy_saving", "title": "Réduire sa facture d'énergie",
            "heldOn": day(-1), "durationMinutes": 120, "attendees": 9, "agreementId": agreement, "fundingPartnerId": funder}})
    };
    let r = app
        .as_user(&w.t.mediator, None, WORKSHOP, ws(Some(&x), Some(&w.engie)))
        .await;
    assert_eq!(field(&r), "agreementId");
    let r = app
        .as_user(&w.t.mediator, None, WORKSHOP, ws(Some(&x), None))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    assert_eq!(
        r.data()["recordWorkshop"]["workshop"]["fundingPartner"]["id"],
        w.edf
    );
    assert_eq!(r.data()["recordWorkshop"]["workshop"]["agreement"]["id"], x);
    let r = app
        .as_user(&w.t.mediator, None, WORKSHOP, ws(None, None))
        .await;
    let wk = &r.data()["recordWorkshop"]["workshop"];
    assert_eq!(wk["proposedAgreement"]["id"], x);
    let wid = wk["id"].as_str().unwrap().to_owned();
    let r = app
        .as_user(
            &w.t.mediator,
            None,
            CODE_WORKSHOP,
            json!({"i": {"workshopId": wid, "agreementId": x}}),
        )
        .await;
    let wk = &r.data()["codeWorkshop"]["workshop"];
    assert_eq!(wk["agreement"]["id"], x, "{:?}", r.body);
    assert_eq!(wk["fundingPartner"]["id"], w.edf);
    let r = app
        .as_user(&w.t.mediator, None, WORKSHOP, ws(None, Some(&w.engie)))
        .await;
    assert_eq!(
        r.data()["recordWorkshop"]["workshop"]["proposedAgreement"],
        Value::Null,
        "ENGIE funds it: no EDF agreement fits"
    );

    // Two agreements fit: nothing is proposed, the mediator chooses.
    w.active(local(&w.edf, &[&w.a])).await;
    let r = w
        .record(w.visit(&w.a, 5, json!([w.edf_request("water", None)])))
        .await;
    assert_eq!(
        r.data()["recordVisit"]["visit"]["requests"][0]["proposedAgreement"],
        Value::Null
    );
    let r = app
        .as_user(
            &w.t.mediator,
            None,
            "query($s: ID!, $d: NaiveDate!, $p: ID) { agreementCandidates(siteId: $s, on: $d, service: PARTNER_VISITS, theme: \"water\", partnerId: $p) { id } }",
            json!({"s": w.a, "d": day(0), "p": w.edf}),
        )
        .await;
    assert_eq!(
        r.data()["agreementCandidates"].as_array().unwrap().len(),
        2,
        "{:?}",
        r.body
    );
}

type Cells = BTreeMap<(String, String, String, String, String), (i64, i64, i64)>;

/// agreement_activity_monthly of association `t` (rows with anything in them).
async fn table_cells(app: &TestApp, t: Uuid) -> Cells {
    cells(
        app,
        format!(
            "select agreement_id::text, site_id::text, month::text, activity, theme, count::bigint, mediation_acts::bigint, attendees::bigint \
             from agreement_activity_monthly where tenant_id = '{t}' and (count <> 0 or mediation_acts <> 0 or attendees <> 0)"
        ),
    )
    .await
}

/// The same, computed from the journal itself.
async fn journal_cells(app: &TestApp, t: Uuid) -> Cells {
    cells(
        app,
        format!(
            "select r.agreement_id::text, v.site_id::text, date_trunc('month', v.occurred_at at time zone 'Europe/Paris')::date::text, \
               'request', r.theme, count(*), count(*) filter (where r.mediation_act), 0::bigint \
             from visit_requests r join visits v on v.tenant_id = r.tenant_id and v.id = r.visit_id \
             where v.tenant_id = '{t}' and v.status = 'recorded' and r.agreement_id is not null group by 1, 2, 3, 4, 5 \
             union all \
             select agreement_id::text, site_id::text, date_trunc('month', held_on)::date::text, 'workshop', theme, count(*), 0, sum(attendees) \
             from workshops where tenant_id = '{t}' and status = 'held' and agreement_id is not null group by 1, 2, 3, 4, 5"
        ),
    )
    .await
}

async fn cells(app: &TestApp, sql: String) -> Cells {
    use sea_orm::ConnectionTrait;
    let admin = app.db.admin().await;
    let out = admin
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            sql,
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let s = |i| r.try_get_by_index::<String>(i).unwrap();
            let n = |i| r.try_get_by_index::<i64>(i).unwrap();
            ((s(0), s(1), s(2), s(3), s(4)), (n(5), n(6), n(7)))
        })
        .collect();
    let _ = admin.close().await;
    out
}

#[tokio::test]
async fn coded_activity_equals_the_journal_after_random_corrections() {
    let w = world().await;
    let app = &w.app;
    let x = w.active(local(&w.edf, &[&w.a, &w.b])).await;
    let y = w
        .active(with(
            local(&w.engie, &[&w.a]),
            json!({"themes": ["energy"], "services": ["PARTNER_VISITS"], "workshopThemes": []}),
        ))
        .await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261124);
    let lead = &w.t.coordinator;
    // Visit id -> its site; workshop ids.
    let mut visits: Vec<(String, String)> = Vec::new();
    let mut workshops: Vec<String> = Vec::new();
    let (mut coded, mut ops) = (0, BTreeMap::<&str, i32>::new());
    for _ in 0..80 {
        let roll: f64 = rng.random();
        let site = if rng.random_bool(0.5) {
            w.a.clone()
        } else {
            w.b.clone()
        };
        let mut requests = vec![json!({
            "theme": (["energy", "water"][rng.random_range(0..2)]), "kind": "PARTNER", "partnerId": w.edf,
            "outcome": (["MEDIATED", "INFORMED"][rng.random_range(0..2)]),
            "agreementId": if rng.random_bool(0.6) { json!(x) } else { Value::Null },
        })];
        if site == w.a && rng.random_bool(0.5) {
            requests.push(json!({"theme": "energy", "kind": "PARTNER", "partnerId": w.engie, "outcome": "RESOLVED",
                "agreementId": if rng.random_bool(0.7) { json!(y) } else { Value::Null }}));
        }
        requests.push(json!({"theme": "housing", "kind": "GENERAL", "outcome": "ORIENTED"}));
        coded += requests
            .iter()
            .filter(|r| !r["agreementId"].is_null())
            .count();
        let v = w.visit(&site, rng.random_range(10..(60 * 24 * 50)), json!(requests));
        let kind = if roll < 0.35 || visits.is_empty() {
            let r = app
                .as_user(
                    lead,
                    None,
                    RECORD,
                    json!({"i": {"clientKey": key(), "visit": v}}),
                )
                .await;
            assert!(r.ok(), "{:?}", r.body);
            visits.push((
                r.data()["recordVisit"]["visit"]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                site,
            ));
            "record"
        } else if roll < 0.5 {
            let i = rng.random_range(0..visits.len());
            let r = app
                .as_user(
                    lead,
                    None,
                    AMEND_VISIT,
                    json!({"i": {"visitId": visits[i].0, "visit": v, "reason": "Correction"}}),
                )
                .await;
            assert!(r.ok(), "{:?}", r.body);
            visits[i].1 = site;
            "amend"
        } else if roll < 0.58 {
            let (id, _) = visits.swap_remove(rng.random_range(0..visits.len()));
            let r = app
                .as_user(
                    lead,
                    None,
                    VOID_VISIT,
                    json!({"i": {"visitId": id, "reason": "Doublon"}}),
                )
                .await;
            assert!(r.ok(), "{:?}", r.body);
            "void"
        } else if roll < 0.75 {
            let (id, site) = visits[rng.random_range(0..visits.len())].clone();
            let mut codings = vec![
                json!({"position": 0, "agreementId": if rng.random_bool(0.5) { json!(x) } else { Value::Null }}),
            ];
            // Position 1 is ENGIE's request at site A when there is one; uncoding is always fine.
            let r = app
                .as_user(lead, None, "query($id: ID!) { node(id: $id) { ... on Visit { requests { kind partner { id } } } } }", json!({"id": id}))
                .await;
            if site == w.a && r.data()["node"]["requests"][1]["partner"]["id"] == json!(w.engie) {
                codings.push(json!({"position": 1, "agreementId": if rng.random_bool(0.5) { json!(y) } else { Value::Null }}));
            }
            let r = app
                .as_user(
                    lead,
                    None,
                    CODE,
                    json!({"i": {"visitId": id, "requests": codings}}),
                )
                .await;
            assert!(r.ok(), "{:?}", r.body);
            "code"
        } else if roll < 0.9 || workshops.is_empty() {
            let r = app
                .as_user(lead, None, WORKSHOP, json!({"i": {"clientKey": key(), "siteId": site,
                    "theme": (["energy_saving", "digital"][rng.random_range(0..2)]), "title": "Atelier collectif",
                    "heldOn": day(-rng.random_range(0..40)), "durationMinutes": 90, "attendees": rng.random_range(0..20),
                    "agreementId": if rng.random_bool(0.5) { json!(x) } else { Value::Null }}}))
                .await;
            assert!(r.ok(), "{:?}", r.body);
            workshops.push(
                r.data()["recordWorkshop"]["workshop"]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
            "workshop"
        } else if rng.random_bool(0.4) {
            let id = workshops.swap_remove(rng.random_range(0..workshops.len()));
            let r = app
                .as_user(lead, None, "mutation($i: VoidWorkshopInput!) { voidWorkshop(input: $i) { workshop { id } } }", json!({"i": {"workshopId": id}}))
                .await;
            assert!(r.ok(), "{:?}", r.body);
            "void workshop"
        } else {
            let id = workshops[rng.random_range(0..workshops.len())].clone();
            let agreement = if rng.random_bool(0.5) {
                json!(x)
            } else {
                Value::Null
            };
            let r = app
                .as_user(
                    lead,
                    None,
                    CODE_WORKSHOP,
                    json!({"i": {"workshopId": id, "agreementId": agreement}}),
                )
                .await;
            assert!(r.ok(), "{:?}", r.body);
            "code workshop"
        };
        *ops.entry(kind).or_default() += 1;
    }
    assert!(
        coded > 20 && ops.len() == 7,
        "every kind of write ran: {ops:?}"
    );

    let table = table_cells(app, w.t.id).await;
    assert!(!table.is_empty());
    assert_eq!(
        table,
        journal_cells(app, w.t.id).await,
        "the aggregates equal the journal"
    );

    // The API says the same (the association reads exact counts).
    let mut api = Cells::new();
    for a in [&x, &y] {
        let r = w.activity(&w.t.director, a).await;
        assert!(r.ok(), "{:?}", r.body);
        assert_eq!(r.data()["agreementActivity"]["suppressed"], false);
        for row in r.data()["agreementActivity"]["rows"].as_array().unwrap() {
            let id = |v: &Value| {
                kernel::gid::decode(v.as_str().unwrap())
                    .unwrap()
                    .1
                    .to_string()
            };
            api.insert(
                (
                    id(&row["agreement"]["id"]),
                    id(&row["site"]["id"]),
                    row["month"].as_str().unwrap().to_owned(),
                    row["activity"].as_str().unwrap().to_lowercase(),
                    row["theme"].as_str().unwrap().to_owned(),
                ),
                (
                    row["countValue"].as_i64().unwrap(),
                    row["mediationActsValue"].as_i64().unwrap_or(0),
                    row["attendeesValue"].as_i64().unwrap_or(0),
                ),
            );
        }
    }
    let nonzero: Cells = table.into_iter().filter(|(_, v)| v.0 > 0).collect();
    assert_eq!(api, nonzero);

    // The dashboard's daily rollups still equal the journal.
    let t = w.t.id;
    let requests = app
        .count(&format!(
            "select count(*) from visit_requests r join visits v on v.tenant_id = r.tenant_id and v.id = r.visit_id \
             where v.tenant_id = '{t}' and v.status = 'recorded'"
        ))
        .await;
    let rolled = app
        .count(&format!(
            "select coalesce(sum(requests), 0)::bigint from request_daily where tenant_id = '{t}'"
        ))
        .await;
    assert_eq!(rolled, requests);
    let held = app
        .count(&format!(
            "select count(*) from workshops where tenant_id = '{t}' and status = 'held'"
        ))
        .await;
    let rolled = app
        .count(&format!(
            "select coalesce(sum(workshops), 0)::bigint from workshop_daily where tenant_id = '{t}'"
        ))
        .await;
    assert_eq!(rolled, held);
}

#[tokio::test]
async fn partners_see_small_counts_hidden_and_only_their_own() {
    let w = world().await;
    let app = &w.app;
    let x = w.active(local(&w.edf, &[&w.a])).await;
    for (theme, n) in [("energy", 3), ("water", 7)] {
        for _ in 0..n {
            let r = w
                .record(w.visit(&w.a, 5, json!([w.edf_request(theme, Some(&x))])))
                .await;
            assert!(r.ok(), "{:?}", r.body);
        }
    }
    let counts = |r: &testkit::gql::Reply| -> BTreeMap<String, (Value, Value)> {
        r.data()["agreementActivity"]["rows"]
            .as_array()
            .unwrap_or_else(|| panic!("{:?}", r.body))
            .iter()
            .map(|row| {
                (
                    row["theme"].as_str().unwrap().to_owned(),
                    (row["count"].clone(), row["countValue"].clone()),
                )
            })
            .collect()
    };
    // The partner: 3 is "<5" (and no number), 7 is 7.
    let r = w.activity(&w.edf_user, &x).await;
    assert_eq!(r.data()["agreementActivity"]["suppressed"], true);
    let c = counts(&r);
    assert_eq!(c["energy"], (json!("<5"), Value::Null));
    assert_eq!(c["water"], (json!("7"), json!(7)));
    let body = r.body.to_string();
    assert!(!body.contains("\"mediationActs\":\"3\""), "{body}");
    // Without an agreement: all of its own agreements.
    let r = app
        .as_user(
            &w.edf_user,
            None,
            ACTIVITY,
            json!({"f": day(-120), "t": day(0)}),
        )
        .await;
    assert_eq!(counts(&r).len(), 2, "{:?}", r.body);
    // The association and the union read exact counts.
    for who in [&w.t.viewer, &app.union_user("analyst").await] {
        let r = w.activity(who, &x).await;
        assert_eq!(counts(&r)["energy"], (json!("3"), json!(3)), "{:?}", r.body);
    }
    let r = w.activity(&w.u.director, &x).await;
    assert_eq!(
        r.code(),
        Some("NOT_FOUND"),
        "another association's local agreement"
    );

    // Another partner sees nothing of EDF's.
    let r = w.activity(&w.engie_user, &x).await;
    assert_eq!(r.code(), Some("NOT_FOUND"), "{:?}", r.body);
    let r = app
        .as_user(
            &w.engie_user,
            None,
            ACTIVITY,
            json!({"p": w.edf, "f": day(-120), "t": day(0)}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    let r = app
        .as_user(&w.engie_user, None, REPORT, json!({"a": x}))
        .await;
    assert_eq!(r.code(), Some("NOT_FOUND"));
    let r = app
        .as_user(
            &w.engie_user,
            None,
            ACTIVITY,
            json!({"f": day(-120), "t": day(0)}),
        )
        .await;
    assert_eq!(counts(&r).len(), 0);

    // API clients: agreements:read reads agreements, not activity; activity:read the
    // reverse, with the same suppression.
    let (_, id, secret) = crate::partners::register(
        app,
        &w.admin,
        kernel::gid::decode(&w.edf).unwrap().1,
        &["AGREEMENTS_READ"],
    )
    .await;
    let tok = crate::partners::token(app, &id, &secret, None).await;
    let r = app
        .gql
        .raw(
            Some(tok.token()),
            None,
            json!({"query": ACTIVITY, "variables": {"a": x, "f": day(-120), "t": day(0)}}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"), "{:?}", r.body);
    let r = app
        .gql
        .raw(
            Some(tok.token()),
            None,
            json!({"query": "{ agreements { edges { node { id } } } }"}),
        )
        .await;
    assert_eq!(
        r.data()["agreements"]["edges"][0]["node"]["id"],
        x,
        "{:?}",
        r.body
    );
    let (_, id, secret) = crate::partners::register(
        app,
        &w.admin,
        kernel::gid::decode(&w.edf).unwrap().1,
        &["ACTIVITY_READ"],
    )
    .await;
    let tok = crate::partners::token(app, &id, &secret, None).await;
    let r = app
        .gql
        .raw(
            Some(tok.token()),
            None,
            json!({"query": ACTIVITY, "variables": {"a": x, "f": day(-120), "t": day(0)}}),
        )
        .await;
    assert_eq!(
        counts(&r)["energy"],
        (json!("<5"), Value::Null),
        "{:?}",
        r.body
    );
    let r = app
        .gql
        .raw(
            Some(tok.token()),
            None,
            json!({"query": "{ agreements { edges { node { id } } } }"}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn the_report_compares_deliverables_with_pro_rated_targets() {
    let w = world().await;
    let app = &w.app;
    let first = today().with_day(1).unwrap();
    let starts = first - chrono::Months::new(2);
    let x = w
        .active(with(
            local(&w.edf, &[&w.a, &w.b]),
            json!({"services": ["PARTNER_VISITS", "WORKSHOPS", "OUTREACH"], "reportingFrequency": "MONTHLY",
                   "startsOn": starts.to_string(), "endsOn": (starts + chrono::Months::new(12) - Days::new(1)).to_string(),
                   "targets": [{"indicator": "PARTNER_REQUESTS", "annualTarget": 120}, {"indicator": "WORKSHOPS", "annualTarget": 12},
                               {"indicator": "OUTREACH_CASES", "annualTarget": 40}]}),
        ))
        .await;
    for (site, n) in [(&w.a, 6), (&w.b, 2)] {
        for _ in 0..n {
            let r = w
                .record(w.visit(site, 5, json!([w.edf_request("energy", Some(&x))])))
                .await;
            assert!(r.ok(), "{:?}", r.body);
        }
    }
    let r = app
        .as_user(&w.t.mediator, None, WORKSHOP, json!({"i": {"clientKey": key(), "siteId": w.a, "theme": "digital",
            "title": "Gérer son espace client en ligne", "heldOn": day(0), "durationMinutes": 90, "attendees": 9, "agreementId": x}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    // Outreach under the agreement: five cases handed over, two contacts restored, one refusal.
    let xid = kernel::gid::decode(&x).unwrap().1;
    let edf = kernel::gid::decode(&w.edf).unwrap().1;
    let campaign = Uuid::now_v7();
    {
        use sea_orm::ConnectionTrait;
        let admin = app.db.admin().await;
        let run = |sql: &str, v: Vec<sea_orm::Value>| {
            let sql = sql.to_owned();
            let admin = &admin;
            async move {
                admin
                    .execute_raw(sea_orm::Statement::from_sql_and_values(
                        sea_orm::DbBackend::Postgres,
                        sql,
                        v,
                    ))
                    .await
                    .unwrap();
            }
        };
        run("insert into outreach_campaigns (tenant_id, id, agreement_id, partner_id, title, purpose, legal_basis, starts_on, ends_on) \
             values ($1, $2, $3, $4, 'Impayés d''énergie', 'unpaid_energy_bills', 'legitimate_interest', current_date - 10, current_date + 60)",
            vec![w.t.id.into(), campaign.into(), xid.into(), edf.into()]).await;
        for (i, outcome) in ["contact_restored", "payment_plan_agreed", "refused", "", ""]
            .iter()
            .enumerate()
        {
            let closed = !outcome.is_empty();
            run("insert into outreach_cases (tenant_id, id, campaign_id, partner_id, customer_ref, status, outcome, closed_at) \
                 values ($1, $2, $3, $4, $5, $6, nullif($7, ''), case when $8 then now() end)",
                vec![w.t.id.into(), Uuid::now_v7().into(), campaign.into(), edf.into(), format!("CLI-{i}").into(),
                     (if closed { "closed" } else { "pending" }).into(), (*outcome).into(), closed.into()]).await;
        }
        let _ = admin.close().await;
    }

    let report = |who: &TestUser| {
        let who = who.clone();
        let x = x.clone();
        async move { app.as_user(&who, None, REPORT, json!({"a": x})).await }
    };
    let r = report(&w.t.director).await;
    assert!(r.ok(), "{:?}", r.body);
    let rep = &r.data()["agreementReport"];
    assert_eq!(rep["suppressed"], false);
    assert_eq!(rep["partial"], false);
    assert_eq!(
        rep["periods"].as_array().unwrap().len(),
        12,
        "monthly over a year"
    );
    let total = |rep: &Value, ind: &str| -> Value {
        rep["totals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["indicator"] == ind)
            .unwrap()["achieved"]
            .clone()
    };
    assert_eq!(total(rep, "PARTNER_REQUESTS"), "8");
    assert_eq!(total(rep, "MEDIATION_ACTS"), "8");
    assert_eq!(total(rep, "WORKSHOPS"), "1");
    assert_eq!(total(rep, "WORKSHOP_ATTENDEES"), "9");
    assert_eq!(total(rep, "OUTREACH_CASES"), "5");
    assert_eq!(total(rep, "OUTREACH_CONTACTS"), "2");
    // The month of the visits: 8 partner requests against 120 / 12.
    let month = rep["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["deliverables"][0]["achieved"] == "8")
        .unwrap_or_else(|| panic!("{rep}"));
    assert_eq!(month["deliverables"][0]["indicator"], "PARTNER_REQUESTS");
    assert_eq!(month["deliverables"][0]["target"], 10.0);
    assert_eq!(month["deliverables"][0]["rate"], 0.8);
    let by_site: BTreeMap<String, Value> = month["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["site"]["id"].as_str().unwrap().to_owned(),
                s["deliverables"][0]["achieved"].clone(),
            )
        })
        .collect();
    assert_eq!(by_site[&w.a], "6");
    assert_eq!(by_site[&w.b], "2");
    let csv = rep["csv"].as_str().unwrap();
    assert!(csv.starts_with("\u{feff}période;début;fin;association;site;indicateur;réalisé;objectif;taux de réalisation (%)\r\n"));
    let label = month["label"].as_str().unwrap();
    assert!(
        csv.contains(&format!(
            "{label};{};{};;Ensemble;Demandes partenaire;8;10,0;80,0\r\n",
            month["start"].as_str().unwrap(),
            month["end"].as_str().unwrap()
        )),
        "{csv}"
    );
    assert!(
        csv.contains(&format!(";{};", w.t.name)) && csv.contains(";Demandes partenaire;2;;\r\n"),
        "a line per site, with its association: {csv}"
    );

    // The partner: small counts hidden, in the CSV too.
    let r = report(&w.edf_user).await;
    let rep = &r.data()["agreementReport"];
    assert_eq!(rep["suppressed"], true, "{:?}", r.body);
    assert_eq!(total(rep, "PARTNER_REQUESTS"), "8");
    assert_eq!(total(rep, "WORKSHOPS"), "<5");
    assert_eq!(total(rep, "OUTREACH_CASES"), "5");
    assert_eq!(total(rep, "OUTREACH_CONTACTS"), "<5");
    let month = rep["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["deliverables"][0]["achieved"] == "8")
        .unwrap();
    let b = month["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["site"]["id"] == json!(w.b))
        .unwrap();
    assert_eq!(b["deliverables"][0]["achieved"], "<5");
    assert_eq!(b["deliverables"][0]["achievedValue"], Value::Null);
    let csv = rep["csv"].as_str().unwrap();
    assert!(
        csv.contains(";Demandes partenaire;<5;;\r\n") && !csv.contains(";Demandes partenaire;2;"),
        "{csv}"
    );

    // The union reads exact counts, outreach included (it reads no case itself).
    let r = report(&app.union_user("auditor").await).await;
    let rep = &r.data()["agreementReport"];
    assert_eq!(total(rep, "OUTREACH_CONTACTS"), "2", "{:?}", r.body);
    assert_eq!(total(rep, "WORKSHOPS"), "1");
}

#[tokio::test]
async fn an_association_reads_only_its_own_share_of_a_national_framework() {
    let w = world().await;
    let app = &w.app;
    let r = w
        .create(
            &w.admin,
            None,
            json!({"partnerId": w.edf, "national": true, "reference": format!("EDF-NAT-{}", testkit::suffix()),
                "title": "Convention cadre nationale", "startsOn": day(-30), "endsOn": day(330),
                "services": ["PARTNER_VISITS"], "themes": ["energy"], "siteIds": [w.a, w.u_site],
                "targets": [{"indicator": "PARTNER_REQUESTS", "annualTarget": 1000}]}),
        )
        .await;
    let nat = r.data()["createAgreement"]["agreement"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .as_user(
            &w.admin,
            None,
            STATUS,
            json!({"i": {"agreementId": nat, "status": "ACTIVE", "reason": "Signée"}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    for _ in 0..2 {
        let r = w
            .record(w.visit(&w.a, 5, json!([w.edf_request("energy", Some(&nat))])))
            .await;
        assert!(r.ok(), "{:?}", r.body);
    }
    let r = app
        .as_user(
            &w.u.mediator,
            None,
            RECORD,
            json!({"i": {"clientKey": key(),
            "visit": w.visit(&w.u_site, 5, json!([w.edf_request("energy", Some(&nat))]))}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);

    let total =
        |r: &testkit::gql::Reply| r.data()["agreementReport"]["totals"][0]["achieved"].clone();
    // Each association: its own requests, its own site, nothing of the other.
    for (who, other, mine, n) in [
        (&w.t.director, &w.u, &w.a, "2"),
        (&w.u.director, &w.t, &w.u_site, "1"),
    ] {
        let r = app.as_user(who, None, REPORT, json!({"a": nat})).await;
        assert!(r.ok(), "{:?}", r.body);
        assert_eq!(r.data()["agreementReport"]["partial"], true);
        assert_eq!(total(&r), n);
        let body = r.body.to_string();
        assert!(
            !body.contains(&other.name) && !body.contains(&other.slug),
            "{body}"
        );
        for p in r.data()["agreementReport"]["periods"].as_array().unwrap() {
            for s in p["sites"].as_array().unwrap() {
                assert_eq!(s["site"]["id"], json!(mine));
            }
        }
        let r = w.activity(who, &nat).await;
        let rows = r.data()["agreementActivity"]["rows"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(rows.len(), 1, "{:?}", r.body);
        assert_eq!(rows[0]["site"]["id"], json!(mine));
    }
    // The union and the partner: the whole framework.
    let r = app.as_user(&w.admin, None, REPORT, json!({"a": nat})).await;
    assert_eq!(r.data()["agreementReport"]["partial"], false);
    assert_eq!(total(&r), "3");
    let r = app
        .as_user(&w.edf_user, None, REPORT, json!({"a": nat}))
        .await;
    assert_eq!(total(&r), "<5");
    assert_eq!(r.data()["agreementReport"]["partial"], false);
}
