//! Database access shared by every domain: the connection pool, the one way to open a
//! transaction (`Db::scoped`, which writes the actor's scope for row-level security
//! before anything else runs), constraint-name mapping, the Redis pool, and the
//! catalog check that proves the isolation floor is in place.

pub mod catalog;
pub mod error;
pub mod redis_pool;
mod scoped;

pub use error::{DbError, constraint_of};
pub use redis_pool::{BreakerState, RedisOptions, RedisPool, RedisStatus};
pub use scoped::{ReadUnit, Scoped, scoped_literals};

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
                "select (select system_identifier::text from pg_control_system()), current_database()::text",
            ))
            .await?
            .ok_or_else(|| DbError::Other(sea_orm::DbErr::Custom("no deployment id".into())))?;
        let system: String = row.try_get_by_index(0).map_err(DbError::from)?;
        let database: String = row.try_get_by_index(1).map_err(DbError::from)?;
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
        let _ = self.conn.close().await;
    }
}
