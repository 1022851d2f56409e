//! Events end to end: a partner registers a webhook endpoint (a receiver in the
//! test), a mediator records an outcome, and the receiver gets one delivery signed by
//! the Standard Webhooks algorithm (checked here with HMAC-SHA256 directly, not with
//! the server's code); a receiver failing twice gets it once more, then again on a
//! replay; a mutation rolled back sends nothing; two `passerelle serve` processes on
//! one database deliver each event once; production refuses internal addresses;
//! invitations (association, union, partner) and reminders (association, partner and
//! union people) reach a real SMTP server (aiosmtpd), and a person of each kind who
//! turned reminders off gets none. Each test has a database of its own, so that no other test's server
//! delivers its events.

use crate::support::*;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use testkit::{Gql, Issuer, TestDb, TestTenant, TestUser};
use tokio::io::{AsyncBufReadExt, BufReader};
use uuid::Uuid;

// ---------------------------------------------------------------- the receiver

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Hit {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
    /// What the receiver answered.
    answered: u16,
}

#[derive(Clone, Default)]
struct Script {
    /// Answers to give, in order; 200 once they run out.
    answers: Arc<Mutex<VecDeque<u16>>>,
    hits: Arc<Mutex<Vec<Hit>>>,
    delay: Duration,
}

struct Receiver {
    url: String,
    script: Script,
}

impl Receiver {
    fn hits(&self) -> Vec<Hit> {
        self.script.hits.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived (at most 60 s), then a little longer, so that
    /// a request too many would be seen too.
    async fn wait_for(&self, n: usize) -> Vec<Hit> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while self.hits().len() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "waited 60 s for {n} requests, got {:?}",
                self.hits()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        self.hits()
    }
}

async fn hook(State(s): State<Script>, headers: HeaderMap, body: String) -> StatusCode {
    if !s.delay.is_zero() {
        tokio::time::sleep(s.delay).await;
    }
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let answered = s.answers.lock().unwrap().pop_front().unwrap_or(200);
    s.hits.lock().unwrap().push(Hit {
        id: h("webhook-id"),
        timestamp: h("webhook-timestamp"),
        signature: h("webhook-signature"),
        body,
        answered,
    });
    StatusCode::from_u16(answered).unwrap()
}

/// A local HTTP receiver answering `answers` first, then 200.
async fn receiver(answers: &[u16], delay: Duration) -> Receiver {
    let script = Script {
        answers: Arc::new(Mutex::new(answers.iter().copied().collect())),
        hits: Arc::default(),
        delay,
    };
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(hook))
        .with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver { url, script }
}

/// The Standard Webhooks check, written from the specification: HMAC-SHA256 keyed
/// with the base64 after `whsec_`, over `id.timestamp.body`, one of the header's
/// space-separated `v1,` signatures.
fn verifies(secret: &str, h: &Hit) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .expect("base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", h.id, h.timestamp, h.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    h.signature.split(' ').any(|s| s == expected)
}

// ---------------------------------------------------------------- the servers

/// A server on `tdb`, delivering quickly (polls every 100 ms, first retry 300 ms).
async fn app_on(
    tdb: &'static TestDb,
    edit: impl FnOnce(&mut std::collections::HashMap<String, String>),
) -> TestApp {
    let issuer = Arc::new(Issuer::start().await);
    let mut vars = base_config(tdb, &issuer.url);
    vars.insert("PASSERELLE_EVENTS_POLL_MS".into(), "100".into());
    vars.insert("PASSERELLE_WEBHOOK_RETRY_BASE_MS".into(), "300".into());
    edit(&mut vars);
    let config = server::Config::from_map(&vars).expect("test configuration");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
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

async fn own_db() -> &'static TestDb {
    Box::leak(Box::new(testkit::testdb::separate_db().await))
}

async fn exec(tdb: &TestDb, sql: &str, values: Vec<sea_orm::Value>) {
    let admin = tdb.admin().await;
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

/// An association with a site, a partner with one person, and a local agreement
/// between them covering outreach, reported monthly.
struct World {
    app: TestApp,
    t: TestTenant,
    partner: Uuid,
    agent: TestUser,
    agreement: Uuid,
}

async fn world(app: TestApp) -> World {
    let tdb = app.db;
    let t = TestTenant::create(tdb, &app.issuer.url).await;
    let db = tdb.app().await;
    let partner =
        testkit::fixtures::partner_org(&db, &format!("EDF {}", testkit::suffix()), "energy").await;
    let agent = testkit::fixtures::partner_user(&db, &app.issuer.url, partner).await;
    db.close().await;
    let site = Uuid::now_v7();
    exec(
        tdb,
        "insert into sites (tenant_id, id, name, kind, postcode, city, opened_on, services) \
         values ($1, $2, $3, 'site', '69009', 'Lyon', '2001-05-02', '{partner_visits}')",
        vec![
            t.id.into(),
            site.into(),
            format!("Site {}", testkit::suffix()).into(),
        ],
    )
    .await;
    let agreement = Uuid::now_v7();
    exec(
        tdb,
        "insert into agreements (id, partner_id, tenant_id, reference, title, starts_on, ends_on, status, services, reporting_frequency) \
         values ($1, $2, $3, $4, 'Convention médiation sortante', current_date - 60, current_date + 300, 'active', \
                 '{partner_visits,outreach}', 'monthly')",
        vec![
            agreement.into(),
            partner.into(),
            t.id.into(),
            format!("CONV-{}", testkit::suffix()).into(),
        ],
    )
    .await;
    exec(
        tdb,
        "insert into agreement_sites (agreement_id, partner_id, tenant_id, site_id) values ($1, $2, $3, $4)",
        vec![agreement.into(), partner.into(), t.id.into(), site.into()],
    )
    .await;
    World {
        app,
        t,
        partner,
        agent,
        agreement,
    }
}

fn day(offset: i64) -> String {
    (kernel::time::today() + chrono::Duration::days(offset)).to_string()
}

impl World {
    async fn ok(&self, u: &TestUser, query: &str, vars: Value) -> Value {
        let r = self.app.as_user(u, None, query, vars).await;
        assert!(r.ok(), "{query}: {}", r.body);
        r.data().clone()
    }

    /// An endpoint of the partner's for `types`: (its global id, its secret).
    async fn endpoint(&self, url: &str, types: &[&str]) -> (String, String) {
        let d = self
            .ok(
                &self.agent,
                "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret endpoint { id url active eventTypes } } }",
                json!({"i": {"url": url, "eventTypes": types}}),
            )
            .await;
        let p = &d["createWebhookEndpoint"];
        assert_eq!(p["endpoint"]["active"], true);
        (
            p["endpoint"]["id"].as_str().unwrap().to_owned(),
            p["secret"].as_str().unwrap().to_owned(),
        )
    }

    /// An open campaign with one case submitted by the partner: the case's global id.
    async fn case(&self) -> String {
        let d = self
            .ok(
                &self.t.director,
                "mutation($i: OpenOutreachCampaignInput!) { openOutreachCampaign(input: $i) { campaign { id } } }",
                json!({"i": {
                    "agreementId": kernel::gid::encode("Agreement", self.agreement),
                    "title": "Impayés d'énergie, hiver", "purpose": "UNPAID_ENERGY_BILLS",
                    "legalBasis": "LEGITIMATE_INTEREST", "startsOn": day(-1), "endsOn": day(60),
                }}),
            )
            .await;
        let campaign = d["openOutreachCampaign"]["campaign"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let d = self
            .ok(
                &self.agent,
                "mutation($i: SubmitOutreachCasesInput!) { submitOutreachCases(input: $i) { cases { id } } }",
                json!({"i": {"campaignId": campaign, "cases": [
                    {"customerRef": "C-001", "fullName": "Jeanne Martin", "phone": "06 12 34 56 78"}
                ]}}),
            )
            .await;
        let case = d["submitOutreachCases"]["cases"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        self.ok(
            &self.t.mediator,
            "mutation($i: RecordOutreachAttemptInput!) { recordOutreachAttempt(input: $i) { case { id } } }",
            json!({"i": {"caseId": case, "channel": "PHONE", "result": "REACHED"}}),
        )
        .await;
        case
    }

    async fn close_case(&self, case: &str) -> testkit::gql::Reply {
        self.app
            .as_user(
                &self.t.mediator,
                None,
                "mutation($i: CloseOutreachCaseInput!) { closeOutreachCase(input: $i) { case { id status } } }",
                json!({"i": {"caseId": case, "outcome": "PAYMENT_PLAN_AGREED", "consentToReport": true,
                             "reportDetails": "Échéancier sur 6 mois"}}),
            )
            .await
    }

    async fn deliveries(&self, endpoint: &str) -> Vec<Value> {
        let d = self
            .ok(
                &self.agent,
                "query($e: ID!) { webhookDeliveries(endpointId: $e, first: 100) { edges { node { \
                   id eventId eventType status attempts lastResponseCode lastError deliveredAt } } } }",
                json!({"e": endpoint}),
            )
            .await;
        d["webhookDeliveries"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"].clone())
            .collect()
    }
}

// ---------------------------------------------------------------- the tests

#[tokio::test]
async fn an_outcome_reaches_the_partner_once_signed_and_with_ids_only() {
    let w = world(app_on(own_db().await, |_| {}).await).await;
    let rx = receiver(&[], Duration::ZERO).await;
    let (endpoint, secret) = w
        .endpoint(&rx.url, &["OUTREACH_CASE_OUTCOME_RECORDED"])
        .await;
    let case = w.case().await;
    let r = w.close_case(&case).await;
    assert!(r.ok(), "{}", r.body);

    let hits = rx.wait_for(1).await;
    assert_eq!(hits.len(), 1, "one delivery: {hits:?}");
    let h = &hits[0];
    assert!(verifies(&secret, h), "the signature verifies: {h:?}");
    let ts: i64 = h.timestamp.parse().unwrap();
    assert!(
        (chrono::Utc::now().timestamp() - ts).abs() < 300,
        "a fresh timestamp"
    );
    let body: Value = serde_json::from_str(&h.body).unwrap();
    assert_eq!(body["id"], h.id, "the payload's id is the webhook-id");
    assert_eq!(body["type"], "outreach.case.outcome_recorded");
    assert_eq!(body["data"]["case"], case);
    assert_eq!(body["data"]["outcome"], "payment_plan_agreed");
    assert_eq!(body["data"]["reportDetailsAvailable"], true);
    for private in ["Jeanne", "Martin", "06 12", "Échéancier", "C-001"] {
        assert!(
            !h.body.contains(private),
            "no personal data in the payload: {}",
            h.body
        );
    }
    // A tampered body does not verify.
    let tampered = Hit {
        body: h.body.replace("payment_plan_agreed", "refused"),
        ..h.clone()
    };
    assert!(!verifies(&secret, &tampered));

    // What the partner sees.
    let ds = w.deliveries(&endpoint).await;
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0]["status"], "DELIVERED");
    assert_eq!(ds[0]["attempts"], 1);
    assert_eq!(ds[0]["lastResponseCode"], 200);
    assert_eq!(ds[0]["eventId"], h.id);
    assert_eq!(ds[0]["eventType"], "OUTREACH_CASE_OUTCOME_RECORDED");

    // Rotation: the next delivery carries both signatures, old and new.
    let d = w
        .ok(
            &w.agent,
            "mutation($i: WebhookEndpointInput!) { rotateWebhookEndpointSecret(input: $i) { secret endpoint { previousSecretExpiresAt } } }",
            json!({"i": {"endpointId": endpoint}}),
        )
        .await;
    let new_secret = d["rotateWebhookEndpointSecret"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_secret, secret);
    assert!(d["rotateWebhookEndpointSecret"]["endpoint"]["previousSecretExpiresAt"].is_string());
    let second = w.case().await;
    assert!(w.close_case(&second).await.ok());
    let hits = rx.wait_for(2).await;
    assert_eq!(hits.len(), 2);
    assert_ne!(hits[1].id, hits[0].id);
    assert!(verifies(&new_secret, &hits[1]) && verifies(&secret, &hits[1]));

    // The association's staff and another partner see none of it.
    let r = w
        .app
        .as_user(
            &w.t.director,
            None,
            "{ webhookEndpoints(first: 10) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"), "{}", r.body);
    let db = w.app.db.app().await;
    let other =
        testkit::fixtures::partner_org(&db, &format!("Veolia {}", testkit::suffix()), "water")
            .await;
    let stranger = testkit::fixtures::partner_user(&db, &w.app.issuer.url, other).await;
    db.close().await;
    let r = w
        .app
        .as_user(&stranger, None, "query($e: ID!) { node(id: $e) { id } webhookDeliveries(endpointId: $e, first: 5) { edges { node { id } } } }", json!({"e": endpoint}))
        .await;
    assert!(r.ok(), "{}", r.body);
    assert!(r.data()["node"].is_null());
    assert_eq!(r.data()["webhookDeliveries"]["edges"], json!([]));
    let _ = w.partner;
}

#[tokio::test]
async fn a_receiver_failing_twice_gets_the_event_once_more_then_on_replay() {
    let w = world(app_on(own_db().await, |_| {}).await).await;
    let rx = receiver(&[500, 503], Duration::ZERO).await;
    let (endpoint, secret) = w
        .endpoint(&rx.url, &["OUTREACH_CASE_OUTCOME_RECORDED"])
        .await;
    let case = w.case().await;
    assert!(w.close_case(&case).await.ok());

    let hits = rx.wait_for(3).await;
    assert_eq!(
        hits.iter().map(|h| h.answered).collect::<Vec<_>>(),
        vec![500, 503, 200],
        "two failures, then exactly one success and nothing after it"
    );
    assert!(
        hits.iter().all(|h| h.id == hits[0].id),
        "one event id throughout"
    );
    assert!(hits.iter().all(|h| verifies(&secret, h)));
    let ds = w.deliveries(&endpoint).await;
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0]["status"], "DELIVERED");
    assert_eq!(ds[0]["attempts"], 3);
    assert_eq!(ds[0]["lastResponseCode"], 200);

    // A replay sends it once more, same id.
    let d = w
        .ok(
            &w.agent,
            "mutation($i: ReplayWebhookDeliveryInput!) { replayWebhookDelivery(input: $i) { delivery { status } } }",
            json!({"i": {"deliveryId": ds[0]["id"]}}),
        )
        .await;
    assert_eq!(d["replayWebhookDelivery"]["delivery"]["status"], "PENDING");
    let hits = rx.wait_for(4).await;
    assert_eq!(hits.len(), 4);
    assert_eq!(hits[3].id, hits[0].id);
    let ds = w.deliveries(&endpoint).await;
    assert_eq!(ds[0]["status"], "DELIVERED");
    assert_eq!(ds[0]["attempts"], 4);

    // A receiver that never answers 2xx: after the retry window the delivery is
    // failed and the endpoint, failing for as long, disabled. (The window is moved
    // into the past rather than waited for.)
    let down = receiver(&[500; 100], Duration::ZERO).await;
    let d = w
        .ok(
            &w.agent,
            "mutation($i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $i) { endpoint { url } } }",
            json!({"i": {"endpointId": endpoint, "url": down.url}}),
        )
        .await;
    assert_eq!(
        d["updateWebhookEndpoint"]["endpoint"]["url"],
        down.url.as_str()
    );
    let other = w.case().await;
    exec(
        w.app.db,
        "update webhook_endpoints set failing_since = now() - interval '25 hours'",
        vec![],
    )
    .await;
    assert!(w.close_case(&other).await.ok());
    // First attempt fails; the next one is past the (shortened) window: given up.
    down.wait_for(1).await;
    exec(
        w.app.db,
        "update webhook_deliveries set retry_until = now(), next_attempt_at = now() where status = 'pending'",
        vec![],
    )
    .await;
    down.wait_for(2).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let ds = w.deliveries(&endpoint).await;
        if ds[0]["status"] == "FAILED" {
            assert_eq!(ds[0]["lastResponseCode"], 500);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{ds:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let d = w
        .ok(
            &w.agent,
            "{ webhookEndpoints(first: 5) { edges { node { disabledAt consecutiveFailures } } } }",
            json!({}),
        )
        .await;
    let e = &d["webhookEndpoints"]["edges"][0]["node"];
    assert!(e["disabledAt"].is_string(), "disabled: {e}");
}

#[tokio::test]
async fn a_rolled_back_mutation_sends_nothing() {
    let w = world(app_on(own_db().await, |_| {}).await).await;
    let rx = receiver(&[], Duration::ZERO).await;
    w.endpoint(&rx.url, &["OUTREACH_CASE_OUTCOME_RECORDED"])
        .await;
    let case = w.case().await;
    let case_id = kernel::gid::decode(&case).unwrap().1;
    // The transaction fails at its commit, after the event was written in it.
    let admin = w.app.db.admin().await;
    admin
        .execute_unprepared(&format!(
            "create function test_refuse_commit() returns trigger language plpgsql as $$ \
             begin raise exception 'refused at commit'; end $$; \
             create constraint trigger test_refuse_commit after update on outreach_cases \
             deferrable initially deferred for each row when (new.id = '{case_id}') \
             execute function test_refuse_commit()"
        ))
        .await
        .expect("the test's trigger");
    let _ = admin.close().await;
    let r = w.close_case(&case).await;
    assert!(!r.ok(), "the commit fails: {}", r.body);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        rx.hits().is_empty(),
        "nothing sent for a change that rolled back"
    );
    assert_eq!(
        w.app
            .count(&format!(
                "select count(*) from event_outbox where subject_id = '{case_id}'"
            ))
            .await,
        0
    );
    // The same change committed: one delivery.
    exec(
        w.app.db,
        "drop trigger test_refuse_commit on outreach_cases",
        vec![],
    )
    .await;
    assert!(w.close_case(&case).await.ok());
    assert_eq!(rx.wait_for(1).await.len(), 1);
}

/// A `passerelle serve` process of this build, on `tdb`, polling every 50 ms and
/// logging its deliveries (ids only, at debug level).
struct Serve {
    child: tokio::process::Child,
    base: String,
}

impl Serve {
    async fn start(tdb: &TestDb, issuer: &str) -> Serve {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = tokio::process::Command::new(passerelle_binary())
            .arg("serve")
            .env_clear()
            .envs(base_config(tdb, issuer))
            .env("PASSERELLE_LISTEN", format!("127.0.0.1:{port}"))
            .env("PASSERELLE_EVENTS_POLL_MS", "50")
            .env("PASSERELLE_WEBHOOK_RETRY_BASE_MS", "300")
            .env("RUST_LOG", "warn,events=debug")
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start passerelle serve");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..150 {
            if http.get(format!("{base}/healthz")).send().await.is_ok() {
                return Serve { child, base };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("passerelle serve did not come up");
    }

    /// Stops the process (SIGTERM, a clean exit) and returns the event ids it logged
    /// as delivered.
    async fn stop(mut self) -> Vec<String> {
        use tokio::io::AsyncReadExt;
        let pid = self.child.id().expect("pid");
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status();
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("exits on SIGTERM")
            .unwrap();
        assert!(status.success(), "clean exit: {status:?}");
        let mut logs = Vec::new();
        if let Some(mut o) = self.child.stdout.take() {
            o.read_to_end(&mut logs).await.unwrap();
        }
        if let Some(mut e) = self.child.stderr.take() {
            e.read_to_end(&mut logs).await.unwrap();
        }
        let logs = strip_ansi(&String::from_utf8_lossy(&logs));
        logs.lines()
            .filter(|l| l.contains("webhook delivered"))
            .map(|l| {
                let at = l.find("event=").expect("the event id on the line") + "event=".len();
                l[at..at + 36].to_owned()
            })
            .collect()
    }
}

/// The text of a log without its terminal colours.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[tokio::test]
async fn two_serve_processes_on_one_database_deliver_each_event_once() {
    let tdb = own_db().await;
    let issuer = Arc::new(Issuer::start().await);
    // Started one after the other: the second finds the database ready.
    let first = Serve::start(tdb, &issuer.url).await;
    let second = Serve::start(tdb, &issuer.url).await;
    let app = |base: &str| TestApp {
        gql: Gql::new(base),
        base: base.to_owned(),
        issuer: issuer.clone(),
        db: tdb,
    };
    let w = world(app(&first.base)).await;
    let other = app(&second.base);
    // A slow receiver, so that while one process sends, the other claims the next.
    let rx = receiver(&[], Duration::from_millis(150)).await;
    let (_, secret) = w
        .endpoint(&rx.url, &["OUTREACH_CASE_OUTCOME_RECORDED"])
        .await;

    // 30 cases submitted by the partner, each reached and closed by a mediator, the
    // calls alternating between the two processes.
    let n = 30;
    let d = w
        .ok(
            &w.t.director,
            "mutation($i: OpenOutreachCampaignInput!) { openOutreachCampaign(input: $i) { campaign { id } } }",
            json!({"i": {
                "agreementId": kernel::gid::encode("Agreement", w.agreement),
                "title": "Impayés d'eau", "purpose": "UNPAID_ENERGY_BILLS",
                "legalBasis": "LEGITIMATE_INTEREST", "startsOn": day(-1), "endsOn": day(60),
            }}),
        )
        .await;
    let campaign = d["openOutreachCampaign"]["campaign"]["id"].clone();
    let cases: Vec<Value> = (0..n)
        .map(|i| json!({"customerRef": format!("C-{i:03}"), "fullName": format!("Résident {i}"), "phone": format!("06 12 34 56 {i:02}")}))
        .collect();
    let d = w
        .ok(
            &w.agent,
            "mutation($i: SubmitOutreachCasesInput!) { submitOutreachCases(input: $i) { cases { id } } }",
            json!({"i": {"campaignId": campaign, "cases": cases}}),
        )
        .await;
    let ids: Vec<String> = d["submitOutreachCases"]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), n);
    for (i, case) in ids.iter().enumerate() {
        let via = if i % 2 == 0 { &w.app } else { &other };
        for (q, vars) in [
            (
                "mutation($i: RecordOutreachAttemptInput!) { recordOutreachAttempt(input: $i) { case { id } } }",
                json!({"i": {"caseId": case, "channel": "PHONE", "result": "REACHED"}}),
            ),
            (
                "mutation($i: CloseOutreachCaseInput!) { closeOutreachCase(input: $i) { case { status } } }",
                json!({"i": {"caseId": case, "outcome": "PAYMENT_PLAN_AGREED", "consentToReport": false}}),
            ),
        ] {
            let r = via.as_user(&w.t.mediator, None, q, vars).await;
            assert!(r.ok(), "{}", r.body);
        }
    }

    let hits = rx.wait_for(n).await;
    assert_eq!(hits.len(), n, "each event once: {hits:?}");
    let ids: HashSet<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids.len(), n, "n distinct events");
    assert!(
        hits.iter()
            .all(|h| h.answered == 200 && verifies(&secret, h))
    );
    let cases: HashSet<String> = hits
        .iter()
        .map(|h| {
            serde_json::from_str::<Value>(&h.body).unwrap()["data"]["case"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(cases.len(), n, "one event per case");
    assert_eq!(
        w.app
            .count("select count(*) from webhook_deliveries where status = 'delivered' and attempts = 1")
            .await,
        n as i64
    );

    // Who sent what, from each process's own log: together, every event exactly once,
    // and each process its share.
    let by_first = first.stop().await;
    let by_second = second.stop().await;
    let mut all: Vec<&str> = by_first
        .iter()
        .chain(&by_second)
        .map(String::as_str)
        .collect();
    all.sort_unstable();
    let mut received: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    received.sort_unstable();
    assert_eq!(
        all, received,
        "the processes' logs name the events received, once each"
    );
    assert!(
        !by_first.is_empty() && !by_second.is_empty(),
        "both processes delivered: {} and {}",
        by_first.len(),
        by_second.len()
    );
}

#[tokio::test]
async fn production_refuses_internal_addresses() {
    let tdb = own_db().await;
    let issuer = Issuer::start().await;
    let db = tdb.app().await;
    let partner =
        testkit::fixtures::partner_org(&db, &format!("SNCF {}", testkit::suffix()), "transport")
            .await;
    let person = testkit::fixtures::partner_user(&db, &issuer.url, partner).await;
    let ctx = kernel::Ctx::user(
        kernel::UserId(person.id),
        kernel::Acting::Partner(kernel::PartnerId(partner)),
        vec![kernel::ActorChoice::Partner(kernel::PartnerId(partner))],
        kernel::RequestId::new(),
    );
    let prod = events::Events::new(db.clone(), events::Outbound::new(true).unwrap());
    let rx = receiver(&[], Duration::ZERO).await;
    for url in [
        rx.url.clone(),
        rx.url.replace("http://", "https://"),
        "https://localhost/hook".to_owned(),
        "https://10.0.0.8/hook".to_owned(),
        "https://169.254.169.254/latest".to_owned(),
        "https://[::1]/hook".to_owned(),
    ] {
        let err = prod
            .create_endpoint(
                &ctx,
                events::NewEndpoint {
                    url: url.clone(),
                    event_types: vec![events::EventType::AgreementStatusChanged],
                    active: true,
                },
            )
            .await
            .expect_err(&url);
        assert_eq!(err.code(), kernel::ErrorCode::Validation, "{url}");
    }
    // A name that resolves to loopback when the call is made (registered while it
    // resolved elsewhere, say) is refused by the production worker.
    let port = rx
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    exec(
        tdb,
        "insert into webhook_endpoints (partner_id, id, url, event_types, secret) values ($1, $2, $3, '{agreement.status_changed}', $4)",
        vec![
            partner.into(),
            Uuid::now_v7().into(),
            format!("http://localhost:{port}/hook").into(),
            events::signing::new_secret().into(),
        ],
    )
    .await;
    let tx = db.scoped(&kernel::Ctx::system("test event")).await.unwrap();
    events::emit(
        &tx,
        events::Event::new(
            events::EventType::AgreementStatusChanged,
            Uuid::now_v7(),
            json!({}),
        )
        .partner(Some(partner)),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mailer = events::Mailer::new(&events::MailerConfig {
        smtp_url: None,
        from: "Passerelle <ne-pas-repondre@pimms.example>".into(),
        production: true,
    })
    .unwrap();
    let worker = events::Worker::new(
        db.clone(),
        events::Outbound::new(true).unwrap(),
        mailer,
        events::WorkerConfig::default(),
    );
    worker.round().await.unwrap();
    assert!(
        rx.hits().is_empty(),
        "nothing reached the loopback receiver"
    );
    let admin = tdb.admin().await;
    let row = admin
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "select last_error, attempts from webhook_deliveries",
        ))
        .await
        .unwrap()
        .expect("a delivery");
    let why: String = row.try_get("", "last_error").unwrap();
    assert_eq!(why, events::outbound::REFUSED_ADDRESS);
    let _ = admin.close().await;
    db.close().await;
}

// ---------------------------------------------------------------- e-mail

/// The local SMTP server (tests/smtp/server.py, aiosmtpd): its port and the JSON
/// lines of the messages it receives.
pub(crate) struct Smtp {
    pub(crate) port: u16,
    pub(crate) lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    pub(crate) received: Vec<Value>,
    _child: tokio::process::Child,
}

impl Smtp {
    pub(crate) async fn start() -> Smtp {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("smtp");
        let python = root.join(".venv/bin/python");
        assert!(
            python.exists(),
            "the SMTP test server is not installed: run scripts/test (it installs tests/smtp)"
        );
        let mut child = tokio::process::Command::new(python)
            .arg(root.join("server.py"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the SMTP server");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let port = lines
            .next_line()
            .await
            .unwrap()
            .expect("its port")
            .parse()
            .unwrap();
        Smtp {
            port,
            lines,
            received: vec![],
            _child: child,
        }
    }

    /// The message to `to` (waits at most 30 s).
    async fn message_to(&mut self, to: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(m) = self.received.iter().find(|m| m["to"][0] == to) {
                return m.clone();
            }
            let line = tokio::time::timeout_at(deadline, self.lines.next_line())
                .await
                .unwrap_or_else(|_| panic!("no message to {to} within 30 s"))
                .unwrap()
                .expect("the SMTP server ended");
            self.received.push(serde_json::from_str(&line).unwrap());
        }
    }
}

impl Smtp {
    /// The first message to `to` whose plain text satisfies `matches` (waits at most
    /// 30 s): its decoded plain text and HTML.
    async fn message_where(
        &mut self,
        to: &str,
        matches: impl Fn(&str) -> bool,
    ) -> (String, String) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(m) = self.received.iter().find(|m| {
                m["to"][0] == to && matches(&part(m["data"].as_str().unwrap(), "text/plain"))
            }) {
                let raw = m["data"].as_str().unwrap();
                return (part(raw, "text/plain"), part(raw, "text/html"));
            }
            let line = tokio::time::timeout_at(deadline, self.lines.next_line())
                .await
                .unwrap_or_else(|_| {
                    panic!("no such message to {to} within 30 s: {:?}", self.received)
                })
                .unwrap()
                .expect("the SMTP server ended");
            self.received.push(serde_json::from_str(&line).unwrap());
        }
    }
}

/// The decoded text of the message's part of `content_type` (quoted-printable,
/// base64 or plain).
pub(crate) fn part(raw: &str, content_type: &str) -> String {
    let start = raw
        .find(&format!("Content-Type: {content_type}"))
        .unwrap_or_else(|| panic!("no {content_type} part in {raw}"));
    let rest = &raw[start..];
    let (headers, body) = rest.split_once("\r\n\r\n").unwrap();
    let body = body.split("\r\n--").next().unwrap();
    if headers.contains("quoted-printable") {
        let joined = body.replace("=\r\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'='
                && i + 3 <= bytes.len()
                && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8(out).unwrap()
    } else if headers.contains("base64") {
        String::from_utf8(STANDARD.decode(body.replace("\r\n", "")).unwrap()).unwrap()
    } else {
        body.to_owned()
    }
}

#[tokio::test]
async fn invitations_and_reminders_reach_a_real_smtp_server() {
    let mut smtp = Smtp::start().await;
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let w = world(
        app_on(own_db().await, |v| {
            v.insert("PASSERELLE_SMTP_URL".into(), url);
            v.insert(
                "PASSERELLE_MAIL_FROM".into(),
                "Passerelle <ne-pas-repondre@pimms.example>".into(),
            );
        })
        .await,
    )
    .await;

    let invitee = format!("nouvelle.mediatrice.{}@example.org", testkit::suffix());
    w.ok(
        &w.t.director,
        "mutation($i: InviteMemberInput!) { inviteMember(input: $i) { invitation { id } } }",
        json!({"i": {"email": invitee, "role": "MEDIATOR"}}),
    )
    .await;
    let m = smtp.message_to(&invitee).await;
    assert_eq!(m["from"], "ne-pas-repondre@pimms.example");
    let raw = m["data"].as_str().unwrap();
    assert!(raw.contains("multipart/alternative"), "{raw}");
    let text = part(raw, "text/plain");
    assert!(
        text.contains(&format!("Vous êtes invité·e à rejoindre l'association {} sur Passerelle, en tant que médiateur ou médiatrice.", w.t.name)),
        "{text}"
    );
    let html = part(raw, "text/html");
    assert!(
        html.contains("<p>Pour accepter, connectez-vous à Passerelle avec cette adresse e-mail"),
        "{html}"
    );

    // A reminder (a reporting period closed): the director turned reminders off,
    // the coordinator did not.
    let d = w
        .ok(
            &w.t.director,
            "mutation { setReminders(input: {enabled: false}) { remindersEnabled } }",
            json!({}),
        )
        .await;
    assert_eq!(d["setReminders"]["remindersEnabled"], false);
    let d = w.ok(&w.t.director, "{ remindersEnabled }", json!({})).await;
    assert_eq!(d["remindersEnabled"], false);
    let db = w.app.db.app().await;
    let partners = partners::Partners::new(db.clone(), None);
    assert_eq!(
        partners
            .announce_closed_reporting_periods(kernel::time::today())
            .await
            .unwrap(),
        1
    );
    // Every replica runs it hourly: a second run announces nothing new.
    assert_eq!(
        partners
            .announce_closed_reporting_periods(kernel::time::today())
            .await
            .unwrap(),
        0
    );
    db.close().await;
    let m = smtp.message_to(&w.t.coordinator.email).await;
    let text = part(m["data"].as_str().unwrap(), "text/plain");
    assert!(
        text.contains("son bilan est disponible dans Passerelle"),
        "{text}"
    );
    let skipped = format!(
        "select count(*) from email_messages where user_id = '{}' and status = 'skipped'",
        w.t.director.id
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while w.app.count(&skipped).await != 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the director's reminder is skipped"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        smtp.received
            .iter()
            .all(|m| m["to"][0] != w.t.director.email.as_str()),
        "nothing reached the director"
    );
    let _ = w.partner;
}

#[tokio::test]
async fn union_and_partner_people_get_their_invitations_and_reminders() {
    let mut smtp = Smtp::start().await;
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let w = world(
        app_on(own_db().await, |v| {
            v.insert("PASSERELLE_SMTP_URL".into(), url);
        })
        .await,
    )
    .await;
    let tdb = w.app.db;
    let admin = w.app.union_user("admin").await;
    // A person of each kind who turns reminders off.
    let quiet_admin = w.app.union_user("admin").await;
    let quiet_agent = {
        let db = tdb.app().await;
        let u = testkit::fixtures::partner_user(&db, &w.app.issuer.url, w.partner).await;
        db.close().await;
        u
    };
    for u in [&quiet_admin, &quiet_agent] {
        let d = w
            .ok(
                u,
                "mutation { setReminders(input: {enabled: false}) { remindersEnabled } }",
                json!({}),
            )
            .await;
        assert_eq!(d["setReminders"]["remindersEnabled"], false);
        let d = w.ok(u, "{ remindersEnabled }", json!({})).await;
        assert_eq!(d["remindersEnabled"], false, "{}", u.email);
    }
    let d = w.ok(&w.agent, "{ remindersEnabled }", json!({})).await;
    assert_eq!(d["remindersEnabled"], true, "on unless turned off");
    let partner_name = {
        let admin_conn = tdb.admin().await;
        let row = admin_conn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "select name from partner_organisations where id = $1",
                vec![w.partner.into()],
            ))
            .await
            .unwrap()
            .unwrap();
        let _ = admin_conn.close().await;
        row.try_get::<String>("", "name").unwrap()
    };

    // Invitations: to the union's staff and to a partner's people.
    let auditor = format!("nouvel.auditeur.{}@example.org", testkit::suffix());
    w.ok(
        &admin,
        "mutation($i: InviteUnionStaffInput!) { inviteUnionStaff(input: $i) { invitation { id } } }",
        json!({"i": {"email": auditor, "role": "AUDITOR"}}),
    )
    .await;
    let (text, html) = smtp.message_where(&auditor, |_| true).await;
    assert!(
        text.contains("Vous êtes invité·e à rejoindre l'équipe de l'Union nationale des PIMMS sur Passerelle, en tant qu'auditeur ou auditrice."),
        "{text}"
    );
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(
        html.contains(
            "<p>Vous êtes invité·e à rejoindre l&#39;équipe de l&#39;Union nationale des PIMMS"
        ),
        "{html}"
    );
    let agent = format!("nouvelle.agente.{}@example.org", testkit::suffix());
    w.ok(
        &admin,
        "mutation($i: InvitePartnerUserInput!) { invitePartnerUser(input: $i) { partnerInvitation { id } } }",
        json!({"i": {"partnerId": kernel::gid::encode("PartnerOrganisation", w.partner), "email": agent}}),
    )
    .await;
    let (text, html) = smtp.message_where(&agent, |_| true).await;
    assert!(
        text.contains(&format!("Vous êtes invité·e à accéder à Passerelle pour le compte de {partner_name}, partenaire du réseau PIMMS.")),
        "{text}"
    );
    assert!(
        html.contains("<p>Pour accepter, connectez-vous à Passerelle avec cette adresse e-mail"),
        "{html}"
    );

    // Reports available: the local agreement's and a national one's.
    let national = Uuid::now_v7();
    exec(
        tdb,
        "insert into agreements (id, partner_id, tenant_id, reference, title, starts_on, ends_on, status, services, reporting_frequency) \
         values ($1, $2, null, $3, 'Convention nationale', current_date - 400, current_date + 300, 'active', '{partner_visits}', 'monthly')",
        vec![national.into(), w.partner.into(), format!("NAT-{}", testkit::suffix()).into()],
    )
    .await;
    let db = tdb.app().await;
    let partners = partners::Partners::new(db.clone(), None);
    assert_eq!(
        partners
            .announce_closed_reporting_periods(kernel::time::today())
            .await
            .unwrap(),
        2
    );
    db.close().await;
    let local_period = format!("avec {}", w.t.name);
    let (text, _) = smtp
        .message_where(&w.agent.email, |t| {
            t.contains("bilan est disponible") && t.contains(&local_period)
        })
        .await;
    assert!(
        text.contains(&format!("Vous recevez ce rappel en tant que personne de {partner_name}, partenaire de la convention.")),
        "{text}"
    );
    smtp.message_where(&w.agent.email, |t| {
        t.contains("(convention nationale)") && t.contains("bilan est disponible")
    })
    .await;
    let (text, _) = smtp
        .message_where(&admin.email, |t| t.contains("bilan est disponible"))
        .await;
    assert!(
        text.contains("(convention nationale)"),
        "the union's admins get the national one: {text}"
    );
    assert!(
        text.contains(
            "en tant qu'administrateur ou administratrice de l'Union nationale des PIMMS"
        ),
        "{text}"
    );
    let (text, _) = smtp
        .message_where(&w.t.coordinator.email, |t| {
            t.contains("bilan est disponible")
        })
        .await;
    assert!(
        text.contains(&local_period),
        "the association's people get the local one: {text}"
    );

    // The association suspends the agreement: the partner's people are told.
    w.ok(
        &w.t.director,
        "mutation($i: SetAgreementStatusInput!) { setAgreementStatus(input: $i) { agreement { status } } }",
        json!({"i": {"agreementId": kernel::gid::encode("Agreement", w.agreement), "status": "SUSPENDED", "reason": "Audit en cours"}}),
    )
    .await;
    let (text, _) = smtp
        .message_where(&w.agent.email, |t| t.contains("est passée du statut"))
        .await;
    assert!(
        text.contains(&format!(
            "{local_period} est passée du statut « en vigueur » au statut « suspendue »"
        )),
        "{text}"
    );

    // Everything sent or skipped: the two who turned reminders off got nothing, and
    // each of their reminders is recorded as skipped; the union got no local report.
    let pending = "select count(*) from email_messages where status = 'pending'";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while w.app.count(pending).await != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "e-mails still pending"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (u, skipped) in [(&quiet_agent, 3), (&quiet_admin, 1)] {
        assert!(
            smtp.received.iter().all(|m| m["to"][0] != u.email.as_str()),
            "nothing reached {}",
            u.email
        );
        assert_eq!(
            w.app
                .count(&format!(
                    "select count(*) from email_messages where user_id = '{}' and status = 'skipped'",
                    u.id
                ))
                .await,
            skipped,
            "{}",
            u.email
        );
    }
    assert_eq!(
        w.app
            .count(&format!(
                "select count(*) from email_messages where user_id = '{}'",
                admin.id
            ))
            .await,
        1,
        "one reminder for the union's admin: the national report"
    );
    assert_eq!(
        w.app
            .count("select count(*) from email_messages where status = 'failed'")
            .await,
        0
    );
}
