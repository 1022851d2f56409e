//! Per-actor rate limiting: a fixed one-minute window per actor, counted in Redis
//! (under the deployment's prefix) so that every replica of this deployment, and
//! only them, share it. When Redis is unreachable the count moves to this
//! process (each replica then allows the full rate: a softer limit, not none).

use db::RedisPool;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

pub struct RateLimiter {
    redis: RedisPool,
    per_minute: u32,
    local: Mutex<HashMap<String, (u64, u32)>>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny { retry_after_secs: u64 },
}

impl RateLimiter {
    pub fn new(redis: RedisPool, per_minute: u32) -> Self {
        Self {
            redis,
            per_minute,
            local: Mutex::new(HashMap::new()),
        }
    }

    pub async fn check(&self, actor: &str) -> Decision {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let window = now / 60;
        let retry_after_secs = 60 - now % 60;
        let (count, store) = match self.redis_count(actor, window).await {
            Some(n) => (n, "redis"),
            None => (self.local_count(actor, window), "local"),
        };
        if count > u64::from(self.per_minute) {
            crate::telemetry::rate_limit_refused(store);
            Decision::Deny { retry_after_secs }
        } else {
            Decision::Allow
        }
    }

    async fn redis_count(&self, actor: &str, window: u64) -> Option<u64> {
        let key = self.redis.key(&["rl", actor, &window.to_string()]);
        let mut pipe = redis::pipe();
        pipe.atomic().incr(&key, 1u64).expire(&key, 120).ignore();
        // None when Redis is down, frozen or its breaker open: counted here instead.
        self.redis
            .query_pipe::<(u64,)>("INCR", &pipe)
            .await
            .map(|(n,)| n)
    }

    fn local_count(&self, actor: &str, window: u64) -> u64 {
        let Ok(mut map) = self.local.lock() else {
            // A poisoned lock only means another request panicked mid-count.
            return 0;
        };
        if map.len() > 100_000 {
            map.retain(|_, (w, _)| *w == window);
        }
        let e = map.entry(actor.to_owned()).or_insert((window, 0));
        if e.0 != window {
            *e = (window, 0);
        }
        e.1 = e.1.saturating_add(1);
        u64::from(e.1)
    }
}
