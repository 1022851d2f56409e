//! spawn_app: the production builder, configured through the production config
//! parser, bound to port 0.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use testkit::gql::Reply;
use testkit::{Gql, Issuer, TestDb, TestTenant, TestUser, test_db};

pub struct TestApp {
    pub base: String,
    pub gql: Gql,
    pub issuer: Arc<Issuer>,
    pub db: &'static TestDb,
}

pub fn base_config(tdb: &TestDb, issuer: &str) -> HashMap<String, String> {
    [
        ("DATABASE_URL", tdb.app_url.as_str()),
        ("DATABASE_ADMIN_URL", tdb.admin_url.as_str()),
        ("REDIS_URL", "redis://127.0.0.1:6379"),
        ("PASSERELLE_LISTEN", "127.0.0.1:0"),
        ("PASSERELLE_ENV", "development"),
        ("PASSERELLE_OIDC_ISSUER", issuer),
        ("PASSERELLE_OIDC_AUDIENCE", testkit::AUDIENCE),
        ("PASSERELLE_DB_MAX_CONNECTIONS", "4"),
        ("PASSERELLE_RATE_LIMIT_PER_MINUTE", "100000"),
        // Every test calls from 127.0.0.1 and shares Redis: the token endpoint's
        // limits have their own tests (hardening.rs), from addresses of their own.
        ("PASSERELLE_TOKEN_RATE_LIMIT_PER_MINUTE", "100000"),
        ("PASSERELLE_TOKEN_CLIENT_RATE_LIMIT_PER_MINUTE", "100000"),
        // Tests change roles and clients and look at once: the cache (invalidated by
        // notifications, asynchronously) has its own test.
        ("PASSERELLE_PRINCIPAL_CACHE_SECS", "0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

/// Starts an app whose configuration `edit` may change (keys as in the README).
pub async fn spawn_with(edit: impl FnOnce(&mut HashMap<String, String>)) -> TestApp {
    spawn_on_db(test_db(), edit).await
}

/// The same on a database of the caller's (`testkit::testdb::separate_db`): for a
/// test that other tests' writes on the shared database would disturb.
pub async fn spawn_on_db(
    tdb: &'static TestDb,
    edit: impl FnOnce(&mut HashMap<String, String>),
) -> TestApp {
    let issuer = Arc::new(Issuer::start().await);
    let mut vars = base_config(tdb, &issuer.url);
    edit(&mut vars);
    let config = server::Config::from_map(&vars).expect("test configuration");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = server::build(config).await.expect("build app");
    tokio::spawn(async move {
        let _ = server::serve(app, listener).await;
    });
    let base = format!("http://{addr}");
    TestApp {
        gql: Gql::new(&base),
        base,
        issuer,
        db: tdb,
    }
}

impl TestApp {
    pub async fn tenant(&self) -> TestTenant {
        TestTenant::create(self.db, &self.issuer.url).await
    }

    pub fn token(&self, u: &TestUser) -> String {
        self.issuer.token(&u.subject, &u.email)
    }

    /// Runs `query` as `u` in association `tenant` (slug), if given.
    pub async fn as_user(
        &self,
        u: &TestUser,
        tenant: Option<&str>,
        query: &str,
        vars: Value,
    ) -> Reply {
        self.gql.run(&self.token(u), tenant, query, vars).await
    }

    pub async fn union_user(&self, role: &str) -> TestUser {
        let db = self.db.app().await;
        let u = testkit::fixtures::union_user(&db, &self.issuer.url, role).await;
        db.close().await;
        u
    }

    /// A new partner organisation (sector e.g. "energy") and one of its people.
    pub async fn partner(&self, name: &str, sector: &str) -> (uuid::Uuid, TestUser) {
        let db = self.db.app().await;
        let p = testkit::fixtures::partner_org(&db, name, sector).await;
        let u = testkit::fixtures::partner_user(&db, &self.issuer.url, p).await;
        db.close().await;
        (p, u)
    }

    /// Row count of `table` where `cond` (as the superuser: RLS does not apply).
    pub async fn count(&self, sql: &str) -> i64 {
        use sea_orm::ConnectionTrait;
        let admin = self.db.admin().await;
        let row = admin
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                sql.to_owned(),
            ))
            .await
            .expect("count query")
            .expect("a row");
        let n: i64 = row.try_get_by_index(0).expect("count");
        let _ = admin.close().await;
        n
    }
}

/// The `passerelle` binary of this build (`cargo test --workspace` builds it), or the
/// one `PASSERELLE_BIN` names (a target directory shared by several checkouts holds
/// only the last one built).
pub fn passerelle_binary() -> std::path::PathBuf {
    if let Some(bin) = std::env::var_os("PASSERELLE_BIN") {
        return bin.into();
    }
    // target/<profile>/deps/e2e-<hash> -> target/<profile>/passerelle
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir.join("passerelle");
    assert!(
        bin.exists(),
        "{} is missing: run the tests with `cargo test --workspace` (scripts/test)",
        bin.display()
    );
    bin
}
