//! Database access shared by every domain: the connection pool, the one way to open a
//! transaction (`Db::scoped`, which writes the actor's scope for row-level security
//! before anything else runs), constraint-name mapping, the Redis pool, and the
//! catalog check that proves the isolation floor is in place.

pub mod catalog;
pub mod error;
pub mod redis_pool;
mod scoped;
pub mod telemetry;

pub use error::{DbError, constraint_of};
pub use redis_pool::{RedisPool, RedisStatus};
pub use scoped::{ReadUnit, Scoped};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};
use std::time::Duration;

/// The application's database handle. It connects as the application role, which
/// owns nothing and is bound by row-level security.
#[derive(Clone, Debug)]
pub struct Db {
    conn: DatabaseConnection,
}

#[derive(Clone, Debug)]
pub struct PoolOptions {
    pub max_connections: u32,
    pub min_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            min_connections: 1,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// A raw PostgreSQL statement with bind parameters: how repositories write SQL that
/// sea-query cannot say (row values, arrays, policies' functions).
pub fn stmt(sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(sea_orm::DbBackend::Postgres, sql, values)
}

/// What `Db::listen` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListenEvent<'a> {
    Listening,
    Notified(&'a str),
    Lost,
}

impl Db {
    pub async fn connect(url: &str, opts: &PoolOptions) -> Result<Self, DbError> {
        let mut o = ConnectOptions::new(url.to_owned());
        o.max_connections(opts.max_connections)
            .min_connections(opts.min_connections)
            .acquire_timeout(opts.acquire_timeout)
            .connect_timeout(Duration::from_secs(5))
            // Statements are logged by our own spans (without values); sqlx's own
            // logging would print bound values, which may be personal data.
            .sqlx_logging(false);
        let conn = Database::connect(o).await.map_err(DbError::from)?;
        Ok(Self { conn })
    }

    /// Readiness: one trivial round trip.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.conn
            .query_one_raw(Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "select 1",
            ))
            .await
            .map(|_| ())
            .map_err(DbError::from)
    }

    /// Opens the only kind of transaction domain code gets: its first statement sets
    /// the actor's scope with `set_config(.., true)` (transaction-local) from bind
    /// parameters. See `scoped.rs`.
    pub async fn scoped(&self, ctx: &kernel::Ctx) -> Result<Scoped, DbError> {
        Scoped::begin(&self.conn, ctx).await
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
        let _ = self.conn.close().await;
    }
}
