//! HR pathways through the API, as the people who use them: a director hires a
//! mediator on an adulte-relais contract with its subsidy, keeps the training ledger
//! (and sees the alert when behind), renews the contract, records the exit to a CDI at
//! a partner firm and the follow-up six months later; the employee reads their own
//! ledger and nobody else's; the union sees the network's rates with small counts
//! hidden. Bad input records nothing; the calendar and the retention job.

use crate::support::*;
use chrono::{Datelike, Days, Months, NaiveDate};
use serde_json::{Value, json};
use testkit::TestTenant;

const HIRE: &str = "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { \
    employee { id fullName sex birthYear account { email } } \
    contract { id kind startsOn plannedEndOn weeklyHours sites { name } subsidies { programme funder amountCents renewalDeadline } } \
    subsidy { id } warnings { code message field } } }";
const ENTRY: &str = "mutation($i: RecordTrainingEntryInput!) { recordTrainingEntry(input: $i) { entry { id hours countsTowardQuota } } }";
const LEDGER: &str = "query($id: ID!) { node(id: $id) { ... on Employee { fullName \
    ledger { dueHours doneHours balance behind months { month workedHours dueHours doneHours behind } } } } }";
const EXIT: &str = "mutation($i: RecordEmployeeExitInput!) { recordEmployeeExit(input: $i) { exit { id exitOn outcome positive employerSector employerPartner { name } followUpDueOn } } }";
const FOLLOW_UP: &str = "mutation($i: RecordExitFollowUpInput!) { recordExitFollowUp(input: $i) { exit { followedUpOn followUpOutcome } } }";

fn today() -> NaiveDate {
    kernel::time::today()
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap()
}

fn ds(d: NaiveDate) -> String {
    d.to_string()
}

fn gid(t: &str, id: uuid::Uuid) -> String {
    kernel::gid::encode(t, id)
}

/// A site of `t`, through the API.
async fn site(app: &TestApp, t: &TestTenant, name: &str) -> String {
    let r = app
        .as_user(&t.director, None,
            "mutation($i: CreateSiteInput!) { createSite(input: $i) { site { id } } }",
            json!({"i": {"name": name, "postcode": "69009", "city": "Lyon", "openedOn": "2015-01-05"}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    r.data()["createSite"]["site"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn contract(kind: &str, start: NaiveDate, end: Option<NaiveDate>, site: &str) -> Value {
    json!({"kind": kind, "startsOn": ds(start), "plannedEndOn": end.map(ds), "weeklyHours": 35.0,
           "jobTitle": "Agent médiateur", "siteIds": [site]})
}

async fn hire(app: &TestApp, t: &TestTenant, input: Value) -> Value {
    let r = app
        .as_user(&t.director, None, HIRE, json!({"i": input}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    r.data()["hireEmployee"].clone()
}

async fn count(app: &TestApp, table: &str, t: &TestTenant) -> i64 {
    app.count(&format!(
        "select count(*) from {table} where tenant_id = '{}'",
        t.id
    ))
    .await
}

#[tokio::test]
async fn a_mediators_pathway_from_hire_to_follow_up() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let other = app.tenant().await;
    let (edf, _) = app.partner("EDF", "energy").await;
    let vaise = site(&app, &t, "PIMMS Lyon-Vaise").await;
    let s = first_of_month(today() - Months::new(30));
    let end1 = s + Months::new(12) - Days::new(1);

    // The director hires the mediator (who has an account) on an adulte-relais contract
    // with its subsidy.
    let h = hire(&app, &t, json!({
        "fullName": "Samira Benali", "membershipId": gid("Membership", t.mediator.membership_id.unwrap()),
        "birthYear": 1994, "sex": "FEMALE",
        "contract": contract("ADULTE_RELAIS", s, Some(end1), &vaise),
        "subsidy": {"programme": "ADULTE_RELAIS", "funder": "STATE", "agreementReference": "AR-69-2024-117",
                    "startsOn": ds(s), "endsOn": ds(end1), "amountCents": 2_213_900,
                    "renewalDeadline": ds(end1 - Days::new(60))}
    })).await;
    let employee = h["employee"]["id"].as_str().unwrap().to_owned();
    let contract1 = h["contract"]["id"].as_str().unwrap().to_owned();
    assert_eq!(h["employee"]["account"]["email"], t.mediator.email.as_str());
    assert_eq!(h["contract"]["kind"], "ADULTE_RELAIS");
    assert_eq!(h["contract"]["sites"][0]["name"], "PIMMS Lyon-Vaise");
    assert_eq!(h["contract"]["subsidies"][0]["funder"], "STATE");
    // One year is within eight months to three years: no warning.
    assert_eq!(h["warnings"], json!([]));

    // A colleague without an account.
    let colleague = hire(
        &app,
        &t,
        json!({
            "fullName": "Karim Haddad", "birthYear": 1988, "sex": "MALE",
            "contract": contract("PEC", s, Some(end1), &vaise)
        }),
    )
    .await["employee"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A year of training entries: 8 hours a month, a week each month.
    for i in 0..12 {
        let m = s + Months::new(i);
        let r = app
            .as_user(&t.director, None, ENTRY, json!({"i": {
                "employeeId": employee, "kind": "TRAINING", "title": format!("Module {i} : accès aux droits"),
                "provider": "AFPA", "certification": "Titre professionnel médiateur social accès aux droits et services",
                "startsOn": ds(m + Days::new(9)), "endsOn": ds(m + Days::new(15)), "hours": 8.0}}))
            .await;
        assert!(r.ok(), "{:?}", r.body);
    }
    // Professional-project time that does not count toward the 9 %.
    let r = app
        .as_user(&t.director, None, ENTRY, json!({"i": {
            "employeeId": employee, "kind": "IMMERSION", "title": "Immersion chez EDF",
            "startsOn": ds(s + Days::new(40)), "endsOn": ds(s + Days::new(44)), "hours": 14.0, "countsTowardQuota": false}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);

    // The ledger: about 13.7 hours due a month, 8 done: behind, flagged.
    let r = app
        .as_user(&t.director, None, LEDGER, json!({"id": employee}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let l = &r.data()["node"]["ledger"];
    assert_eq!(l["behind"], true, "{l}");
    let months = l["months"].as_array().unwrap();
    assert_eq!(months[0]["month"], ds(s));
    assert_eq!(months[0]["doneHours"], 8.0);
    assert!(months[0]["behind"].as_bool().unwrap());
    let due0 = months[0]["dueHours"].as_f64().unwrap();
    let worked0 = months[0]["workedHours"].as_f64().unwrap();
    assert!(
        (due0 - worked0 * 0.09).abs() < 0.01,
        "9 % of the hours worked: {}",
        months[0]
    );
    assert!((100.0..=170.0).contains(&worked0), "{worked0}");
    assert!(l["balance"].as_f64().unwrap() < 0.0);

    // The employee reads their own record and ledger, and nobody else's.
    let r = app
        .as_user(&t.mediator, None, "{ myEmployeeRecord { id fullName ledger { behind } contracts { kind } } employees { edges { node { id fullName } } } }", json!({}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    assert_eq!(r.data()["myEmployeeRecord"]["id"], employee.as_str());
    assert_eq!(r.data()["myEmployeeRecord"]["ledger"]["behind"], true);
    let edges = r.data()["employees"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["id"], employee.as_str());
    let r = app
        .as_user(&t.mediator, None, LEDGER, json!({"id": colleague}))
        .await;
    assert_eq!(r.data()["node"], Value::Null, "{:?}", r.body);
    assert!(!r.body.to_string().contains("Karim"));
    // ... nor the subsidies behind their contract, nor write anything.
    let r = app
        .as_user(
            &t.mediator,
            None,
            "{ myEmployeeRecord { contracts { subsidies { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r.data()["myEmployeeRecord"]["contracts"][0]["subsidies"],
        json!([])
    );
    let r = app
        .as_user(&t.mediator, None, ENTRY, json!({"i": {"employeeId": employee, "kind": "TRAINING",
            "title": "Auto-déclaration", "startsOn": ds(s + Days::new(9)), "endsOn": ds(s + Days::new(15)), "hours": 30.0}}))
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"), "{:?}", r.body);
    // A viewer and a coordinator (not granted) see nothing of anyone.
    for u in [&t.viewer, &t.coordinator] {
        let r = app
            .as_user(
                u,
                None,
                "{ employees { edges { node { id } } } myEmployeeRecord { id } }",
                json!({}),
            )
            .await;
        assert!(r.ok(), "{:?}", r.body);
        assert_eq!(r.data()["employees"]["edges"], json!([]));
        assert_eq!(r.data()["myEmployeeRecord"], Value::Null);
    }
    // Until the director lets coordinators manage HR.
    let r = app
        .as_user(&t.director, None, "mutation { setHrSettings(input: {coordinatorsManageHr: true}) { settings { coordinatorsManageHr } } }", json!({}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let r = app
        .as_user(
            &t.coordinator,
            None,
            "{ employees { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.data()["employees"]["edges"].as_array().unwrap().len(), 2);

    // Another association's director: not found, and nothing written.
    let r = app
        .as_user(&other.director, None, LEDGER, json!({"id": employee}))
        .await;
    assert_eq!(r.data()["node"], Value::Null);
    let r = app
        .as_user(&other.director, None, ENTRY, json!({"i": {"employeeId": employee, "kind": "TRAINING",
            "title": "Intrusion", "startsOn": ds(s + Days::new(9)), "endsOn": ds(s + Days::new(15)), "hours": 2.0}}))
        .await;
    assert_eq!(r.code(), Some("NOT_FOUND"), "{:?}", r.body);

    // The renewal: the next contract from the day after, with its subsidy.
    let end2 = s + Months::new(24) - Days::new(1);
    let r = app
        .as_user(&t.director, None,
            "mutation($i: RenewContractInput!) { renewContract(input: $i) { contract { id startsOn plannedEndOn renews { id } sites { name } } subsidy { id } warnings { code } } }",
            json!({"i": {"contractId": contract1, "plannedEndOn": ds(end2),
                "subsidy": {"programme": "ADULTE_RELAIS", "funder": "STATE", "startsOn": ds(end1 + Days::new(1)), "endsOn": ds(end2), "ratePercent": 80.0}}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let c2 = &r.data()["renewContract"]["contract"];
    assert_eq!(c2["startsOn"], ds(end1 + Days::new(1)));
    assert_eq!(c2["renews"]["id"], contract1.as_str());
    assert_eq!(c2["sites"][0]["name"], "PIMMS Lyon-Vaise");
    assert_eq!(r.data()["renewContract"]["warnings"], json!([]));

    // Catching up: a six-week training course toward the titre professionnel.
    let c = s + Months::new(13);
    let r = app
        .as_user(&t.director, None, ENTRY, json!({"i": {"employeeId": employee, "kind": "TRAINING",
            "title": "Titre professionnel MSADS, bloc 2", "provider": "GRETA", "startsOn": ds(c), "endsOn": ds(c + Days::new(41)), "hours": 140.0}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let r = app
        .as_user(&t.director, None,
            "mutation($i: RecordQualificationInput!) { recordQualification(input: $i) { qualification { title obtainedOn } } }",
            json!({"i": {"employeeId": employee, "title": "Titre professionnel médiateur social accès aux droits et services", "obtainedOn": ds(c + Days::new(60))}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);

    // The exit: resigned for a CDI at a partner firm (EDF).
    let exit_on = s + Months::new(18);
    let r = app
        .as_user(&t.director, None, EXIT, json!({"i": {"employeeId": employee, "exitOn": ds(exit_on),
            "reason": "RESIGNATION_FOR_JOB", "outcome": "LASTING_JOB", "employerSector": "PUBLIC_SERVICE_FIRM",
            "employerPartnerId": gid("PartnerOrganisation", edf)}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let x = &r.data()["recordEmployeeExit"]["exit"];
    assert_eq!(x["positive"], true);
    assert!(
        x["employerPartner"]["name"]
            .as_str()
            .unwrap()
            .starts_with("EDF")
    );
    assert_eq!(x["followUpDueOn"], ds(exit_on + Months::new(6)));
    let exit_id = x["id"].as_str().unwrap().to_owned();
    // The running contract ended with the exit; the ledger stops there, caught up.
    let r = app
        .as_user(&t.director, None, "query($id: ID!) { node(id: $id) { ... on Employee { contracts { endedOn endReason } ledger { behind months { month } } exit { outcome } } } }", json!({"id": employee}))
        .await;
    let n = &r.data()["node"];
    assert_eq!(n["contracts"][1]["endedOn"], ds(exit_on));
    assert_eq!(n["ledger"]["behind"], false, "{n}");
    assert_eq!(
        n["ledger"]["months"].as_array().unwrap().last().unwrap()["month"],
        ds(first_of_month(exit_on))
    );

    // A follow-up before six months is refused and changes nothing.
    let r = app
        .as_user(
            &t.director,
            None,
            FOLLOW_UP,
            json!({"i": {"exitId": exit_id,
            "followedUpOn": ds(exit_on + Months::new(5)), "outcome": "LASTING_JOB"}}),
        )
        .await;
    assert_eq!(r.code(), Some("VALIDATION"));
    assert_eq!(r.body["errors"][0]["extensions"]["field"], "followedUpOn");
    assert_eq!(
        app.count(&format!("select count(*) from employee_exits where tenant_id = '{}' and followed_up_on is not null", t.id)).await,
        0
    );
    let r = app
        .as_user(
            &t.director,
            None,
            FOLLOW_UP,
            json!({"i": {"exitId": exit_id,
            "followedUpOn": ds(exit_on + Months::new(6)), "outcome": "LASTING_JOB"}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    assert_eq!(
        r.data()["recordExitFollowUp"]["exit"]["followUpOutcome"],
        "LASTING_JOB"
    );

    // The employee still reads their own ledger after leaving.
    let r = app
        .as_user(
            &t.mediator,
            None,
            "{ myEmployeeRecord { exit { outcome } ledger { doneHours } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r.data()["myEmployeeRecord"]["exit"]["outcome"],
        "LASTING_JOB"
    );
    assert_eq!(r.data()["myEmployeeRecord"]["ledger"]["doneHours"], 236.0);

    // The association's own figures are exact.
    let year = exit_on.year();
    let r = app
        .as_user(&t.director, None, "query($y: Int) { hrOverview(year: $y) { suppressed network { exits { value text } positiveExits { value } positiveExitRate lastingJobRate followedUp { value } lastingJobRateAtSixMonths } } }", json!({"y": year}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let f = &r.data()["hrOverview"]["network"];
    assert_eq!(r.data()["hrOverview"]["suppressed"], false);
    assert_eq!(f["exits"]["value"], 1);
    assert_eq!(f["positiveExitRate"], 1.0);
    assert_eq!(f["lastingJobRateAtSixMonths"], 1.0);

    // The union: aggregates, one exit reads "<5" and its rates are withheld; never a name.
    let auditor = app.union_user("auditor").await;
    let q = "query($y: Int!) { hrNetworkStatistics(year: $y) { suppressed network { exits { text } } \
        regions { code name figures { exits { text } } } \
        associations { tenant { id } name figures { employed { value text } exits { value text } positiveExits { text } positiveExitRate lastingJobRate followedUp { text } } } } \
        hrNetworkExitRates(fromYear: $y, toYear: $y) { year figures { exits { text } } } }";
    let r = app.as_user(&auditor, None, q, json!({"y": year})).await;
    assert!(r.ok(), "{:?}", r.body);
    let st = &r.data()["hrNetworkStatistics"];
    assert_eq!(st["suppressed"], true);
    let mine = st["associations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["tenant"]["id"] == t.gid().as_str())
        .expect("the association has its figures");
    assert_eq!(mine["figures"]["exits"]["text"], "<5");
    assert_eq!(mine["figures"]["exits"]["value"], Value::Null);
    assert_eq!(mine["figures"]["positiveExitRate"], Value::Null);
    assert!(
        st["regions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "84"),
        "Lyon is in Auvergne-Rhône-Alpes: {st}"
    );
    assert_eq!(r.data()["hrNetworkExitRates"][0]["year"], year);
    let body = r.body.to_string();
    for secret in ["Samira", "Benali", "Karim", "AR-69-2024-117", &employee] {
        assert!(!body.contains(secret), "the union saw {secret}");
    }
    // ... and reads no record.
    let r = app
        .as_user(&auditor, None, LEDGER, json!({"id": employee}))
        .await;
    assert_eq!(r.data()["node"], Value::Null);
    let r = app
        .as_user(
            &auditor,
            None,
            "{ employees { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    // Partners: nothing of this domain, not even the aggregates.
    let (_, agent) = app.partner("La Poste", "postal").await;
    let r = app.as_user(&agent, None, q, json!({"y": year})).await;
    assert_eq!(r.code(), Some("FORBIDDEN"), "{:?}", r.body);
}

#[tokio::test]
async fn bad_input_is_refused_with_its_field_and_records_nothing() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let site = site(&app, &t, "PIMMS Valdegour").await;
    let s = first_of_month(today() - Months::new(6));
    let tables = [
        "employees",
        "employment_contracts",
        "subsidies",
        "training_entries",
        "employee_exits",
    ];
    let before = {
        let mut v = Vec::new();
        for table in tables {
            v.push(count(&app, table, &t).await);
        }
        v
    };
    let refused = |r: &testkit::gql::Reply, field: &str| {
        assert_eq!(r.code(), Some("VALIDATION"), "{:?}", r.body);
        assert_eq!(
            r.body["errors"][0]["extensions"]["field"], field,
            "{:?}",
            r.body
        );
        assert!(
            !r.body["errors"][0]["extensions"]["reason"]
                .as_str()
                .unwrap()
                .is_empty()
        );
    };
    // A contract ending before it starts.
    let r = app
        .as_user(
            &t.director,
            None,
            HIRE,
            json!({"i": {"fullName": "Lina Moreau", "birthYear": 1999, "sex": "FEMALE",
            "contract": contract("ADULTE_RELAIS", s, Some(s - Days::new(1)), &site)}}),
        )
        .await;
    refused(&r, "contract.plannedEndOn");
    // A subsidy ending before it starts.
    let r = app
        .as_user(&t.director, None, HIRE, json!({"i": {"fullName": "Lina Moreau", "birthYear": 1999, "sex": "FEMALE",
            "contract": contract("ADULTE_RELAIS", s, Some(s + Months::new(12)), &site),
            "subsidy": {"programme": "ADULTE_RELAIS", "funder": "STATE", "startsOn": ds(s), "endsOn": ds(s - Days::new(3)), "amountCents": 100}}}))
        .await;
    refused(&r, "subsidy.endsOn");
    let mut after = Vec::new();
    for table in tables {
        after.push(count(&app, table, &t).await);
    }
    assert_eq!(before, after, "nothing recorded");

    let h = hire(
        &app,
        &t,
        json!({"fullName": "Lina Moreau", "birthYear": 1999, "sex": "FEMALE",
        "contract": contract("ADULTE_RELAIS", s, Some(s + Months::new(12)), &site)}),
    )
    .await;
    let employee = h["employee"]["id"].as_str().unwrap().to_owned();
    let entries = count(&app, "training_entries", &t).await;
    // More hours than the contract's over those dates (one week: 35 hours).
    let r = app
        .as_user(&t.director, None, ENTRY, json!({"i": {"employeeId": employee, "kind": "TRAINING",
            "title": "Formation accueil", "startsOn": ds(s), "endsOn": ds(s + Days::new(6)), "hours": 36.0}}))
        .await;
    refused(&r, "hours");
    // Dates outside any contract.
    let r = app
        .as_user(&t.director, None, ENTRY, json!({"i": {"employeeId": employee, "kind": "TRAINING",
            "title": "Formation accueil", "startsOn": ds(s - Days::new(30)), "endsOn": ds(s - Days::new(25)), "hours": 3.0}}))
        .await;
    refused(&r, "startsOn");
    // An end before its start.
    let r = app
        .as_user(&t.director, None, ENTRY, json!({"i": {"employeeId": employee, "kind": "TRAINING",
            "title": "Formation accueil", "startsOn": ds(s + Days::new(6)), "endsOn": ds(s), "hours": 3.0}}))
        .await;
    refused(&r, "endsOn");
    assert_eq!(count(&app, "training_entries", &t).await, entries);
    // An exit before the contract's start.
    let r = app
        .as_user(
            &t.director,
            None,
            EXIT,
            json!({"i": {"employeeId": employee, "exitOn": ds(s - Days::new(1)),
            "reason": "END_OF_CONTRACT", "outcome": "JOB_SEARCH"}}),
        )
        .await;
    refused(&r, "exitOn");
    assert_eq!(count(&app, "employee_exits", &t).await, 0);
    // An early end before the start.
    let r = app
        .as_user(&t.director, None,
            "mutation($i: EndContractEarlyInput!) { endContractEarly(input: $i) { contract { endedOn } } }",
            json!({"i": {"contractId": h["contract"]["id"], "endedOn": ds(s - Days::new(1)), "reason": "Rupture en période d'essai"}}))
        .await;
    refused(&r, "endedOn");
    assert_eq!(
        app.count(&format!("select count(*) from employment_contracts where tenant_id = '{}' and ended_on is not null", t.id)).await,
        0
    );
    // Only HR managers write.
    let r = app
        .as_user(
            &t.coordinator,
            None,
            HIRE,
            json!({"i": {"fullName": "Lina Moreau", "birthYear": 1999, "sex": "FEMALE",
            "contract": contract("CDD", s, Some(s + Months::new(12)), &site)}}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn the_calendar_warns_of_ends_and_renewals_and_short_pathways_warn() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let site = site(&app, &t, "PIMMS Pissevin").await;
    let start = today() - Months::new(10);
    let end = today() + Days::new(30);
    let h = hire(&app, &t, json!({"fullName": "Yanis Perrin", "birthYear": 2001, "sex": "MALE",
        "contract": contract("PEC", start, Some(end), &site),
        "subsidy": {"programme": "PEC", "funder": "FRANCE_TRAVAIL", "startsOn": ds(start), "endsOn": ds(end),
                    "ratePercent": 60.0, "renewalDeadline": ds(today() + Days::new(10))}})).await;
    let contract_id = h["contract"]["id"].as_str().unwrap().to_owned();
    // A four-month pathway is recorded, with a warning.
    let short = hire(
        &app,
        &t,
        json!({"fullName": "Inès Garnier", "birthYear": 1990, "sex": "FEMALE",
        "contract": contract("CDD", today(), Some(today() + Months::new(4)), &site)}),
    )
    .await;
    assert_eq!(short["warnings"][0]["code"], "PATHWAY_TOO_SHORT");
    assert_eq!(short["warnings"][0]["field"], "plannedEndOn");
    // A CDI has no end: no deadline, no warning.
    let cdi = hire(
        &app,
        &t,
        json!({"fullName": "Paul Leroy", "birthYear": 1980, "sex": "MALE",
        "contract": contract("CDI", today() - Months::new(40), None, &site)}),
    )
    .await;
    assert_eq!(cdi["warnings"], json!([]));

    let q = "{ hrCalendar { on kind label employee { fullName } contract { id } } }";
    let r = app.as_user(&t.director, None, q, json!({})).await;
    assert!(r.ok(), "{:?}", r.body);
    let items: Vec<(String, String)> = r.data()["hrCalendar"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["contract"]["id"] == contract_id.as_str())
        .map(|d| {
            (
                d["on"].as_str().unwrap().to_owned(),
                d["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        items,
        vec![
            (ds(today() + Days::new(10)), "SUBSIDY_RENEWAL".to_owned()),
            (ds(end), "CONTRACT_END".to_owned()),
            (ds(end), "SUBSIDY_END".to_owned()),
        ]
    );
    // The short contract ends beyond 60 days.
    let r = app
        .as_user(
            &t.director,
            None,
            "{ hrCalendar(withinDays: 200) { employee { fullName } } }",
            json!({}),
        )
        .await;
    assert!(r.body.to_string().contains("Inès Garnier"));
    // Once renewed, a contract's end is no longer a deadline.
    let r = app
        .as_user(&t.director, None,
            "mutation($i: RenewContractInput!) { renewContract(input: $i) { contract { startsOn } } }",
            json!({"i": {"contractId": contract_id, "plannedEndOn": ds(end + Months::new(12))}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let r = app.as_user(&t.director, None, q, json!({})).await;
    assert!(
        !r.data()["hrCalendar"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["kind"] == "CONTRACT_END" && d["contract"]["id"] == contract_id.as_str())
    );
    // Mediators have no calendar.
    let r = app.as_user(&t.mediator, None, q, json!({})).await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn records_are_reduced_to_statistics_five_years_after_the_exit() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let site = site(&app, &t, "PIMMS Nîmes Valdegour").await;
    // One who left six years ago, one who left last year.
    let mut ids = Vec::new();
    for (name, start, exit) in [
        (
            "Nadia Ancienne",
            today() - Months::new(80),
            today() - Months::new(72),
        ),
        (
            "Omar Récent",
            today() - Months::new(20),
            today() - Months::new(12),
        ),
    ] {
        let h = hire(&app, &t, json!({"fullName": name, "membershipId": null, "birthYear": 1985, "sex": "FEMALE",
            "contract": contract("ADULTE_RELAIS", start, Some(exit), &site),
            "subsidy": {"programme": "ADULTE_RELAIS", "funder": "STATE", "agreementReference": format!("REF-{name}"),
                        "startsOn": ds(start), "endsOn": ds(exit), "amountCents": 1000}})).await;
        let id = h["employee"]["id"].as_str().unwrap().to_owned();
        let r = app
            .as_user(&t.director, None, ENTRY, json!({"i": {"employeeId": id, "kind": "TRAINING",
                "title": format!("Formation de {name}"), "provider": "AFPA", "startsOn": ds(start + Days::new(7)),
                "endsOn": ds(start + Days::new(13)), "hours": 12.0}}))
            .await;
        assert!(r.ok(), "{:?}", r.body);
        let r = app
            .as_user(
                &t.director,
                None,
                EXIT,
                json!({"i": {"employeeId": id, "exitOn": ds(exit),
                "reason": "END_OF_CONTRACT", "outcome": "OTHER_JOB"}}),
            )
            .await;
        assert!(r.ok(), "{:?}", r.body);
        ids.push(id);
    }
    let db = app.db.app().await;
    let done = pathways::Pathways::new(db.clone())
        .anonymise_expired()
        .await
        .unwrap();
    assert!(done.employees >= 1);
    // A second run finds nothing more of this association to reduce.
    pathways::Pathways::new(db.clone())
        .anonymise_expired()
        .await
        .unwrap();
    db.close().await;

    let q = "query($id: ID!) { node(id: $id) { ... on Employee { fullName anonymised birthYear sex \
        trainingEntries { title provider hours } contracts { kind subsidies { agreementReference amountCents } } exit { outcome } } } }";
    let r = app
        .as_user(&t.director, None, q, json!({"id": ids[0]}))
        .await;
    let old = &r.data()["node"];
    assert_eq!(old["anonymised"], true, "{:?}", r.body);
    assert_eq!(old["fullName"], Value::Null);
    assert_eq!(old["trainingEntries"][0]["title"], Value::Null);
    assert_eq!(old["trainingEntries"][0]["provider"], Value::Null);
    assert_eq!(
        old["contracts"][0]["subsidies"][0]["agreementReference"],
        Value::Null
    );
    // The statistics fields stay.
    assert_eq!(old["birthYear"], 1985);
    assert_eq!(old["sex"], "FEMALE");
    assert_eq!(old["trainingEntries"][0]["hours"], 12.0);
    assert_eq!(old["contracts"][0]["subsidies"][0]["amountCents"], 1000);
    assert_eq!(old["exit"]["outcome"], "OTHER_JOB");
    // The recent one is whole.
    let r = app
        .as_user(&t.director, None, q, json!({"id": ids[1]}))
        .await;
    let recent = &r.data()["node"];
    assert_eq!(recent["fullName"], "Omar Récent");
    assert_eq!(recent["anonymised"], false);
    assert_eq!(
        recent["trainingEntries"][0]["title"],
        "Formation de Omar Récent"
    );
    // Nothing more is added to a reduced record.
    let r = app
        .as_user(&t.director, None, "mutation($i: RecordQualificationInput!) { recordQualification(input: $i) { qualification { title } } }",
            json!({"i": {"employeeId": ids[0], "title": "CQP", "obtainedOn": ds(today())}}))
        .await;
    assert_eq!(r.code(), Some("VALIDATION"));
    assert_eq!(
        app.count(&format!("select count(*) from employees where tenant_id = '{}' and anonymised_at is not null and (full_name is not null or user_id is not null)", t.id)).await,
        0
    );
}
