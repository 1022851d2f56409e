//! One read transaction per GraphQL query (db::ReadUnit): the reads of a query share
//! it, with the caller's own scope, and everything that must not share it does not.

use db::{Db, PoolOptions, ReadUnit};
use kernel::{Ctx, RequestId, TenantId, TenantRole, TenantScope, UserId};
use sea_orm::ConnectionTrait;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use testkit::test_db;

async fn db() -> Db {
    Db::connect(&test_db().app_url, &PoolOptions::default())
        .await
        .unwrap()
}

fn director() -> Ctx {
    Ctx::member(
        UserId::new(),
        TenantScope {
            tenant_id: TenantId::new(),
            role: TenantRole::Director,
        },
        RequestId::new(),
    )
}

/// The transaction a read ran in (its id, assigned on demand) and the tenant
/// setting row-level security saw.
async fn read(db: &Db, ctx: &Ctx, commit: bool) -> (i64, String) {
    let tx = db.scoped(ctx).await.unwrap();
    let r = tx
        .query_one_raw(db::stmt(
            "select pg_current_xact_id()::text::int8, current_setting('app.tenant_id')",
            vec![],
        ))
        .await
        .unwrap()
        .unwrap();
    let out = (
        r.try_get_by_index(0).unwrap(),
        r.try_get_by_index(1).unwrap(),
    );
    if commit {
        tx.commit().await.unwrap();
    }
    out
}

/// Runs the operation `f` as the server does: in a task (a read holding the unit
/// is known by its task).
async fn operation<F, T>(f: F) -> (T, Result<(), db::DbError>)
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    tokio::spawn(ReadUnit::new().run(f)).await.unwrap()
}

/// Runs `read` in a task spawned the way DataLoaders spawn theirs.
async fn spawned(db: &Db, ctx: &Ctx) -> (i64, String) {
    let out = Arc::new(Mutex::new(None));
    let (db, ctx, o) = (db.clone(), ctx.clone(), Arc::clone(&out));
    tokio::spawn(ReadUnit::carry(Box::pin(async move {
        *o.lock().unwrap() = Some(read(&db, &ctx, true).await);
    })))
    .await
    .unwrap();
    out.lock().unwrap().take().unwrap()
}

#[tokio::test]
async fn the_reads_of_a_query_share_one_transaction_with_the_callers_scope() {
    let db = db().await;
    let ctx = director();
    let tenant = ctx.require_tenant().unwrap().tenant_id.to_string();
    let (reads, end) = operation({
        let (db, ctx) = (db.clone(), ctx.clone());
        async move {
            ReadUnit::enable_current();
            let a = read(&db, &ctx, true).await;
            let (b, c) = tokio::join!(spawned(&db, &ctx), spawned(&db, &ctx));
            // A system lookup inside the query keeps a transaction of its own.
            let s = read(&db, &Ctx::system("test"), true).await;
            (a, b, c, s)
        }
    })
    .await;
    end.unwrap();
    let (a, b, c, s) = reads;
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(a.1, tenant);
    assert_ne!(s.0, a.0);
    assert_eq!(s.1, "");
}

#[tokio::test]
async fn without_enable_every_read_has_its_own_transaction() {
    let db = db().await;
    let ctx = director();
    let ((a, b), end) =
        operation(async move { (read(&db, &ctx, true).await, spawned(&db, &ctx).await) }).await;
    end.unwrap();
    assert_ne!(a.0, b.0);
}

#[tokio::test]
async fn a_nested_read_does_not_wait_for_itself() {
    let db = db().await;
    let ctx = director();
    let (ids, end) = tokio::time::timeout(
        Duration::from_secs(10),
        operation(async move {
            ReadUnit::enable_current();
            let outer = db.scoped(&ctx).await.unwrap();
            let inner = read(&db, &ctx, true).await;
            let r = outer
                .query_one_raw(db::stmt("select pg_current_xact_id()::text::int8", vec![]))
                .await
                .unwrap()
                .unwrap();
            let o: i64 = r.try_get_by_index(0).unwrap();
            outer.commit().await.unwrap();
            (o, inner.0)
        }),
    )
    .await
    .expect("a nested read must not deadlock");
    end.unwrap();
    assert_ne!(ids.0, ids.1);
}

#[tokio::test]
async fn a_failed_read_takes_the_unit_out_of_use_and_it_is_rolled_back() {
    let db = db().await;
    let ctx = director();
    let ((first, after), end) = operation(async move {
        ReadUnit::enable_current();
        let first = read(&db, &ctx, true).await;
        // A statement that fails inside PostgreSQL aborts the transaction; the
        // read returns its error without committing.
        {
            let tx = db.scoped(&ctx).await.unwrap();
            assert!(
                tx.query_one_raw(db::stmt("select 1 / 0", vec![]))
                    .await
                    .is_err()
            );
        }
        (first, read(&db, &ctx, true).await)
    })
    .await;
    end.unwrap();
    assert_ne!(first.0, after.0, "the aborted transaction was used again");
    // Rolled back: the shared transaction's id never committed.
    let admin = sea_orm::Database::connect(&test_db().admin_url)
        .await
        .unwrap();
    let r = admin
        .query_one_raw(db::stmt(
            "select pg_xact_status($1::text::xid8)",
            vec![first.0.to_string().into()],
        ))
        .await
        .unwrap()
        .unwrap();
    let status: String = r.try_get_by_index(0).unwrap();
    assert_eq!(status, "aborted");
}
