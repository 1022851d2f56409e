//! Database access shared by every domain: the connection pool, the one way to open a
//! transaction (`Db::scoped`, which writes the actor's scope for row-level security
//! before anything else runs), constraint-name mapping, the Redis pool, and the
//! catalog check that proves the isolation floor is in place.

pub mod catalog;
mod entity_macro;
pub mod error;
pub mod redis_pool;
mod scoped;
pub mod shape;
pub mod telemetry;

pub use error::{DbError, Diagnosis, FailureClass, constraint_of};
pub use redis_pool::{BreakerState, RedisOptions, RedisPool, RedisStatus};
pub use scoped::{ReadUnit, Scoped, scoped_literals};

use sea_orm::sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The application's database handle. It connects as the application role, which
/// owns nothing and is bound by row-level security.
#[derive(Clone, Debug)]
pub struct Db {
    conn: DatabaseConnection,
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    opts: PoolOptions,
    /// Callers inside `begin` (waiting for a connection, or just served).
    waiting: AtomicUsize,
    /// A separate small pool for what must not queue behind the application's
    /// requests: the readiness check and cancelling abandoned statements.
    control: PgPool,
    /// Abandoned transactions being ended in the background (see `scoped.rs`).
    abandoned: AtomicUsize,
    abandoned_done: tokio::sync::Notify,
}

/// Transaction-local limits, sent with the scope settings (zero: none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// `statement_timeout`: any one statement, lock waits included.
    pub statement: Duration,
    /// `lock_timeout`: waiting for any one lock (table, row, advisory).
    pub lock: Duration,
    /// `idle_in_transaction_session_timeout`: the application holding a
    /// transaction open without sending anything (PostgreSQL then ends the session).
    pub idle_in_transaction: Duration,
}

impl Timeouts {
    /// No limit at all: batch commands (seeding, purge by hand).
    pub const NONE: Timeouts = Timeouts {
        statement: Duration::ZERO,
        lock: Duration::ZERO,
        idle_in_transaction: Duration::ZERO,
    };
}

#[derive(Clone, Debug)]
pub struct PoolOptions {
    pub max_connections: u32,
    pub min_connections: u32,
    /// How long a request waits for a pooled connection before UNAVAILABLE.
    pub acquire_timeout: Duration,
    /// Requests already waiting for a connection past which a new one is refused
    /// at once (UNAVAILABLE) instead of queueing: None, no bound.
    pub max_waiting: Option<usize>,
    /// Limits of the transactions of GraphQL query operations.
    pub read: Timeouts,
    /// Limits of every other transaction (mutations, authentication, housekeeping).
    pub write: Timeouts,
    /// Connecting and answering of the control connection (readiness, cancel).
    pub check_timeout: Duration,
}

impl Default for PoolOptions {
    /// For batch commands and tests: no statement limits, no shedding. The server
    /// builds its own from the configuration.
    fn default() -> Self {
        Self {
            max_connections: 16,
            min_connections: 1,
            acquire_timeout: Duration::from_secs(5),
            max_waiting: None,
            read: Timeouts::NONE,
            write: Timeouts::NONE,
            check_timeout: Duration::from_secs(1),
        }
    }
}

/// The pool's state, for readiness and shedding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStatus {
    pub max_connections: u32,
    pub open: u32,
    pub idle: usize,
    pub waiting: usize,
    /// New requests are refused rather than queued.
    pub saturated: bool,
}

/// A raw PostgreSQL statement with bind parameters: how repositories write SQL that
/// sea-query cannot say (row values, arrays, policies' functions).
pub fn stmt(sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(sea_orm::DbBackend::Postgres, sql, values)
}

fn sqlx_err(e: sea_orm::sqlx::Error) -> DbError {
    let unavailable = matches!(
        e,
        sea_orm::sqlx::Error::Io(_)
            | sea_orm::sqlx::Error::PoolTimedOut
            | sea_orm::sqlx::Error::PoolClosed
    );
    let e = sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(e));
    if unavailable {
        DbError::Unavailable(sea_orm::DbErr::Conn(e))
    } else {
        DbError::from(sea_orm::DbErr::Query(e))
    }
}

/// What `Db::listen` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListenEvent<'a> {
    Listening,
    Notified(&'a str),
    Lost,
}

impl Db {
    /// The rows of one select as `ctx`, in a scoped transaction of its own (or the
    /// query's shared one: `ReadUnit`), committed after: one statement. `map_err` is
    /// the domain's mapping of constraint names.
    pub async fn select_all<E: sea_orm::EntityTrait>(
        &self,
        ctx: &kernel::Ctx,
        select: sea_orm::Select<E>,
        map_err: fn(sea_orm::DbErr) -> kernel::Error,
    ) -> Result<Vec<E::Model>, kernel::Error> {
        let tx = self.scoped(ctx).await?;
        let rows = select.all(&*tx).await.map_err(map_err)?;
        tx.commit().await?;
        Ok(rows)
    }

    pub async fn connect(url: &str, opts: &PoolOptions) -> Result<Self, DbError> {
        let mut o = ConnectOptions::new(url.to_owned());
        o.max_connections(opts.max_connections)
            .min_connections(opts.min_connections)
            .acquire_timeout(opts.acquire_timeout)
            .connect_timeout(Duration::from_secs(5))
            // Generic plans: a statement re-planned at every execution re-expands its
            // tables' row-level security policies, which was most of a small read's
            // database time; PostgreSQL's own choice (`auto`) kept custom plans for
            // the loaders' `= any($1)` statements (bench/README.md, "Round two").
            // Safe because no statement keeps an optional filter (`$n is null or
            // ...`) that only a custom plan could turn into an index condition.
            .map_sqlx_postgres_opts(|o| {
                o.application_name("passerelle")
                    .options([("plan_cache_mode", "force_generic_plan")])
            })
            // Statements are logged by our own spans (without values); sqlx's own
            // logging would print bound values, which may be personal data.
            .sqlx_logging(false);
        let conn = Database::connect(o).await.map_err(DbError::from)?;
        let control_opts = PgConnectOptions::from_str(url)
            .map_err(|e| {
                DbError::Unavailable(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(
                    e.into(),
                )))
            })?
            .application_name("passerelle-control")
            .options([(
                "statement_timeout",
                opts.check_timeout.as_millis().max(1).to_string(),
            )]);
        // Lazy: connects on first use, so a database down at that moment does not
        // keep the control connection broken.
        let control = PgPoolOptions::new()
            .max_connections(2)
            .min_connections(0)
            .acquire_timeout(opts.check_timeout)
            .connect_lazy_with(control_opts);
        Ok(Self {
            conn,
            inner: Arc::new(Inner {
                opts: opts.clone(),
                waiting: AtomicUsize::new(0),
                control,
                abandoned: AtomicUsize::new(0),
                abandoned_done: tokio::sync::Notify::new(),
            }),
        })
    }

    /// Readiness: one trivial round trip on the control connection, never queued
    /// behind the application's requests, answered or given up within the check
    /// timeout.
    pub async fn check(&self) -> Result<(), DbError> {
        let q = sea_orm::sqlx::query("select 1").execute(&self.inner.control);
        match tokio::time::timeout(self.inner.opts.check_timeout, q).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(DbError::from(sea_orm::DbErr::Conn(
                sea_orm::RuntimeErr::SqlxError(e.into()),
            ))),
            Err(_) => Err(DbError::Unavailable(sea_orm::DbErr::ConnectionAcquire(
                sea_orm::ConnAcquireErr::Timeout,
            ))),
        }
    }

    pub fn pool_status(&self) -> PoolStatus {
        let pool = self.conn.get_postgres_connection_pool();
        let idle = pool.num_idle();
        let waiting = self.inner.waiting.load(Ordering::Acquire);
        PoolStatus {
            max_connections: self.inner.opts.max_connections,
            open: pool.size(),
            idle,
            waiting,
            saturated: self.inner.saturated(waiting, idle, pool.size()),
        }
    }

    /// Waits (at most `within`) for abandoned transactions to be cancelled and
    /// rolled back: the last step of a shutdown. True when none is left.
    pub async fn settle(&self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.inner.abandoned_done.notified();
            if self.inner.abandoned.load(Ordering::Acquire) == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.inner.abandoned.load(Ordering::Acquire) == 0;
            }
        }
    }

    /// Opens the only kind of transaction domain code gets: its first statement sets
    /// the actor's scope with `set_config(.., true)` (transaction-local) from bind
    /// parameters. See `scoped.rs`.
    pub async fn scoped(&self, ctx: &kernel::Ctx) -> Result<Scoped, DbError> {
        Scoped::begin(self, ctx).await
    }

    /// BEGIN on a pooled connection, unless too many already wait for one: then
    /// the caller is refused at once (shed) rather than queued to time out.
    async fn begin_tx(&self) -> Result<sea_orm::DatabaseTransaction, DbError> {
        let ahead = self.inner.waiting.fetch_add(1, Ordering::AcqRel);
        let _leave = Leave(&self.inner.waiting);
        let pool = self.conn.get_postgres_connection_pool();
        if self.inner.saturated(ahead, pool.num_idle(), pool.size()) {
            return Err(DbError::Saturated);
        }
        telemetry::begin(&self.conn).await.map_err(DbError::from)
    }

    /// One integer read under the actor's scope in ONE round trip and one implicit
    /// transaction, for the reads that must stay that cheap (a cached dashboard's
    /// version, bench/README.md): the scope settings and `sql` go as one
    /// simple-protocol message, which PostgreSQL runs as a single transaction, so
    /// the settings are in place before `sql` runs and end with it, exactly as in
    /// `scoped`. The simple protocol takes no bind parameters: the settings are
    /// written as literals by `scoped_literals` (ids and role names, checked), and
    /// `sql` is a constant that reads them through the `app.*` functions. `sql` must
    /// return exactly one row with one integer.
    pub async fn scoped_scalar(
        &self,
        ctx: &kernel::Ctx,
        sql: &'static str,
    ) -> Result<i64, DbError> {
        use sea_orm::sqlx::{self, Row};
        let text = format!("{}; {sql}", scoped_literals(ctx)?);
        let pool = self.conn.get_postgres_connection_pool();
        let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(text))
            .fetch_all(pool)
            .await
            .map_err(sqlx_err)?;
        // The settings' row, then the answer's.
        match rows.as_slice() {
            [_, answer] => answer.try_get::<i64, _>(0).map_err(sqlx_err),
            _ => Err(DbError::Other(sea_orm::DbErr::Custom(format!(
                "scoped read: {} rows, expected 2",
                rows.len()
            )))),
        }
    }

    /// What tells this deployment from any other sharing a Redis: the PostgreSQL
    /// cluster's system identifier and the database's name.
    pub async fn deployment_id(&self) -> Result<String, DbError> {
        let row = self
            .conn
            .query_one_raw(Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "select (select system_identifier::text from pg_control_system()) as system, \
                 current_database()::text as database",
            ))
            .await?
            .ok_or_else(|| DbError::Other(sea_orm::DbErr::Custom("no deployment id".into())))?;
        let system: String = row.try_get("", "system").map_err(DbError::from)?;
        let database: String = row.try_get("", "database").map_err(DbError::from)?;
        Ok(format!(
            "{}:{}",
            redis_pool::prefix_part(&system),
            redis_pool::prefix_part(&database)
        ))
    }

    /// Waits for notifications on `channel` and reports them, and when the listening
    /// connection is established or lost (then notifications may have been missed).
    /// Retries every second; runs until dropped.
    pub async fn listen(&self, channel: &str, on_event: impl Fn(ListenEvent<'_>)) {
        use sea_orm::sqlx::postgres::PgListener;
        let pool = self.conn.get_postgres_connection_pool();
        loop {
            if let Ok(mut l) = PgListener::connect_with(pool).await
                && l.listen(channel).await.is_ok()
            {
                on_event(ListenEvent::Listening);
                // try_recv answers None when the connection was lost (notifications
                // meanwhile are gone): start again from a fresh connection.
                while let Ok(Some(n)) = l.try_recv().await {
                    on_event(ListenEvent::Notified(n.payload()));
                }
            }
            on_event(ListenEvent::Lost);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    pub async fn close(self) {
        self.inner.control.close().await;
        let _ = self.conn.close().await;
    }
}

impl Inner {
    /// Full: every connection the pool may open is open and busy, and `max_waiting`
    /// callers already wait for one.
    fn saturated(&self, waiting: usize, idle: usize, open: u32) -> bool {
        self.opts.max_waiting.is_some_and(|max| waiting >= max)
            && idle == 0
            && open >= self.opts.max_connections
    }
}

struct Leave<'a>(&'a AtomicUsize);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The one row `update` changes, as it is after (one UPDATE ... RETURNING); NOT_FOUND
/// when it changes none (another association's row is invisible under row-level
/// security, so it is not found either). `map_err` is the domain's mapping of
/// constraint names.
pub async fn update_one<E: sea_orm::EntityTrait>(
    tx: &Scoped,
    update: sea_orm::UpdateMany<E>,
    map_err: fn(sea_orm::DbErr) -> kernel::Error,
) -> Result<E::Model, kernel::Error> {
    update
        .exec_with_returning(&**tx)
        .await
        .map_err(map_err)?
        .into_iter()
        .next()
        .ok_or(kernel::Error::NotFound)
}
