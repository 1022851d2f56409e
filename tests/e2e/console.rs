//! The web console in a real browser: the server (production builder) on the demo
//! network in a database of its own, the test OIDC provider with the console's
//! client, and `tests/console/journeys.mjs` driving Debian's Chromium through
//! playwright-core, with axe-core on every page it visits. A journey that fails
//! leaves a screenshot under the target directory (the path is printed).

use crate::support::base_config;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};
use uuid::Uuid;

const AUDIENCE: &str = "passerelle-api";
const CONSOLE_CLIENT: &str = "passerelle-console";

struct Provider {
    issuer: String,
    _child: Child,
    _stdout: BufReader<ChildStdout>,
}

/// The test OIDC provider with the console's client registered for `redirect`.
async fn provider(redirect: &str) -> Provider {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("oidc-provider");
    assert!(
        dir.join("node_modules").join("oidc-provider").is_dir(),
        "run `npm ci --prefix tests/oidc-provider` (scripts/test does it)"
    );
    let mut child = Command::new("node")
        .arg("server.mjs")
        .current_dir(&dir)
        .env("PORT", "0")
        .env("AUDIENCE", AUDIENCE)
        .env("CONSOLE_CLIENT_ID", CONSOLE_CLIENT)
        .env("CONSOLE_REDIRECT_URI", redirect)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("starting the test OIDC provider (node)");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(10), stdout.read_line(&mut line))
        .await
        .expect("the provider did not start within 10 s")
        .expect("reading the provider's stdout");
    let ready: Value = serde_json::from_str(line.trim()).expect("readiness line");
    Provider {
        issuer: ready["issuer"].as_str().expect("issuer").to_owned(),
        _child: child,
        _stdout: stdout,
    }
}

/// One row's id (as the superuser) from `sql`.
async fn one_id(tdb: &testkit::TestDb, sql: &str) -> Uuid {
    use sea_orm::ConnectionTrait;
    let admin = tdb.admin().await;
    let row = admin
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            sql.to_owned(),
        ))
        .await
        .expect("query")
        .expect("a row");
    let id: Uuid = row.try_get_by_index(0).expect("id");
    let _ = admin.close().await;
    id
}

/// A `/graphql` caller with a development token for `email`.
async fn api_as(
    base: &str,
    email: &str,
) -> impl Fn(&'static str, Value) -> futures_util::future::BoxFuture<'static, Value> {
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{base}/dev/token"))
        .json(&serde_json::json!({ "email": email }))
        .send()
        .await
        .expect("POST /dev/token")
        .json()
        .await
        .expect("token JSON");
    let token = token["access_token"]
        .as_str()
        .expect("a demo token")
        .to_owned();
    let url = format!("{base}/graphql");
    move |query: &'static str, variables: Value| {
        let (http, token, url) = (http.clone(), token.clone(), url.clone());
        Box::pin(async move {
            let r: Value = http
                .post(url)
                .bearer_auth(token)
                .json(&serde_json::json!({ "query": query, "variables": variables }))
                .send()
                .await
                .expect("POST /graphql")
                .json()
                .await
                .expect("GraphQL JSON");
            assert!(r["errors"].is_null(), "{query}: {r}");
            r["data"].clone()
        })
    }
}

/// Through the API as any client would: the union's admin opens a campaign
/// auditing Lyon and Nîmes (the demo's audits are final or, for Nîmes, without a
/// finding); Nîmes's director submits its self-assessment; the admin scores it,
/// writes two findings and sends the draft report. (Lyon's audit, in its
/// self-assessment; Nîmes's, in its contradictory phase.)
async fn open_audits(base: &str, lyon: Uuid, nimes: Uuid) -> (String, String) {
    let admin = api_as(base, "admin@union-pimms.example").await;
    let versions = admin(
        "{ catalogueVersions { id status criteria { id } } }",
        serde_json::json!({}),
    )
    .await;
    let version = versions["catalogueVersions"]
        .as_array()
        .expect("versions")
        .iter()
        .find(|v| v["status"] == "PUBLISHED")
        .expect("a published catalogue")
        .clone();
    let today = chrono::Utc::now().date_naive();
    let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
    let opened = admin(
        "mutation($i: OpenComplianceCampaignInput!) { openComplianceCampaign(input: $i) { campaign { audits { edges { node { id tenant { slug } } } } } } }",
        serde_json::json!({ "i": {
            "title": "Campagne de contrôle complémentaire",
            "catalogueVersionId": version["id"],
            "periodStartsOn": day(-365), "periodEndsOn": day(-1),
            "selfAssessmentDueOn": day(20), "visitsFrom": day(30), "visitsUntil": day(40),
            "contradictoryDays": 30, "closesOn": day(90),
            "tenantIds": [kernel::gid::encode("Tenant", lyon), kernel::gid::encode("Tenant", nimes)],
        } }),
    )
    .await;
    let audits: Vec<serde_json::Value> =
        opened["openComplianceCampaign"]["campaign"]["audits"]["edges"]
            .as_array()
            .expect("audits")
            .iter()
            .map(|e| e["node"].clone())
            .collect();
    let of = |slug: &str| {
        audits
            .iter()
            .find(|a| a["tenant"]["slug"] == slug)
            .expect("an audit")["id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let (lyon_audit, nimes_audit) = (of("pimms-lyon-metropole"), of("pimms-nimes"));
    let nimes_director = api_as(base, "direction@nimes.pimms.example").await;
    nimes_director(
        "mutation($i: AuditInput!) { submitSelfAssessment(input: $i) { audit { id } } }",
        serde_json::json!({ "i": { "auditId": nimes_audit } }),
    )
    .await;
    let criteria = version["criteria"].as_array().expect("criteria");
    for (i, c) in criteria.iter().enumerate() {
        let result = if i < 2 { "NOT_MET" } else { "MET" };
        admin(
            "mutation($i: ScoreCriterionInput!) { scoreCriterion(input: $i) { audit { id } } }",
            serde_json::json!({ "i": { "auditId": nimes_audit, "criterionId": c["id"], "result": result } }),
        )
        .await;
        if i < 2 {
            admin(
                "mutation($i: AddAuditFindingInput!) { addAuditFinding(input: $i) { finding { id } } }",
                serde_json::json!({ "i": { "auditId": nimes_audit, "criterionId": c["id"], "body": "Écart relevé lors de la visite." } }),
            )
            .await;
        }
    }
    admin(
        "mutation($i: SendDraftReportInput!) { sendDraftReport(input: $i) { audit { id } } }",
        serde_json::json!({ "i": { "auditId": nimes_audit, "summary": "Rapport provisoire : deux écarts." } }),
    )
    .await;
    (lyon_audit, nimes_audit)
}

/// The demo auditor's own audits, so that the auditor's journey depends on no
/// other journey: the auditor opens a campaign of Grenoble and Cherbourg (assigned
/// to them as its opener); Grenoble's director answers a criterion with a PDF and
/// submits (the audit in review, its piece to examine); Cherbourg's audit is taken
/// through the API to its final report with one action, which Cherbourg's
/// director declares done (the auditor has it to accept or reopen).
async fn auditor_audits(
    base: &str,
    grenoble: Uuid,
    cherbourg: Uuid,
    cherbourg_director: Uuid,
) -> (String, String) {
    let auditor = api_as(base, "audit@union-pimms.example").await;
    let versions = auditor(
        "{ catalogueVersions { id status criteria { id } } }",
        serde_json::json!({}),
    )
    .await;
    let version = versions["catalogueVersions"]
        .as_array()
        .expect("versions")
        .iter()
        .find(|v| v["status"] == "PUBLISHED")
        .expect("a published catalogue")
        .clone();
    let today = chrono::Utc::now().date_naive();
    let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
    let opened = auditor(
        "mutation($i: OpenComplianceCampaignInput!) { openComplianceCampaign(input: $i) { campaign { audits { edges { node { id tenant { slug } } } } } } }",
        serde_json::json!({ "i": {
            "title": "Campagne de l'auditeur",
            "catalogueVersionId": version["id"],
            "periodStartsOn": day(-365), "periodEndsOn": day(-1),
            "selfAssessmentDueOn": day(20), "visitsFrom": day(30), "visitsUntil": day(40),
            "contradictoryDays": 30, "closesOn": day(90),
            "tenantIds": [kernel::gid::encode("Tenant", grenoble), kernel::gid::encode("Tenant", cherbourg)],
        } }),
    )
    .await;
    let of = |slug: &str| {
        opened["openComplianceCampaign"]["campaign"]["audits"]["edges"]
            .as_array()
            .expect("audits")
            .iter()
            .find(|e| e["node"]["tenant"]["slug"] == slug)
            .expect("an audit")["node"]["id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let (grenoble_audit, cherbourg_audit) = (of("pimms-grenoble-alpes"), of("pimms-cherbourg"));
    let criteria = version["criteria"].as_array().expect("criteria");

    // Grenoble: one answer with its PDF, then the submission.
    let grenoble = api_as(base, "direction@grenoble.pimms.example").await;
    let answered = grenoble(
        "mutation($i: AnswerCriterionInput!) { answerCriterion(input: $i) { answer { id } } }",
        serde_json::json!({ "i": { "auditId": grenoble_audit, "criterionId": criteria[0]["id"],
            "declaration": "Accueil gratuit et sans rendez-vous, affiché à l'entrée." } }),
    )
    .await;
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{base}/dev/token"))
        .json(&serde_json::json!({ "email": "direction@grenoble.pimms.example" }))
        .send()
        .await
        .expect("POST /dev/token")
        .json()
        .await
        .expect("token JSON");
    let pdf = b"%PDF-1.7\n% Affichage\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec();
    let r = http
        .post(format!("{base}/compliance/evidence"))
        .bearer_auth(token["access_token"].as_str().expect("token"))
        .query(&[
            (
                "ownerId",
                answered["answerCriterion"]["answer"]["id"]
                    .as_str()
                    .expect("answer"),
            ),
            ("fileName", "affichage.pdf"),
        ])
        .body(pdf)
        .send()
        .await
        .expect("POST /compliance/evidence");
    assert_eq!(r.status(), 201, "the evidence is stored");
    grenoble(
        "mutation($i: AuditInput!) { submitSelfAssessment(input: $i) { audit { id } } }",
        serde_json::json!({ "i": { "auditId": grenoble_audit } }),
    )
    .await;

    // Cherbourg: submitted, scored, a finding, the draft, the final report with
    // its action, and the action declared done.
    let cherbourg = api_as(base, "direction@cherbourg.pimms.example").await;
    cherbourg(
        "mutation($i: AuditInput!) { submitSelfAssessment(input: $i) { audit { id } } }",
        serde_json::json!({ "i": { "auditId": cherbourg_audit } }),
    )
    .await;
    for (i, c) in criteria.iter().enumerate() {
        let result = if i == 0 { "NOT_MET" } else { "MET" };
        auditor(
            "mutation($i: ScoreCriterionInput!) { scoreCriterion(input: $i) { audit { id } } }",
            serde_json::json!({ "i": { "auditId": cherbourg_audit, "criterionId": c["id"], "result": result } }),
        )
        .await;
    }
    auditor(
        "mutation($i: SendDraftReportInput!) { sendDraftReport(input: $i) { audit { id } } }",
        serde_json::json!({ "i": { "auditId": cherbourg_audit, "summary": "Un critère non atteint." } }),
    )
    .await;
    let finalised = auditor(
        "mutation($i: FinaliseAuditInput!) { finaliseAudit(input: $i) { audit { actions(first: 10) { edges { node { id } } } } } }",
        serde_json::json!({ "i": { "auditId": cherbourg_audit, "summary": "Conforme sous réserve d'un affichage des horaires.",
            "grade": "COMPLIANT_WITH_RESERVATIONS",
            "actions": [{ "criterionId": criteria[0]["id"], "title": "Afficher les horaires à l'entrée",
                "ownerId": kernel::gid::encode("Membership", cherbourg_director), "dueOn": day(30) }] } }),
    )
    .await;
    let action = finalised["finaliseAudit"]["audit"]["actions"]["edges"][0]["node"]["id"].clone();
    cherbourg(
        "mutation($i: CompleteCorrectiveActionInput!) { completeCorrectiveAction(input: $i) { action { id } } }",
        serde_json::json!({ "i": { "actionId": action, "note": "Horaires affichés à l'entrée depuis lundi." } }),
    )
    .await;
    (grenoble_audit, cherbourg_audit)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journeys_in_chromium() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let journeys = root.join("console");
    assert!(
        journeys
            .join("node_modules")
            .join("playwright-core")
            .is_dir(),
        "run `npm ci --prefix tests/console` (scripts/test does it)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "Chromium is missing at {chromium}: `apt-get install -y chromium` (scripts/test does it)"
    );

    // The demo network, in a database of its own (the run's shared one must not hold it).
    let tdb: &'static testkit::TestDb = Box::leak(Box::new(testkit::testdb::separate_db().await));
    let db = tdb.app().await;
    demo::demo(&db, 3000).await.expect("demo seed");
    db.close().await;

    // The port first: the provider must know the console's redirect URI.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let provider = provider(&format!("{base}/connexion/retour")).await;
    let mut vars = base_config(tdb, &provider.issuer);
    vars.insert("PASSERELLE_OIDC_AUDIENCE".into(), AUDIENCE.into());
    vars.insert(
        "PASSERELLE_CONSOLE_OIDC_CLIENT_ID".into(),
        CONSOLE_CLIENT.into(),
    );
    vars.insert("PASSERELLE_PUBLIC_URL".into(), base.clone());
    let config = server::Config::from_map(&vars).expect("configuration");
    let app = server::build(config).await.expect("build");
    tokio::spawn(async move {
        let _ = server::serve(app, listener).await;
    });

    // The pages' security headers, and the session cookie's flags.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!("{base}/connexion"))
        .send()
        .await
        .expect("GET /connexion");
    assert_eq!(r.status(), 200);
    let h = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let csp = h("content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert_eq!(h("referrer-policy"), "same-origin");
    let cookie = h("set-cookie");
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && !cookie.contains("Secure"),
        "development cookie: {cookie}"
    );

    // Someone invited as a mediator of Lyon, who signs in at the provider.
    let email = format!("console-{}@e2e.test.example", testkit::suffix());
    let lyon = one_id(
        tdb,
        "select id from tenants where slug = 'pimms-lyon-metropole'",
    )
    .await;
    {
        use sea_orm::ConnectionTrait;
        let admin = tdb.admin().await;
        admin
            .execute_raw(sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "insert into invitations (tenant_id, id, email, role, expires_at) \
                 values ($1, $2, $3, 'mediator', now() + interval '1 day')",
                vec![lyon.into(), Uuid::now_v7().into(), email.clone().into()],
            ))
            .await
            .expect("invitation");
        let _ = admin.close().await;
    }
    // An audit of Lyon in its self-assessment, one of Nîmes with findings to answer.
    let nimes = one_id(tdb, "select id from tenants where slug = 'pimms-nimes'").await;
    let (lyon_audit, _) = open_audits(&base, lyon, nimes).await;
    // The auditor's own audits (Grenoble in review, Cherbourg's action done).
    let cherbourg_director = one_id(
        tdb,
        "select m.id from memberships m join tenants t on t.id = m.tenant_id \
         join users u on u.id = m.user_id \
         where t.slug = 'pimms-cherbourg' and u.email = 'direction@cherbourg.pimms.example'",
    )
    .await;
    let grenoble = one_id(
        tdb,
        "select id from tenants where slug = 'pimms-grenoble-alpes'",
    )
    .await;
    let cherbourg = one_id(tdb, "select id from tenants where slug = 'pimms-cherbourg'").await;
    let (review_audit, final_audit) =
        auditor_audits(&base, grenoble, cherbourg, cherbourg_director).await;
    let nimes_employee = one_id(
        tdb,
        "select e.id from employees e join tenants t on t.id = e.tenant_id \
         where t.slug = 'pimms-nimes' limit 1",
    )
    .await;
    let nimes_visit = one_id(
        tdb,
        "select v.id from visits v join tenants t on t.id = v.tenant_id \
         where t.slug = 'pimms-nimes' limit 1",
    )
    .await;

    let shots = PathBuf::from(
        std::env::var("CARGO_TARGET_DIR")
            .unwrap_or_else(|_| root.join("../target").display().to_string()),
    )
    .join("console-screenshots");
    let out = Command::new("node")
        .arg("journeys.mjs")
        .current_dir(&journeys)
        .env("BASE_URL", &base)
        .env("SCREENSHOT_DIR", &shots)
        .env("CHROMIUM", &chromium)
        .env("OIDC_EMAIL", &email)
        .env("OTHER_VISIT", kernel::gid::encode("Visit", nimes_visit))
        .env("LYON_AUDIT", &lyon_audit)
        .env("REVIEW_AUDIT", &review_audit)
        .env("FINAL_AUDIT", &final_audit)
        .env(
            "MISSING_AUDIT",
            kernel::gid::encode("ComplianceAudit", Uuid::now_v7()),
        )
        .env(
            "OTHER_EMPLOYEE",
            kernel::gid::encode("Employee", nimes_employee),
        )
        .env(
            "MISSING_VISIT",
            kernel::gid::encode("Visit", Uuid::now_v7()),
        )
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(600), out)
        .await
        .expect("the journeys did not end within 10 minutes")
        .expect("running node journeys.mjs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "console journeys failed ({}); screenshots in {}:\n{stdout}\n{stderr}",
        out.status,
        shots.display()
    );
    assert!(
        stdout.contains(", 0 violations"),
        "axe summary missing: {stdout}"
    );
    tdb.drop_database().await;
}

/// In production the development sign-in does not exist (no demo accounts listed,
/// its form's route refused), and the session cookie is `Secure`.
#[tokio::test]
async fn production_has_no_development_sign_in() {
    let tdb = testkit::test_db();
    let mut vars = base_config(tdb, "https://127.0.0.1:9");
    vars.insert("PASSERELLE_ENV".into(), "production".into());
    vars.insert("PASSERELLE_OIDC_AUDIENCE".into(), AUDIENCE.into());
    let config = server::Config::from_map(&vars).expect("configuration");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = server::build(config).await.expect("build");
    tokio::spawn(async move {
        let _ = server::serve(app, listener).await;
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = http
        .get(format!("{base}/connexion"))
        .send()
        .await
        .expect("GET /connexion");
    assert_eq!(r.status(), 200);
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Secure"),
        "production cookie: {cookie}"
    );
    let page = r.text().await.expect("page");
    assert!(page.contains("<h1>Connexion</h1>"), "{page}");
    assert!(!page.contains("Comptes de démonstration"), "{page}");
    assert!(!page.contains("/connexion/dev"), "{page}");
    let session = cookie.split(';').next().unwrap_or("").to_owned();
    let r = http
        .post(format!("{base}/connexion/dev"))
        .header("cookie", session)
        .form(&[("email", "direction@lyon.pimms.example"), ("_csrf", "x")])
        .send()
        .await
        .expect("POST /connexion/dev");
    assert_eq!(r.status(), 404, "development sign-in in production");
    let r = http
        .post(format!("{base}/dev/token"))
        .json(&serde_json::json!({ "email": "direction@lyon.pimms.example" }))
        .send()
        .await
        .expect("POST /dev/token");
    assert_ne!(r.status(), 200);
}
