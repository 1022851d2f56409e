//! Franchise compliance's events and reminders, and contracts expiring, end to end: on
//! a database of its own, with a real SMTP server (tests/smtp) and the server's own
//! delivery worker. An audit's phases (self-assessment open, submitted, draft report
//! sent, final report) reach the director or the assigned auditor; the daily checks
//! flag an overdue action (director, owner and auditor told), announce a contract to
//! renew (director and union admins) once per contract and term, expire a contract
//! past its term with its history; the HR pathways announce a subsidy to renew to the
//! association's director. Every event is in the outbox in the transaction of its
//! change, with ids and codes only.

use crate::compliance::{as_union, day, nodes, ok, spawn_with, validation};
use crate::events::{Smtp, part};
use crate::support::*;
use serde_json::{Value, json};
use std::time::Duration;
use testkit::{TestDb, TestTenant, TestUser};

impl Smtp {
    /// The plain text of the message to `to` whose text holds `needle` (30 s at most).
    async fn text_to(&mut self, to: &str, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(t) = self
                .received
                .iter()
                .filter(|m| m["to"][0] == to)
                .map(|m| part(m["data"].as_str().unwrap(), "text/plain"))
                .find(|t| t.contains(needle))
            {
                return t;
            }
            let line = tokio::time::timeout_at(deadline, self.lines.next_line())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "no message to {to} saying {needle:?} within 30 s: {:?}",
                        self.received
                    )
                })
                .unwrap()
                .expect("the SMTP server ended");
            self.received.push(serde_json::from_str(&line).unwrap());
        }
    }

    /// Messages to `to` so far whose text holds `needle`.
    fn count_to(&self, to: &str, needle: &str) -> usize {
        self.received
            .iter()
            .filter(|m| m["to"][0] == to)
            .filter(|m| part(m["data"].as_str().unwrap(), "text/plain").contains(needle))
            .count()
    }
}

/// A published catalogue version with one declared criterion: (version id, criterion id).
async fn catalogue(app: &TestApp, admin: &TestUser) -> (String, String) {
    let r = as_union(app, admin, "mutation($i: CreateCatalogueVersionInput!) { createCatalogueVersion(input: $i) { version { id version } } }",
        json!({"i": {"title": "Référentiel des rappels"}})).await;
    let v = ok(&r, "createCatalogueVersion")["version"].clone();
    let n = v["version"].as_i64().unwrap();
    let r = as_union(
        app,
        admin,
        "mutation($i: AddPrincipleInput!) { addPrinciple(input: $i) { principle { id } } }",
        json!({"i": {"version": n, "code": "MED", "label": "Médiation"}}),
    )
    .await;
    ok(&r, "addPrinciple");
    let r = as_union(app, admin, "mutation($i: AddCriterionInput!) { addCriterion(input: $i) { criterion { id } } }",
        json!({"i": {"version": n, "principleCode": "MED", "code": "MED.1", "label": "Neutralité", "measure": "DECLARATION"}})).await;
    let crit = ok(&r, "addCriterion")["criterion"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = as_union(app, admin, "mutation($i: CatalogueVersionInput!) { publishCatalogueVersion(input: $i) { version { id } } }",
        json!({"i": {"version": n}})).await;
    ok(&r, "publishCatalogueVersion");
    (v["id"].as_str().unwrap().to_owned(), crit)
}

fn service(app: &TestApp, db: db::Db) -> ::compliance::Compliance {
    let _ = app;
    ::compliance::Compliance::new(
        db,
        ::compliance::EvidenceStore::open(&::compliance::StoreConfig::Local(
            std::env::temp_dir().join("passerelle-evidence"),
        ))
        .unwrap(),
    )
}

#[tokio::test]
async fn events_of_audits_actions_contracts_and_subsidies_reach_the_people_concerned() {
    let tdb: &'static TestDb = Box::leak(Box::new(testkit::testdb::separate_db().await));
    let mut smtp = Smtp::start().await;
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let app = spawn_with(tdb, |v| {
        v.insert("PASSERELLE_SMTP_URL".into(), url);
        v.insert(
            "PASSERELLE_MAIL_FROM".into(),
            "Passerelle <ne-pas-repondre@pimms.example>".into(),
        );
        v.insert("PASSERELLE_EVENTS_POLL_MS".into(), "100".into());
    })
    .await;
    let t: TestTenant = app.tenant().await;
    let admin = app.union_user("admin").await;
    let auditor = app.union_user("auditor").await;
    let (version, crit) = catalogue(&app, &admin).await;

    // --- An audit's phases: each one tells the people whose turn it is. ---
    let r = as_union(&app, &auditor, "mutation($i: OpenComplianceCampaignInput!) { openComplianceCampaign(input: $i) { campaign { audits { edges { node { id } } } } } }",
        json!({"i": {"title": "Campagne des rappels", "catalogueVersionId": version, "periodStartsOn": day(-90),
            "periodEndsOn": day(-1), "selfAssessmentDueOn": day(5), "visitsFrom": day(10), "visitsUntil": day(20),
            "contradictoryDays": 15, "closesOn": day(40), "tenantIds": [t.gid()]}})).await;
    let audit = nodes(&ok(&r, "openComplianceCampaign")["campaign"]["audits"])[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let due = chrono::NaiveDate::parse_from_str(&day(5), "%Y-%m-%d")
        .unwrap()
        .format("%d/%m/%Y")
        .to_string();
    let text = smtp.text_to(&t.director.email, "auto-évaluation").await;
    assert!(text.contains(&format!("au plus tard le {due}")), "{text}");
    assert!(text.contains(&t.name), "{text}");
    let r = app.as_user(&t.director, None, "mutation($i: AnswerCriterionInput!) { answerCriterion(input: $i) { answer { id } } }",
        json!({"i": {"auditId": audit, "criterionId": crit, "declaration": "Accueil neutre et gratuit"}})).await;
    ok(&r, "answerCriterion");
    let r = app
        .as_user(
            &t.director,
            None,
            "mutation($i: AuditInput!) { submitSelfAssessment(input: $i) { audit { status } } }",
            json!({"i": {"auditId": audit}}),
        )
        .await;
    ok(&r, "submitSelfAssessment");
    let text = smtp
        .text_to(&auditor.email, "soumise par la direction")
        .await;
    assert!(text.contains(&t.name), "{text}");
    let r = as_union(
        &app,
        &auditor,
        "mutation($i: ScoreCriterionInput!) { scoreCriterion(input: $i) { audit { id } } }",
        json!({"i": {"auditId": audit, "criterionId": crit, "result": "NOT_MET"}}),
    )
    .await;
    ok(&r, "scoreCriterion");
    let r = as_union(&app, &auditor, "mutation($i: AddAuditFindingInput!) { addAuditFinding(input: $i) { finding { id } } }",
        json!({"i": {"auditId": audit, "criterionId": crit, "body": "Affichage de la gratuité absent"}})).await;
    ok(&r, "addAuditFinding");
    let r = as_union(&app, &auditor, "mutation($i: SendDraftReportInput!) { sendDraftReport(input: $i) { audit { repliesDueOn } } }",
        json!({"i": {"auditId": audit, "summary": "Un constat."}})).await;
    assert_eq!(
        ok(&r, "sendDraftReport")["audit"]["repliesDueOn"],
        day(15).as_str()
    );
    let replies_due = chrono::NaiveDate::parse_from_str(&day(15), "%Y-%m-%d")
        .unwrap()
        .format("%d/%m/%Y")
        .to_string();
    let text = smtp.text_to(&t.director.email, "rapport provisoire").await;
    assert!(text.contains(&format!("jusqu'au {replies_due}")), "{text}");
    let owner = kernel::gid::encode("Membership", t.coordinator.membership_id.unwrap());
    let r = as_union(&app, &auditor, "mutation($i: FinaliseAuditInput!) { finaliseAudit(input: $i) { audit { status } } }",
        json!({"i": {"auditId": audit, "summary": "Rapport définitif", "grade": "NON_COMPLIANT",
            "actions": [{"criterionId": crit, "title": "Afficher la gratuité", "ownerId": owner, "dueOn": day(1)}]}})).await;
    assert_eq!(ok(&r, "finaliseAudit")["audit"]["status"], "FINAL");
    smtp.text_to(&t.director.email, "rapport définitif").await;
    // Each phase is an event of the audit, written with its change: ids and codes.
    let audit_id = kernel::gid::decode(&audit).unwrap().1;
    assert_eq!(
        app.count(&format!(
            "select count(*) from event_outbox where event_type = 'compliance.audit.phase_changed' and subject_id = '{audit_id}'"
        ))
        .await,
        4
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from event_outbox where subject_id = '{audit_id}' and payload->'data'->>'phase' = 'contradictory' \
             and payload->'data'->>'previousPhase' = 'review' and payload->'data'->>'audit' = '{audit}'"
        ))
        .await,
        1
    );

    // --- The daily checks: an overdue action, a contract to renew. ---
    let r = as_union(&app, &admin, "mutation($i: CreateFranchiseContractInput!) { createFranchiseContract(input: $i) { contract { id } } }",
        json!({"i": {"tenantId": t.gid(), "reference": "CFS-RAPPEL", "signedOn": "2016-01-04", "termEndsOn": day(60),
            "catalogueVersionId": version, "signatories": [{"party": "ASSOCIATION", "fullName": "Marie Petit", "roleTitle": "Présidente"}]}})).await;
    let contract = ok(&r, "createFranchiseContract")["contract"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let contract_id = kernel::gid::decode(&contract).unwrap().1;
    app.count(&format!(
        "with u as (update compliance_actions set due_on = current_date - 1 where audit_id = '{audit_id}' returning 1) select count(*) from u"
    ))
    .await;
    let db = tdb.app().await;
    let svc = service(&app, db.clone());
    let d = svc.daily_checks().await.unwrap();
    assert_eq!(d.actions_flagged, 1);
    assert_eq!(d.contracts_to_renew_announced, 1);
    // Every replica runs them hourly: a second run changes and announces nothing.
    assert_eq!(
        svc.daily_checks().await.unwrap(),
        ::compliance::DailyChecks::default()
    );
    for who in [&t.director.email, &t.coordinator.email, &auditor.email] {
        smtp.text_to(who, "a dépassé son échéance").await;
    }
    for who in [&t.director.email, &admin.email] {
        let text = smtp.text_to(who, "CFS-RAPPEL").await;
        assert!(text.contains("son renouvellement est à préparer"), "{text}");
    }
    assert_eq!(
        app.count(&format!(
            "select count(*) from event_outbox where event_type = 'compliance.contract.to_renew' and subject_id = '{contract_id}'"
        ))
        .await,
        1
    );

    // --- A subsidy to renew (HR pathways), to the association's director. ---
    let (employee, hr_contract, subsidy) = (
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    );
    app.count(&format!(
        "with e as (insert into employees (tenant_id, id, full_name, birth_year, sex) values ('{}', '{employee}', 'Salarié Rappel', 1990, 'male') returning 1), \
         c as (insert into employment_contracts (tenant_id, id, employee_id, kind, starts_on, planned_end_on, weekly_hours, job_title) \
               select '{}', '{hr_contract}', '{employee}', 'adulte_relais', current_date - 300, current_date + 400, 35, 'Agent de médiation' from e returning 1), \
         s as (insert into subsidies (tenant_id, id, contract_id, programme, funder, starts_on, ends_on, amount_cents, renewal_deadline) \
               select '{}', '{subsidy}', '{hr_contract}', 'adulte_relais', 'state', current_date - 300, current_date + 400, 2213900, current_date + 30 from c returning 1) \
         select count(*) from s",
        t.id, t.id, t.id
    ))
    .await;
    let pathways = pathways::Pathways::new(db.clone());
    assert_eq!(
        pathways
            .announce_subsidies_to_renew(kernel::time::today())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        pathways
            .announce_subsidies_to_renew(kernel::time::today())
            .await
            .unwrap(),
        0
    );
    let on = chrono::NaiveDate::parse_from_str(&day(30), "%Y-%m-%d")
        .unwrap()
        .format("%d/%m/%Y")
        .to_string();
    let text = smtp.text_to(&t.director.email, "aide au poste").await;
    assert!(
        text.contains(&format!("arrive à échéance le {on}")),
        "{text}"
    );
    assert_eq!(
        smtp.count_to(&t.coordinator.email, "aide au poste"),
        0,
        "coordinators only when they manage HR"
    );

    // --- A contract past its term reads expired, then is stored so with its history. ---
    app.count(&format!(
        "with u as (update compliance_contracts set term_ends_on = current_date - 1, renewal_on = current_date - 1 where id = '{contract_id}' returning 1) select count(*) from u"
    ))
    .await;
    let q = "{ franchiseContracts { edges { node { id status history { action reason previous } } } } }";
    let r = as_union(&app, &admin, q, json!({})).await;
    assert_eq!(nodes(ok(&r, "franchiseContracts"))[0]["status"], "EXPIRED");
    let r = as_union(&app, &admin, "{ contractsToRenew { id } }", json!({})).await;
    assert_eq!(ok(&r, "contractsToRenew"), &json!([]));
    assert_eq!(svc.expire_contracts().await.unwrap(), 1);
    assert_eq!(svc.expire_contracts().await.unwrap(), 0);
    assert_eq!(
        app.count(&format!("select count(*) from compliance_contracts where id = '{contract_id}' and status = 'expired'")).await,
        1
    );
    let r = app.as_user(&t.director, None, q, json!({})).await;
    let c = &nodes(ok(&r, "franchiseContracts"))[0];
    assert_eq!(c["status"], "EXPIRED");
    let h = c["history"].as_array().unwrap();
    let last = h.last().unwrap();
    assert_eq!(last["action"], "status");
    assert_eq!(last["previous"]["status"], "in_force");
    assert!(
        last["reason"]
            .as_str()
            .unwrap()
            .starts_with("terme du contrat atteint"),
        "{last}"
    );

    // --- A self-assessment past its deadline closes by itself. ---
    let r = as_union(&app, &auditor, "mutation($i: OpenComplianceCampaignInput!) { openComplianceCampaign(input: $i) { campaign { id audits { edges { node { id } } } } } }",
        json!({"i": {"title": "Campagne suivante", "catalogueVersionId": version, "periodStartsOn": day(-30),
            "periodEndsOn": day(-1), "selfAssessmentDueOn": day(5), "visitsFrom": day(10), "visitsUntil": day(20),
            "contradictoryDays": 15, "closesOn": day(40), "tenantIds": [t.gid()]}})).await;
    let late = nodes(&ok(&r, "openComplianceCampaign")["campaign"]["audits"])[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let late_id = kernel::gid::decode(&late).unwrap().1;
    app.count(&format!(
        "with u as (update compliance_campaigns set self_assessment_due_on = current_date - 1 \
         where id = (select campaign_id from compliance_audits where id = '{late_id}') returning 1) select count(*) from u"
    ))
    .await;
    let r = app
        .as_user(
            &t.director,
            None,
            "mutation($i: AuditInput!) { submitSelfAssessment(input: $i) { audit { status } } }",
            json!({"i": {"auditId": late}}),
        )
        .await;
    validation(&r, "auditId");
    assert_eq!(svc.close_overdue_self_assessments().await.unwrap(), 1);
    assert_eq!(svc.close_overdue_self_assessments().await.unwrap(), 0);
    let r = as_union(&app, &auditor, "query($a: ID!) { complianceAudit(auditId: $a) { status submittedAt history { action changedById } } }",
        json!({"a": late})).await;
    let a = ok(&r, "complianceAudit");
    assert_eq!(a["status"], "REVIEW");
    assert_eq!(a["submittedAt"], Value::Null);
    assert_eq!(a["history"][0]["action"], "self_assessment_closed");
    assert_eq!(
        a["history"][0]["changedById"],
        Value::Null,
        "the platform's doing"
    );
    smtp.text_to(&auditor.email, "sans soumission").await;

    // No payload names anyone: ids, codes and dates only.
    for needle in [
        &t.director.email,
        &t.coordinator.email,
        "Marie Petit",
        "Salarié Rappel",
        "Afficher la gratuité",
    ] {
        assert_eq!(
            app.count(&format!(
                "select count(*) from event_outbox where payload::text like '%{}%'",
                needle.replace('\'', "''")
            ))
            .await,
            0,
            "{needle}"
        );
    }
    // Partners' webhooks never take these events.
    let (_, partner_user) = app.partner("Partenaire des rappels", "energy").await;
    let r = app.as_user(&partner_user, None, "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } } }",
        json!({"i": {"url": "http://127.0.0.1:9/hook", "eventTypes": ["AUDIT_PHASE_CHANGED"]}})).await;
    validation(&r, "eventTypes");
    db.close().await;
    tdb.drop_database().await;
}
