//! One migrated database per test process, created through the same code path as
//! `passerelle migrate` (roles, owner, grants, catalog check). Databases left by
//! earlier runs whose process is gone are dropped first.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use std::sync::OnceLock;

pub struct TestDb {
    pub name: String,
    /// Superuser on the test database (fixtures, fingerprints, catalog).
    pub admin_url: String,
    /// The application login role on the test database: RLS applies.
    pub app_url: String,
    pub app_login_role: String,
}

fn server_url() -> String {
    std::env::var("TEST_DATABASE_SERVER_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

pub const APP_LOGIN_ROLE: &str = "passerelle_api";
pub const APP_PASSWORD: &str = "passerelle";

fn app_server_url() -> String {
    let s = server_url();
    let host = s
        .rsplit_once('@')
        .map(|(_, h)| h.to_owned())
        .unwrap_or_else(|| "127.0.0.1:5432".into());
    format!("postgres://{APP_LOGIN_ROLE}:{APP_PASSWORD}@{host}")
}

static DB: OnceLock<TestDb> = OnceLock::new();

/// The run's database, created and migrated on first use.
pub fn test_db() -> &'static TestDb {
    DB.get_or_init(|| {
        std::thread::spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(create())
        })
        .join()
        .expect("creating the test database")
    })
}

/// A migrated database of its own, for a test that loads data the run's shared
/// database must not hold (the demo network). Dropped with the other stale ones
/// once the process is gone, or by `drop`.
pub async fn separate_db() -> TestDb {
    create().await
}

impl TestDb {
    /// Drops this database (a `separate_db`; never the run's shared one).
    pub async fn drop_database(&self) {
        if let Ok(conn) = Database::connect(format!("{}/postgres", server_url())).await {
            let _ = conn
                .execute_unprepared(&format!(
                    "drop database if exists \"{}\" with (force)",
                    self.name
                ))
                .await;
            let _ = conn.close().await;
        }
    }
}

async fn create() -> TestDb {
    let pid = std::process::id();
    let name = format!("passerelle_test_{pid}_{}", crate::suffix());
    let server = server_url();
    let maintenance: DatabaseConnection = Database::connect(format!("{server}/postgres"))
        .await
        .expect("PostgreSQL must run on 127.0.0.1:5432 (see .ci/run)");
    drop_stale(&maintenance).await;
    maintenance
        .execute_unprepared(&format!("create database \"{name}\""))
        .await
        .expect("create test database");
    let _ = maintenance.close().await;
    let admin_url = format!("{server}/{name}");
    let app_url = format!("{}/{name}", app_server_url());
    migrations::setup(&admin_url, &app_url)
        .await
        .expect("migrations and catalog check on the test database");
    TestDb {
        name,
        admin_url,
        app_url,
        app_login_role: APP_LOGIN_ROLE.into(),
    }
}

/// Test databases whose creating process no longer exists.
async fn drop_stale(conn: &DatabaseConnection) {
    let rows = conn
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "select datname from pg_database where datname like 'passerelle\\_test\\_%'",
        ))
        .await
        .unwrap_or_default();
    for r in rows {
        let Ok(name) = r.try_get::<String>("", "datname") else {
            continue;
        };
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = conn
                .execute_unprepared(&format!("drop database if exists \"{name}\" with (force)"))
                .await;
        }
    }
}

impl TestDb {
    pub async fn admin(&self) -> DatabaseConnection {
        Database::connect(self.admin_url.clone())
            .await
            .expect("admin connection")
    }

    /// The application's pool, as the application role.
    pub async fn app(&self) -> db::Db {
        db::Db::connect(
            &self.app_url,
            &db::PoolOptions {
                max_connections: 4,
                ..db::PoolOptions::default()
            },
        )
        .await
        .expect("application connection")
    }
}
