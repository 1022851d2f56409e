//! Redis: a small pool of multiplexed, self-reconnecting connections behind a
//! circuit breaker. Redis is an accelerator here, never a source of truth: when it
//! is down or frozen the platform keeps serving, callers fall back (rate limiting
//! goes in-process, dashboards are computed), and readiness says so.
//!
//! The breaker:
//! - **closed**: calls go through. A failure (an error or no answer within the
//!   timeout) starts a streak; the breaker opens only when the streak holds
//!   `failures_to_open` failures and has lasted at least `streak`, with no success
//!   in between. A slow reply now and then (a busy CPU makes a 250 ms timeout fire
//!   on a healthy Redis) is answered by the next success and opens nothing.
//! - **open**: no call reaches Redis (a frozen Redis would otherwise add the timeout
//!   to every request); callers get `None` at once.
//! - **half-open**: the background probe's PING is in flight; calls are still
//!   refused. Its answer closes the breaker, its failure opens it again.
//!
//! The same background task pings every `probe_every` while closed, so an outage
//! with no traffic is seen too. The state is the only source of `status()`:
//! reconnecting the slots never marks Redis up by itself.
//!
//! Every key goes through `key()`, under the deployment's prefix, so that servers of
//! two deployments (two databases) sharing one Redis never read each other's
//! entries or counters.

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{FromRedisValue, RedisResult};
use std::future::Future;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedisStatus {
    Up,
    Down,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half-open",
        }
    }
    fn from_u8(v: u8) -> Self {
        match v {
            0 => BreakerState::Closed,
            1 => BreakerState::Open,
            _ => BreakerState::HalfOpen,
        }
    }
    fn to_u8(self) -> u8 {
        match self {
            BreakerState::Closed => 0,
            BreakerState::Open => 1,
            BreakerState::HalfOpen => 2,
        }
    }
}

/// How the pool talks to Redis and when it stops.
#[derive(Clone, Debug)]
pub struct RedisOptions {
    /// Every key starts with it (see `key`).
    pub prefix: String,
    /// How long one call may take before it counts as a failure.
    pub timeout: Duration,
    /// Failures in a row (no success between) before the breaker opens.
    pub failures_to_open: u32,
    /// How long such a streak must last before the breaker opens: failures bunched
    /// in one instant are one stall (a busy CPU, a pause), not an outage.
    pub streak: Duration,
    /// The background PING's period, while closed (health) and while open (probe).
    pub probe_every: Duration,
    pub connections: usize,
}

/// The default call timeout (PASSERELLE_REDIS_TIMEOUT_MS).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);
/// The default failures before opening (PASSERELLE_REDIS_FAILURES_TO_OPEN).
pub const DEFAULT_FAILURES_TO_OPEN: u32 = 3;

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            prefix: "passerelle".into(),
            timeout: DEFAULT_TIMEOUT,
            failures_to_open: DEFAULT_FAILURES_TO_OPEN,
            streak: Duration::from_secs(1),
            probe_every: Duration::from_secs(1),
            connections: 4,
        }
    }
}

#[derive(Clone)]
pub struct RedisPool {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    slots: Vec<RwLock<Option<ConnectionManager>>>,
    next: AtomicUsize,
    state: AtomicU8,
    streak: Mutex<Streak>,
    opts: RedisOptions,
}

#[derive(Default)]
struct Streak {
    failures: u32,
    since: Option<Instant>,
}

impl RedisPool {
    /// Never fails on an unreachable server: the pool starts empty, open, and the
    /// background task keeps trying. Only a malformed URL is an error.
    pub fn new(url: &str, opts: RedisOptions) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let slots = (0..opts.connections.max(1))
            .map(|_| RwLock::new(None))
            .collect();
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                slots,
                next: AtomicUsize::new(0),
                state: AtomicU8::new(BreakerState::Open.to_u8()),
                streak: Mutex::new(Streak::default()),
                opts,
            }),
        })
    }

    /// Connects and probes once now, then keeps probing in the background.
    pub async fn start(&self) {
        self.tick().await;
        let weak = Arc::downgrade(&self.inner);
        let every = self.inner.opts.probe_every;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { break };
                RedisPool { inner }.tick().await;
            }
        });
    }

    /// One background step: the health PING while closed (it counts like any call),
    /// the probe while open.
    async fn tick(&self) {
        self.fill().await;
        match self.breaker_state() {
            BreakerState::Closed => {
                let _ = self.query::<String>(&redis::cmd("PING")).await;
            }
            BreakerState::Open => self.probe().await,
            // A probe is already in flight.
            BreakerState::HalfOpen => {}
        }
    }

    async fn probe(&self) {
        if self
            .inner
            .state
            .compare_exchange(
                BreakerState::Open.to_u8(),
                BreakerState::HalfOpen.to_u8(),
                Ordering::SeqCst,
                Ordering::SeqCst,
            )
            .is_err()
        {
            return;
        }
        let ok = match self.conn().await {
            Some(mut c) => tokio::time::timeout(
                self.inner.opts.timeout,
                redis::cmd("PING").query_async::<String>(&mut c),
            )
            .await
            .is_ok_and(|r| r.is_ok()),
            None => false,
        };
        if ok {
            if let Ok(mut s) = self.inner.streak.lock() {
                *s = Streak::default();
            }
            self.set_state(BreakerState::Closed);
        } else {
            self.set_state(BreakerState::Open);
        }
    }

    /// Opens the slots that are not connected yet. It never changes the breaker:
    /// a connection that opens is not an answer to a command.
    async fn fill(&self) {
        for slot in &self.inner.slots {
            if slot.read().await.is_some() {
                continue;
            }
            let t = self.inner.opts.timeout;
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(t * 4))
                .set_response_timeout(Some(t))
                .set_number_of_retries(1);
            match tokio::time::timeout(
                t * 8,
                ConnectionManager::new_with_config(self.inner.client.clone(), config),
            )
            .await
            {
                Ok(Ok(cm)) => *slot.write().await = Some(cm),
                _ => return,
            }
        }
    }

    fn set_state(&self, to: BreakerState) {
        let was = BreakerState::from_u8(self.inner.state.swap(to.to_u8(), Ordering::SeqCst));
        if was == to {
            return;
        }
        match to {
            BreakerState::Closed => tracing::info!(
                redis = "up",
                breaker = to.as_str(),
                "redis reachable: shared rate limiting and dashboard cache restored"
            ),
            BreakerState::Open if was == BreakerState::Closed => tracing::warn!(
                redis = "down",
                breaker = to.as_str(),
                "redis unreachable: no call until a probe answers; rate limiting in-process"
            ),
            _ => tracing::debug!(breaker = to.as_str(), "redis breaker"),
        }
    }

    fn succeeded(&self) {
        if let Ok(mut s) = self.inner.streak.lock() {
            *s = Streak::default();
        }
    }

    fn failed(&self) {
        let now = Instant::now();
        let open = match self.inner.streak.lock() {
            Ok(mut s) => {
                s.failures = s.failures.saturating_add(1);
                let since = *s.since.get_or_insert(now);
                s.failures >= self.inner.opts.failures_to_open
                    && now.duration_since(since) >= self.inner.opts.streak
            }
            Err(_) => true,
        };
        if open
            && self
                .inner
                .state
                .compare_exchange(
                    BreakerState::Closed.to_u8(),
                    BreakerState::Open.to_u8(),
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                )
                .is_ok()
        {
            tracing::warn!(
                redis = "down",
                breaker = "open",
                "redis unreachable: no call until a probe answers; rate limiting in-process"
            );
        }
    }

    /// The breaker's state, for readiness and telemetry.
    pub fn breaker_state(&self) -> BreakerState {
        BreakerState::from_u8(self.inner.state.load(Ordering::SeqCst))
    }

    /// Up while the breaker is closed.
    pub fn status(&self) -> RedisStatus {
        if self.breaker_state() == BreakerState::Closed {
            RedisStatus::Up
        } else {
            RedisStatus::Down
        }
    }

    /// The deployment's key prefix.
    pub fn prefix(&self) -> &str {
        &self.inner.opts.prefix
    }

    /// A key under the deployment's prefix: `<prefix>:<part>:<part>...`.
    pub fn key(&self, parts: &[&str]) -> String {
        let mut k = self.inner.opts.prefix.clone();
        for p in parts {
            k.push(':');
            k.push_str(p);
        }
        k
    }

    /// Keys of an association's data are under its id, so no key can be shared or
    /// invalidated across associations by accident.
    pub fn tenant_key(&self, tenant: kernel::TenantId, parts: &[&str]) -> String {
        let t = tenant.to_string();
        let mut all = vec!["t", t.as_str()];
        all.extend_from_slice(parts);
        self.key(&all)
    }

    async fn conn(&self) -> Option<ConnectionManager> {
        let n = self.inner.slots.len();
        let start = self.inner.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            if let Some(c) = self.inner.slots[(start + i) % n].read().await.clone() {
                return Some(c);
            }
        }
        None
    }

    /// Runs `f` on a connection under the timeout, unless the breaker is not
    /// closed: then `None` at once, without touching Redis. Errors and timeouts
    /// count towards opening the breaker; the caller falls back.
    pub async fn run<T, F, Fut>(&self, op: &'static str, f: F) -> Option<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        if self.breaker_state() != BreakerState::Closed {
            return None;
        }
        let Some(conn) = self.conn().await else {
            self.failed();
            return None;
        };
        let call = tokio::time::timeout(self.inner.opts.timeout, f(conn));
        match crate::telemetry::redis_call(op, call).await {
            Ok(Ok(v)) => {
                self.succeeded();
                Some(v)
            }
            _ => {
                self.failed();
                None
            }
        }
    }

    /// One command (see `run`).
    pub async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Option<T> {
        self.run(command_name(cmd), |mut c| async move {
            cmd.query_async::<T>(&mut c).await
        })
        .await
    }

    /// One pipeline (see `run`), traced as `op` (its counting command, say).
    pub async fn query_pipe<T: FromRedisValue>(
        &self,
        op: &'static str,
        pipe: &redis::Pipeline,
    ) -> Option<T> {
        self.run(
            op,
            |mut c| async move { pipe.query_async::<T>(&mut c).await },
        )
        .await
    }
}

/// A command's name for its span: only the names this code sends, as static
/// strings, so that no argument (a key holds tenant and actor ids) can reach a trace.
fn command_name(cmd: &redis::Cmd) -> &'static str {
    const KNOWN: [&str; 8] = [
        "GET", "SET", "INCR", "EXPIRE", "DEL", "PING", "MGET", "EVALSHA",
    ];
    let Some(redis::Arg::Simple(first)) = cmd.args_iter().next() else {
        return "command";
    };
    KNOWN
        .into_iter()
        .find(|k| k.as_bytes().eq_ignore_ascii_case(first))
        .unwrap_or("command")
}

/// A key prefix made safe for Redis keys and logs: what is not a letter, a digit,
/// `_`, `-` or `.` becomes `%XX`, so that a database named `a:b` cannot produce the
/// same keys as another deployment's `a` + `b`.
pub fn prefix_part(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(opts: RedisOptions) -> RedisPool {
        // Nothing listens on port 1; no call is made by these tests anyway.
        RedisPool::new("redis://127.0.0.1:1", opts).expect("url")
    }

    #[test]
    fn keys_are_under_the_prefix() {
        let p = pool(RedisOptions {
            prefix: "passerelle:abc".into(),
            ..RedisOptions::default()
        });
        let t = kernel::TenantId(uuid::Uuid::nil());
        assert_eq!(
            p.tenant_key(t, &["dash"]),
            format!("passerelle:abc:t:{}:dash", uuid::Uuid::nil())
        );
        assert_eq!(p.key(&["rl", "ip:1"]), "passerelle:abc:rl:ip:1");
        assert_eq!(prefix_part("db:x y"), "db%3Ax%20y");
    }

    #[test]
    fn failures_bunched_in_one_instant_do_not_open() {
        let p = pool(RedisOptions::default());
        p.set_state(BreakerState::Closed);
        for _ in 0..50 {
            p.failed();
        }
        assert_eq!(p.breaker_state(), BreakerState::Closed);
        p.succeeded();
        assert_eq!(p.breaker_state(), BreakerState::Closed);
    }

    #[test]
    fn a_streak_that_lasts_opens() {
        let p = pool(RedisOptions {
            streak: Duration::from_millis(30),
            ..RedisOptions::default()
        });
        p.set_state(BreakerState::Closed);
        p.failed();
        p.failed();
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(p.breaker_state(), BreakerState::Closed, "two failures only");
        p.failed();
        assert_eq!(p.breaker_state(), BreakerState::Open);
        assert_eq!(p.status(), RedisStatus::Down);
    }

    #[test]
    fn a_success_ends_the_streak() {
        let p = pool(RedisOptions {
            streak: Duration::from_millis(10),
            ..RedisOptions::default()
        });
        p.set_state(BreakerState::Closed);
        p.failed();
        p.failed();
        std::thread::sleep(Duration::from_millis(20));
        p.succeeded();
        p.failed();
        assert_eq!(p.breaker_state(), BreakerState::Closed);
    }
}
