//! PostgreSQL under faults: a locked table, an abandoned request, overload, failures
//! that must be logged with their cause, a shutdown with requests stuck, and
//! PostgreSQL itself stopped and started again.
//!
//! Each test works in a database of its own (a lock on `visits` in the run's shared
//! database would stall every other test), created in the shared cluster through
//! the same path as `passerelle migrate`; the "PostgreSQL down" test starts its own
//! cluster on a free port. Every mutation answered OK must be in the database at
//! the end.

use crate::journal::{RECORD, visit, with_partner};
use crate::support::{TestApp, base_config};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use testkit::{Gql, Issuer, TestDb};

const SITES: &str = "{ sites(first: 1) { edges { node { id name } } } }";

/// A fresh migrated database in the shared cluster (named like the run's, so a
/// crashed run's is dropped by the next one).
async fn fresh_db() -> &'static TestDb {
    let server = "postgres://postgres@127.0.0.1:5432";
    let name = format!(
        "passerelle_test_{}_fault{}",
        std::process::id(),
        testkit::suffix()
    );
    let m = sea_orm::Database::connect(format!("{server}/postgres"))
        .await
        .unwrap();
    m.execute_unprepared(&format!("create database \"{name}\""))
        .await
        .unwrap();
    let _ = m.close().await;
    let tdb = TestDb {
        admin_url: format!("{server}/{name}"),
        app_url: format!(
            "postgres://{}:{}@127.0.0.1:5432/{name}",
            testkit::testdb::APP_LOGIN_ROLE,
            testkit::testdb::APP_PASSWORD
        ),
        app_login_role: testkit::testdb::APP_LOGIN_ROLE.into(),
        name,
    };
    migrations::setup(&tdb.admin_url, &tdb.app_url)
        .await
        .expect("migrations on the fault database");
    Box::leak(Box::new(tdb))
}

async fn drop_db(tdb: &TestDb) {
    if let Ok(m) =
        sea_orm::Database::connect("postgres://postgres@127.0.0.1:5432/postgres".to_owned()).await
    {
        let _ = m
            .execute_unprepared(&format!(
                "drop database if exists \"{}\" with (force)",
                tdb.name
            ))
            .await;
        let _ = m.close().await;
    }
}

struct Running {
    app: TestApp,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Sends the shutdown signal; the server's own future must then end.
    async fn shutdown(mut self, within: Duration) -> Duration {
        let t = Instant::now();
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        tokio::time::timeout(within, &mut self.served)
            .await
            .expect("the server ends within its drain deadline")
            .expect("serve task")
            .expect("serve");
        t.elapsed()
    }
}

/// The production builder on `tdb`, configured by `edit`, served in-process.
async fn spawn_on(
    tdb: &'static TestDb,
    edit: impl FnOnce(&mut HashMap<String, String>),
) -> Running {
    let issuer = Arc::new(Issuer::start().await);
    let mut vars = base_config(tdb, &issuer.url);
    edit(&mut vars);
    let config = server::Config::from_map(&vars).expect("test configuration");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = server::build(config).await.expect("build app");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(server::serve_until(app, listener, async move {
        let _ = rx.await;
    }));
    let base = format!("http://{addr}");
    Running {
        app: TestApp {
            gql: Gql::new(&base),
            base,
            issuer,
            db: tdb,
        },
        stop: Some(tx),
        served,
    }
}

fn set(v: &mut HashMap<String, String>, pairs: &[(&str, &str)]) {
    for (k, val) in pairs {
        v.insert((*k).to_owned(), (*val).to_owned());
    }
}

/// An admin transaction holding `lock table <table>` until rolled back.
async fn hold_lock(
    tdb: &TestDb,
    table: &str,
) -> (DatabaseConnection, sea_orm::DatabaseTransaction) {
    let conn = tdb.admin().await;
    let tx = conn.begin().await.unwrap();
    tx.execute_unprepared(&format!("lock table {table} in access exclusive mode"))
        .await
        .unwrap();
    (conn, tx)
}

async fn scalar(tdb: &TestDb, sql: &str) -> i64 {
    let admin = tdb.admin().await;
    let row = admin
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    let n: i64 = row.try_get_by_index(0).unwrap();
    let _ = admin.close().await;
    n
}

/// Backends of the application role in `tdb` waiting for a lock.
async fn app_waiting_on_locks(tdb: &TestDb) -> i64 {
    scalar(
        tdb,
        &format!(
            "select count(*) from pg_stat_activity where datname = '{}' and usename = '{}' \
             and wait_event_type = 'Lock'",
            tdb.name, tdb.app_login_role
        ),
    )
    .await
}

/// How many of `keys` are recorded visits.
async fn recorded(tdb: &TestDb, keys: &[String]) -> i64 {
    if keys.is_empty() {
        return 0;
    }
    let list = keys
        .iter()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(",");
    scalar(
        tdb,
        &format!("select count(*) from visits where client_key in ({list})"),
    )
    .await
}

fn record_input(site: &str, partner: &str, key: &str) -> Value {
    json!({"i": {"clientKey": key, "visit": visit(site, partner, 5)}})
}

fn key() -> String {
    format!("fault-{}", uuid::Uuid::now_v7().simple())
}

/// Item 1 (and 2): a table locked for longer than the old 5 s acquire timeout.
/// Its writers fail fast with UNAVAILABLE (lock_timeout), never INTERNAL; requests
/// that do not touch it keep being served; readiness stays 200 and quick; no
/// backend is left waiting; every acknowledged write is recorded.
#[tokio::test]
async fn a_locked_table_stalls_only_its_own_requests() {
    let tdb = fresh_db().await;
    let r = spawn_on(tdb, |v| {
        set(v, &[("PASSERELLE_DB_LOCK_TIMEOUT_MS", "500")]);
    })
    .await;
    let app = &r.app;
    let (t, site, partner) = with_partner(app).await;
    let token_w = app.token(&t.mediator);
    let token_r = app.token(&t.director);

    let (conn, lock) = hold_lock(tdb, "visits").await;
    let locked_at = Instant::now();
    let lock_for = Duration::from_secs(7);
    let run_until = locked_at + lock_for + Duration::from_millis(1500);

    let mut writers = Vec::new();
    for _ in 0..6 {
        let gql = app.gql.clone();
        let (token, site, partner) = (token_w.clone(), site.clone(), partner.clone());
        writers.push(tokio::spawn(async move {
            let mut out = Vec::new();
            while Instant::now() < run_until {
                let k = key();
                let rep = gql
                    .run(&token, None, RECORD, record_input(&site, &partner, &k))
                    .await;
                out.push((k, rep.status, rep.code().map(str::to_owned), rep.ok()));
            }
            out
        }));
    }
    let reader = {
        let gql = app.gql.clone();
        let token = token_r.clone();
        tokio::spawn(async move {
            let mut out = Vec::new();
            while Instant::now() < run_until {
                let t0 = Instant::now();
                let rep = gql.run(&token, None, SITES, json!({})).await;
                out.push((rep.status, rep.code().map(str::to_owned), t0.elapsed()));
            }
            out
        })
    };
    let probes = {
        let url = format!("{}/readyz", app.base);
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut out = Vec::new();
            while Instant::now() < run_until {
                let t0 = Instant::now();
                let st = http.get(&url).send().await.map(|r| r.status().as_u16());
                out.push((st.unwrap_or(0), t0.elapsed()));
                tokio::time::sleep(Duration::from_millis(400)).await;
            }
            out
        })
    };
    tokio::time::sleep_until((locked_at + lock_for).into()).await;
    lock.rollback().await.unwrap();
    let _ = conn.close().await;

    let reads = reader.await.unwrap();
    let probes = probes.await.unwrap();
    let mut writes = Vec::new();
    for w in writers {
        writes.extend(w.await.unwrap());
    }
    assert!(!reads.is_empty());
    for (status, code, took) in &reads {
        assert_eq!(
            (*status, code.as_deref()),
            (200, None),
            "a request not touching the locked table failed after {took:?}: {reads:?}"
        );
    }
    for (status, took) in &probes {
        assert_eq!(*status, 200, "readiness during the lock: {probes:?}");
        assert!(*took < Duration::from_millis(1500), "{probes:?}");
    }
    let codes: Vec<Option<&str>> = writes.iter().map(|w| w.2.as_deref()).collect();
    assert!(
        codes
            .iter()
            .all(|c| matches!(c, None | Some("UNAVAILABLE"))),
        "writers fail as UNAVAILABLE only: {codes:?}"
    );
    assert!(codes.contains(&Some("UNAVAILABLE")), "{codes:?}");
    let acknowledged: Vec<String> = writes.iter().filter(|w| w.3).map(|w| w.0.clone()).collect();
    assert!(
        !acknowledged.is_empty(),
        "writes succeed once the lock is gone"
    );
    assert_eq!(
        recorded(tdb, &acknowledged).await,
        acknowledged.len() as i64,
        "every acknowledged visit is recorded"
    );
    let failed: Vec<String> = writes
        .iter()
        .filter(|w| !w.3)
        .map(|w| w.0.clone())
        .collect();
    assert_eq!(
        recorded(tdb, &failed).await,
        0,
        "a failed write left nothing"
    );
    assert_eq!(app_waiting_on_locks(tdb).await, 0);
    r.shutdown(Duration::from_secs(30)).await;
    drop_db(tdb).await;
}

/// Item 1: a transaction whose future is dropped (what a given-up request does)
/// has its statement cancelled at once, not left waiting for the lock; its
/// connection comes back healthy.
#[tokio::test]
async fn a_dropped_request_cancels_its_statement() {
    let tdb = fresh_db().await;
    // No timeouts at all: only the cancel can end the statement.
    let db = db::Db::connect(
        &tdb.app_url,
        &db::PoolOptions {
            max_connections: 1,
            ..db::PoolOptions::default()
        },
    )
    .await
    .unwrap();
    let (conn, lock) = hold_lock(tdb, "visits").await;
    let worker = {
        let db = db.clone();
        tokio::spawn(async move {
            let tx = db.scoped(&kernel::Ctx::system("fault test")).await.unwrap();
            let _ = tx.execute_unprepared("select count(*) from visits").await;
        })
    };
    let mut waiting = 0;
    for _ in 0..50 {
        waiting = app_waiting_on_locks(tdb).await;
        if waiting == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(waiting, 1, "the statement waits for the lock");
    worker.abort();
    let dropped = Instant::now();
    while app_waiting_on_locks(tdb).await != 0 {
        assert!(
            dropped.elapsed() < Duration::from_secs(3),
            "the backend still waits for the lock after its request was dropped"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The lock is still held: the statement was cancelled, not granted.
    let still_locked = scalar(
        tdb,
        &format!(
            "select count(*) from pg_locks l join pg_class c on c.oid = l.relation \
             where c.relname = 'visits' and l.mode = 'AccessExclusiveLock' and l.granted \
             and l.database = (select oid from pg_database where datname = '{}')",
            tdb.name
        ),
    )
    .await;
    assert_eq!(still_locked, 1);
    lock.rollback().await.unwrap();
    let _ = conn.close().await;
    // The only pooled connection is usable again.
    let tx = tokio::time::timeout(
        Duration::from_secs(5),
        db.scoped(&kernel::Ctx::system("fault test")),
    )
    .await
    .expect("the connection came back to the pool")
    .unwrap();
    tx.execute_unprepared("select 1").await.unwrap();
    tx.commit().await.unwrap();
    db.close().await;
    drop_db(tdb).await;
}

/// Items 1 and 3: a request over the HTTP timeout gets the usual error shape
/// (503, UNAVAILABLE, Retry-After), and its statement is cancelled then, not when
/// its own lock timeout would have ended it.
#[tokio::test]
async fn a_request_over_the_http_timeout_is_answered_and_its_statement_ended() {
    let tdb = fresh_db().await;
    let r = spawn_on(tdb, |v| {
        set(
            v,
            &[
                ("PASSERELLE_REQUEST_TIMEOUT_SECS", "2"),
                ("PASSERELLE_DB_LOCK_TIMEOUT_MS", "1900"),
                ("PASSERELLE_DB_WRITE_TIMEOUT_MS", "1900"),
                ("PASSERELLE_DB_READ_TIMEOUT_MS", "1900"),
                ("PASSERELLE_DB_MAX_CONNECTIONS", "1"),
                ("PASSERELLE_DB_ACQUIRE_TIMEOUT_MS", "10000"),
                ("PASSERELLE_DB_MAX_WAITING", "10"),
            ],
        );
    })
    .await;
    let app = &r.app;
    let (t, site, partner) = with_partner(app).await;
    let token = app.token(&t.mediator);
    let (conn, lock) = hold_lock(tdb, "visits").await;
    // A takes the only connection and waits for the lock (1.9 s); B queues, then
    // waits for the lock too, and HTTP gives up on B at 2 s.
    let a = {
        let (gql, token, site, partner) = (
            app.gql.clone(),
            token.clone(),
            site.clone(),
            partner.clone(),
        );
        tokio::spawn(async move {
            gql.run(&token, None, RECORD, record_input(&site, &partner, &key()))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let b_key = key();
    let resp = app
        .gql
        .http
        .post(&app.gql.url)
        .bearer_auth(&token)
        .json(&json!({"query": RECORD, "variables": record_input(&site, &partner, &b_key)}))
        .send()
        .await
        .unwrap();
    let answered = Instant::now();
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().get("retry-after").is_some());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAVAILABLE",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("délai"))
    );
    let a = a.await.unwrap();
    assert_eq!(a.code(), Some("UNAVAILABLE"), "{:?}", a.body);
    // B's statement, had it not been cancelled, would wait until its own lock
    // timeout, about 1.6 s from now.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(answered.elapsed() < Duration::from_millis(1200));
    assert_eq!(
        app_waiting_on_locks(tdb).await,
        0,
        "the statement of the given-up request is cancelled"
    );
    lock.rollback().await.unwrap();
    let _ = conn.close().await;
    assert_eq!(recorded(tdb, &[b_key]).await, 0);
    r.shutdown(Duration::from_secs(30)).await;
    drop_db(tdb).await;
}

/// Item 3: past the bound on the queue for connections, requests are shed at once
/// with 503, Retry-After and UNAVAILABLE; admitted ones are served. A request that
/// waited for a connection past the acquire timeout is UNAVAILABLE, not INTERNAL.
#[tokio::test]
async fn overload_is_shed_early_with_a_typed_answer() {
    let tdb = fresh_db().await;
    let r = spawn_on(tdb, |v| {
        set(
            v,
            &[
                ("PASSERELLE_DB_MAX_CONNECTIONS", "2"),
                ("PASSERELLE_DB_MAX_WAITING", "2"),
                ("PASSERELLE_DB_ACQUIRE_TIMEOUT_MS", "10000"),
                ("PASSERELLE_DB_LOCK_TIMEOUT_MS", "8000"),
            ],
        );
    })
    .await;
    let app = &r.app;
    let t = app.tenant().await;
    let token = app.token(&t.director);
    // Every `sites` read waits while the table is locked: the pool fills.
    let (conn, lock) = hold_lock(tdb, "sites").await;
    let mut calls = Vec::new();
    for _ in 0..12 {
        let (http, url, token) = (app.gql.http.clone(), app.gql.url.clone(), token.clone());
        calls.push(tokio::spawn(async move {
            let t0 = Instant::now();
            let resp = http
                .post(&url)
                .bearer_auth(&token)
                .json(&json!({"query": SITES}))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let retry = resp.headers().get("retry-after").is_some();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            (status, retry, body, t0.elapsed())
        }));
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    lock.rollback().await.unwrap();
    let _ = conn.close().await;
    let mut shed = 0;
    let mut served = 0;
    for c in calls {
        let (status, retry, body, took) = c.await.unwrap();
        match status {
            503 => {
                shed += 1;
                assert!(retry, "Retry-After on a shed request");
                assert_eq!(
                    body["errors"][0]["extensions"]["code"], "UNAVAILABLE",
                    "{body}"
                );
                assert!(
                    took < Duration::from_millis(1000),
                    "shed early, not after {took:?}"
                );
            }
            200 => {
                assert!(body.get("errors").is_none(), "{body}");
                served += 1;
            }
            s => panic!("unexpected {s}: {body}"),
        }
    }
    assert!(shed >= 4, "requests past the bound are shed ({shed} of 12)");
    assert!(served >= 2, "admitted requests are served ({served} of 12)");
    r.shutdown(Duration::from_secs(30)).await;

    // Waiting past the acquire timeout: UNAVAILABLE with Retry-After.
    let r = spawn_on(tdb, |v| {
        set(
            v,
            &[
                ("PASSERELLE_DB_MAX_CONNECTIONS", "1"),
                ("PASSERELLE_DB_MAX_WAITING", "50"),
                ("PASSERELLE_DB_ACQUIRE_TIMEOUT_MS", "300"),
                ("PASSERELLE_DB_LOCK_TIMEOUT_MS", "5000"),
            ],
        );
    })
    .await;
    let app = &r.app;
    let t = app.tenant().await;
    let token = app.token(&t.director);
    let (conn, lock) = hold_lock(tdb, "sites").await;
    let first = {
        let (gql, token) = (app.gql.clone(), token.clone());
        tokio::spawn(async move { gql.run(&token, None, SITES, json!({})).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let resp = app
        .gql
        .http
        .post(&app.gql.url)
        .bearer_auth(&token)
        .json(&json!({"query": SITES}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().get("retry-after").is_some());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAVAILABLE",
        "{body}"
    );
    lock.rollback().await.unwrap();
    let _ = conn.close().await;
    assert!(first.await.unwrap().ok());
    r.shutdown(Duration::from_secs(30)).await;
    drop_db(tdb).await;
}

fn passerelle_binary() -> std::path::PathBuf {
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

struct Child {
    child: tokio::process::Child,
    base: String,
}

async fn start_binary(tdb: &TestDb, issuer: &Issuer, extra: &[(&str, &str)]) -> Child {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut cmd = tokio::process::Command::new(passerelle_binary());
    cmd.arg("serve")
        .env_clear()
        .envs(base_config(tdb, &issuer.url))
        .env("PASSERELLE_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "info")
        .envs(extra.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().expect("start passerelle serve");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            return Child { child, base };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("passerelle serve did not come up");
}

impl Child {
    fn term(&self) {
        let pid = self.child.id().expect("pid");
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status();
    }

    async fn output(mut self) -> String {
        use tokio::io::AsyncReadExt;
        let _ = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
        let mut logs = Vec::new();
        if let Some(mut o) = self.child.stdout.take() {
            let _ = o.read_to_end(&mut logs).await;
        }
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_end(&mut logs).await;
        }
        String::from_utf8_lossy(&logs).into_owned()
    }
}

/// Item 4: an INTERNAL and an UNAVAILABLE caused by the database are logged with
/// the class of failure and the SQLSTATE, never with values or database text.
#[tokio::test]
async fn database_failures_are_logged_with_their_class_and_sqlstate() {
    let tdb = fresh_db().await;
    let issuer = Issuer::start().await;
    let t = testkit::TestTenant::create(tdb, &issuer.url).await;
    testkit::fixtures::populate(tdb, &t).await;
    let child = start_binary(tdb, &issuer, &[("PASSERELLE_DB_LOCK_TIMEOUT_MS", "20000")]).await;
    let app = TestApp {
        gql: Gql::new(&child.base),
        base: child.base.clone(),
        issuer: Arc::new(issuer),
        db: tdb,
    };
    let (site, partner) = (
        crate::journal::site_of(&app, &t).await,
        first_partner(&app, &t).await,
    );
    let token = app.token(&t.mediator);

    // A serialization failure our code does not retry: INTERNAL. The message
    // PostgreSQL gives quotes a value, which must not reach the logs.
    let admin = tdb.admin().await;
    admin
        .execute_unprepared(&format!(
            "create function fault_probe() returns trigger language plpgsql as $$ begin \
               if new.tenant_id = '{}' then \
                 raise exception using errcode = 'serialization_failure', \
                   message = 'fault probe value ' || new.client_key; \
               end if; return new; end $$; \
             create trigger fault_probe before insert on visits for each row \
               execute function fault_probe()",
            t.id
        ))
        .await
        .unwrap();
    let secret_key = key();
    let rep = app
        .gql
        .run(
            &token,
            None,
            RECORD,
            record_input(&site, &partner, &secret_key),
        )
        .await;
    assert_eq!(rep.code(), Some("INTERNAL"), "{:?}", rep.body);
    admin
        .execute_unprepared("drop trigger fault_probe on visits; drop function fault_probe()")
        .await
        .unwrap();

    // The connection lost while a statement waits: UNAVAILABLE.
    let (conn, lock) = hold_lock(tdb, "visits").await;
    let waiting = {
        let (gql, token, site, partner) = (
            app.gql.clone(),
            token.clone(),
            site.clone(),
            partner.clone(),
        );
        tokio::spawn(async move {
            gql.run(&token, None, RECORD, record_input(&site, &partner, &key()))
                .await
        })
    };
    let mut killed = 0;
    for _ in 0..50 {
        killed = scalar(
            tdb,
            &format!(
                "select count(pg_terminate_backend(pid)) from pg_stat_activity \
                 where datname = '{}' and usename = '{}' and wait_event_type = 'Lock'",
                tdb.name, tdb.app_login_role
            ),
        )
        .await;
        if killed > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(killed, 1);
    let rep = waiting.await.unwrap();
    assert_eq!(rep.code(), Some("UNAVAILABLE"), "{:?}", rep.body);
    lock.rollback().await.unwrap();
    let _ = conn.close().await;
    let _ = admin.close().await;

    child.term();
    let logs = child.output().await;
    let internal = logs
        .lines()
        .find(|l| l.contains("internal error") && l.contains("40001"))
        .unwrap_or_else(|| panic!("no INTERNAL line with its SQLSTATE in:\n{logs}"));
    assert!(internal.contains("serialization"), "{internal}");
    let lost = logs
        .lines()
        .find(|l| l.contains("unavailable") && l.contains("connection_lost"))
        .unwrap_or_else(|| panic!("no UNAVAILABLE line with its class in:\n{logs}"));
    assert!(lost.contains("57P01"), "{lost}");
    assert!(!logs.contains(&secret_key), "a value reached the logs");
    assert!(
        !logs.contains("fault probe value"),
        "database text reached the logs"
    );
    drop_db(tdb).await;
}

async fn first_partner(app: &TestApp, t: &testkit::TestTenant) -> String {
    let db = app.db.app().await;
    let tx = db
        .scoped(&kernel::Ctx::system("test fixture"))
        .await
        .unwrap();
    tx.execute_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        "insert into partner_organisations (id, name, sector) values ($1, $2, 'energy') on conflict do nothing",
        [uuid::Uuid::now_v7().into(), format!("EDF test {}", t.slug).into()],
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    db.close().await;
    crate::journal::partner(app, t).await
}

/// Item 5: SIGTERM with a request stuck on a lock (and limits far longer than the
/// drain): the process drains for PASSERELLE_SHUTDOWN_DRAIN_SECS, then ends the
/// request (503 in the usual shape), cancels its statement and exits, well inside
/// a 30 s grace period. Writes acknowledged before are kept; the ended one is not
/// half-done.
#[tokio::test]
async fn shutdown_drains_for_its_deadline_then_ends_what_is_left() {
    let tdb = fresh_db().await;
    let issuer = Issuer::start().await;
    let t = testkit::TestTenant::create(tdb, &issuer.url).await;
    testkit::fixtures::populate(tdb, &t).await;
    let child = start_binary(
        tdb,
        &issuer,
        &[
            ("PASSERELLE_SHUTDOWN_DRAIN_SECS", "2"),
            ("PASSERELLE_DB_LOCK_TIMEOUT_MS", "25000"),
            ("PASSERELLE_DB_WRITE_TIMEOUT_MS", "25000"),
        ],
    )
    .await;
    let app = TestApp {
        gql: Gql::new(&child.base),
        base: child.base.clone(),
        issuer: Arc::new(issuer),
        db: tdb,
    };
    let site = crate::journal::site_of(&app, &t).await;
    let partner = first_partner(&app, &t).await;
    let token = app.token(&t.mediator);
    let mut acknowledged = Vec::new();
    for _ in 0..3 {
        let k = key();
        let rep = app
            .gql
            .run(&token, None, RECORD, record_input(&site, &partner, &k))
            .await;
        assert!(rep.ok(), "{:?}", rep.body);
        acknowledged.push(k);
    }
    let (conn, lock) = hold_lock(tdb, "visits").await;
    let stuck_key = key();
    let stuck = {
        let (gql, token, input) = (
            app.gql.clone(),
            token.clone(),
            record_input(&site, &partner, &stuck_key),
        );
        tokio::spawn(async move {
            let r = gql
                .http
                .post(&gql.url)
                .bearer_auth(&token)
                .json(&json!({"query": RECORD, "variables": input}))
                .send()
                .await;
            match r {
                Ok(r) => (
                    r.status().as_u16(),
                    r.json::<Value>().await.unwrap_or(Value::Null),
                ),
                Err(_) => (0, Value::Null),
            }
        })
    };
    for _ in 0..50 {
        if app_waiting_on_locks(tdb).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app_waiting_on_locks(tdb).await, 1);
    let t0 = Instant::now();
    child.term();
    let logs = child.output().await;
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(8),
        "exit {took:?} after SIGTERM (drain 2 s):\n{logs}"
    );
    let (status, body) = stuck.await.unwrap();
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAVAILABLE",
        "{body}"
    );
    assert_eq!(
        app_waiting_on_locks(tdb).await,
        0,
        "no backend left waiting after the exit"
    );
    lock.rollback().await.unwrap();
    let _ = conn.close().await;
    assert_eq!(recorded(tdb, &acknowledged).await, 3);
    assert_eq!(recorded(tdb, &[stuck_key]).await, 0);
    drop_db(tdb).await;
}

/// A PostgreSQL cluster of its own, on a free port, stopped and removed on drop.
struct OwnCluster {
    dir: std::path::PathBuf,
    port: u16,
}

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

fn as_postgres(args: &[&str]) -> std::process::Output {
    std::process::Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .args(args)
        .output()
        .expect("runuser")
}

impl OwnCluster {
    fn init() -> Self {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let dir = std::env::temp_dir().join(format!("passerelle-pg-{}", testkit::suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let status = std::process::Command::new("chown")
            .args(["postgres:postgres", dir.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(status.success());
        let data = dir.join("data");
        let out = as_postgres(&[
            &format!("{PG_BIN}/initdb"),
            "-D",
            data.to_str().unwrap(),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
        ]);
        assert!(out.status.success(), "initdb: {out:?}");
        let c = OwnCluster { dir, port };
        c.start();
        c
    }

    fn pg_ctl(&self, args: &[&str]) -> std::process::Output {
        let data = self.dir.join("data");
        let log = self.dir.join("log");
        let mut all = vec![
            format!("{PG_BIN}/pg_ctl"),
            "-D".into(),
            data.to_str().unwrap().into(),
            "-l".into(),
            log.to_str().unwrap().into(),
            "-t".into(),
            "30".into(),
        ];
        all.extend(args.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        as_postgres(&refs)
    }

    fn start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.to_str().unwrap()
        );
        let out = self.pg_ctl(&["-o", &opts, "-w", "start"]);
        assert!(out.status.success(), "pg_ctl start: {out:?}");
    }

    fn stop(&self) {
        let _ = self.pg_ctl(&["-m", "fast", "-w", "stop"]);
    }

    fn url(&self, user: &str, db: &str) -> String {
        format!("postgres://{user}@127.0.0.1:{}/{db}", self.port)
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Item 2 (and 1): PostgreSQL stopped. Readiness says so within the probe's
/// timeout (not after the pool's acquire timeout), GraphQL answers UNAVAILABLE at
/// once; when PostgreSQL is back the replica is ready again by itself, and every
/// write acknowledged before is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_is_reported_quickly_and_recovered_from() {
    let cluster = tokio::task::spawn_blocking(OwnCluster::init).await.unwrap();
    let admin = cluster.url("postgres", "postgres");
    let m = sea_orm::Database::connect(admin.clone()).await.unwrap();
    m.execute_unprepared("create database passerelle_down")
        .await
        .unwrap();
    let _ = m.close().await;
    let tdb: &'static TestDb = Box::leak(Box::new(TestDb {
        name: "passerelle_down".into(),
        admin_url: cluster.url("postgres", "passerelle_down"),
        app_url: cluster.url(
            &format!(
                "{}:{}",
                testkit::testdb::APP_LOGIN_ROLE,
                testkit::testdb::APP_PASSWORD
            ),
            "passerelle_down",
        ),
        app_login_role: testkit::testdb::APP_LOGIN_ROLE.into(),
    }));
    migrations::setup(&tdb.admin_url, &tdb.app_url)
        .await
        .unwrap();
    let r = spawn_on(tdb, |_| {}).await;
    let app = &r.app;
    let (t, site, partner) = with_partner(app).await;
    let token = app.token(&t.mediator);
    let mut acknowledged = Vec::new();
    for _ in 0..3 {
        let k = key();
        let rep = app
            .gql
            .run(&token, None, RECORD, record_input(&site, &partner, &k))
            .await;
        assert!(rep.ok(), "{:?}", rep.body);
        acknowledged.push(k);
    }
    let http = reqwest::Client::new();
    let ready = format!("{}/readyz", app.base);
    assert_eq!(http.get(&ready).send().await.unwrap().status(), 200);

    let c = &cluster;
    tokio::task::block_in_place(|| c.stop());
    for _ in 0..3 {
        let t0 = Instant::now();
        let resp = tokio::time::timeout(Duration::from_secs(3), http.get(&ready).send())
            .await
            .expect("readiness answers within the probe's 3 s")
            .unwrap();
        let took = t0.elapsed();
        assert_eq!(resp.status(), 503);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["postgres"], "down", "{body}");
        assert!(
            took < Duration::from_millis(1500),
            "readiness took {took:?}"
        );
    }
    let t0 = Instant::now();
    let k = key();
    let rep = app
        .gql
        .run(&token, None, RECORD, record_input(&site, &partner, &k))
        .await;
    assert_eq!(rep.code(), Some("UNAVAILABLE"), "{:?}", rep.body);
    assert_eq!(rep.status, 503);
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());

    tokio::task::block_in_place(|| c.start());
    let t0 = Instant::now();
    loop {
        if http
            .get(&ready)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .ok()
            == Some(200)
        {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(15), "ready again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The pool's connections died with the server: requests recover by themselves
    // (a first one may still meet a dead connection and be told to retry).
    let mut ok = false;
    for _ in 0..10 {
        let k = key();
        let rep = app
            .gql
            .run(&token, None, RECORD, record_input(&site, &partner, &k))
            .await;
        if rep.ok() {
            acknowledged.push(k);
            ok = true;
            break;
        }
        assert_eq!(rep.code(), Some("UNAVAILABLE"), "{:?}", rep.body);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(ok, "writes succeed again once PostgreSQL is back");
    assert_eq!(
        recorded(tdb, &acknowledged).await,
        acknowledged.len() as i64
    );
    r.shutdown(Duration::from_secs(30)).await;
    tokio::task::spawn_blocking(move || drop(cluster))
        .await
        .unwrap();
}
