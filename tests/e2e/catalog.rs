//! The isolation floor, read from PostgreSQL's catalog, and default deny observed
//! as the application role.

use crate::support::*;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

#[tokio::test]
async fn catalog_check_finds_nothing() {
    let tdb = testkit::test_db();
    let admin = tdb.admin().await;
    let v = db::catalog::violations(&admin, &tdb.app_login_role, migrations::APP_ROLE)
        .await
        .expect("catalog query");
    for x in &v {
        eprintln!("catalog violation: {} ({})", x.check, x.object);
    }
    assert!(v.is_empty(), "{} catalog violations", v.len());
    // The check itself must see the tables it guards.
    let n: i64 = admin
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             where n.nspname = 'public' and c.relkind = 'r' and c.relforcerowsecurity",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    assert!(n >= 11, "expected every table forced, saw {n}");
}

#[tokio::test]
async fn catalog_check_catches_a_table_without_rls() {
    use sea_orm::TransactionTrait;
    let tdb = testkit::test_db();
    let admin = tdb.admin().await;
    // Inside a transaction that is rolled back: other tests never see the table.
    let tx = admin.begin().await.unwrap();
    let table = format!("probe_{}", testkit::suffix());
    tx.execute_unprepared(&format!(
        "create table {table} (tenant_id uuid not null, x int); grant select on {table} to passerelle_app"
    ))
    .await
    .unwrap();
    let v = db::catalog::violations(&tx, &tdb.app_login_role, migrations::APP_ROLE)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let checks: Vec<_> = v
        .iter()
        .filter(|x| x.object == table)
        .map(|x| x.check.as_str())
        .collect();
    assert!(checks.contains(&"rls not enabled"), "{checks:?}");
    assert!(checks.contains(&"rls not forced"), "{checks:?}");
    assert!(checks.contains(&"no policy"), "{checks:?}");
}

#[tokio::test]
async fn application_role_sees_nothing_without_scope() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    // Connected as the application role, outside any scoped transaction.
    let conn = sea_orm::Database::connect(app.db.app_url.clone())
        .await
        .unwrap();
    for table in [
        "tenants",
        "users",
        "memberships",
        "invitations",
        "user_identities",
        "union_staff",
    ] {
        let n: i64 = conn
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("select count(*) from {table}"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index(0)
            .unwrap();
        assert_eq!(n, 0, "{table} visible without scope");
    }
    // Writes are refused too, and DELETE is not even granted.
    let err = conn
        .execute_unprepared(&format!(
            "delete from memberships where tenant_id = '{}'",
            t.id
        ))
        .await;
    assert!(err.is_err());
    let err = conn
        .execute_unprepared(
            "insert into tenants (id, slug, name) values (gen_random_uuid(), 'sneaky', 'Sneaky')",
        )
        .await;
    assert!(err.is_err());
    // And the role cannot grant itself the owner's rights.
    assert!(
        conn.execute_unprepared("set role passerelle_owner")
            .await
            .is_err()
    );
}
