//! Every sea-orm entity held against the migrated database, so a column added,
//! retyped or made nullable in a migration without its entity (or the reverse) fails
//! here rather than as a decoding error in production.

use db::shape::{ColumnShape, Drift, TableShape, drift};
use sea_orm::{ConnectionTrait, TransactionTrait};

fn all_tables() -> Vec<TableShape> {
    let mut v = entity::tables();
    v.extend(sites::entity::tables());
    v.extend(mediation::entity::tables());
    v.extend(partners::entity::tables());
    v.extend(events::entity::tables());
    v.extend(pathways::entity::tables());
    v.extend(privacy::entity::tables());
    v.extend(::compliance::entity::tables());
    v
}

#[tokio::test]
async fn every_entity_matches_its_table_and_every_table_has_one() {
    let tdb = testkit::test_db();
    let admin = tdb.admin().await;
    let shapes = all_tables();
    let d = drift(&admin, &shapes).await.expect("catalog query");
    for x in &d {
        eprintln!("drift: {}.{:?}: {}", x.table, x.column, x.what);
    }
    assert!(
        d.is_empty(),
        "{} differences between entities and tables",
        d.len()
    );
    // The check must have had the whole schema to compare: 46 tables at migration 0009.
    assert!(shapes.len() >= 46, "only {} entities", shapes.len());
}

fn has(d: &[Drift], table: &str, column: Option<&str>, what: &str) -> bool {
    d.iter()
        .any(|x| x.table == table && x.column.as_deref() == column && x.what.contains(what))
}

#[tokio::test]
async fn the_drift_check_sees_each_kind_of_difference() {
    let tdb = testkit::test_db();
    let admin = tdb.admin().await;
    let mut shapes = all_tables();
    let visits = shapes
        .iter_mut()
        .find(|s| s.table == "visits")
        .expect("an entity for visits");
    // A column the entity reads as text while the table says integer, one it says
    // is never null while the table allows it, one it forgot, one it invented.
    let retyped = visits
        .columns
        .iter_mut()
        .find(|c| c.name == "duration_minutes")
        .expect("visits.duration_minutes");
    retyped.pg_types = vec!["text"];
    let nullable = visits
        .columns
        .iter_mut()
        .find(|c| c.name == "beneficiary_id")
        .expect("visits.beneficiary_id");
    nullable.nullable = false;
    visits.columns.retain(|c| c.name != "language");
    visits.columns.push(ColumnShape {
        name: "invented".into(),
        pg_types: vec!["text"],
        nullable: true,
    });
    let mut duplicate = shapes[0].clone();
    duplicate.columns.clear();
    shapes.push(duplicate.clone());

    // A table no entity describes, in a transaction rolled back (no other test sees it).
    let tx = admin.begin().await.unwrap();
    let probe = format!("probe_{}", testkit::suffix());
    tx.execute_unprepared(&format!("create table {probe} (id uuid primary key)"))
        .await
        .unwrap();
    let d = drift(&tx, &shapes).await.unwrap();
    tx.rollback().await.unwrap();

    assert!(
        has(&d, "visits", Some("duration_minutes"), "type int"),
        "{d:?}"
    );
    assert!(
        has(
            &d,
            "visits",
            Some("beneficiary_id"),
            "nullable in the table"
        ),
        "{d:?}"
    );
    assert!(
        has(&d, "visits", Some("language"), "missing from the entity"),
        "{d:?}"
    );
    assert!(
        has(&d, "visits", Some("invented"), "no such column"),
        "{d:?}"
    );
    assert!(has(&d, &duplicate.table, None, "2 entities"), "{d:?}");
    assert!(has(&d, &probe, None, "without an entity"), "{d:?}");
}
