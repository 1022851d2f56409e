//! Migration 0015 (privacy rights) turned a consent's free-text recipient into a
//! reference to a partner organisation: a consent whose text is a partner's name
//! (case and the spaces around it aside) gets the reference, any other keeps its
//! words, readable as `Consent.recipient`, and authorises nothing. This migrates a
//! fresh database up to just before 0015, writes consents the old way, applies the
//! rest as `passerelle migrate` does, and reads them back from the table and through
//! the API.

use crate::support::*;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;
use serde_json::{Value, json};
use std::collections::HashMap;
use testkit::TestDb;
use uuid::Uuid;

const BEFORE: &str = "m20261123_000015_privacy_rights";

/// Old-style recipients, with the partner each must be linked to (none: kept as text).
const CASES: &[(&str, Option<&str>)] = &[
    ("EDF", Some("EDF")),
    ("Eau du Grand Lyon", Some("Eau du Grand Lyon")),
    ("  edf ", Some("EDF")),
    ("LA POSTE", Some("La Poste")),
    // Spaces inside the name are not normalised: no partner is named so.
    ("La  Poste", None),
    ("EDF, La Poste", None),
    ("Mairie de quartier", None),
];

const PARTNERS: &[(&str, &str)] = &[
    ("EDF", "energy"),
    ("La Poste", "postal"),
    ("Eau du Grand Lyon", "water"),
];

async fn exec(conn: &DatabaseConnection, sql: &str) {
    conn.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
}

/// A database of its own migrated up to, not including, `BEFORE`, the way
/// `migrations::setup` does (as the owner role). Named like the test databases, so a
/// run that dies leaves it to the next run's clean-up.
async fn database_before_0015() -> TestDb {
    // The roles are the cluster's: the run's database creates them if this is the
    // first test.
    let shared = testkit::test_db();
    let server = shared
        .admin_url
        .rsplit_once('/')
        .map(|(s, _)| s.to_owned())
        .unwrap();
    let name = format!(
        "passerelle_test_{}_{}",
        std::process::id(),
        testkit::suffix()
    );
    let maintenance = Database::connect(format!("{server}/postgres"))
        .await
        .unwrap();
    exec(&maintenance, &format!("create database \"{name}\"")).await;
    let _ = maintenance.close().await;
    let admin_url = format!("{server}/{name}");
    let app_url = format!(
        "{}/{name}",
        shared.app_url.rsplit_once('/').map(|(s, _)| s).unwrap()
    );

    let mut o = ConnectOptions::new(admin_url.clone());
    // One connection: the role set below holds for the migrations.
    o.max_connections(1).min_connections(1).sqlx_logging(false);
    let conn = Database::connect(o).await.unwrap();
    exec(
        &conn,
        &format!(
            "grant connect, create on database \"{name}\" to {owner}; \
             grant connect on database \"{name}\" to {app}; \
             grant usage, create on schema public to {owner}; \
             set role {owner}",
            owner = migrations::OWNER_ROLE,
            app = migrations::APP_ROLE,
        ),
    )
    .await;
    let all = migrations::Migrator::migrations();
    let steps = all.iter().position(|m| m.name() == BEFORE).unwrap();
    assert!(steps > 0);
    migrations::Migrator::up(&conn, Some(steps as u32))
        .await
        .unwrap();
    let pending: Vec<String> = migrations::Migrator::get_pending_migrations(&conn)
        .await
        .unwrap()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    assert_eq!(pending.first().map(String::as_str), Some(BEFORE));
    let _ = conn.close().await;
    TestDb {
        name,
        admin_url,
        app_url,
        app_login_role: shared.app_login_role.clone(),
    }
}

#[tokio::test]
async fn free_text_recipients_are_linked_by_name_or_kept_readable() {
    let tdb: &'static TestDb = Box::leak(Box::new(database_before_0015().await));

    // The old shape, as the superuser: `recipient` is required text, there is no
    // partner reference yet.
    let admin = tdb.admin().await;
    let tenant = Uuid::now_v7();
    let beneficiary = Uuid::now_v7();
    let mut partner_ids = HashMap::new();
    for (name, sector) in PARTNERS {
        let id = Uuid::now_v7();
        partner_ids.insert(*name, id);
        exec(
            &admin,
            &format!(
                "insert into partner_organisations (id, name, sector) values ('{id}', '{name}', '{sector}')"
            ),
        )
        .await;
    }
    exec(
        &admin,
        &format!(
            "insert into tenants (id, slug, name) values ('{tenant}', 'migration-0015', 'PIMMS Migration'); \
             insert into beneficiaries (tenant_id, id, pseudonym) values ('{tenant}', '{beneficiary}', 'B-2025-00001')"
        ),
    )
    .await;
    let mut consents = vec![];
    for (i, (text, _)) in CASES.iter().enumerate() {
        let id = Uuid::now_v7();
        consents.push(id);
        exec(
            &admin,
            &format!(
                "insert into consents (tenant_id, id, beneficiary_id, purpose, recipient, given_on, channel, expires_on) \
                 values ('{tenant}', '{id}', '{beneficiary}', 'Consentement {i}', '{text}', current_date - 10, \
                   'written', current_date + 355)"
            ),
        )
        .await;
    }
    let _ = admin.close().await;

    // The rest, exactly as `passerelle migrate` runs it (and its catalog check).
    migrations::setup(&tdb.admin_url, &tdb.app_url)
        .await
        .expect("migrations from 0015 on");

    let admin = tdb.admin().await;
    for ((text, partner), id) in CASES.iter().zip(&consents) {
        let row = admin
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                format!("select recipient, recipient_partner_id from consents where id = '{id}'"),
            ))
            .await
            .unwrap()
            .unwrap();
        let kept: Option<String> = row.try_get("", "recipient").unwrap();
        let linked: Option<Uuid> = row.try_get("", "recipient_partner_id").unwrap();
        assert_eq!(kept.as_deref(), Some(*text), "the words stay: {text:?}");
        assert_eq!(
            linked,
            partner.map(|p| partner_ids[p]),
            "recipient {text:?} linked to {partner:?}"
        );
    }

    // Read back through the API by the association's director.
    let app = spawn_on_db(tdb, |_| {}).await;
    let db = tdb.app().await;
    let director =
        testkit::fixtures::user(&db, &app.issuer.url, "direction@migration.test.example").await;
    db.close().await;
    exec(
        &admin,
        &format!(
            "insert into memberships (tenant_id, id, user_id, role) values ('{tenant}', '{}', '{}', 'director')",
            Uuid::now_v7(),
            director.id
        ),
    )
    .await;
    let _ = admin.close().await;
    let r = app
        .as_user(
            &director,
            None,
            "query($id: ID!) { node(id: $id) { ... on Beneficiary { consents { purpose recipient recipientPartner { id name } active } } } }",
            json!({ "id": kernel::gid::encode("Beneficiary", beneficiary) }),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let read = r.data()["node"]["consents"].as_array().unwrap().clone();
    assert_eq!(read.len(), CASES.len());
    for (i, (text, partner)) in CASES.iter().enumerate() {
        let c: &Value = read
            .iter()
            .find(|c| c["purpose"] == format!("Consentement {i}"))
            .unwrap();
        match partner {
            Some(p) => {
                // A linked consent says its partner's name, whatever the old spelling.
                assert_eq!(c["recipient"], *p, "{text:?}");
                assert_eq!(c["recipientPartner"]["name"], *p, "{text:?}");
                assert_eq!(
                    c["recipientPartner"]["id"],
                    kernel::gid::encode("PartnerOrganisation", partner_ids[p]),
                );
            }
            None => {
                assert_eq!(c["recipient"], *text, "kept readable");
                assert!(c["recipientPartner"].is_null(), "{text:?}: {c}");
            }
        }
        assert_eq!(c["active"], true);
    }
    tdb.drop_database().await;
}
