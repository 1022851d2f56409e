//! Telemetry at the data layer's chokepoints, by the OpenTelemetry semantic
//! conventions: waits for a pooled connection, the pool's usage, Redis calls and the
//! dashboard cache. Statements themselves are traced by sea-orm (`tracing-spans`);
//! the server's exporter gives those spans the conventional names and strips values.
//!
//! Metrics go through the global meter: a no-op until the server installs an OTLP
//! meter provider, so tests and tools that never do pay nothing. Spans and metrics
//! carry operation names only: never a key, a bound value or anything personal.

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram, Meter};
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait};
use std::future::Future;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;
use tracing::Instrument;

/// The name the pool's metrics carry (`db.client.connection.pool.name`).
pub const POOL_NAME: &str = "passerelle";

/// Callers waiting in `begin` for a connection (and their BEGIN).
static PENDING: AtomicI64 = AtomicI64::new(0);

/// Where Redis is, for the `server.*` attributes of its spans (set once at start).
static REDIS_PEER: OnceLock<(String, i64)> = OnceLock::new();

struct Instruments {
    wait: Histogram<f64>,
    hits: Counter<u64>,
    misses: Counter<u64>,
}

fn meter() -> Meter {
    opentelemetry::global::meter("passerelle")
}

/// Created at first use, which comes after the server has installed its meter
/// provider (instruments made from the no-op provider would stay no-op).
fn instruments() -> &'static Instruments {
    static I: OnceLock<Instruments> = OnceLock::new();
    I.get_or_init(|| {
        let m = meter();
        Instruments {
            wait: m
                .f64_histogram("db.client.connection.wait_time")
                .with_unit("s")
                .with_description("Time to obtain a pooled connection (with its BEGIN round trip)")
                .with_boundaries(vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ])
                .build(),
            hits: m
                .u64_counter("passerelle.dashboard.cache.hits")
                .with_description("Dashboard views read from the cache")
                .build(),
            misses: m
                .u64_counter("passerelle.dashboard.cache.misses")
                .with_description("Dashboard views computed (not cached, stale, or Redis down)")
                .build(),
        }
    })
}

/// `conn.begin()`, counted as a pending request while it waits and timed into
/// `db.client.connection.wait_time`. sea-orm acquires the connection and sends
/// BEGIN in one call, so the wait includes that one round trip (sub-millisecond
/// next to the database; what matters is the wait when the pool is exhausted).
pub(crate) async fn begin(conn: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    struct Pending;
    impl Drop for Pending {
        fn drop(&mut self) {
            PENDING.fetch_sub(1, Ordering::Relaxed);
        }
    }
    PENDING.fetch_add(1, Ordering::Relaxed);
    let pending = Pending;
    let start = Instant::now();
    let tx = conn.begin().await;
    drop(pending);
    instruments().wait.record(
        start.elapsed().as_secs_f64(),
        &[KeyValue::new("db.client.connection.pool.name", POOL_NAME)],
    );
    tx
}

/// The pool's connections right now.
#[derive(Clone, Copy, Debug)]
pub struct PoolUsage {
    pub idle: u64,
    pub used: u64,
    pub max: u64,
    pub pending: u64,
}

impl crate::Db {
    pub fn pool_usage(&self) -> PoolUsage {
        let pool = self.conn.get_postgres_connection_pool();
        let size = u64::from(pool.size());
        let idle = pool.num_idle() as u64;
        PoolUsage {
            idle,
            used: size.saturating_sub(idle),
            max: u64::from(pool.options().get_max_connections()),
            pending: PENDING.load(Ordering::Relaxed).max(0) as u64,
        }
    }
}

/// Where Redis listens, from its URL: host and port only (never credentials).
pub fn set_redis_peer(url: &str) {
    let Ok(client) = redis::Client::open(url) else {
        return;
    };
    if let redis::ConnectionAddr::Tcp(host, port)
    | redis::ConnectionAddr::TcpTls { host, port, .. } = client.get_connection_info().addr()
    {
        let _ = REDIS_PEER.set((host.clone(), i64::from(*port)));
    }
}

/// One Redis call (`op` is the command, e.g. "GET"; a pipeline names its commands)
/// under a client span. The key is never recorded: it holds tenant and actor ids.
pub async fn redis_call<T, F>(
    op: &'static str,
    fut: F,
) -> Result<Result<T, redis::RedisError>, tokio::time::error::Elapsed>
where
    F: Future<Output = Result<Result<T, redis::RedisError>, tokio::time::error::Elapsed>>,
{
    let (address, port) = match REDIS_PEER.get() {
        Some((h, p)) => (h.as_str(), *p),
        None => ("", 0),
    };
    let span = tracing::info_span!(
        "redis",
        otel.name = op,
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        db.system.name = "redis",
        db.operation.name = op,
        server.address = address,
        server.port = port,
        error.type = tracing::field::Empty,
    );
    let out = fut.instrument(span.clone()).await;
    let error = match &out {
        Ok(Ok(_)) => None,
        Ok(Err(e)) if e.is_timeout() => Some("timeout"),
        Ok(Err(e)) if e.is_io_error() || e.is_connection_dropped() => Some("io"),
        Ok(Err(_)) => Some("redis_error"),
        Err(_) => Some("timeout"),
    };
    if let Some(kind) = error {
        span.record("otel.status_code", "ERROR");
        span.record("error.type", kind);
    }
    out
}

/// A dashboard view was read from the cache (`hit`) or computed. `scope` is
/// "tenant" or "network".
pub fn dashboard_cache(hit: bool, scope: &'static str) {
    let i = instruments();
    let counter = if hit { &i.hits } else { &i.misses };
    counter.add(1, &[KeyValue::new("passerelle.dashboard.scope", scope)]);
}
