//! Redis: a small pool of multiplexed, self-reconnecting connections. Redis is an
//! accelerator here, never a source of truth: when it is down the platform keeps
//! serving, callers fall back (rate limiting goes in-process), and readiness says so.

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::RwLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedisStatus {
    Up,
    Down,
}

#[derive(Clone)]
pub struct RedisPool {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    slots: Vec<RwLock<Option<ConnectionManager>>>,
    next: AtomicUsize,
    up: AtomicBool,
}

/// How long a Redis call may take before we treat Redis as unavailable for it.
pub const REDIS_TIMEOUT: Duration = Duration::from_millis(250);

impl RedisPool {
    /// Never fails on an unreachable server: the pool starts empty and a background
    /// task keeps trying. Only a malformed URL is an error.
    pub fn new(url: &str, size: usize) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let slots = (0..size.max(1)).map(|_| RwLock::new(None)).collect();
        let pool = Self {
            inner: Arc::new(Inner {
                client,
                slots,
                next: AtomicUsize::new(0),
                up: AtomicBool::new(false),
            }),
        };
        Ok(pool)
    }

    /// Connects what can be connected now, then keeps reconnecting in the background.
    pub async fn start(&self) {
        self.fill().await;
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(2));
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { break };
                let pool = RedisPool { inner };
                pool.health_check().await;
            }
        });
    }

    async fn fill(&self) {
        for slot in &self.inner.slots {
            if slot.read().await.is_some() {
                continue;
            }
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(REDIS_TIMEOUT * 4))
                .set_response_timeout(Some(REDIS_TIMEOUT))
                .set_number_of_retries(1);
            match tokio::time::timeout(
                REDIS_TIMEOUT * 8,
                ConnectionManager::new_with_config(self.inner.client.clone(), config),
            )
            .await
            {
                Ok(Ok(cm)) => *slot.write().await = Some(cm),
                _ => {
                    self.set_status(RedisStatus::Down);
                    return;
                }
            }
        }
        self.set_status(RedisStatus::Up);
    }

    async fn health_check(&self) {
        let ok = match self.conn().await {
            Some(mut c) => tokio::time::timeout(
                REDIS_TIMEOUT,
                redis::cmd("PING").query_async::<String>(&mut c),
            )
            .await
            .is_ok_and(|r| r.is_ok()),
            None => false,
        };
        if ok {
            self.fill().await;
        } else {
            self.set_status(RedisStatus::Down);
            self.fill().await;
        }
    }

    fn set_status(&self, status: RedisStatus) {
        let up = status == RedisStatus::Up;
        let was = self.inner.up.swap(up, Ordering::SeqCst);
        if was != up {
            if up {
                tracing::info!(
                    redis = "up",
                    "redis reachable: shared rate limiting restored"
                );
            } else {
                tracing::warn!(
                    redis = "down",
                    "redis unreachable: serving with in-process rate limiting"
                );
            }
        }
    }

    /// Marks Redis down after a failed call so readiness reflects it at once.
    pub fn report_failure(&self) {
        self.set_status(RedisStatus::Down);
    }

    pub fn status(&self) -> RedisStatus {
        if self.inner.up.load(Ordering::SeqCst) {
            RedisStatus::Up
        } else {
            RedisStatus::Down
        }
    }

    /// A connection, round robin, or `None` while Redis is down.
    pub async fn conn(&self) -> Option<ConnectionManager> {
        if !self.inner.up.load(Ordering::Relaxed) && self.inner.slots[0].read().await.is_none() {
            return None;
        }
        let i = self.inner.next.fetch_add(1, Ordering::Relaxed) % self.inner.slots.len();
        self.inner.slots[i].read().await.clone()
    }
}

/// Keys of tenant data are prefixed by the tenant id, so no key can be shared or
/// invalidated across tenants by accident.
pub fn tenant_key(tenant: kernel::TenantId, parts: &[&str]) -> String {
    let mut k = format!("passerelle:t:{tenant}");
    for p in parts {
        k.push(':');
        k.push_str(p);
    }
    k
}
