//! The journal's retention, run by the server (issue 16, section 3), tested with a
//! moved clock: the job takes "now" (`AccessLog::journal_retention`), so the test
//! runs it days and years ahead. Beneficiaries without contact for two years are
//! anonymised like an erasure, and logged; notes past their retention are deleted;
//! replicas running it at once do the work once; `passerelle purge` runs it too.
//! On a database of its own: a run two years ahead would erase the other tests'
//! people.

use crate::journal::site_of;
use crate::support::*;
use chrono::{Duration, Utc};
use serde_json::json;
use testkit::TestUser;
use uuid::Uuid;

const CREATE: &str =
    "mutation($i: CreateBeneficiaryInput!) { createBeneficiary(input: $i) { beneficiary { id } } }";
const RECORD: &str = "mutation($i: RecordVisitInput!) { recordVisit(input: $i) { visit { id } } }";

async fn beneficiary(app: &TestApp, u: &TestUser) -> Uuid {
    let today = kernel::time::today();
    let r = app
        .as_user(
            u,
            None,
            CREATE,
            json!({"i": {"ageBand": "FROM_41_TO_60", "consent": {
            "purpose": "Suivi", "givenOn": today.to_string(), "channel": "ORAL",
            "expiresOn": (today + chrono::Days::new(365)).to_string()}}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    kernel::gid::decode(
        r.data()["createBeneficiary"]["beneficiary"]["id"]
            .as_str()
            .unwrap(),
    )
    .unwrap()
    .1
}

async fn visit(app: &TestApp, u: &TestUser, site: &str, ben: Option<Uuid>, note: &str) {
    let r = app
        .as_user(u, None, RECORD, json!({"i": {"clientKey": Uuid::now_v7().to_string(), "note": note, "visit": {
            "siteId": site, "occurredAt": (Utc::now() - Duration::minutes(10)).to_rfc3339(), "channel": "PHONE",
            "durationMinutes": 15, "beneficiaryId": ben.map(|b| kernel::gid::encode("Beneficiary", b)),
            "requests": [{"theme": "housing", "kind": "GENERAL", "outcome": "INFORMED"}]}}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
}

#[tokio::test]
async fn retention_anonymises_the_silent_and_deletes_old_notes_with_a_moved_clock() {
    let tdb: &'static testkit::TestDb = Box::leak(Box::new(testkit::testdb::separate_db().await));
    let app = spawn_on_db(tdb, |_| {}).await;
    let t = app.tenant().await;
    testkit::fixtures::populate(app.db, &t).await;
    let site = site_of(&app, &t).await;
    let a = beneficiary(&app, &t.mediator).await;
    let b = beneficiary(&app, &t.mediator).await;
    visit(&app, &t.mediator, &site, Some(a), "Note sur A").await;
    visit(&app, &t.mediator, &site, None, "Note d'un passage anonyme").await;
    let journal = mediation::Journal::new(app.db.app().await, None);
    let log = privacy::AccessLog::new(
        app.db.app().await,
        &app.db.app_url,
        &privacy::WriterOptions::default(),
    )
    .unwrap();
    let r = mediation::Retention::default();
    assert_eq!((r.beneficiary_days, r.note_days), (730, 730));
    let tid = t.id.to_string();
    let count = |sql: &str| {
        let sql = sql.replace("{t}", &tid);
        let app = &app;
        async move { app.count(&sql).await }
    };
    let people =
        "select count(*) from beneficiaries where tenant_id = '{t}' and anonymised_at is null";
    let notes = "select count(*) from visit_notes where tenant_id = '{t}'";
    let figures = "select (select coalesce(sum(visits), 0) from visit_daily where tenant_id = '{t}') * 1000 \
                   + (select coalesce(sum(requests), 0) from request_daily where tenant_id = '{t}')";
    let (people0, notes0) = (count(people).await, count(notes).await);
    assert_eq!(
        (people0, notes0),
        (3, 3),
        "the fixture's, A and B; the fixture's note and two"
    );
    let now = Utc::now();

    // Now, and three days short of two years after the last contact (the
    // fixture's visit two days ago): nothing is due.
    for at in [now, now + Duration::days(727)] {
        let run = log.journal_retention(&journal, at, r).await.unwrap();
        assert!(run.ran);
        assert_eq!((run.erased.beneficiaries, run.old_notes), (0, 0), "at {at}");
    }
    assert_eq!((count(people).await, count(notes).await), (3, 3));

    // A shorter note retention (configurable): notes older than 30 days go, people stay.
    let short = mediation::Retention { note_days: 30, ..r };
    let run = log
        .journal_retention(&journal, now + Duration::days(31), short)
        .await
        .unwrap();
    assert_eq!((run.erased.beneficiaries, run.old_notes), (0, 3), "{run:?}");
    assert_eq!((count(people).await, count(notes).await), (3, 0));
    visit(&app, &t.mediator, &site, Some(b), "Note sur B").await;
    let figures0 = count(figures).await;

    // Two years and a day after the last contact: everyone is anonymised like an
    // erasure (their notes with them), and each anonymisation is in the association's
    // log as the platform's mutation, ids only; the chain still verifies.
    let run = log
        .journal_retention(&journal, now + Duration::days(731), r)
        .await
        .unwrap();
    assert_eq!(run.erased.beneficiaries, 3, "{run:?}");
    assert_eq!(run.erased.notes, 1, "B's note, with B: {run:?}");
    assert_eq!(
        run.erased.visits, 3,
        "the fixture's visit, A's and B's: {run:?}"
    );
    assert_eq!(count(people).await, 0);
    assert_eq!(count(notes).await, 0);
    assert_eq!(
        count("select count(*) from consents where tenant_id = '{t}'").await,
        0
    );
    assert_eq!(count(figures).await, figures0, "rollups stay exact");
    for id in [a, b] {
        assert_eq!(
            count(&format!(
                "select count(*) from access_log where tenant_id = '{{t}}' and kind = 'mutation' \
                and operation = 'retention' and object_type = 'Beneficiary' and object_id = '{id}' \
                and actor_kind = 'system' and user_id is null and outcome = 'ok'"
            ))
            .await,
            1
        );
    }
    assert_eq!(log.verify(Some(t.id)).await.unwrap().broken, None);
    // Idempotent: a second run finds nothing.
    let run = log
        .journal_retention(&journal, now + Duration::days(731), r)
        .await
        .unwrap();
    assert_eq!(run.erased.beneficiaries, 0);

    // Replicas running it at the same time: one does the work (the other skips, or
    // finds it done).
    let c = beneficiary(&app, &t.mediator).await;
    let (x, y) = tokio::join!(
        log.journal_retention(&journal, now + Duration::days(800), r),
        log.journal_retention(&journal, now + Duration::days(800), r)
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(
        x.erased.beneficiaries + y.erased.beneficiaries,
        1,
        "{x:?} {y:?}"
    );
    assert_eq!(
        count(&format!("select count(*) from access_log where tenant_id = '{{t}}' and operation = 'retention' and object_id = '{c}'")).await,
        1
    );

    // `passerelle purge` runs it (as of now: nothing due) and says what it did in counts.
    let out = tokio::process::Command::new(passerelle_binary())
        .args(["purge"])
        .env("DATABASE_URL", &app.db.app_url)
        .env("DATABASE_ADMIN_URL", &app.db.admin_url)
        .env("PASSERELLE_ENV", "development")
        .env(
            "PASSERELLE_EVIDENCE_DIR",
            std::env::temp_dir().join("passerelle-evidence-retention"),
        )
        .env_remove("PASSERELLE_CONFIG")
        .output()
        .await
        .expect("run passerelle purge");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("journal retention: 0 beneficiaries without contact for 730 days anonymised"),
        "{text}"
    );
    // A setting out of range is refused by name.
    let out = tokio::process::Command::new(passerelle_binary())
        .args(["purge"])
        .env("DATABASE_URL", &app.db.app_url)
        .env("DATABASE_ADMIN_URL", &app.db.admin_url)
        .env("PASSERELLE_ENV", "development")
        .env("PASSERELLE_NOTE_RETENTION_DAYS", "5")
        .env_remove("PASSERELLE_CONFIG")
        .output()
        .await
        .expect("run passerelle purge");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("PASSERELLE_NOTE_RETENTION_DAYS"));
    drop(journal);
    tdb.drop_database().await;
}

#[tokio::test]
async fn the_register_names_every_table_holding_personal_data_and_they_exist() {
    // Every declared table and column is in the catalog (a renamed column would
    // leave the register wrong), and every one is in the register (unit test in
    // privacy::register, repeated here where the catalog is at hand).
    let app = spawn_app().await;
    assert_eq!(
        privacy::register::missing_from_register(),
        Vec::<&str>::new()
    );
    for t in privacy::register::PERSONAL_TABLES {
        for c in t.columns {
            assert_eq!(
                app.count(&format!(
                    "select count(*) from information_schema.columns where table_schema = 'public' \
                     and table_name = '{}' and column_name = '{c}'",
                    t.table
                ))
                .await,
                1,
                "{}.{c} is declared in privacy::register::PERSONAL_TABLES but not in the schema",
                t.table
            );
        }
    }
    // The command prints it.
    let out = tokio::process::Command::new(passerelle_binary())
        .args(["privacy", "register"])
        .output()
        .await
        .expect("run passerelle privacy register");
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        md.starts_with("# Registre des activités de traitement"),
        "{md}"
    );
    for t in privacy::register::PERSONAL_TABLES {
        assert!(
            md.contains(&format!("`{}`", t.table)),
            "{} missing from the printed register",
            t.table
        );
    }
}
