//! Events end to end: a partner registers a webhook endpoint (a receiver in the
//! test), a mediator records an outcome, and the receiver gets one delivery signed by
//! the Standard Webhooks algorithm (checked here with HMAC-SHA256 directly, not with
//! the server's code); a receiver failing twice gets it once more, then again on a
//! replay; a mutation rolled back sends nothing; two servers on one database deliver
//! each event once; production refuses internal addresses; an invitation e-mail and a
//! reminder reach a real SMTP server (aiosmtpd), and a person who turned reminders off
//! gets none. Each test has a database of its own, so that no other test's server
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

#[tokio::test]
async fn two_servers_on_one_database_deliver_each_event_once() {
    let tdb = own_db().await;
    let w = world(app_on(tdb, |_| {}).await).await;
    let _second = app_on(tdb, |_| {}).await;
    // A slow receiver, so that both servers' workers are busy at once.
    let rx = receiver(&[], Duration::from_millis(100)).await;
    w.endpoint(&rx.url, &["AGREEMENT_STATUS_CHANGED"]).await;
    let agreement = kernel::gid::encode("Agreement", w.agreement);
    let n = 20;
    for i in 0..n {
        let status = if i % 2 == 0 { "SUSPENDED" } else { "ACTIVE" };
        w.ok(
            &w.t.director,
            "mutation($i: SetAgreementStatusInput!) { setAgreementStatus(input: $i) { agreement { status } } }",
            json!({"i": {"agreementId": agreement, "status": status, "reason": format!("Essai {i}")}}),
        )
        .await;
    }
    let hits = rx.wait_for(n).await;
    assert_eq!(hits.len(), n, "each event once: {hits:?}");
    let ids: HashSet<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids.len(), n);
    let body: Value = serde_json::from_str(&hits[0].body).unwrap();
    assert_eq!(body["type"], "agreement.status_changed");
    assert_eq!(body["data"]["agreement"], agreement);
    assert_eq!(body["data"]["status"], "suspended");
    assert_eq!(body["data"]["previousStatus"], "active");
    assert_eq!(
        w.app
            .count("select count(*) from webhook_deliveries where status = 'delivered' and attempts = 1")
            .await,
        n as i64
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
struct Smtp {
    port: u16,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    received: Vec<Value>,
    _child: tokio::process::Child,
}

impl Smtp {
    async fn start() -> Smtp {
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

/// The decoded text of the message's part of `content_type` (quoted-printable,
/// base64 or plain).
fn part(raw: &str, content_type: &str) -> String {
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
