//! Franchise compliance through the API, as real users would: the union admin
//! publishes a catalogue version and records a contract; an auditor opens a sampled
//! campaign; the director self-assesses with evidence uploaded and downloaded back;
//! the auditor reviews, scores (indicators pre-filled from the journal's rollups),
//! sends the draft; the director answers; the auditor finalises with a grade and an
//! action plan; the action goes overdue and is flagged; the admin's sanction shows on
//! a site's labels. Bad input along the way gets VALIDATION with its field and changes
//! nothing. On a database of its own: a sampled campaign draws from every association
//! of the database, and other tests' associations must not be drawn.

use crate::support::*;
use chrono::Days;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use testkit::gql::Reply;
use testkit::{Gql, Issuer, TestDb, TestTenant, TestUser};

pub(crate) async fn spawn_on(tdb: &'static TestDb) -> TestApp {
    spawn_with(tdb, |_| {}).await
}

/// The server on `tdb`, its settings changed by `more`.
pub(crate) async fn spawn_with(
    tdb: &'static TestDb,
    more: impl FnOnce(&mut std::collections::HashMap<String, String>),
) -> TestApp {
    let issuer = Arc::new(Issuer::start().await);
    let mut vars = base_config(tdb, &issuer.url);
    more(&mut vars);
    let config = server::Config::from_map(&vars).expect("test configuration");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = server::build(config).await.expect("build app");
    tokio::spawn(async move {
        let _ = server::serve(app, listener).await;
    });
    let base = format!("http://{addr}");
    TestApp {
        gql: Gql::new(&base),
        base,
        issuer,
        db: tdb,
    }
}

pub(crate) fn day(offset: i64) -> String {
    let t = kernel::time::today();
    let d = if offset >= 0 {
        t.checked_add_days(Days::new(offset as u64))
    } else {
        t.checked_sub_days(Days::new((-offset) as u64))
    };
    d.unwrap().to_string()
}

/// A connection's nodes.
pub(crate) fn nodes(v: &Value) -> Vec<Value> {
    v["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("a connection: {v}"))
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

pub(crate) fn ok<'a>(r: &'a Reply, field: &str) -> &'a Value {
    assert!(r.ok(), "{field}: {:?}", r.body);
    &r.data()[field]
}

pub(crate) fn validation(r: &Reply, field: &str) {
    assert_eq!(r.code(), Some("VALIDATION"), "{:?}", r.body);
    assert_eq!(
        r.body["errors"][0]["extensions"]["field"], field,
        "{:?}",
        r.body
    );
}

pub(crate) async fn as_union(app: &TestApp, u: &TestUser, q: &str, v: Value) -> Reply {
    app.as_user(u, None, q, v).await
}

pub(crate) async fn upload(
    app: &TestApp,
    u: &TestUser,
    tenant: Option<&str>,
    owner: &str,
    name: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut r = app
        .gql
        .http
        .post(format!("{}/compliance/evidence", app.base))
        .query(&[("ownerId", owner), ("fileName", name)])
        .bearer_auth(app.token(u))
        .body(body);
    if let Some(t) = tenant {
        r = r.header("x-passerelle-tenant", t);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

const ADD_CRITERION: &str = "mutation($i: AddCriterionInput!) { addCriterion(input: $i) { criterion { id code measure } } }";
const AUDIT: &str = "query($a: ID!) { complianceAudit(auditId: $a) { id status score grade replyDue: repliesDueOn \
    answers { id criterionId declaration evidence { id sha256 review } } \
    scores { criterionId result prefilledResult indicatorValue overrideReason } \
    indicators { indicator value threshold met unavailableReason } \
    findings { edges { node { id body outcome reply { body } } } } reports { kind summary grade } notes { body } \
    actions { edges { node { id title status overdue overdueSince } } } } }";

#[tokio::test]
async fn a_full_audit_cycle() {
    let tdb: &'static TestDb = Box::leak(Box::new(testkit::testdb::separate_db().await));
    let app = spawn_on(tdb).await;
    let t: TestTenant = app.tenant().await;
    let other: TestTenant = app.tenant().await;
    // Sites, hours and a journal (rollups, a workshop, a satisfaction answer) for t.
    testkit::fixtures::populate(app.db, &t).await;
    // The fixture's compliance rows (for the isolation suite) would be the previous
    // campaign here: this test starts the domain from nothing.
    app.count("with d1 as (delete from compliance_history returning 1), d2 as (delete from compliance_documents returning 1), \
        d3 as (delete from compliance_sanctions returning 1), d4 as (delete from compliance_actions returning 1), \
        d5 as (delete from compliance_notes returning 1), d6 as (delete from compliance_reports returning 1), \
        d7 as (delete from compliance_replies returning 1) select count(*) from d1").await;
    app.count("with d1 as (delete from compliance_findings returning 1), d2 as (delete from compliance_scores returning 1), \
        d3 as (delete from compliance_observations returning 1), d4 as (delete from compliance_answers returning 1), \
        d5 as (delete from compliance_amendments returning 1), d6 as (delete from compliance_signatories returning 1) select count(*) from d1").await;
    app.count("with d1 as (delete from compliance_audits returning 1), d2 as (delete from compliance_contracts returning 1) select count(*) from d1").await;
    app.count("with d1 as (delete from compliance_campaigns returning 1) select count(*) from d1")
        .await;
    app.count("with d1 as (delete from compliance_criteria returning 1) select count(*) from d1")
        .await;
    app.count("with d1 as (delete from compliance_principles returning 1) select count(*) from d1")
        .await;
    app.count("with d1 as (delete from compliance_catalogue_versions returning 1) select count(*) from d1").await;
    let admin = app.union_user("admin").await;
    let auditor = app.union_user("auditor").await;
    let other_auditor = app.union_user("auditor").await;
    let analyst = app.union_user("analyst").await;

    // --- The union admin writes and publishes a catalogue version. ---
    let r = as_union(&app, &admin, "mutation($i: CreateCatalogueVersionInput!) { createCatalogueVersion(input: $i) { version { id version status } } }",
        json!({"i": {"title": "Référentiel 2026"}})).await;
    let version = ok(&r, "createCatalogueVersion")["version"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Versions are addressed by their number, principles by their code.
    let vnum = r.data()["createCatalogueVersion"]["version"]["version"]
        .as_i64()
        .unwrap();
    let principle =
        |code: &str, label: &str| json!({"i": {"version": vnum, "code": code, "label": label}});
    let q = "mutation($i: AddPrincipleInput!) { addPrinciple(input: $i) { principle { id } } }";
    let r = as_union(&app, &admin, q, principle("PROX", "Proximité")).await;
    ok(&r, "addPrinciple");
    let p1 = "PROX";
    let r = as_union(&app, &admin, q, principle("MED", "Médiation")).await;
    ok(&r, "addPrinciple");
    let p2 = "MED";
    let mut crit = std::collections::HashMap::new();
    for (p, code, measure, indicator, threshold) in [
        (
            p1,
            "PROX.1",
            "INDICATOR",
            Some("SATISFACTION_SHARE"),
            Some(90.0),
        ),
        (p1, "PROX.2", "INDICATOR", Some("WORKSHOPS_HELD"), Some(5.0)),
        (p2, "MED.1", "DECLARATION", None, None),
        (p2, "MED.2", "EVIDENCE", None, None),
        (p2, "MED.3", "OBSERVATION", None, None),
    ] {
        let r = as_union(&app, &admin, ADD_CRITERION, json!({"i": {"version": vnum, "principleCode": p, "code": code,
            "label": format!("Critère {code}"), "weight": 2, "measure": measure, "indicator": indicator, "threshold": threshold}})).await;
        crit.insert(
            code,
            ok(&r, "addCriterion")["criterion"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // An indicator measure without its indicator is refused.
    let r = as_union(&app, &admin, ADD_CRITERION, json!({"i": {"version": vnum, "principleCode": p1, "code": "PROX.9", "label": "Sans indicateur", "measure": "INDICATOR"}})).await;
    validation(&r, "indicator");
    let r = as_union(&app, &admin, "mutation($i: CatalogueVersionInput!) { publishCatalogueVersion(input: $i) { version { status } } }",
        json!({"i": {"version": vnum}})).await;
    assert_eq!(
        ok(&r, "publishCatalogueVersion")["version"]["status"],
        "PUBLISHED"
    );
    // Published: frozen.
    let r = as_union(&app, &admin, ADD_CRITERION, json!({"i": {"version": vnum, "principleCode": p1, "code": "PROX.3", "label": "Trop tard", "measure": "DECLARATION"}})).await;
    validation(&r, "version");
    assert_eq!(
        app.count("select count(*) from compliance_criteria where code = 'PROX.3'")
            .await,
        0
    );
    // A new version is a copy.
    let r = as_union(&app, &admin, "mutation($i: CreateCatalogueVersionInput!) { createCatalogueVersion(input: $i) { version { status criteria { code } } } }",
        json!({"i": {"title": "Référentiel 2027", "copyFromVersion": vnum}})).await;
    let copy = &ok(&r, "createCatalogueVersion")["version"];
    assert_eq!(copy["status"], "DRAFT");
    assert_eq!(copy["criteria"].as_array().unwrap().len(), 5);

    // --- The contract, on the renewal calendar. ---
    let r = as_union(&app, &admin, "mutation($i: CreateFranchiseContractInput!) { createFranchiseContract(input: $i) { contract { id status } } }",
        json!({"i": {"tenantId": t.gid(), "reference": "CFS-2006-TEST", "signedOn": "2006-05-12", "termEndsOn": day(30),
            "catalogueVersionId": version, "signatories": [
                {"party": "ASSOCIATION", "fullName": "Claire Martin", "roleTitle": "Présidente"},
                {"party": "UNION", "fullName": "Paul Durand", "roleTitle": "Président de l'union"}]}})).await;
    let contract = ok(&r, "createFranchiseContract")["contract"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = as_union(&app, &admin, "{ contractsToRenew { id } }", json!({})).await;
    assert_eq!(ok(&r, "contractsToRenew")[0]["id"], contract.as_str());
    let r = app
        .as_user(
            &t.director,
            None,
            "{ franchiseContracts { edges { node { reference status signatories { fullName roleTitle } } } } }",
            json!({}),
        )
        .await;
    let mine = nodes(ok(&r, "franchiseContracts"));
    assert_eq!(mine[0]["signatories"][0]["fullName"], "Claire Martin");
    assert_eq!(mine[0]["status"], "IN_FORCE");
    let r = app
        .as_user(
            &other.director,
            None,
            "{ franchiseContracts { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert!(nodes(ok(&r, "franchiseContracts")).is_empty());

    // --- The auditor opens a sampled campaign. ---
    let open = "mutation($i: OpenComplianceCampaignInput!) { openComplianceCampaign(input: $i) { campaign { id samplePercent audits { edges { node { id selection tenant { slug } } } } } } }";
    let campaign = |due: String| {
        json!({"i": {"title": "Campagne de contrôle 2026", "catalogueVersionId": version,
        "periodStartsOn": day(-90), "periodEndsOn": day(-1), "selfAssessmentDueOn": due, "visitsFrom": day(20),
        "visitsUntil": day(40), "contradictoryDays": 30, "closesOn": day(60), "samplePercent": 100}})
    };
    let r = as_union(&app, &auditor, open, campaign(day(-120))).await;
    validation(&r, "selfAssessmentDueOn");
    assert_eq!(
        app.count("select count(*) from compliance_campaigns").await,
        0
    );
    let r = as_union(&app, &auditor, open, campaign(day(10))).await;
    let camp = &ok(&r, "openComplianceCampaign")["campaign"];
    let audits = &nodes(&camp["audits"]);
    assert_eq!(audits.len(), 2, "both associations drawn: {audits:?}");
    assert!(audits.iter().all(|a| a["selection"] == "SAMPLED"));
    let audit = audits
        .iter()
        .find(|a| a["tenant"]["slug"] == t.slug.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Never the same associations two campaigns running, unless chosen by hand.
    let r = as_union(&app, &auditor, open, campaign(day(10))).await;
    validation(&r, "samplePercent");
    assert_eq!(
        app.count("select count(*) from compliance_campaigns").await,
        1
    );

    // --- The director self-assesses, with evidence. ---
    let answer =
        "mutation($i: AnswerCriterionInput!) { answerCriterion(input: $i) { answer { id } } }";
    let r = app.as_user(&t.coordinator, None, answer, json!({"i": {"auditId": audit, "criterionId": crit["MED.1"], "declaration": "Brouillon du coordinateur"}})).await;
    ok(&r, "answerCriterion");
    let r = app.as_user(&t.director, None, answer, json!({"i": {"auditId": audit, "criterionId": crit["MED.1"], "declaration": "Médiation sociale dans les quatre sites, neutre et gratuite."}})).await;
    ok(&r, "answerCriterion");
    let r = app.as_user(&t.director, None, answer, json!({"i": {"auditId": audit, "criterionId": crit["MED.2"], "declaration": "Bilan d'activité joint"}})).await;
    let answer_id = ok(&r, "answerCriterion")["answer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut pdf = b"%PDF-1.7\n% Bilan d'activite 2025\n".to_vec();
    pdf.extend((0..5000u32).map(|i| (i % 251) as u8));
    let (status, body) = upload(
        &app,
        &t.director,
        None,
        &answer_id,
        "bilan-2025.pdf",
        pdf.clone(),
    )
    .await;
    assert_eq!(status, 201, "{body:?}");
    let doc = body["document"]["id"].as_str().unwrap().to_owned();
    let expected = Sha256::digest(&pdf)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    assert_eq!(body["document"]["sha256"], expected.as_str());
    assert_eq!(body["document"]["contentType"], "application/pdf");
    // Downloaded back, byte for byte, through the gateway.
    let got = app
        .gql
        .http
        .get(format!("{}/compliance/evidence/{doc}", app.base))
        .bearer_auth(app.token(&t.director))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "application/pdf");
    assert_eq!(got.bytes().await.unwrap().to_vec(), pdf);
    // Not to another association, nor anonymously.
    let got = app
        .gql
        .http
        .get(format!("{}/compliance/evidence/{doc}", app.base))
        .bearer_auth(app.token(&other.director))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 404);
    let got = app
        .gql
        .http
        .get(format!("{}/compliance/evidence/{doc}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 401);
    // A refused type (an executable named .pdf) and an oversized file store nothing.
    let (status, body) = upload(
        &app,
        &t.director,
        None,
        &answer_id,
        "faux.pdf",
        b"MZ\x90\x00 not a document".to_vec(),
    )
    .await;
    assert_eq!(status, 400, "{body:?}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION");
    assert_eq!(body["errors"][0]["extensions"]["field"], "file");
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(20 * 1024 * 1024 + 1, b'x');
    let (status, body) = upload(&app, &t.director, None, &answer_id, "gros.pdf", big).await;
    assert_eq!(status, 413, "{body:?}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "file");
    assert_eq!(
        app.count("select count(*) from compliance_documents").await,
        1
    );

    // --- The self-assessment deadline: after it, nothing more is taken. ---
    let audit_uuid = kernel::gid::decode(&audit).unwrap().1;
    let set_deadline = |d: String| {
        format!(
            "with u as (update compliance_campaigns set self_assessment_due_on = '{d}' \
             where id = (select campaign_id from compliance_audits where id = '{audit_uuid}') returning 1) select count(*) from u"
        )
    };
    assert_eq!(app.count(&set_deadline(day(-1))).await, 1);
    let declared = format!(
        "select count(*) from compliance_answers where audit_id = '{audit_uuid}' \
         and declaration = 'Médiation sociale dans les quatre sites, neutre et gratuite.'"
    );
    assert_eq!(app.count(&declared).await, 1);
    let r = app.as_user(&t.director, None, answer, json!({"i": {"auditId": audit, "criterionId": crit["MED.1"], "declaration": "Après l'échéance"}})).await;
    validation(&r, "auditId");
    let r = app.as_user(&t.coordinator, None, answer, json!({"i": {"auditId": audit, "criterionId": crit["MED.3"], "declaration": "Après l'échéance"}})).await;
    validation(&r, "auditId");
    let (status, body) = upload(
        &app,
        &t.director,
        None,
        &answer_id,
        "tardif.pdf",
        pdf.clone(),
    )
    .await;
    assert_eq!(status, 400, "{body:?}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "ownerId");
    let r = app
        .as_user(
            &t.director,
            None,
            "mutation($i: AuditInput!) { submitSelfAssessment(input: $i) { audit { status } } }",
            json!({"i": {"auditId": audit}}),
        )
        .await;
    validation(&r, "auditId");
    // Nothing changed: the answer as it was, no new answer, no file, still open.
    assert_eq!(app.count(&declared).await, 1);
    assert_eq!(
        app.count(&format!(
            "select count(*) from compliance_answers where audit_id = '{audit_uuid}'"
        ))
        .await,
        2
    );
    assert_eq!(
        app.count("select count(*) from compliance_documents").await,
        1
    );
    assert_eq!(
        app.count(&format!("select count(*) from compliance_audits where id = '{audit_uuid}' and status = 'self_assessment'")).await,
        1
    );
    // The last day itself is still open (a Paris date, inclusive).
    assert_eq!(app.count(&set_deadline(day(0))).await, 1);
    let r = app.as_user(&t.director, None, answer, json!({"i": {"auditId": audit, "criterionId": crit["MED.1"], "declaration": "Médiation sociale dans les quatre sites, neutre et gratuite."}})).await;
    ok(&r, "answerCriterion");
    assert_eq!(app.count(&set_deadline(day(10))).await, 1);

    // A coordinator drafts, the director submits; then it is read-only.
    let submit =
        "mutation($i: AuditInput!) { submitSelfAssessment(input: $i) { audit { status } } }";
    let r = app
        .as_user(
            &t.coordinator,
            None,
            submit,
            json!({"i": {"auditId": audit}}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    let r = app
        .as_user(&t.director, None, submit, json!({"i": {"auditId": audit}}))
        .await;
    assert_eq!(ok(&r, "submitSelfAssessment")["audit"]["status"], "REVIEW");
    let r = app.as_user(&t.director, None, answer, json!({"i": {"auditId": audit, "criterionId": crit["MED.1"], "declaration": "Trop tard"}})).await;
    validation(&r, "auditId");
    let (status, _) = upload(
        &app,
        &t.director,
        None,
        &answer_id,
        "autre.pdf",
        pdf.clone(),
    )
    .await;
    assert_eq!(status, 400);
    // The board reads nothing before the final report.
    let r = app
        .as_user(
            &t.viewer,
            None,
            "{ complianceAudits { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert!(nodes(ok(&r, "complianceAudits")).is_empty());
    // Another association's audit is NOT_FOUND.
    let r = app
        .as_user(&other.director, None, AUDIT, json!({"a": audit}))
        .await;
    assert_eq!(r.code(), Some("NOT_FOUND"), "{:?}", r.body);

    // --- The auditor reviews and scores. ---
    let r = as_union(
        &app,
        &auditor,
        "mutation($i: ReviewEvidenceInput!) { reviewEvidence(input: $i) { document { review } } }",
        json!({"i": {"documentId": doc, "accept": false}}),
    )
    .await;
    validation(&r, "reason");
    let r = as_union(
        &app,
        &auditor,
        "mutation($i: ReviewEvidenceInput!) { reviewEvidence(input: $i) { document { review } } }",
        json!({"i": {"documentId": doc, "accept": true}}),
    )
    .await;
    assert_eq!(ok(&r, "reviewEvidence")["document"]["review"], "ACCEPTED");
    let r = as_union(
        &app,
        &auditor,
        "mutation($i: AuditInput!) { prefillIndicatorScores(input: $i) { audit { id } } }",
        json!({"i": {"auditId": audit}}),
    )
    .await;
    ok(&r, "prefillIndicatorScores");
    let r = as_union(&app, &auditor, AUDIT, json!({"a": audit})).await;
    let a = ok(&r, "complianceAudit");
    let score_of = |a: &Value, code: &str| {
        a["scores"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["criterionId"] == crit[code].as_str())
            .cloned()
            .unwrap_or(Value::Null)
    };
    // The fixture's one satisfaction answer (4: very satisfied): 100 % against 90 %.
    assert_eq!(score_of(a, "PROX.1")["result"], "MET");
    assert_eq!(score_of(a, "PROX.1")["indicatorValue"], 100.0);
    // One workshop against five.
    assert_eq!(score_of(a, "PROX.2")["prefilledResult"], "NOT_MET");
    // Training time comes from the HR pathways (the fixture's ledger)...
    let training = a["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"] == "TRAINING_TIME_SHARE")
        .unwrap();
    assert!(training["value"].is_number(), "{training:?}");
    assert_eq!(training["unavailableReason"], Value::Null);
    // ...and an association without HR records has none: not available, never 0.
    let other_audit = audits
        .iter()
        .find(|a| a["tenant"]["slug"] == other.slug.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = as_union(&app, &auditor, "query($a: ID!) { complianceAudit(auditId: $a) { indicators { indicator value unavailableReason } } }", json!({"a": other_audit})).await;
    let training = ok(&r, "complianceAudit")["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"] == "TRAINING_TIME_SHARE")
        .unwrap()
        .clone();
    assert_eq!(
        training["value"],
        Value::Null,
        "never 0 in place of missing data"
    );
    assert!(
        training["unavailableReason"]
            .as_str()
            .unwrap()
            .contains("non disponible")
    );
    let score =
        "mutation($i: ScoreCriterionInput!) { scoreCriterion(input: $i) { audit { score } } }";
    // Overriding an indicator needs a written reason.
    let r = as_union(
        &app,
        &auditor,
        score,
        json!({"i": {"auditId": audit, "criterionId": crit["PROX.2"], "result": "PARTLY_MET"}}),
    )
    .await;
    validation(&r, "overrideReason");
    let r = as_union(&app, &auditor, score, json!({"i": {"auditId": audit, "criterionId": crit["PROX.2"], "result": "PARTLY_MET",
        "overrideReason": "Quatre ateliers tenus hors plateforme, feuilles d'émargement vues sur place"}})).await;
    ok(&r, "scoreCriterion");
    // Only the assigned auditor (or an admin) edits the audit.
    let r = as_union(
        &app,
        &other_auditor,
        score,
        json!({"i": {"auditId": audit, "criterionId": crit["MED.1"], "result": "MET"}}),
    )
    .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    for (code, result) in [("MED.1", "MET"), ("MED.2", "MET"), ("MED.3", "NOT_MET")] {
        let r = as_union(
            &app,
            &auditor,
            score,
            json!({"i": {"auditId": audit, "criterionId": crit[code], "result": result}}),
        )
        .await;
        ok(&r, "scoreCriterion");
    }
    let r = as_union(&app, &auditor, "mutation($i: RecordAuditObservationInput!) { recordAuditObservation(input: $i) { observation { id } } }",
        json!({"i": {"auditId": audit, "criterionId": crit["MED.3"], "observedOn": day(0), "body": "Affichage des horaires absent à l'entrée"}})).await;
    ok(&r, "recordAuditObservation");
    let finding =
        "mutation($i: AddAuditFindingInput!) { addAuditFinding(input: $i) { finding { id } } }";
    let r = as_union(&app, &auditor, finding, json!({"i": {"auditId": audit, "criterionId": crit["MED.3"], "body": "Les horaires ne sont pas affichés"}})).await;
    let f1 = ok(&r, "addAuditFinding")["finding"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = as_union(&app, &auditor, finding, json!({"i": {"auditId": audit, "criterionId": crit["PROX.2"], "body": "Ateliers en deçà de l'objectif"}})).await;
    let f2 = ok(&r, "addAuditFinding")["finding"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = as_union(
        &app,
        &auditor,
        "mutation($i: AddAuditNoteInput!) { addAuditNote(input: $i) { audit { id } } }",
        json!({"i": {"auditId": audit, "body": "Note interne : direction fragile, à revoir"}}),
    )
    .await;
    ok(&r, "addAuditNote");
    // The draft is invisible to the association until sent.
    let r = app
        .as_user(&t.director, None, AUDIT, json!({"a": audit}))
        .await;
    let a = ok(&r, "complianceAudit");
    assert!(nodes(&a["findings"]).is_empty());
    assert_eq!(a["scores"].as_array().unwrap().len(), 0);
    let r = as_union(&app, &auditor, "mutation($i: SendDraftReportInput!) { sendDraftReport(input: $i) { audit { status score repliesDueOn } } }",
        json!({"i": {"auditId": audit, "summary": "Rapport provisoire : deux constats."}})).await;
    let sent = &ok(&r, "sendDraftReport")["audit"];
    assert_eq!(sent["status"], "CONTRADICTORY");
    // Weights 2 each: three met (6), one partly met (1), one not met: 7 of 10.
    assert_eq!(sent["score"], 70.0);
    assert_eq!(sent["repliesDueOn"], day(30).as_str());

    // --- The contradictory phase. ---
    let r = app
        .as_user(&t.director, None, AUDIT, json!({"a": audit}))
        .await;
    assert!(
        !r.body.to_string().contains("direction fragile"),
        "internal notes never reach the association"
    );
    let a = ok(&r, "complianceAudit");
    assert_eq!(nodes(&a["findings"]).len(), 2);
    assert_eq!(a["reports"][0]["kind"], "DRAFT");
    assert_eq!(a["notes"].as_array().unwrap().len(), 0);
    let reply = "mutation($i: ReplyToFindingInput!) { replyToFinding(input: $i) { reply { id } } }";
    let r = app.as_user(&t.director, None, reply, json!({"i": {"findingId": f1, "body": "Les horaires sont affichés depuis le 3, photo jointe."}})).await;
    let reply_id = ok(&r, "replyToFinding")["reply"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(b"photo de l'affichage");
    let (status, body) = upload(&app, &t.director, None, &reply_id, "affichage.png", png).await;
    assert_eq!(status, 201, "{body:?}");
    // The deadline passes: answers are no longer taken.
    app.count(&format!("with u as (update compliance_audits set replies_due_on = current_date - 1 where id = '{}' returning 1) select count(*) from u",
        kernel::gid::decode(&audit).unwrap().1)).await;
    let r = app
        .as_user(
            &t.director,
            None,
            reply,
            json!({"i": {"findingId": f2, "body": "Trop tard"}}),
        )
        .await;
    validation(&r, "findingId");
    assert_eq!(
        app.count("select count(*) from compliance_replies").await,
        1
    );
    // Nor a file on the answer already given.
    let docs = app.count("select count(*) from compliance_documents").await;
    let mut late = b"\x89PNG\r\n\x1a\n".to_vec();
    late.extend_from_slice(b"photo tardive");
    let (status, body) = upload(&app, &t.director, None, &reply_id, "tardive.png", late).await;
    assert_eq!(status, 400, "{body:?}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "ownerId");
    assert_eq!(
        app.count("select count(*) from compliance_documents").await,
        docs
    );

    // --- The final report, its grade and the action plan. ---
    let finalise = "mutation($i: FinaliseAuditInput!) { finaliseAudit(input: $i) { audit { status grade score } } }";
    let base = json!({"auditId": audit, "summary": "Rapport définitif", "grade": "COMPLIANT_WITH_RESERVATIONS",
        "outcomes": [{"findingId": f1, "outcome": "WITHDRAWN", "note": "Photo probante"}]});
    let r = as_union(&app, &auditor, finalise, json!({"i": base})).await;
    validation(&r, "actions");
    let mut with_plan = base.clone();
    with_plan["actions"] = json!([{"criterionId": crit["PROX.2"], "title": "Programmer six ateliers collectifs",
        "ownerId": kernel::gid::encode("Membership", t.coordinator.membership_id.unwrap()), "dueOn": day(1)}]);
    let r = as_union(&app, &auditor, finalise, json!({"i": with_plan})).await;
    let fin = &ok(&r, "finaliseAudit")["audit"];
    assert_eq!(fin["status"], "FINAL");
    assert_eq!(fin["grade"], "COMPLIANT_WITH_RESERVATIONS");
    // Every state change kept its author, time and previous state.
    let r = as_union(
        &app,
        &auditor,
        "query($a: ID!) { complianceAudit(auditId: $a) { history { action previous changedById changedAt } } }",
        json!({"a": audit}),
    )
    .await;
    let h = ok(&r, "complianceAudit")["history"]
        .as_array()
        .unwrap()
        .clone();
    let actions: Vec<&str> = h.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["submitted", "draft_sent", "finalised"]);
    assert_eq!(h[0]["previous"]["status"], "self_assessment");
    assert_eq!(
        h[0]["changedById"],
        kernel::gid::encode("User", t.director.id).as_str()
    );
    assert_eq!(h[2]["previous"]["status"], "contradictory");
    assert_eq!(h[2]["previous"]["score"], 70.0);
    assert_eq!(
        h[2]["changedById"],
        kernel::gid::encode("User", auditor.id).as_str()
    );
    // Closed: no more scores.
    let r = as_union(
        &app,
        &auditor,
        score,
        json!({"i": {"auditId": audit, "criterionId": crit["MED.3"], "result": "MET"}}),
    )
    .await;
    validation(&r, "auditId");
    // The board now reads the final report and grade, not the draft.
    let r = app
        .as_user(
            &t.viewer,
            None,
            "{ complianceAudits { edges { node { grade reports { kind } } } } }",
            json!({}),
        )
        .await;
    let v = &nodes(ok(&r, "complianceAudits"));
    assert_eq!(v[0]["grade"], "COMPLIANT_WITH_RESERVATIONS");
    assert_eq!(v[0]["reports"], json!([{"kind": "FINAL"}]));
    let r = app
        .as_user(&t.director, None, AUDIT, json!({"a": audit}))
        .await;
    let a = ok(&r, "complianceAudit");
    let withdrawn = nodes(&a["findings"])
        .into_iter()
        .find(|f| f["id"] == f1.as_str())
        .unwrap();
    assert_eq!(withdrawn["outcome"], "WITHDRAWN");
    let plan = nodes(&a["actions"]);
    let action = plan[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(plan[0]["overdue"], false);

    // --- The action goes overdue; the daily check flags it; both sides see it. ---
    app.count(&format!("with u as (update compliance_actions set due_on = current_date - 1 where id = '{}' returning 1) select count(*) from u",
        kernel::gid::decode(&action).unwrap().1)).await;
    let svc = ::compliance::Compliance::new(
        app.db.app().await,
        ::compliance::EvidenceStore::open(&::compliance::StoreConfig::Local(
            std::env::temp_dir().join("passerelle-evidence"),
        ))
        .unwrap(),
    );
    assert_eq!(svc.flag_overdue_actions().await.unwrap(), 1);
    assert_eq!(svc.flag_overdue_actions().await.unwrap(), 0, "flagged once");
    let q =
        "{ overdueCorrectiveActions { edges { node { id overdue overdueSince owner { id } } } } }";
    let r = app.as_user(&t.director, None, q, json!({})).await;
    let o = &nodes(ok(&r, "overdueCorrectiveActions"));
    assert_eq!(o[0]["id"], action.as_str());
    assert_eq!(o[0]["overdueSince"], day(0).as_str());
    let r = as_union(&app, &auditor, q, json!({})).await;
    assert_eq!(
        nodes(ok(&r, "overdueCorrectiveActions"))[0]["id"],
        action.as_str()
    );
    let r = app.as_user(&other.director, None, q, json!({})).await;
    assert!(nodes(ok(&r, "overdueCorrectiveActions")).is_empty());

    // --- The union's dashboard: aggregates, for the analyst too; no text. ---
    let r = as_union(&app, &analyst, "{ complianceDashboard { byGrade { grade associations } overdueActions contractsToRenew trend { auditsFinalised meanScore } csv } }", json!({})).await;
    let d = ok(&r, "complianceDashboard");
    assert_eq!(
        d["byGrade"],
        json!([{"grade": "COMPLIANT_WITH_RESERVATIONS", "associations": 1}])
    );
    assert_eq!(d["overdueActions"], 1);
    assert_eq!(d["contractsToRenew"], 1);
    assert!(d["csv"].as_str().unwrap().starts_with('\u{feff}'));
    assert!(
        d["csv"]
            .as_str()
            .unwrap()
            .contains("Conforme avec réserves")
    );
    let r = as_union(&app, &analyst, "query($a: ID!) { complianceAudit(auditId: $a) { grade score findings { edges { node { body } } } reports { summary } scores { result overrideReason } actions { edges { node { title } } } } }", json!({"a": audit})).await;
    let a = ok(&r, "complianceAudit");
    assert_eq!(a["grade"], "COMPLIANT_WITH_RESERVATIONS");
    assert_eq!(a["score"], 70.0);
    assert!(nodes(&a["findings"]).is_empty());
    assert!(nodes(&a["actions"]).is_empty());
    assert_eq!(a["reports"].as_array().unwrap().len(), 0);
    // Grades and scores of audits, not each criterion's result (nor its reason).
    assert_eq!(a["scores"].as_array().unwrap().len(), 0);
    // Nor by id: the analyst reads no finding, action or document.
    let r = as_union(
        &app,
        &analyst,
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        json!({"ids": [f1, action, doc]}),
    )
    .await;
    assert_eq!(ok(&r, "nodes"), &json!([null, null, null]));

    // --- A sanction shows on the site's labels. ---
    let r = app
        .as_user(
            &t.director,
            None,
            "{ sites { edges { node { id name kind } } } }",
            json!({}),
        )
        .await;
    let site = ok(&r, "sites")["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["kind"] == "SITE")
        .unwrap()["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sanction = "mutation($i: RecordSanctionInput!) { recordSanction(input: $i) { sanction { id kind site { id } } } }";
    let r = as_union(&app, &auditor, sanction, json!({"i": {"tenantId": t.gid(), "kind": "WARNING", "reason": "Avertissement", "decidedOn": day(0)}})).await;
    assert_eq!(r.code(), Some("FORBIDDEN"), "decided by the union admin");
    let r = as_union(&app, &admin, sanction, json!({"i": {"tenantId": t.gid(), "kind": "WARNING", "siteId": site, "reason": "Avertissement", "decidedOn": day(0)}})).await;
    validation(&r, "siteId");
    let r = as_union(
        &app,
        &admin,
        sanction,
        json!({"i": {"tenantId": t.gid(), "kind": "SUSPENSION", "siteId": site,
        "reason": "Plan d'actions non tenu", "decidedOn": day(0), "endsOn": day(90)}}),
    )
    .await;
    assert_eq!(ok(&r, "recordSanction")["sanction"]["kind"], "SUSPENSION");
    let r = app.as_user(&t.director, None, "{ sites { edges { node { id labels { kind current grantedOn expiresOn } } } } sanctions { edges { node { kind reason } } } }", json!({})).await;
    let edges = ok(&r, "sites")["edges"].as_array().unwrap().clone();
    let labels = &edges
        .iter()
        .find(|e| e["node"]["id"] == site.as_str())
        .unwrap()["node"]["labels"];
    let suspended = labels
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "PIMMS_SUSPENDED")
        .expect("the suspension on the site's labels");
    assert_eq!(suspended["current"], true);
    assert_eq!(suspended["grantedOn"], day(0).as_str());
    assert_eq!(suspended["expiresOn"], day(90).as_str());
    assert_eq!(
        nodes(&r.data()["sanctions"])[0]["reason"],
        "Plan d'actions non tenu"
    );
    // An association cannot give itself that label.
    let r = app
        .as_user(
            &t.director,
            None,
            "mutation($i: AddSiteLabelInput!) { addSiteLabel(input: $i) { site { id } } }",
            json!({"i": {"siteId": site, "kind": "PIMMS_SUSPENDED", "grantedOn": day(0)}}),
        )
        .await;
    validation(&r, "kind");
    tdb.drop_database().await;
}

async fn dev_token(app: &TestApp, email: &str) -> String {
    let r: Value = app
        .gql
        .http
        .post(format!("{}/dev/token", app.base))
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"].as_str().expect("a demo token").to_owned()
}

#[tokio::test]
async fn the_demo_loads_a_catalogue_a_closed_campaign_and_one_in_its_contradictory_phase() {
    let tdb: &'static TestDb = Box::leak(Box::new(testkit::testdb::separate_db().await));
    let db = tdb.app().await;
    let summary = demo::demo(&db, 3000).await.expect("demo seed");
    assert!(summary.compliance.criteria >= 20);
    // Seeding again adds nothing.
    let again = demo::demo(&db, 3000).await.expect("demo seed again");
    assert_eq!(again.compliance, demo::ComplianceSummary::default());
    db.close().await;
    let app = spawn_on(tdb).await;
    let admin = dev_token(&app, "admin@union-pimms.example").await;
    let r = app
        .gql
        .run(
            &admin,
            None,
            "{ catalogueVersions { status principles { code } criteria { measure indicator } } \
        complianceCampaigns { edges { node { status audits { edges { node { status grade actions { edges { node { overdue } } } } } } } } } \
        complianceDashboard { byGrade { associations } overdueActions contractsToRenew } }",
            json!({}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let v = &r.data()["catalogueVersions"][0];
    assert_eq!(v["status"], "PUBLISHED");
    assert!(v["principles"].as_array().unwrap().len() >= 4);
    let criteria = v["criteria"].as_array().unwrap();
    assert!(criteria.len() >= 20);
    for m in ["INDICATOR", "DECLARATION", "EVIDENCE", "OBSERVATION"] {
        assert!(criteria.iter().any(|c| c["measure"] == m), "{m}");
    }
    let campaigns = nodes(&r.data()["complianceCampaigns"]);
    let closed = campaigns
        .iter()
        .find(|c| c["status"] == "CLOSED")
        .expect("a closed campaign");
    assert!(
        nodes(&closed["audits"])
            .iter()
            .all(|a| a["status"] == "FINAL" && !a["grade"].is_null())
    );
    assert!(
        nodes(&closed["audits"])
            .iter()
            .any(|a| !nodes(&a["actions"]).is_empty())
    );
    let open = campaigns
        .iter()
        .find(|c| c["status"] == "OPEN")
        .expect("an open campaign");
    assert!(!nodes(&open["audits"]).is_empty());
    assert!(
        nodes(&open["audits"])
            .iter()
            .all(|a| a["status"] == "CONTRADICTORY")
    );
    let d = &r.data()["complianceDashboard"];
    assert!(d["overdueActions"].as_i64().unwrap() >= 1);
    assert!(d["contractsToRenew"].as_i64().unwrap() >= 1);
    // The indicators of an audit in progress, from the demo journal.
    let auditor = dev_token(&app, "audit@union-pimms.example").await;
    let r = app
        .gql
        .run(
            &auditor,
            None,
            "{ complianceAudits(first: 100) { edges { node { status indicators { indicator value } } } } }",
            json!({}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let audits = &nodes(&r.data()["complianceAudits"]);
    let current = audits
        .iter()
        .find(|a| a["status"] == "CONTRADICTORY")
        .unwrap();
    let value = |i: &str| {
        current["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["indicator"] == i)
            .unwrap()["value"]
            .clone()
    };
    assert!(value("PEOPLE_RECEIVED_PER_SITE").as_f64().unwrap() > 0.0);
    // Local agreements' deliverables against their pro-rated targets, for at least one.
    assert!(
        audits.iter().any(|a| a["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["indicator"] == "AGREEMENT_DELIVERABLES" && i["value"].is_number())),
        "{audits:?}"
    );
    // The demo's HR pathways give the training time.
    assert!(value("TRAINING_TIME_SHARE").is_number());
    tdb.drop_database().await;
}
