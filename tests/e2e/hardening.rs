//! The edges a client reaches before any GraphQL: the token endpoint's limits and
//! the bounded cost of its secret checks, signing keys withdrawn by the provider,
//! clients too slow to send their headers, the headers every answer carries, and
//! no schema hints once introspection is off.

use crate::partners::{agreement_in_force, register};
use crate::support::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Like `spawn_with`, keeping the application's state to look at what it did.
async fn spawn_keeping_state(
    edit: impl FnOnce(&mut HashMap<String, String>),
) -> (TestApp, server::AppState) {
    let tdb = testkit::test_db();
    let issuer = Arc::new(testkit::Issuer::start().await);
    let mut vars = base_config(tdb, &issuer.url);
    edit(&mut vars);
    let config = server::Config::from_map(&vars).expect("test configuration");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = server::build(config).await.expect("build app");
    let state = app.state.clone();
    tokio::spawn(async move {
        let _ = server::serve(app, listener).await;
    });
    let base = format!("http://{addr}");
    (
        TestApp {
            gql: testkit::Gql::new(&base),
            base,
            issuer,
            db: tdb,
        },
        state,
    )
}

/// A client calling from an address of the loopback range no other test uses (the
/// limits are per address and counted in the shared Redis).
fn client_from_own_address() -> reqwest::Client {
    let ip = Ipv4Addr::new(
        127,
        rand::random_range(1..=254),
        rand::random(),
        rand::random_range(2..=254),
    );
    reqwest::Client::builder()
        .local_address(IpAddr::V4(ip))
        .build()
        .expect("client")
}

struct Answer {
    status: u16,
    retry_after: Option<u64>,
    cache_control: Option<String>,
    body: Value,
    took: Duration,
}

async fn ask_token(c: &reqwest::Client, app: &TestApp, client_id: &str, secret: &str) -> Answer {
    let started = Instant::now();
    let r = c
        .post(format!("{}/oauth/token", app.base))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token request");
    let header = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let retry_after = header("retry-after").and_then(|v| v.parse().ok());
    let cache_control = header("cache-control");
    let status = r.status().as_u16();
    let body = r.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        retry_after,
        cache_control,
        body,
        took: started.elapsed(),
    }
}

fn assert_slow_down(a: &Answer) {
    assert_eq!(a.status, 429);
    assert_eq!(a.body["error"], "slow_down", "{:?}", a.body);
    assert_eq!(a.body["code"], "RATE_LIMITED", "{:?}", a.body);
    assert!(
        a.retry_after.is_some_and(|s| (1..=60).contains(&s)),
        "Retry-After: {:?}",
        a.retry_after
    );
    assert_eq!(a.cache_control.as_deref(), Some("no-store"));
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test]
async fn the_token_endpoint_limits_each_address_before_hashing() {
    let (app, state) = spawn_keeping_state(|v| {
        v.insert("PASSERELLE_TOKEN_RATE_LIMIT_PER_MINUTE".into(), "5".into());
    })
    .await;
    let c = client_from_own_address();
    let mut answers = vec![];
    for i in 0..14 {
        answers.push(ask_token(&c, &app, &format!("pc_unknown{i}"), "pcs_guess").await);
    }
    // A window boundary may split the run: at most twice the limit gets through.
    let refused: Vec<_> = answers.iter().filter(|a| a.status == 429).collect();
    assert!(
        refused.len() >= 4,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    for a in &answers {
        if a.status == 429 {
            assert_slow_down(a);
        } else {
            assert_eq!(a.status, 401);
            assert_eq!(a.body["error"], "invalid_client");
        }
    }
    // Refusals are answered before anything is hashed, and unknown client ids are
    // never hashed but for one first timing against a decoy.
    assert!(state.partners.secret_check_stats().hashed <= 1);
    // Another address is not affected.
    let other = ask_token(&client_from_own_address(), &app, "pc_unknown", "pcs_guess").await;
    assert_eq!(other.status, 401, "{:?}", other.body);
}

#[tokio::test]
async fn the_token_endpoint_limits_each_client_id_from_any_address() {
    let (app, state) = spawn_keeping_state(|v| {
        v.insert(
            "PASSERELLE_TOKEN_CLIENT_RATE_LIMIT_PER_MINUTE".into(),
            "3".into(),
        );
    })
    .await;
    let admin = app.union_user("admin").await;
    let (partner, _) = app.partner("EDF", "energy").await;
    agreement_in_force(&app, partner).await;
    let (_, client_id, _) = register(&app, &admin, partner, &["AGREEMENTS_READ"]).await;
    let before = state.partners.secret_check_stats().hashed;
    let mut statuses = vec![];
    for _ in 0..10 {
        // A new address each time: only the client id ties the attempts together.
        let a = ask_token(&client_from_own_address(), &app, &client_id, "pcs_guess").await;
        if a.status == 429 {
            assert_slow_down(&a);
        } else {
            assert_eq!(a.status, 401, "{:?}", a.body);
        }
        statuses.push(a.status);
    }
    let allowed = statuses.iter().filter(|s| **s == 401).count() as u64;
    assert!(allowed <= 6, "{statuses:?}");
    // Only the attempts let through were hashed.
    assert_eq!(state.partners.secret_check_stats().hashed - before, allowed);
}

#[tokio::test]
async fn secret_checks_are_bounded_and_unknown_ids_cost_no_hashing() {
    let (app, state) = spawn_keeping_state(|_| {}).await;
    let admin = app.union_user("admin").await;
    let (partner, _) = app.partner("EDF", "energy").await;
    agreement_in_force(&app, partner).await;
    let (_, client_id, secret) = register(&app, &admin, partner, &["AGREEMENTS_READ"]).await;
    let c = reqwest::Client::new();

    // A burst of wrong secrets: never more verifications at once than the bound.
    let burst: Vec<_> = (0..8)
        .map(|_| {
            let (c, app_base, id) = (c.clone(), app.base.clone(), client_id.clone());
            tokio::spawn(async move {
                c.post(format!("{app_base}/oauth/token"))
                    .basic_auth(id, Some("pcs_wrong"))
                    .form(&[("grant_type", "client_credentials")])
                    .send()
                    .await
                    .expect("token request")
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for t in burst {
        assert_eq!(t.await.unwrap(), 401);
    }
    let stats = state.partners.secret_check_stats();
    assert_eq!(stats.hashed, 8);
    assert!(stats.peak_concurrent <= stats.permits, "{stats:?}");

    // Unknown ids: not hashed, yet answered in about the time of a wrong secret.
    let mut wrong = vec![];
    let mut unknown = vec![];
    for i in 0..6 {
        wrong.push(ask_token(&c, &app, &client_id, "pcs_wrong").await.took);
        let a = ask_token(&c, &app, &format!("pc_nobody{i}"), "pcs_wrong").await;
        assert_eq!(a.status, 401);
        assert_eq!(a.body["error"], "invalid_client");
        unknown.push(a.took);
    }
    assert_eq!(state.partners.secret_check_stats().hashed, 8 + 6);
    let (w, u) = (median(wrong), median(unknown));
    assert!(
        u * 3 >= w && u <= w * 3,
        "unknown id {u:?} against wrong secret {w:?}"
    );
    // The right secret still works.
    let ok = ask_token(&c, &app, &client_id, &secret).await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
}

const VIEWER: &str = "{ viewer { user { email } } }";

#[tokio::test]
async fn a_withdrawn_signing_key_is_refused_once_the_providers_max_age_has_passed() {
    let app = spawn_with(|v| {
        v.insert("PASSERELLE_JWKS_MIN_AGE_SECS".into(), "1".into());
    })
    .await;
    let t = app.tenant().await;
    let claims = app.issuer.claims(&t.viewer.subject, &t.viewer.email);
    let old = app.issuer.sign_with("k1", &claims);
    assert!(app.gql.run(&old, None, VIEWER, json!({})).await.ok());
    // The provider now says its keys may be kept 2 s; a rotation makes the server
    // fetch them (unknown key id) and learn it.
    app.issuer.set_cache_control(Some("public, max-age=2"));
    let kid = app.issuer.rotate();
    let new = app.issuer.sign_with(&kid, &claims);
    let r = app.gql.run(&new, None, VIEWER, json!({})).await;
    assert!(r.ok(), "{:?}", r.body);
    // Then withdraws the old key: refused once the 2 s have passed, without any
    // unknown key id to force a refresh.
    app.issuer.withdraw("k1");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let r = app.gql.run(&old, None, VIEWER, json!({})).await;
    assert_eq!(r.status, 401, "{:?}", r.body);
    let r = app.gql.run(&new, None, VIEWER, json!({})).await;
    assert!(r.ok(), "{:?}", r.body);
}

#[tokio::test]
async fn signing_keys_are_kept_no_longer_than_the_configured_maximum() {
    let app = spawn_with(|v| {
        v.insert("PASSERELLE_JWKS_MIN_AGE_SECS".into(), "1".into());
        v.insert("PASSERELLE_JWKS_MAX_AGE_SECS".into(), "2".into());
    })
    .await;
    let t = app.tenant().await;
    let claims = app.issuer.claims(&t.viewer.subject, &t.viewer.email);
    let old = app.issuer.sign_with("k1", &claims);
    assert!(app.gql.run(&old, None, VIEWER, json!({})).await.ok());
    // A provider that says a week is cut to the maximum (2 s here).
    app.issuer.set_cache_control(Some("max-age=604800"));
    let kid = app.issuer.rotate();
    app.issuer.withdraw("k1");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let r = app.gql.run(&old, None, VIEWER, json!({})).await;
    assert_eq!(r.status, 401, "{:?}", r.body);
    let fetches = app
        .issuer
        .jwks_fetches
        .load(std::sync::atomic::Ordering::SeqCst);
    let new = app.issuer.sign_with(&kid, &claims);
    for _ in 0..3 {
        let r = app.gql.run(&new, None, VIEWER, json!({})).await;
        assert!(r.ok(), "{:?}", r.body);
    }
    let after = app
        .issuer
        .jwks_fetches
        .load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(after, fetches, "fresh keys are not fetched again");
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off() {
    let app = spawn_with(|v| {
        v.insert("PASSERELLE_HEADER_READ_TIMEOUT_SECS".into(), "2".into());
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-slow: ")
        .await
        .expect("write");
    let started = Instant::now();
    let (mut rd, mut wr) = s.into_split();
    // One byte every 300 ms, for at most 10 s.
    let trickle = tokio::spawn(async move {
        for _ in 0..33 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if wr.write_all(b"a").await.is_err() {
                break;
            }
        }
    });
    let mut buf = vec![];
    let closed = tokio::time::timeout(Duration::from_secs(10), rd.read_to_end(&mut buf)).await;
    trickle.abort();
    assert!(closed.is_ok(), "still open after 10 s");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(6), "closed after {took:?}");
    assert!(
        !String::from_utf8_lossy(&buf).contains("200 OK"),
        "no answer to headers never finished"
    );
    // Other clients are served as usual.
    let r = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn every_answer_is_uncached_and_unsniffed() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let c = reqwest::Client::new();
    let tok = app.token(&t.viewer);
    let answers = vec![
        (
            "healthz",
            c.get(format!("{}/healthz", app.base)).send().await,
        ),
        ("readyz", c.get(format!("{}/readyz", app.base)).send().await),
        (
            "graphql",
            c.post(&app.gql.url)
                .bearer_auth(&tok)
                .json(&json!({"query": VIEWER}))
                .send()
                .await,
        ),
        (
            "graphql refused",
            c.post(&app.gql.url)
                .bearer_auth("not-a-token")
                .json(&json!({"query": VIEWER}))
                .send()
                .await,
        ),
        (
            "oauth",
            c.post(format!("{}/oauth/token", app.base))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await,
        ),
        (
            "unknown route",
            c.get(format!("{}/nope", app.base)).send().await,
        ),
    ];
    for (what, r) in answers {
        let r = r.unwrap();
        let h = r.headers();
        assert_eq!(
            h.get("x-content-type-options")
                .and_then(|v| v.to_str().ok()),
            Some("nosniff"),
            "{what}"
        );
        assert_eq!(
            h.get("cache-control").and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{what}"
        );
    }
}

#[tokio::test]
async fn no_field_suggestions_without_introspection() {
    let typo = "{ viewr { activeRole } }";
    // With introspection (development), GraphQL suggests: the probe can see them.
    let open = spawn_app().await;
    let t = open.tenant().await;
    let r = open.as_user(&t.viewer, None, typo, json!({})).await;
    assert!(r.body.to_string().contains("Did you mean"), "{:?}", r.body);

    let closed = spawn_with(|v| {
        v.insert("PASSERELLE_INTROSPECTION".into(), "false".into());
    })
    .await;
    let t = closed.tenant().await;
    let r = closed.as_user(&t.viewer, None, typo, json!({})).await;
    assert_eq!(r.code(), Some("VALIDATION"), "{:?}", r.body);
    let text = r.body.to_string();
    assert!(
        !text.contains("Did you mean") && !text.contains("viewer"),
        "{text}"
    );
}
