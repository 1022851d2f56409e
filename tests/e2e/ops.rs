//! Health, readiness, rate limiting, and serving through a Redis outage.

use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let c = reqwest::Client::new();
    let r = c.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = c.get(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["postgres"], "up");
    assert_eq!(v["redis"], "up");
    // Every response carries a request id.
    let r = c.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert!(r.headers().get("x-request-id").is_some());
}

#[tokio::test]
async fn actors_are_rate_limited_through_redis() {
    let app = spawn_with(|v| {
        v.insert("PASSERELLE_RATE_LIMIT_PER_MINUTE".into(), "5".into());
    })
    .await;
    let t = app.tenant().await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let r = app
            .as_user(&t.viewer, None, "{ viewer { activeRole } }", json!({}))
            .await;
        statuses.push((r.status, r.code().map(str::to_owned)));
    }
    // A window boundary may split the run; at least one request must be refused.
    let limited: Vec<_> = statuses.iter().filter(|(s, _)| *s == 429).collect();
    assert!(!limited.is_empty(), "{statuses:?}");
    assert!(
        limited
            .iter()
            .all(|(_, c)| c.as_deref() == Some("RATE_LIMITED"))
    );
    // Another actor is not affected.
    let r = app
        .as_user(&t.director, None, "{ viewer { activeRole } }", json!({}))
        .await;
    assert_eq!(r.status, 200);
    // The count lives in Redis.
    let mut conn = redis::Client::open("redis://127.0.0.1:6379")
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("passerelle:*:rl:u:{}:*", t.viewer.id))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(!keys.is_empty());
}

#[tokio::test]
async fn redis_down_keeps_serving_with_in_process_limits() {
    // A port where nothing listens: Redis is "down" from the start.
    let app = spawn_with(|v| {
        v.insert("REDIS_URL".into(), "redis://127.0.0.1:1".into());
        v.insert("PASSERELLE_RATE_LIMIT_PER_MINUTE".into(), "5".into());
    })
    .await;
    let t = app.tenant().await;
    let r = reqwest::get(format!("{}/readyz", app.base)).await.unwrap();
    assert_eq!(r.status(), 200, "still ready: PostgreSQL is up");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["redis"], "down");
    assert_eq!(v["rateLimiting"], "in-process (redis unavailable)");
    let first = app
        .as_user(&t.viewer, None, "{ viewer { activeRole } }", json!({}))
        .await;
    assert!(first.ok(), "{:?}", first.body);
    let mut limited = 0;
    for _ in 0..8 {
        if app
            .as_user(&t.viewer, None, "{ viewer { activeRole } }", json!({}))
            .await
            .status
            == 429
        {
            limited += 1;
        }
    }
    assert!(limited > 0, "the in-process limiter still limits");
}
