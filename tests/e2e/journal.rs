//! The mediation journal through the API: the front desk records visits (once, even
//! when submitted twice), bad input records nothing, corrections keep history and
//! totals follow, consent gates named attendees, surveys give the share satisfied.

use crate::support::*;
use serde_json::{Value, json};
use testkit::TestTenant;

pub const RECORD: &str = "mutation($i: RecordVisitInput!) { recordVisit(input: $i) { replayed visit { id status revision channel requests { theme kind mediationAct partner { name } } } } }";

pub async fn site_of(app: &TestApp, t: &TestTenant) -> String {
    let r = app
        .as_user(
            &t.director,
            None,
            "{ sites(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    r.data()["sites"]["edges"][0]["node"]["id"]
        .as_str()
        .expect("a site")
        .to_owned()
}

pub async fn partner(app: &TestApp, t: &TestTenant) -> String {
    let r = app
        .as_user(
            &t.director,
            None,
            "{ partnerOrganisations(first: 100) { edges { node { id name } } } }",
            json!({}),
        )
        .await;
    r.data()["partnerOrganisations"]["edges"][0]["node"]["id"]
        .as_str()
        .expect("a partner")
        .to_owned()
}

pub fn visit(site: &str, partner: &str, minutes_ago: i64) -> Value {
    json!({
        "siteId": site,
        "occurredAt": (chrono::Utc::now() - chrono::Duration::minutes(minutes_ago)).to_rfc3339(),
        "channel": "ON_SITE", "durationMinutes": 20, "language": "ar", "ageBand": "FROM_41_TO_60",
        "requests": [
            {"theme": "energy", "kind": "PARTNER", "partnerId": partner, "outcome": "MEDIATED"},
            {"theme": "family_benefits", "kind": "GENERAL", "outcome": "ORIENTED", "referredTo": "CAF du Rhône"}
        ]
    })
}

pub async fn with_partner(app: &TestApp) -> (TestTenant, String, String) {
    let t = app.tenant().await;
    testkit::fixtures::populate(app.db, &t).await;
    let db = app.db.app().await;
    let tx = db
        .scoped(&kernel::Ctx::system("test fixture"))
        .await
        .unwrap();
    use sea_orm::ConnectionTrait;
    tx.execute_raw(sea_orm::Statement::from_sql_and_values(sea_orm::DbBackend::Postgres,
        "insert into partner_organisations (id, name, sector) values ($1, $2, 'energy') on conflict do nothing",
        [uuid::Uuid::now_v7().into(), format!("EDF test {}", t.slug).into()])).await.unwrap();
    tx.commit().await.unwrap();
    db.close().await;
    let site = site_of(app, &t).await;
    let p = partner(app, &t).await;
    (t, site, p)
}

#[tokio::test]
async fn the_front_desk_records_a_visit_once() {
    let app = spawn_app().await;
    let (t, site, p) = with_partner(&app).await;
    let key = uuid::Uuid::now_v7().to_string();
    let input = json!({"i": {"clientKey": key, "visit": visit(&site, &p, 5), "note": "Coupure annoncée, dossier FSL en cours"}});
    let first = app.as_user(&t.mediator, None, RECORD, input.clone()).await;
    assert!(first.ok(), "{:?}", first.body);
    let v = &first.data()["recordVisit"];
    assert_eq!(v["replayed"], false);
    assert_eq!(v["visit"]["requests"][0]["mediationAct"], true);
    assert_eq!(v["visit"]["requests"][1]["mediationAct"], false);
    // A double submit (network retry): the same visit, nothing new.
    let again = app.as_user(&t.mediator, None, RECORD, input).await;
    assert_eq!(again.data()["recordVisit"]["replayed"], true);
    assert_eq!(again.data()["recordVisit"]["visit"]["id"], v["visit"]["id"]);
    assert_eq!(
        app.count(&format!(
            "select count(*) from visits where tenant_id = '{}' and client_key = '{key}'",
            t.id
        ))
        .await,
        1
    );
    // Notes stay in the association, readable by its staff.
    let q = "query($id: ID!) { node(id: $id) { ... on Visit { notes { body } mediator { user { email } } } } }";
    let r = app
        .as_user(&t.coordinator, None, q, json!({"id": v["visit"]["id"]}))
        .await;
    assert_eq!(
        r.data()["node"]["notes"][0]["body"],
        "Coupure annoncée, dossier FSL en cours"
    );
    assert_eq!(
        r.data()["node"]["mediator"]["user"]["email"],
        t.mediator.email.as_str()
    );
    // Viewers (board members) read dashboards, not the journal.
    let r = app
        .as_user(
            &t.viewer,
            None,
            "{ visits { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn bad_visits_record_nothing() {
    let app = spawn_app().await;
    let (t, site, p) = with_partner(&app).await;
    let other = app.tenant().await;
    testkit::fixtures::populate(app.db, &other).await;
    let foreign_site = site_of(&app, &other).await;
    let count = format!(
        "select (select count(*) from visits where tenant_id = '{0}') + (select count(*) from visit_requests where tenant_id = '{0}') \
                         + (select coalesce(sum(visits), 0) from visit_daily where tenant_id = '{0}')",
        t.id
    );
    let before = app.count(&count).await;
    let unknown_site = kernel::gid::encode("Site", uuid::Uuid::now_v7());
    let mut cases: Vec<(&str, Value)> = Vec::new();
    let mut v = visit(&unknown_site, &p, 5);
    cases.push(("siteId", v.clone()));
    v = visit(&foreign_site, &p, 5);
    cases.push(("siteId", v.clone()));
    v = visit(&site, &p, -120);
    cases.push(("occurredAt", v.clone()));
    v = visit(&site, &p, 5);
    v["durationMinutes"] = json!(-10);
    cases.push(("durationMinutes", v.clone()));
    v = visit(&site, &p, 5);
    v["requests"][0]
        .as_object_mut()
        .unwrap()
        .remove("partnerId");
    cases.push(("requests[0].partnerId", v.clone()));
    v = visit(&site, &p, 5);
    v["requests"][1]["theme"] = json!("astrology");
    cases.push(("requests[1].theme", v.clone()));
    v = visit(&site, &p, 5);
    v["requests"] = json!([]);
    cases.push(("requests", v.clone()));
    v = visit(&site, &p, 5);
    v["requests"][0]["partnerId"] = json!(kernel::gid::encode(
        "PartnerOrganisation",
        uuid::Uuid::now_v7()
    ));
    cases.push(("requests[0].partnerId", v.clone()));
    for (field, v) in cases {
        let r = app
            .as_user(
                &t.mediator,
                None,
                RECORD,
                json!({"i": {"clientKey": uuid::Uuid::now_v7().to_string(), "visit": v}}),
            )
            .await;
        assert_eq!(r.code(), Some("VALIDATION"), "{field}: {:?}", r.body);
        assert_eq!(
            r.body["errors"][0]["extensions"]["field"], field,
            "{:?}",
            r.body
        );
    }
    assert_eq!(app.count(&count).await, before, "nothing recorded");
}

#[tokio::test]
async fn corrections_keep_history_and_respect_authorship() {
    let app = spawn_app().await;
    let (t, site, p) = with_partner(&app).await;
    let r = app.as_user(&t.mediator, None, RECORD, json!({"i": {"clientKey": uuid::Uuid::now_v7().to_string(), "visit": visit(&site, &p, 30)}})).await;
    let id = r.data()["recordVisit"]["visit"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Another mediator may not correct it; a coordinator may.
    let db = app.db.app().await;
    let mut other = testkit::fixtures::user(
        &db,
        &app.issuer.url,
        &format!("autre-{}@test.example", testkit::suffix()),
    )
    .await;
    testkit::fixtures::add_member(&db, t.id, &mut other, "mediator").await;
    db.close().await;
    let amend = "mutation($i: AmendVisitInput!) { amendVisit(input: $i) { visit { revision channel requests { theme } history { revision action reason } } } }";
    let mut changed = visit(&site, &p, 30);
    changed["channel"] = json!("PHONE");
    changed["requests"] = json!([{"theme": "water", "kind": "GENERAL", "outcome": "INFORMED"}]);
    let r = app
        .as_user(
            &other,
            None,
            amend,
            json!({"i": {"visitId": id, "visit": changed, "reason": "erreur"}}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    let r = app
        .as_user(
            &t.coordinator,
            None,
            amend,
            json!({"i": {"visitId": id, "visit": changed, "reason": "Appel, pas accueil"}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let v = &r.data()["amendVisit"]["visit"];
    assert_eq!(v["revision"], 2);
    assert_eq!(v["channel"], "PHONE");
    assert_eq!(v["history"][0]["action"], "amended");
    let void =
        "mutation($i: VoidVisitInput!) { voidVisit(input: $i) { visit { status revision } } }";
    let r = app
        .as_user(
            &t.mediator,
            None,
            void,
            json!({"i": {"visitId": id, "reason": "Doublon"}}),
        )
        .await;
    assert_eq!(
        r.data()["voidVisit"]["visit"]["status"],
        "VOIDED",
        "{:?}",
        r.body
    );
    let r = app
        .as_user(
            &t.mediator,
            None,
            void,
            json!({"i": {"visitId": id, "reason": "Doublon"}}),
        )
        .await;
    assert_eq!(r.code(), Some("CONFLICT"));
    let r = app
        .as_user(
            &t.coordinator,
            None,
            amend,
            json!({"i": {"visitId": id, "visit": changed}}),
        )
        .await;
    assert_eq!(r.code(), Some("CONFLICT"), "a voided visit stays voided");
    // The history is kept; the voided visit is out of the list unless asked for.
    assert_eq!(
        app.count(&format!(
            "select count(*) from visit_revisions where tenant_id = '{}'",
            t.id
        ))
        .await,
        2
    );
    let r = app
        .as_user(
            &t.coordinator,
            None,
            "query { visits(includeVoided: true) { edges { node { status } } } }",
            json!({}),
        )
        .await;
    assert!(
        r.data()["visits"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["node"]["status"] == "VOIDED")
    );
}

#[tokio::test]
async fn consent_gates_named_attendees_and_surveys_count_satisfaction() {
    let app = spawn_app().await;
    let (t, site, _) = with_partner(&app).await;
    let today = kernel::time::today();
    let create = "mutation($i: CreateBeneficiaryInput!) { createBeneficiary(input: $i) { beneficiary { id pseudonym } consent { id active } } }";
    let consent = json!({"purpose": "Suivi d'un dossier d'impayés", "givenOn": today.to_string(), "channel": "WRITTEN", "expiresOn": (today + chrono::Days::new(365)).to_string()});
    let r = app
        .as_user(
            &t.mediator,
            None,
            create,
            json!({"i": {"ageBand": "FROM_26_TO_40", "consent": consent}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let ben = r.data()["createBeneficiary"]["beneficiary"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let consent_id = r.data()["createBeneficiary"]["consent"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        r.data()["createBeneficiary"]["beneficiary"]["pseudonym"]
            .as_str()
            .unwrap()
            .starts_with("B-")
    );
    let ws = "mutation($i: RecordWorkshopInput!) { recordWorkshop(input: $i) { replayed workshop { attendees status } } }";
    let input = |names: Vec<String>| {
        json!({"i": {"clientKey": uuid::Uuid::now_v7().to_string(), "siteId": site, "theme": "digital",
        "title": "Créer son espace CAF", "heldOn": today.to_string(), "durationMinutes": 120, "attendees": 6, "namedAttendeeIds": names}})
    };
    let r = app
        .as_user(&t.mediator, None, ws, input(vec![ben.clone()]))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    // After the consent is withdrawn, naming the person is refused.
    let r = app.as_user(&t.mediator, None, "mutation($i: WithdrawConsentInput!) { withdrawConsent(input: $i) { consent { active withdrawnOn } } }",
        json!({"i": {"consentId": consent_id}})).await;
    assert_eq!(
        r.data()["withdrawConsent"]["consent"]["active"],
        false,
        "{:?}",
        r.body
    );
    let r = app.as_user(&t.mediator, None, ws, input(vec![ben])).await;
    assert_eq!(r.code(), Some("VALIDATION"));
    assert_eq!(r.body["errors"][0]["extensions"]["field"], "namedAttendees");

    let camp = "mutation($i: CreateSurveyCampaignInput!) { createSurveyCampaign(input: $i) { campaign { id } } }";
    let r = app.as_user(&t.coordinator, None, camp, json!({"i": {"siteId": site, "title": "Enquête de satisfaction 2026",
        "startsOn": (today - chrono::Days::new(10)).to_string(), "endsOn": (today + chrono::Days::new(10)).to_string()}})).await;
    let cid = r.data()["createSurveyCampaign"]["campaign"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = "mutation($i: RecordSurveyAnswerInput!) { recordSurveyAnswer(input: $i) { campaign { answers shareSatisfied } } }";
    let mut last = json!(null);
    for score in [4, 4, 3, 1] {
        let r = app.as_user(&t.mediator, None, answer, json!({"i": {"campaignId": cid, "score": score, "answeredOn": today.to_string(), "clientKey": uuid::Uuid::now_v7().to_string()}})).await;
        last = r.data()["recordSurveyAnswer"]["campaign"].clone();
    }
    assert_eq!(last["answers"], 4);
    assert_eq!(last["shareSatisfied"], 0.75);
    let r = app.as_user(&t.mediator, None, answer, json!({"i": {"campaignId": cid, "score": 7, "answeredOn": today.to_string(), "clientKey": uuid::Uuid::now_v7().to_string()}})).await;
    assert_eq!(r.code(), Some("VALIDATION"));
}

/// Every visit `visits` gives under these arguments, page after page (`first: 2`, so
/// the keyset is crossed several times), in the order given.
async fn all_visits(app: &TestApp, who: &testkit::TestUser, args: Value) -> Vec<String> {
    const Q: &str = "query($first: Int, $after: String, $siteId: ID, $theme: String, $partnerId: ID, $includeVoided: Boolean! = false) { \
        visits(first: $first, after: $after, siteId: $siteId, theme: $theme, partnerId: $partnerId, includeVoided: $includeVoided) { \
          edges { node { id } } pageInfo { hasNextPage endCursor } } }";
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut vars = args.clone();
        vars["first"] = json!(2);
        vars["after"] = json!(after);
        let r = app.as_user(who, None, Q, vars).await;
        assert!(r.ok(), "{:?}", r.body);
        let c = &r.data()["visits"];
        for e in c["edges"].as_array().unwrap() {
            ids.push(e["node"]["id"].as_str().unwrap().to_owned());
        }
        if c["pageInfo"]["hasNextPage"] != true {
            return ids;
        }
        after = c["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        assert!(ids.len() < 200, "paging does not end");
    }
}

#[tokio::test]
async fn the_theme_and_partner_filters_match_the_raw_journal() {
    let app = spawn_app().await;
    let (t, site, _) = with_partner(&app).await;
    // Another association recording the same themes for the same two partners (each
    // `with_partner` adds one).
    let (other, other_site, _) = with_partner(&app).await;
    let r = app
        .as_user(
            &t.director,
            None,
            "{ partnerOrganisations(first: 2) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let partners: Vec<String> = r.data()["partnerOrganisations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(partners.len(), 2, "{:?}", r.body);
    let (p1, p2) = (&partners[0], &partners[1]);
    // Visits whose requests mix themes and partners: a theme and a partner on one
    // request, on two different requests, on none; one voided.
    let request = |theme: &str, partner: Option<&String>| match partner {
        Some(p) => {
            json!({"theme": theme, "kind": "PARTNER", "partnerId": p, "outcome": "MEDIATED"})
        }
        None => json!({"theme": theme, "kind": "GENERAL", "outcome": "ORIENTED"}),
    };
    let shapes: Vec<Vec<Value>> = vec![
        vec![request("energy", Some(p1))],
        vec![request("energy", Some(p2))],
        vec![request("energy", None)],
        vec![request("water", Some(p1))],
        vec![request("water", Some(p1)), request("energy", None)],
        vec![request("housing", None), request("water", Some(p2))],
        vec![request("housing", None)],
        vec![request("energy", Some(p1)), request("water", Some(p2))],
    ];
    let mut recorded = Vec::new();
    for (who, s, tt) in [(&t, &site, 0), (&other, &other_site, 1)] {
        for (i, reqs) in shapes.iter().enumerate() {
            let mut v = visit(s, p1, 60 + i as i64 + 10 * tt);
            v["requests"] = json!(reqs);
            let r = app
                .as_user(
                    &who.mediator,
                    None,
                    RECORD,
                    json!({"i": {"clientKey": uuid::Uuid::now_v7().to_string(), "visit": v}}),
                )
                .await;
            assert!(r.ok(), "{:?}", r.body);
            if tt == 0 {
                recorded.push(
                    r.data()["recordVisit"]["visit"]["id"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                );
            }
        }
    }
    // One of them voided: out of the journal unless includeVoided.
    let r = app
        .as_user(
            &t.coordinator,
            None,
            "mutation($i: VoidVisitInput!) { voidVisit(input: $i) { visit { id } } }",
            json!({"i": {"visitId": recorded[7], "reason": "Saisie en double"}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);

    let uuid = |g: &str| kernel::gid::decode(g).unwrap().1;
    let has = |col: &str, v: &str| {
        format!(
            " and exists (select 1 from visit_requests r where r.tenant_id = v.tenant_id \
              and r.visit_id = v.id and r.{col} = '{v}')"
        )
    };
    let cases: Vec<(Value, String)> = vec![
        (json!({"theme": "energy"}), has("theme", "energy")),
        (json!({"theme": "water"}), has("theme", "water")),
        (
            json!({"partnerId": p1}),
            has("partner_id", &uuid(p1).to_string()),
        ),
        (
            json!({"partnerId": p2}),
            has("partner_id", &uuid(p2).to_string()),
        ),
        (
            json!({"theme": "energy", "partnerId": p2}),
            has("theme", "energy") + &has("partner_id", &uuid(p2).to_string()),
        ),
        (
            json!({"theme": "housing", "partnerId": p1, "siteId": site}),
            has("theme", "housing")
                + &has("partner_id", &uuid(p1).to_string())
                + &format!(" and v.site_id = '{}'", uuid(&site)),
        ),
        (
            json!({"theme": "energy", "includeVoided": true}),
            has("theme", "energy"),
        ),
        (json!({"theme": "not_a_theme"}), has("theme", "not_a_theme")),
    ];
    for (args, cond) in cases {
        let voided = if args["includeVoided"] == true {
            ""
        } else {
            " and v.status = 'recorded'"
        };
        let expected = app
            .count(&format!(
                "select count(*) from visits v where v.tenant_id = '{}'{voided}{cond}",
                t.id
            ))
            .await;
        let ids = all_visits(&app, &t.coordinator, args.clone()).await;
        assert_eq!(
            ids.len() as i64,
            expected,
            "{args}: as many visits as the raw journal has"
        );
        // Newest first, each once, all of this association's.
        let keys: Vec<uuid::Uuid> = ids.iter().map(|g| uuid(g)).collect();
        assert!(
            keys.windows(2).all(|w| w[0] > w[1]),
            "{args}: newest first, no repeat"
        );
        let theirs = app
            .count(&format!(
                "select count(*) from visits where tenant_id <> '{}' and id in ({})",
                t.id,
                keys.iter()
                    .map(|k| format!("'{k}'"))
                    .chain(["null".into()])
                    .collect::<Vec<_>>()
                    .join(",")
            ))
            .await;
        assert_eq!(theirs, 0, "{args}: another association's visit");
    }
    // The numbers are those this test made: the filters do filter.
    let n = |args: Value| {
        let app = &app;
        let who = &t.coordinator;
        async move { all_visits(app, who, args).await.len() }
    };
    assert_eq!(n(json!({"theme": "energy", "partnerId": p2})).await, 1);
    assert_eq!(
        n(json!({"theme": "energy", "partnerId": p2, "includeVoided": true})).await,
        2
    );
    assert_eq!(n(json!({"partnerId": p1})).await, 3);
    // A partner id that is not one is VALIDATION on the argument.
    let r = app
        .as_user(
            &t.coordinator,
            None,
            "query($p: ID) { visits(partnerId: $p) { edges { node { id } } } }",
            json!({"p": site}),
        )
        .await;
    assert_eq!(r.code(), Some("VALIDATION"), "{:?}", r.body);
}
