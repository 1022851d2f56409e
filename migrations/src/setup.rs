//! What `passerelle migrate` does: roles, grants, migrations as the owner, then the
//! catalog check. Safe to run again: everything is "if absent". Tests run the same.

use crate::{APP_ROLE, Migrator, OWNER_ROLE, dburl};
use db::catalog;
use sea_orm_migration::MigratorTrait;
use sea_orm_migration::sea_orm::{
    self, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("DATABASE_ADMIN_URL: {0}")]
    AdminUrl(String),
    #[error("DATABASE_URL: {0}")]
    AppUrl(String),
    #[error("{step}: {source}")]
    Sql {
        step: &'static str,
        #[source]
        source: sea_orm::DbErr,
    },
    #[error("isolation catalog check failed: {0}")]
    Catalog(String),
}

/// The login role's defaults (see `run`), documented in the README.
pub const ROLE_STATEMENT_TIMEOUT: &str = "60s";
pub const ROLE_LOCK_TIMEOUT: &str = "30s";
pub const ROLE_IDLE_IN_TRANSACTION_TIMEOUT: &str = "60s";

fn sql(step: &'static str) -> impl FnOnce(sea_orm::DbErr) -> MigrateError {
    move |source| MigrateError::Sql { step, source }
}

pub async fn connect_admin(admin_url: &str) -> Result<DatabaseConnection, MigrateError> {
    if admin_url.is_empty() {
        return Err(MigrateError::AdminUrl("required to migrate".into()));
    }
    let mut o = ConnectOptions::new(admin_url.to_owned());
    // One connection: the SET ROLE below must hold for every statement.
    o.max_connections(1).min_connections(1).sqlx_logging(false);
    Database::connect(o)
        .await
        .map_err(|e| MigrateError::AdminUrl(format!("cannot connect: {e}")))
}

async fn exec(
    conn: &DatabaseConnection,
    step: &'static str,
    q: &str,
    v: Vec<sea_orm::Value>,
) -> Result<(), MigrateError> {
    conn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, q, v))
        .await
        .map(|_| ())
        .map_err(sql(step))
}

/// Builds a statement server-side with format(%I, %L), so role names and passwords
/// are quoted by PostgreSQL itself, then runs it when there is one.
async fn exec_formatted(
    conn: &DatabaseConnection,
    step: &'static str,
    q: &str,
    v: Vec<sea_orm::Value>,
) -> Result<(), MigrateError> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, q, v))
        .await
        .map_err(sql(step))?;
    if let Some(row) = row {
        let stmt: Option<String> = row.try_get_by_index(0).map_err(sql(step))?;
        if let Some(stmt) = stmt {
            conn.execute_unprepared(&stmt).await.map_err(sql(step))?;
        }
    }
    Ok(())
}

pub async fn run(admin_url: &str, app_url: &str) -> Result<(), MigrateError> {
    let app =
        dburl::parse(app_url).ok_or_else(|| MigrateError::AppUrl("not a postgres URL".into()))?;
    if app.user == OWNER_ROLE || app.user == APP_ROLE {
        return Err(MigrateError::AppUrl(format!(
            "the application must log in with its own role, not {}",
            app.user
        )));
    }
    let conn = connect_admin(admin_url).await?;
    exec(
        &conn,
        "create owner role",
        &format!(
            "do $$ begin if not exists (select from pg_roles where rolname = '{OWNER_ROLE}') then \
                  create role {OWNER_ROLE} nologin; end if; end $$"
        ),
        vec![],
    )
    .await?;
    exec(
        &conn,
        "create application role",
        &format!(
            "do $$ begin if not exists (select from pg_roles where rolname = '{APP_ROLE}') then \
                  create role {APP_ROLE} nologin nosuperuser nobypassrls; end if; end $$"
        ),
        vec![],
    )
    .await?;
    exec_formatted(&conn, "create application login role",
        "select format('create role %I login password %L nosuperuser nobypassrls nocreatedb nocreaterole', $1::text, $2::text) \
         where not exists (select from pg_roles where rolname = $1)",
        vec![app.user.clone().into(), app.password.clone().unwrap_or_default().into()]).await?;
    exec_formatted(
        &conn,
        "grant application role",
        &format!("select format('grant {APP_ROLE} to %I', $1::text)"),
        vec![app.user.clone().into()],
    )
    .await?;
    // A floor for every session of the login role in this database, whatever it
    // runs: the server sets its own, stricter limits in each transaction (see
    // db::Scoped); batch commands lift them for theirs. Without it a forgotten
    // limit or a hand-run session could hold locks and connections indefinitely.
    exec_formatted(
        &conn,
        "limits of the application login role",
        "select format('alter role %1$I in database %2$I set statement_timeout = %3$L; \
                        alter role %1$I in database %2$I set lock_timeout = %4$L; \
                        alter role %1$I in database %2$I set idle_in_transaction_session_timeout = %5$L', \
                        $1::text, current_database(), $2::text, $3::text, $4::text)",
        vec![
            app.user.clone().into(),
            ROLE_STATEMENT_TIMEOUT.into(),
            ROLE_LOCK_TIMEOUT.into(),
            ROLE_IDLE_IN_TRANSACTION_TIMEOUT.into(),
        ],
    )
    .await?;
    exec_formatted(&conn, "let the migrator become the owner",
        &format!("select format('grant {OWNER_ROLE} to %I', current_user) where current_user <> '{OWNER_ROLE}'"), vec![]).await?;
    exec_formatted(&conn, "database grants",
        &format!("select format('grant connect, create on database %I to {OWNER_ROLE}; grant connect on database %I to {APP_ROLE}', current_database(), current_database())"),
        vec![]).await?;
    exec(
        &conn,
        "schema grants",
        &format!("grant usage, create on schema public to {OWNER_ROLE}"),
        vec![],
    )
    .await?;
    exec(
        &conn,
        "become owner",
        &format!("set role {OWNER_ROLE}"),
        vec![],
    )
    .await?;
    Migrator::up(&conn, None)
        .await
        .map_err(sql("apply migrations"))?;
    exec(&conn, "reset role", "reset role", vec![]).await?;

    let violations = catalog::violations(&conn, &app.user, APP_ROLE)
        .await
        .map_err(|e| MigrateError::Catalog(e.to_string()))?;
    let _ = conn.close().await;
    if !violations.is_empty() {
        let list: Vec<String> = violations
            .iter()
            .map(|v| format!("{} ({})", v.check, v.object))
            .collect();
        return Err(MigrateError::Catalog(list.join(", ")));
    }
    Ok(())
}

/// `demo`: creates the database named in DATABASE_ADMIN_URL when it is missing.
pub async fn create_database_if_missing(admin_url: &str) -> Result<bool, MigrateError> {
    let target = dburl::parse(admin_url)
        .ok_or_else(|| MigrateError::AdminUrl("not a postgres URL".into()))?
        .database;
    if target.is_empty() {
        return Err(MigrateError::AdminUrl("names no database".into()));
    }
    let conn = connect_admin(&dburl::with_database(admin_url, "postgres")).await?;
    let exists = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "select 1 from pg_database where datname = $1",
            [target.clone().into()],
        ))
        .await
        .map_err(sql("look for the database"))?
        .is_some();
    if !exists {
        exec_formatted(
            &conn,
            "create database",
            "select format('create database %I', $1::text)",
            vec![target.into()],
        )
        .await?;
    }
    let _ = conn.close().await;
    Ok(!exists)
}
