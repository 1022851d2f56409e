//! Residents' rights through the API (issue 16, sections 2 and 4): the access export
//! (JSON and a French document), rectification with history, erasure by
//! anonymisation proven by a canary written into every personal field a beneficiary
//! has and searched for in every text column of the catalog, consent per recipient
//! in the partner read-back, and consent withdrawal stopping read-back and named
//! attendance from that moment.

use crate::journal::site_of;
use crate::support::*;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use testkit::{TestTenant, TestUser};
use uuid::Uuid;

const CREATE: &str = "mutation($i: CreateBeneficiaryInput!) { createBeneficiary(input: $i) { beneficiary { id pseudonym } consent { id recipient } } }";
const RECORD: &str = "mutation($i: RecordVisitInput!) { recordVisit(input: $i) { visit { id } } }";
const READ_BACK: &str = "query($f: NaiveDate!, $t: NaiveDate!) { partnerReadBack(from: $f, to: $t) { counts { theme requests requestsText } requests { id pseudonym day outcome referredTo consentId } } }";

fn today() -> chrono::NaiveDate {
    kernel::time::today()
}

fn consent(purpose: &str, partner: Option<&str>, given_days_ago: u64) -> Value {
    let given = today() - chrono::Days::new(given_days_ago);
    json!({"purpose": purpose, "recipientPartnerId": partner, "givenOn": given.to_string(),
           "channel": "WRITTEN", "expiresOn": (given + chrono::Days::new(365)).to_string()})
}

async fn beneficiary(app: &TestApp, u: &TestUser, input: Value) -> String {
    let r = app.as_user(u, None, CREATE, json!({ "i": input })).await;
    assert!(r.ok(), "{:?}", r.body);
    r.data()["createBeneficiary"]["beneficiary"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn visit(site: &str, ben: Option<&str>, partner: &str, at: chrono::DateTime<chrono::Utc>) -> Value {
    json!({
        "siteId": site, "occurredAt": at.to_rfc3339(), "channel": "ON_SITE", "durationMinutes": 20,
        "ageBand": "FROM_41_TO_60", "beneficiaryId": ben,
        "requests": [{"theme": "energy", "kind": "PARTNER", "partnerId": partner, "outcome": "MEDIATED",
                      "referredTo": "Service clients"}]
    })
}

async fn record(app: &TestApp, u: &TestUser, v: Value, note: Option<&str>) -> String {
    let r = app
        .as_user(
            u,
            None,
            RECORD,
            json!({"i": {"clientKey": Uuid::now_v7().to_string(), "visit": v, "note": note}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    r.data()["recordVisit"]["visit"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn gid(t: &str, id: Uuid) -> String {
    kernel::gid::encode(t, id)
}

fn uuid_of(gid: &str) -> Uuid {
    kernel::gid::decode(gid).unwrap().1
}

async fn admin_exec(app: &TestApp, sql: &str) {
    let admin = app.db.admin().await;
    admin.execute_unprepared(sql).await.unwrap();
    let _ = admin.close().await;
}

/// Every (schema, table, column) of the catalog whose values can hold text.
async fn text_columns(app: &TestApp) -> Vec<(String, String, String)> {
    let admin = app.db.admin().await;
    let rows = admin
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "select c.table_schema::text, c.table_name::text, c.column_name::text \
             from information_schema.columns c join information_schema.tables t \
               on t.table_schema = c.table_schema and t.table_name = c.table_name \
             where c.table_schema not in ('pg_catalog', 'information_schema') \
               and c.table_schema not like 'pg_toast%' and t.table_type = 'BASE TABLE' \
               and (c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED', 'bytea')) \
             order by 1, 2, 3"
                .to_owned(),
        ))
        .await
        .unwrap();
    let _ = admin.close().await;
    rows.iter()
        .map(|r| {
            (
                r.try_get_by_index::<String>(0).unwrap(),
                r.try_get_by_index::<String>(1).unwrap(),
                r.try_get_by_index::<String>(2).unwrap(),
            )
        })
        .collect()
}

/// Where `needle` occurs in the database (as the superuser: no row is hidden):
/// "schema.table.column (n)" for each column holding it.
async fn occurrences(
    app: &TestApp,
    cols: &[(String, String, String)],
    needle: &str,
) -> Vec<String> {
    let admin = app.db.admin().await;
    let mut found = Vec::new();
    for (s, t, c) in cols {
        let row = admin
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("select count(*) from \"{s}\".\"{t}\" where position('{needle}' in \"{c}\"::text) > 0"),
            ))
            .await
            .unwrap()
            .unwrap();
        let n: i64 = row.try_get_by_index(0).unwrap();
        if n > 0 {
            found.push(format!("{s}.{t}.{c} ({n})"));
        }
    }
    let _ = admin.close().await;
    found
}

/// Totals the rollups and the anonymous statistics hold for an association.
async fn totals(app: &TestApp, t: Uuid) -> Vec<i64> {
    let mut out = Vec::new();
    for sql in [
        "select coalesce(sum(visits), 0)::bigint from visit_daily where tenant_id = '{t}'",
        "select coalesce(sum(requests), 0)::bigint from request_daily where tenant_id = '{t}'",
        "select coalesce(sum(attendees), 0)::bigint from workshop_daily where tenant_id = '{t}'",
        "select coalesce(sum(count), 0)::bigint from agreement_activity_monthly where tenant_id = '{t}'",
        "select count(*) from visits where tenant_id = '{t}'",
        // The visits' statistics as counted: their own fields, else their person's.
        "select count(*) from visits v left join beneficiaries b on b.tenant_id = v.tenant_id and b.id = v.beneficiary_id \
         where v.tenant_id = '{t}' and coalesce(v.age_band, b.age_band) = '41_60'",
        "select count(*) from visits v left join beneficiaries b on b.tenant_id = v.tenant_id and b.id = v.beneficiary_id \
         where v.tenant_id = '{t}' and coalesce(v.sex, b.sex) = 'female'",
        "select count(*) from beneficiaries where tenant_id = '{t}'",
        "select coalesce(sum(attendees), 0)::bigint from workshops where tenant_id = '{t}'",
    ] {
        out.push(app.count(&sql.replace("{t}", &t.to_string())).await);
    }
    out
}

#[tokio::test]
async fn erasure_leaves_no_canary_anywhere_and_keeps_the_figures() {
    let app = spawn_app().await;
    let t: TestTenant = app.tenant().await;
    testkit::fixtures::populate(app.db, &t).await;
    let p = testkit::fixtures::populate_partner(app.db, &app.issuer.url, &t).await;
    let site = site_of(&app, &t).await;
    let partner = gid("PartnerOrganisation", p.id);
    let canary = format!("CANARY{}", Uuid::now_v7().simple());
    let phone = format!("+33 7 {}", &Uuid::now_v7().as_u128().to_string()[..10]);
    // Every personal field of a beneficiary, written through the API where the API
    // writes it.
    let ben = beneficiary(
        &app,
        &t.mediator,
        json!({"ageBand": "FROM_26_TO_40", "sex": "FEMALE", "neighbourhood": format!("{canary} quartier"),
               "consent": consent(&format!("{canary} suivi"), Some(&partner), 3)}),
    )
    .await;
    let b = uuid_of(&ben);
    let r = app
        .as_user(&t.mediator, None, "mutation($i: AddConsentInput!) { addConsent(input: $i) { consent { id } } }",
            json!({"i": {"beneficiaryId": ben, "consent": consent(&format!("{canary} second"), None, 1)}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let r = app
        .as_user(&t.mediator, None, "mutation($i: RectifyBeneficiaryInput!) { rectifyBeneficiary(input: $i) { beneficiary { revision } } }",
            json!({"i": {"beneficiaryId": ben, "ageBand": "FROM_26_TO_40", "sex": "FEMALE",
                         "neighbourhood": format!("{canary} rectifié"), "reason": format!("{canary} motif")}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let mut v = visit(
        &site,
        Some(&ben),
        &partner,
        chrono::Utc::now() - chrono::Duration::hours(2),
    );
    v["neighbourhood"] = json!(format!("{canary} visite"));
    v["requests"][0]["referredTo"] = json!(format!("{canary} orienté"));
    let visit_id = record(
        &app,
        &t.mediator,
        v.clone(),
        Some(&format!("{canary} note")),
    )
    .await;
    // An amendment keeps the previous state in the history, with its reason.
    v["durationMinutes"] = json!(30);
    let r = app
        .as_user(&t.mediator, None, "mutation($i: AmendVisitInput!) { amendVisit(input: $i) { visit { revision } } }",
            json!({"i": {"visitId": visit_id, "visit": v, "reason": format!("{canary} correction")}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    // Named attendance at a workshop.
    let r = app
        .as_user(&t.mediator, None, "mutation($i: RecordWorkshopInput!) { recordWorkshop(input: $i) { workshop { id } } }",
            json!({"i": {"clientKey": Uuid::now_v7().to_string(), "siteId": site, "theme": "digital",
                         "title": "Atelier numérique", "heldOn": today().to_string(), "durationMinutes": 90,
                         "attendees": 5, "namedAttendeeIds": [ben]}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    // The outreach case the person was reached through, linked to them, with an
    // attempt's note; its contact data set to the canary (the partner wrote it).
    let case = gid("OutreachCase", p.case);
    let r = app
        .as_user(
            &t.mediator,
            None,
            "mutation($i: LinkOutreachCaseInput!) { linkOutreachCase(input: $i) { linked } }",
            json!({"i": {"caseId": case, "beneficiaryId": ben}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let r = app
        .as_user(&t.mediator, None, "mutation($i: RecordOutreachAttemptInput!) { recordOutreachAttempt(input: $i) { attempt { note } } }",
            json!({"i": {"caseId": case, "channel": "PHONE", "result": "REACHED", "note": format!("{canary} tentative")}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    // What the API does not let anyone write: the pseudonym (generated), the
    // partner's contact data and the pre-migration free-text recipient.
    admin_exec(&app, &format!(
        "update beneficiaries set pseudonym = '{canary}-P' where tenant_id = '{tid}' and id = '{b}'; \
         update outreach_cases set customer_ref = '{canary}-REF', full_name = '{canary} nom', email = '{canary}@mail.test.example', \
           address = '{canary} rue', phone = '{phone}', report_details = null where tenant_id = '{tid}' and id = '{c}'; \
         insert into consents (tenant_id, id, beneficiary_id, purpose, recipient, given_on, channel, expires_on) \
           values ('{tid}', '{k}', '{b}', '{canary} ancien', '{canary} destinataire', current_date - 400, 'oral', current_date - 40)",
        tid = t.id, c = p.case, k = Uuid::now_v7()
    )).await;
    // Reads leave their (id-only) entries in the access log.
    let r = app
        .as_user(
            &t.director,
            None,
            "query($b: ID!) { beneficiaryExport(beneficiaryId: $b) { html json } }",
            json!({"b": ben}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    assert!(r.body.to_string().contains(&canary));
    let cols = text_columns(&app).await;
    assert!(cols.len() > 100, "{}", cols.len());
    let before = occurrences(&app, &cols, &canary).await;
    for residue in [
        "beneficiaries.pseudonym",
        "beneficiaries.neighbourhood",
        "consents.purpose",
        "consents.recipient",
        "beneficiary_revisions.previous",
        "beneficiary_revisions.reason",
        "visits.neighbourhood",
        "visit_notes.body",
        "visit_requests.referred_to",
        "visit_revisions.previous",
        "visit_revisions.reason",
        "outreach_cases.full_name",
        "outreach_cases.email",
        "outreach_cases.address",
        "outreach_cases.customer_ref",
        "outreach_attempts.note",
    ] {
        assert!(
            before.iter().any(|f| f.contains(residue)),
            "the canary should be in {residue} before: {before:?}"
        );
    }
    let figures = totals(&app, t.id).await;

    // A mediator may not erase; the director may.
    let erase = "mutation($i: EraseBeneficiaryInput!) { eraseBeneficiary(input: $i) { erased { visits notes consents workshopAttendance corrections outreachCases } } }";
    let r = app
        .as_user(
            &t.mediator,
            None,
            erase,
            json!({"i": {"beneficiaryId": ben}}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"), "{:?}", r.body);
    let r = app
        .as_user(
            &t.director,
            None,
            erase,
            json!({"i": {"beneficiaryId": ben}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let e = &r.data()["eraseBeneficiary"]["erased"];
    assert_eq!(
        (
            &e["visits"],
            &e["notes"],
            &e["consents"],
            &e["workshopAttendance"],
            &e["corrections"],
            &e["outreachCases"]
        ),
        (
            &json!(1),
            &json!(1),
            &json!(3),
            &json!(1),
            &json!(1),
            &json!(1)
        ),
        "{e}"
    );

    // Not one occurrence left, in any table the catalog knows.
    let after = occurrences(&app, &text_columns(&app).await, &canary).await;
    assert_eq!(after, Vec::<String>::new(), "canary residues after erasure");
    let after = occurrences(&app, &cols, &phone).await;
    assert_eq!(after, Vec::<String>::new(), "phone residues after erasure");
    // The figures did not move: rollups, visits with their anonymous fields (age band
    // and sex taken over from the person), people counted, workshops' headcounts.
    assert_eq!(totals(&app, t.id).await, figures);
    assert_eq!(
        app.count(&format!("select count(*) from visits where tenant_id = '{}' and id = '{}' and beneficiary_id is null and age_band = '41_60' and sex = 'female' and neighbourhood is null", t.id, uuid_of(&visit_id))).await,
        1
    );
    assert_eq!(
        app.count(&format!("select count(*) from beneficiaries where tenant_id = '{}' and id = '{b}' and pseudonym is null and anonymised_at is not null and age_band = '26_40'", t.id)).await,
        1
    );
    // The person is gone from the API; a second erasure finds nobody; the erasure
    // is in the association's access log.
    let r = app
        .as_user(
            &t.director,
            None,
            "query($b: ID!) { node(id: $b) { id } }",
            json!({"b": ben}),
        )
        .await;
    assert_eq!(r.data()["node"], Value::Null, "{:?}", r.body);
    let r = app
        .as_user(
            &t.director,
            None,
            erase,
            json!({"i": {"beneficiaryId": ben}}),
        )
        .await;
    assert_eq!(r.code(), Some("NOT_FOUND"), "{:?}", r.body);
    assert_eq!(
        app.count(&format!("select count(*) from access_log where tenant_id = '{}' and kind = 'mutation' and operation = 'eraseBeneficiary' and object_id = '{b}' and outcome = 'ok' and user_id = '{}'", t.id, t.director.id)).await,
        1
    );
}

#[tokio::test]
async fn the_access_export_is_json_and_a_french_document_for_leads_only() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    testkit::fixtures::populate(app.db, &t).await;
    let (pid, _) = app
        .partner(&format!("Eau Export {}", testkit::suffix()), "water")
        .await;
    let site = site_of(&app, &t).await;
    let partner = gid("PartnerOrganisation", pid);
    let ben = beneficiary(
        &app,
        &t.mediator,
        json!({"ageBand": "OVER_75", "sex": "MALE", "neighbourhood": "Les <Minguettes>",
               "consent": consent("Suivi d'un dossier d'eau", Some(&partner), 2)}),
    )
    .await;
    record(
        &app,
        &t.mediator,
        visit(
            &site,
            Some(&ben),
            &partner,
            chrono::Utc::now() - chrono::Duration::hours(1),
        ),
        Some("A rappeler lundi"),
    )
    .await;
    let q = "query($b: ID!) { beneficiaryExport(beneficiaryId: $b) { beneficiaryId fileName json html } }";
    for who in [&t.mediator, &t.viewer] {
        let r = app.as_user(who, None, q, json!({"b": ben})).await;
        assert_eq!(r.code(), Some("FORBIDDEN"), "{:?}", r.body);
    }
    for who in [&t.director, &t.coordinator] {
        let r = app.as_user(who, None, q, json!({"b": ben})).await;
        assert!(r.ok(), "{:?}", r.body);
        let x = &r.data()["beneficiaryExport"];
        let j = &x["json"];
        assert_eq!(j["beneficiary"]["ageBand"], "over_75");
        assert!(
            j["consents"][0]["recipient"]
                .as_str()
                .unwrap()
                .starts_with("Eau Export")
        );
        assert_eq!(j["visits"][0]["notes"][0]["body"], "A rappeler lundi");
        assert_eq!(j["visits"][0]["requests"][0]["outcome"], "mediated");
        let html = x["html"].as_str().unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(html.contains("<html lang=\"fr\">"));
        assert!(
            html.contains("Plus de 75 ans") && html.contains("Homme"),
            "{html}"
        );
        assert!(html.contains("Les &lt;Minguettes&gt;") && !html.contains("<Minguettes>"));
        assert!(html.contains("Médiation avec l'organisme") && html.contains("A rappeler lundi"));
        assert!(x["fileName"].as_str().unwrap().ends_with(".html"));
        // Logged as a read of the beneficiary's data by that person.
        assert!(
            app.count(&format!("select count(*) from access_log where tenant_id = '{}' and kind = 'read' and operation = 'beneficiaryExport' and object_type = 'Beneficiary' and object_id = '{}' and user_id = '{}'", t.id, uuid_of(&ben), who.id)).await >= 1
        );
    }
    // Another association's beneficiary is not found.
    let other = app.tenant().await;
    let r = app
        .as_user(&other.director, None, q, json!({"b": ben}))
        .await;
    assert_eq!(r.code(), Some("NOT_FOUND"), "{:?}", r.body);
}

#[tokio::test]
async fn rectification_keeps_the_previous_identity() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let ben = beneficiary(
        &app,
        &t.mediator,
        json!({"ageBand": "FROM_18_TO_25", "neighbourhood": "Pissevin", "consent": consent("Suivi", None, 0)}),
    )
    .await;
    let m = "mutation($i: RectifyBeneficiaryInput!) { rectifyBeneficiary(input: $i) { beneficiary { revision ageBand sex neighbourhood revisions { revision previousAgeBand previousSex previousNeighbourhood reason } } } }";
    let r = app
        .as_user(
            &t.mediator,
            None,
            m,
            json!({"i": {"beneficiaryId": ben, "ageBand": "FROM_26_TO_40", "sex": "FEMALE",
            "neighbourhood": "Valdegour", "reason": "Erreur de saisie"}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let b = &r.data()["rectifyBeneficiary"]["beneficiary"];
    assert_eq!(
        (
            &b["revision"],
            &b["ageBand"],
            &b["sex"],
            &b["neighbourhood"]
        ),
        (
            &json!(2),
            &json!("FROM_26_TO_40"),
            &json!("FEMALE"),
            &json!("Valdegour")
        )
    );
    assert_eq!(
        b["revisions"],
        json!([{"revision": 1, "previousAgeBand": "FROM_18_TO_25", "previousSex": null, "previousNeighbourhood": "Pissevin", "reason": "Erreur de saisie"}])
    );
    // A reason is required; a viewer cannot rectify.
    let r = app
        .as_user(
            &t.mediator,
            None,
            m,
            json!({"i": {"beneficiaryId": ben, "reason": " "}}),
        )
        .await;
    assert_eq!(r.code(), Some("VALIDATION"), "{:?}", r.body);
    let r = app
        .as_user(
            &t.viewer,
            None,
            m,
            json!({"i": {"beneficiaryId": ben, "reason": "Autre erreur"}}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"), "{:?}", r.body);
}

#[tokio::test]
async fn a_partner_reads_back_details_only_under_a_consent_naming_it_valid_that_day() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    testkit::fixtures::populate(app.db, &t).await;
    let s = testkit::suffix();
    let (p1, p1_user) = app.partner(&format!("Energie Retour {s}"), "energy").await;
    let (p2, p2_user) = app.partner(&format!("Eau Retour {s}"), "water").await;
    let (g1, g2) = (
        gid("PartnerOrganisation", p1),
        gid("PartnerOrganisation", p2),
    );
    let site = site_of(&app, &t).await;
    let now = chrono::Utc::now() - chrono::Duration::minutes(30);
    // A consents to partner 1 (given 5 days ago), B to partner 2, C to the
    // association only; D's consent names partner 1 in the free text of before.
    let a = beneficiary(
        &app,
        &t.mediator,
        json!({"ageBand": "FROM_26_TO_40", "consent": consent("Dossier énergie", Some(&g1), 5)}),
    )
    .await;
    let b = beneficiary(
        &app,
        &t.mediator,
        json!({"consent": consent("Dossier eau", Some(&g2), 5)}),
    )
    .await;
    let c = beneficiary(
        &app,
        &t.mediator,
        json!({"consent": consent("Suivi", None, 5)}),
    )
    .await;
    let d = beneficiary(
        &app,
        &t.mediator,
        json!({"consent": consent("Suivi", None, 5)}),
    )
    .await;
    admin_exec(&app, &format!(
        "insert into consents (tenant_id, id, beneficiary_id, purpose, recipient, given_on, channel, expires_on) \
         values ('{}', '{}', '{}', 'Ancien', 'Energie Retour', current_date - 5, 'oral', current_date + 300)",
        t.id, Uuid::now_v7(), uuid_of(&d)
    )).await;
    // Requests handled for partner 1: one for each, two anonymous, and one for A
    // from before A's consent was given.
    for ben in [&a, &b, &c, &d] {
        record(&app, &t.mediator, visit(&site, Some(ben), &g1, now), None).await;
    }
    for _ in 0..2 {
        record(&app, &t.mediator, visit(&site, None, &g1, now), None).await;
    }
    record(
        &app,
        &t.mediator,
        visit(&site, Some(&a), &g1, now - chrono::Duration::days(8)),
        None,
    )
    .await;
    // B's request for partner 2.
    record(&app, &t.mediator, visit(&site, Some(&b), &g2, now), None).await;
    let vars =
        json!({"f": (today() - chrono::Days::new(20)).to_string(), "t": today().to_string()});

    let r = app.as_user(&p1_user, None, READ_BACK, vars.clone()).await;
    assert!(r.ok(), "{:?}", r.body);
    let rb = &r.data()["partnerReadBack"];
    // Seven requests; the earlier one of A may fall in last month's row, alone and
    // so hidden ("<5").
    use chrono::Datelike;
    let (m_now, m_before) = (
        kernel::time::paris_date(now),
        kernel::time::paris_date(now - chrono::Duration::days(8)),
    );
    let expected = if (m_now.year(), m_now.month()) == (m_before.year(), m_before.month()) {
        7
    } else {
        6
    };
    let total: i64 = rb["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["requests"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(total, expected, "{rb}");
    let details = rb["requests"].as_array().unwrap();
    assert_eq!(
        details.len(),
        1,
        "only A's request of the day, under A's consent: {rb}"
    );
    assert!(details[0]["pseudonym"].as_str().unwrap().starts_with("B-"));
    assert_eq!(details[0]["outcome"], "MEDIATED");
    assert_eq!(
        details[0]["day"],
        json!(kernel::time::paris_date(now).to_string())
    );
    // Partner 2 reads B's request, and none of partner 1's.
    let r = app.as_user(&p2_user, None, READ_BACK, vars.clone()).await;
    assert!(r.ok(), "{:?}", r.body);
    let details = r.data()["partnerReadBack"]["requests"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(details.len(), 1, "{:?}", r.body);
    // The detailed read is in the log (the union's chain: partners are outside the associations).
    assert!(
        app.count(&format!("select count(*) from access_log where kind = 'read' and operation = 'requests' and object_type = 'ReportedRequest' and user_id = '{}'", p1_user.id)).await >= 1
    );
    // Association staff are not partners.
    let r = app
        .as_user(&t.director, None, READ_BACK, vars.clone())
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"), "{:?}", r.body);

    // A withdraws: from that moment partner 1 reads counts only, and A can no longer
    // be named on an attendance sheet, even for an earlier workshop.
    let r = app
        .as_user(
            &t.director,
            None,
            "query($b: ID!) { node(id: $b) { ... on Beneficiary { consents { id } } } }",
            json!({"b": a}),
        )
        .await;
    let k = r.data()["node"]["consents"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ws = |held: chrono::NaiveDate| {
        json!({"i": {"clientKey": Uuid::now_v7().to_string(), "siteId": site, "theme": "digital",
        "title": "Atelier", "heldOn": held.to_string(), "durationMinutes": 60, "attendees": 4, "namedAttendeeIds": [a]}})
    };
    let record_ws =
        "mutation($i: RecordWorkshopInput!) { recordWorkshop(input: $i) { workshop { id } } }";
    let yesterday = today() - chrono::Days::new(1);
    let r = app
        .as_user(&t.mediator, None, record_ws, ws(yesterday))
        .await;
    assert!(r.ok(), "before the withdrawal: {:?}", r.body);
    let r = app
        .as_user(&t.mediator, None, "mutation($i: WithdrawConsentInput!) { withdrawConsent(input: $i) { consent { withdrawnOn active } } }", json!({"i": {"consentId": k}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let r = app.as_user(&p1_user, None, READ_BACK, vars.clone()).await;
    assert!(r.ok(), "{:?}", r.body);
    assert_eq!(
        r.data()["partnerReadBack"]["requests"],
        json!([]),
        "{:?}",
        r.body
    );
    let total: i64 = r.data()["partnerReadBack"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["requests"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(total, expected);
    let r = app
        .as_user(&t.mediator, None, record_ws, ws(yesterday))
        .await;
    assert_eq!(r.code(), Some("VALIDATION"), "{:?}", r.body);
}

#[tokio::test]
async fn a_consent_names_a_partner_organisation_not_free_text() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let r = app
        .as_user(&t.mediator, None, CREATE, json!({"i": {"consent": consent("Suivi", Some(&gid("PartnerOrganisation", Uuid::now_v7())), 0)}}))
        .await;
    assert_eq!(r.code(), Some("VALIDATION"), "{:?}", r.body);
    let (p, _) = app
        .partner(&format!("Poste Consent {}", testkit::suffix()), "postal")
        .await;
    let r = app
        .as_user(
            &t.mediator,
            None,
            CREATE,
            json!({"i": {"consent": consent("Suivi", Some(&gid("PartnerOrganisation", p)), 0)}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    assert!(
        r.data()["createBeneficiary"]["consent"]["recipient"]
            .as_str()
            .unwrap()
            .starts_with("Poste Consent")
    );
    let r = app
        .as_user(
            &t.mediator,
            None,
            CREATE,
            json!({"i": {"consent": consent("Suivi", None, 0)}}),
        )
        .await;
    assert_eq!(
        r.data()["createBeneficiary"]["consent"]["recipient"],
        "l'association seulement"
    );
    // A consent recorded before recipients were partners reads as its words.
    let ben = uuid_of(
        r.data()["createBeneficiary"]["beneficiary"]["id"]
            .as_str()
            .unwrap(),
    );
    admin_exec(&app, &format!(
        "insert into consents (tenant_id, id, beneficiary_id, purpose, recipient, given_on, channel, expires_on) \
         values ('{}', '{}', '{ben}', 'Ancien', 'La CAF et EDF', current_date - 5, 'oral', current_date + 300)",
        t.id, Uuid::now_v7()
    )).await;
    let r = app
        .as_user(&t.director, None, "query($b: ID!) { node(id: $b) { ... on Beneficiary { consents { recipient recipientPartner { id } } } } }", json!({"b": gid("Beneficiary", ben)}))
        .await;
    let recipients: Vec<&Value> = r.data()["node"]["consents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["recipient"])
        .collect();
    assert!(
        recipients.contains(&&json!("La CAF et EDF")),
        "{:?}",
        r.body
    );
}

#[tokio::test]
async fn erasure_keeps_a_neighbourhood_only_when_five_others_share_it() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    testkit::fixtures::populate(app.db, &t).await;
    let (pid, _) = app
        .partner(&format!("Gaz Quartier {}", testkit::suffix()), "energy")
        .await;
    let partner = gid("PartnerOrganisation", pid);
    let site = site_of(&app, &t).await;
    let at = chrono::Utc::now() - chrono::Duration::hours(1);
    // Five anonymous visits from Pissevin, one from Valdegour.
    for n in [
        "Pissevin",
        "pissevin ",
        "Pissevin",
        "PISSEVIN",
        "Pissevin",
        "Valdegour",
    ] {
        let mut v = visit(&site, None, &partner, at);
        v["neighbourhood"] = json!(n);
        record(&app, &t.mediator, v, None).await;
    }
    let common = beneficiary(
        &app,
        &t.mediator,
        json!({"sex": "MALE", "neighbourhood": "Pissevin", "consent": consent("Suivi", None, 0)}),
    )
    .await;
    let rare = beneficiary(
        &app,
        &t.mediator,
        json!({"sex": "MALE", "neighbourhood": "Valdegour", "consent": consent("Suivi", None, 0)}),
    )
    .await;
    let mut ids = Vec::new();
    for b in [&common, &rare] {
        ids.push(uuid_of(
            &record(&app, &t.mediator, visit(&site, Some(b), &partner, at), None).await,
        ));
        let r = app
            .as_user(&t.coordinator, None, "mutation($i: EraseBeneficiaryInput!) { eraseBeneficiary(input: $i) { erased { visits } } }", json!({"i": {"beneficiaryId": b}}))
            .await;
        assert!(r.ok(), "{:?}", r.body);
    }
    let nb = |id: Uuid, table: &str| {
        let sql = format!(
            "select count(*) from {table} where tenant_id = '{}' and id = '{id}' and neighbourhood = 'Pissevin'",
            t.id
        );
        let app = &app;
        async move { app.count(&sql).await }
    };
    assert_eq!(
        nb(uuid_of(&common), "beneficiaries").await,
        1,
        "shared by five: kept"
    );
    assert_eq!(
        nb(ids[0], "visits").await,
        1,
        "the visit takes the person's neighbourhood"
    );
    assert_eq!(
        app.count(&format!("select count(*) from beneficiaries where tenant_id = '{}' and id = '{}' and neighbourhood is null and sex = 'male'", t.id, uuid_of(&rare))).await,
        1,
        "shared by one: emptied; sex kept"
    );
    assert_eq!(
        app.count(&format!("select count(*) from visits where tenant_id = '{}' and id = '{}' and neighbourhood is null and sex = 'male'", t.id, ids[1])).await,
        1
    );
}
