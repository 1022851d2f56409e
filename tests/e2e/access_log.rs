//! The access log: every mutation and every read of personal data is appended, hash
//! chained per association, before the answer leaves; only the director and the
//! union admin (on a written reason for an association's chain) read it; the
//! application role cannot edit it; `verify` finds tampering; retention keeps the
//! chains verifiable. And every field of the schema whose type is a declared personal
//! type (privacy::PERSONAL_TYPES), found in the SDL, is proven to log its reads.

use crate::support::*;
use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use testkit::{TestTenant, TestUser};
use uuid::Uuid;

const CREATE: &str = "mutation($i: CreateBeneficiaryInput!) { createBeneficiary(input: $i) { beneficiary { id } consent { id } } }";
const LOG: &str = "query($t: ID, $r: String, $from: DateTime, $to: DateTime) { accessLog(tenantId: $t, reason: $r, from: $from, to: $to, first: 100) { edges { node { seq kind operation objectType objectId actorKind userId outcome reason targetTenantId prevHash hash } } } }";

fn consent() -> Value {
    let today = kernel::time::today();
    json!({"purpose": "Suivi d'un dossier d'impayés", "givenOn": today.to_string(),
           "channel": "WRITTEN", "expiresOn": (today + chrono::Days::new(365)).to_string()})
}

/// A beneficiary made through the API by `u`: its global id.
async fn beneficiary(app: &TestApp, u: &TestUser) -> String {
    let r = app
        .as_user(
            u,
            None,
            CREATE,
            json!({"i": {"ageBand": "FROM_26_TO_40", "consent": consent()}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    r.data()["createBeneficiary"]["beneficiary"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn uuid_of(gid: &str) -> Uuid {
    kernel::gid::decode(gid).unwrap().1
}

async fn log(app: &TestApp) -> privacy::AccessLog {
    privacy::AccessLog::new(
        app.db.app().await,
        &app.db.app_url,
        &privacy::WriterOptions::default(),
    )
    .unwrap()
}

/// Entries of `chain` matching `cond` (as the superuser).
async fn entries(app: &TestApp, chain: Uuid, cond: &str) -> i64 {
    app.count(&format!(
        "select count(*) from access_log where tenant_id = '{chain}' and {cond}"
    ))
    .await
}

/// `passerelle audit verify --tenant <id>`: its exit code and what it printed.
async fn audit_verify(app: &TestApp, tenant: Uuid) -> (Option<i32>, String) {
    let out = tokio::process::Command::new(passerelle_binary())
        .args(["audit", "verify", "--tenant", &tenant.to_string()])
        .env("DATABASE_URL", &app.db.app_url)
        .env("DATABASE_ADMIN_URL", &app.db.admin_url)
        .env("PASSERELLE_ENV", "development")
        .env_remove("PASSERELLE_CONFIG")
        .output()
        .await
        .expect("run passerelle");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

async fn admin_exec(app: &TestApp, sql: &str) {
    let admin = app.db.admin().await;
    admin.execute_unprepared(sql).await.unwrap();
    let _ = admin.close().await;
}

#[tokio::test]
async fn mutations_and_personal_reads_are_chained_in_the_associations_log() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let ben = beneficiary(&app, &t.mediator).await;
    let b = uuid_of(&ben);
    assert_eq!(
        entries(&app, t.id, &format!(
            "kind = 'mutation' and operation = 'createBeneficiary' and object_type = 'Beneficiary' \
             and object_id = '{b}' and outcome = 'ok' and actor_kind = 'user' and user_id = '{}' and request_id is not null",
            t.mediator.id
        ))
        .await,
        1
    );
    // A refused mutation is logged with its error code, on the object it names.
    let r = app
        .as_user(&t.mediator, None, "mutation($i: AddConsentInput!) { addConsent(input: $i) { consent { id } } }",
            json!({"i": {"beneficiaryId": kernel::gid::encode("Beneficiary", Uuid::now_v7()), "consent": consent()}}))
        .await;
    assert_eq!(r.code(), Some("NOT_FOUND"), "{:?}", r.body);
    assert_eq!(
        entries(&app, t.id, "kind = 'mutation' and operation = 'addConsent' and outcome = 'NOT_FOUND' and object_type = 'Beneficiary'").await,
        1
    );
    // Reads of personal data, one entry per object and field.
    let r = app
        .as_user(
            &t.director,
            None,
            "{ beneficiaries { edges { node { pseudonym consents { purpose } } } } }",
            json!({}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    assert_eq!(
        entries(&app, t.id, &format!("kind = 'read' and operation = 'beneficiaries' and object_id = '{b}' and user_id = '{}'", t.director.id)).await,
        1
    );
    assert_eq!(
        entries(
            &app,
            t.id,
            "kind = 'read' and operation = 'consents' and object_type = 'Consent'"
        )
        .await,
        1
    );
    // What is not personal data is not logged as a read.
    let before = entries(&app, t.id, "kind = 'read'").await;
    let r = app
        .as_user(
            &t.director,
            None,
            "{ sites { edges { node { id name } } } }",
            json!({}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    assert_eq!(entries(&app, t.id, "kind = 'read'").await, before);

    // The director reads the chain, newest first, each entry holding the previous hash.
    let r = app.as_user(&t.director, None, LOG, json!({})).await;
    assert!(r.ok(), "{:?}", r.body);
    let list: Vec<Value> = r.data()["accessLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    // The creation (its mutation, and the beneficiary and consent its answer read),
    // the refused addConsent, and the two reads.
    assert_eq!(list.len(), 6, "{list:?}");
    for pair in list.windows(2) {
        assert_eq!(pair[0]["prevHash"], pair[1]["hash"]);
        assert_eq!(
            pair[0]["seq"].as_i64().unwrap(),
            pair[1]["seq"].as_i64().unwrap() + 1
        );
    }
    assert_eq!(list.last().unwrap()["prevHash"], json!("0".repeat(64)));
    assert!(
        list.iter()
            .any(|e| e["kind"] == "MUTATION" && e["objectId"] == json!(ben))
    );
    // Ids and codes only: the pseudonym and the consent's purpose are nowhere in it.
    let pseudonym = r.body.to_string();
    let all = app
        .count(&format!(
            "select count(*) from access_log t where tenant_id = '{}' and (t::text like '%B-%' or t::text like '%impayés%')",
            t.id
        ))
        .await;
    assert_eq!(all, 0, "{pseudonym}");
    let report = log(&app).await.verify(Some(t.id)).await.unwrap();
    assert_eq!(report.broken, None);
    assert_eq!(report.entries, 6);
}

/// A union admin's mutation on an association goes to the union's chain, like every
/// union staff's: `inviteDirector` ran (on the invitation it made), and refused (on the
/// association its input names), with the actor and the outcome.
#[tokio::test]
async fn a_director_invited_by_the_union_is_in_the_unions_log() {
    let app = spawn_app().await;
    let t: TestTenant = app.tenant().await;
    let admin = app.union_user("admin").await;
    let doc =
        "mutation($i: InviteDirectorInput!) { inviteDirector(input: $i) { invitation { id } } }";
    let email = format!("direction-{}@essai.example", testkit::suffix());
    let r = app
        .as_user(
            &admin,
            None,
            doc,
            json!({"i": {"tenantId": t.gid(), "email": email}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let inv = uuid_of(
        r.data()["inviteDirector"]["invitation"]["id"]
            .as_str()
            .unwrap(),
    );
    let chain = privacy::UNION_CHAIN;
    assert_eq!(
        entries(
            &app,
            chain,
            &format!(
                "kind = 'mutation' and operation = 'inviteDirector' and object_type = 'Invitation' \
             and object_id = '{inv}' and outcome = 'ok' and user_id = '{}'",
                admin.id
            )
        )
        .await,
        1
    );
    // Refused (the same address is pending): logged with its code, on the association.
    let r = app
        .as_user(
            &admin,
            None,
            doc,
            json!({"i": {"tenantId": t.gid(), "email": email}}),
        )
        .await;
    assert_eq!(r.code(), Some("CONFLICT"), "{:?}", r.body);
    assert_eq!(
        entries(
            &app,
            chain,
            &format!(
                "kind = 'mutation' and operation = 'inviteDirector' and object_type = 'Tenant' \
             and object_id = '{}' and outcome = 'CONFLICT'",
                t.id
            )
        )
        .await,
        1
    );
    // Refused to a director of the association: in the association's chain.
    let r = app
        .as_user(
            &t.director,
            None,
            doc,
            json!({"i": {"tenantId": t.gid(), "email": "x@essai.example"}}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"), "{:?}", r.body);
    assert_eq!(
        entries(
            &app,
            t.id,
            "kind = 'mutation' and operation = 'inviteDirector' and outcome = 'FORBIDDEN'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn only_the_director_and_the_union_admin_read_the_log() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let other = app.tenant().await;
    beneficiary(&app, &t.mediator).await;
    for u in [&t.coordinator, &t.mediator, &t.viewer] {
        let r = app.as_user(u, None, LOG, json!({})).await;
        assert_eq!(r.code(), Some("FORBIDDEN"), "{:?}", r.body);
        assert!(r.body["data"].is_null(), "{:?}", r.body);
    }
    let (_, partner) = app
        .partner(&format!("Partenaire {}", testkit::suffix()), "energy")
        .await;
    let r = app.as_user(&partner, None, LOG, json!({})).await;
    assert_eq!(r.code(), Some("FORBIDDEN"), "{:?}", r.body);
    for role in ["auditor", "analyst"] {
        let u = app.union_user(role).await;
        let r = app
            .as_user(
                &u,
                None,
                LOG,
                json!({"t": t.gid(), "r": "Contrôle de conformité annuel"}),
            )
            .await;
        assert_eq!(r.code(), Some("FORBIDDEN"), "{role}: {:?}", r.body);
    }
    // Another association's director: its chain is not found, like its objects.
    let r = app
        .as_user(&other.director, None, LOG, json!({"t": t.gid()}))
        .await;
    assert_eq!(r.code(), Some("NOT_FOUND"), "{:?}", r.body);

    // The union admin: the union's chain freely, an association's on a reason only.
    let admin = app.union_user("admin").await;
    let r = app.as_user(&admin, None, LOG, json!({})).await;
    assert!(r.ok(), "{:?}", r.body);
    let r = app.as_user(&admin, None, LOG, json!({"t": t.gid()})).await;
    assert_eq!(r.code(), Some("VALIDATION"), "{:?}", r.body);
    assert_eq!(r.body["errors"][0]["extensions"]["field"], "reason");
    let before = entries(
        &app,
        privacy::UNION_CHAIN,
        &format!("user_id = '{}'", admin.id),
    )
    .await;
    assert_eq!(before, 0);
    let reason = "Signalement d'un usager : contrôle des accès à son dossier";
    let r = app
        .as_user(&admin, None, LOG, json!({"t": t.gid(), "r": reason}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let edges = r.data()["accessLog"]["edges"].as_array().unwrap();
    assert!(
        edges
            .iter()
            .any(|e| e["node"]["operation"] == "createBeneficiary"),
        "{edges:?}"
    );
    // The reason went to the union's chain before the read, naming the association.
    assert_eq!(
        entries(
            &app,
            privacy::UNION_CHAIN,
            &format!(
                "kind = 'reason' and user_id = '{}' and target_tenant_id = '{}' and reason = '{}'",
                admin.id,
                t.id,
                reason.replace('\'', "''")
            )
        )
        .await,
        1
    );
    let r = app.as_user(&admin, None, LOG, json!({})).await;
    assert!(
        r.data()["accessLog"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["node"]["kind"] == "REASON" && e["node"]["reason"] == reason),
        "{:?}",
        r.body
    );

    // The CSV by period, like the dashboards'.
    let csv = "query($from: DateTime, $to: DateTime) { accessLogCsv(from: $from, to: $to) }";
    let now = chrono::Utc::now();
    let r = app
        .as_user(&t.director, None, csv, json!({"from": (now - chrono::Duration::hours(1)).to_rfc3339(), "to": (now + chrono::Duration::hours(1)).to_rfc3339()}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let text = r.data()["accessLogCsv"].as_str().unwrap();
    assert!(
        text.starts_with("\u{feff}numéro;horodatage;nature;opération"),
        "{text}"
    );
    assert!(text.contains(";createBeneficiary;"), "{text}");
    let r = app
        .as_user(&t.director, None, csv, json!({"from": (now - chrono::Duration::days(3)).to_rfc3339(), "to": (now - chrono::Duration::days(2)).to_rfc3339()}))
        .await;
    assert_eq!(
        r.data()["accessLogCsv"].as_str().unwrap().lines().count(),
        1
    );
    let r = app
        .as_user(
            &t.director,
            None,
            csv,
            json!({"from": now.to_rfc3339(), "to": (now - chrono::Duration::days(2)).to_rfc3339()}),
        )
        .await;
    assert_eq!(r.code(), Some("VALIDATION"), "{:?}", r.body);

    // Row-level security: as a partner, or as another association, nothing.
    let conn = sea_orm::Database::connect(app.db.app_url.clone())
        .await
        .unwrap();
    for settings in [
        format!(
            "select set_config('app.partner_id', '{}', true), set_config('app.user_id', '{}', true)",
            Uuid::now_v7(),
            partner.id
        ),
        format!(
            "select set_config('app.tenant_id', '{}', true), set_config('app.tenant_role', 'director', true)",
            other.id
        ),
        format!(
            "select set_config('app.tenant_id', '{}', true), set_config('app.tenant_role', 'coordinator', true)",
            t.id
        ),
    ] {
        let tx = conn.begin().await.unwrap();
        tx.execute_unprepared(&settings).await.unwrap();
        let n: i64 = tx
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!(
                    "select count(*) from access_log where tenant_id in ('{}', '{}')",
                    t.id,
                    privacy::UNION_CHAIN
                ),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index(0)
            .unwrap();
        tx.rollback().await.unwrap();
        assert_eq!(n, 0, "{settings}");
    }
}

#[tokio::test]
async fn the_application_cannot_edit_the_log_and_verify_finds_tampering() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    for _ in 0..3 {
        beneficiary(&app, &t.mediator).await;
    }
    let log = log(&app).await;
    assert_eq!(log.verify(Some(t.id)).await.unwrap().broken, None);
    // The application role: no insert, update or delete, whatever its settings.
    let conn = sea_orm::Database::connect(app.db.app_url.clone())
        .await
        .unwrap();
    for sql in [
        format!(
            "insert into access_log (tenant_id, seq, at, kind, operation, actor_kind, outcome, prev_hash, hash) values ('{}', 99, now(), 'read', 'x', 'user', 'ok', '\\x00', '\\x00')",
            t.id
        ),
        format!(
            "update access_log set outcome = 'ok' where tenant_id = '{}'",
            t.id
        ),
        format!("delete from access_log where tenant_id = '{}'", t.id),
        format!(
            "update access_log_heads set last_seq = 1 where tenant_id = '{}'",
            t.id
        ),
        format!(
            "select app.access_log_purge('{}', now() + interval '1 day')",
            t.id
        ),
    ] {
        let tx = conn.begin().await.unwrap();
        tx.execute_unprepared("select set_config('app.actor_kind', 'system', true), set_config('app.access_log_purge', 'on', true)").await.unwrap();
        let r = tx.execute_unprepared(&sql).await;
        tx.rollback().await.unwrap();
        // The purge is granted, but refuses to cut entries younger than its floor.
        assert!(r.is_err(), "{sql}");
    }
    assert_eq!(entries(&app, t.id, "true").await, 9);
    // Even the superuser goes through the trigger...
    let admin = app.db.admin().await;
    let r = admin
        .execute_unprepared(&format!(
            "update access_log set outcome = 'ok' where tenant_id = '{}' and seq = 2",
            t.id
        ))
        .await;
    assert!(r.is_err());
    // ... unless it turns triggers off: then verify finds the row it changed.
    admin
        .execute_unprepared(&format!(
            "set session_replication_role = replica; \
             update access_log set object_id = gen_random_uuid() where tenant_id = '{}' and seq = 2; \
             set session_replication_role = origin",
            t.id
        ))
        .await
        .unwrap();
    let _ = admin.close().await;
    let report = log.verify(Some(t.id)).await.unwrap();
    let broken = report.broken.expect("a broken link");
    assert_eq!((broken.chain, broken.seq), (t.id, 2), "{broken:?}");
    assert_eq!(broken.what, "hash does not match the entry");
    // The command says so too, and exits 1; on an intact chain, 0.
    let (code, out) = audit_verify(&app, t.id).await;
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("chain {} at entry 2: hash does not match", t.id)),
        "{out}"
    );
    let intact = app.tenant().await;
    beneficiary(&app, &intact.mediator).await;
    let (code, out) = audit_verify(&app, intact.id).await;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("1 chains, 3 entries, no broken link"), "{out}");

    // A removed entry is found too, in the middle or at the end of a chain.
    let u = app.tenant().await;
    for _ in 0..2 {
        beneficiary(&app, &u.mediator).await;
    }
    admin_exec(&app, &format!(
        "set session_replication_role = replica; delete from access_log where tenant_id = '{}' and seq = 3; set session_replication_role = origin",
        u.id
    )).await;
    let b = log
        .verify(Some(u.id))
        .await
        .unwrap()
        .broken
        .expect("broken");
    assert_eq!((b.seq, b.what), (3, "entry missing"), "{b:?}");
    admin_exec(&app, &format!(
        "set session_replication_role = replica; delete from access_log where tenant_id = '{}' and seq >= 2; set session_replication_role = origin",
        u.id
    )).await;
    let b = log
        .verify(Some(u.id))
        .await
        .unwrap()
        .broken
        .expect("broken");
    assert_eq!((b.seq, b.what), (2, "entry missing"), "{b:?}");
}

#[tokio::test]
async fn retention_purges_old_entries_and_keeps_the_chain_verifiable() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    for _ in 0..3 {
        beneficiary(&app, &t.mediator).await;
    }
    // The clock moved: the first two entries are 400 days old.
    admin_exec(
        &app,
        &format!(
            "set session_replication_role = replica; \
         update access_log set at = at - interval '400 days' where tenant_id = '{}' and seq <= 2; \
         set session_replication_role = origin",
            t.id
        ),
    )
    .await;
    let log = log(&app).await;
    let kept_hash = app
        .count(&format!("select count(*) from access_log where tenant_id = '{}' and seq = 3 and prev_hash = (select hash from access_log where tenant_id = '{}' and seq = 2)", t.id, t.id))
        .await;
    assert_eq!(kept_hash, 1);
    let removed = log.purge(365).await.unwrap();
    assert!(removed >= 2, "{removed}");
    // Three creations made nine entries (each a mutation and two reads).
    assert_eq!(entries(&app, t.id, "true").await, 7);
    assert_eq!(
        app.count(&format!("select count(*) from access_log_checkpoints where tenant_id = '{}' and seq = 2 and entries = 2", t.id)).await,
        1
    );
    // The remaining entry follows the checkpoint: the chain still verifies.
    let report = log.verify(Some(t.id)).await.unwrap();
    assert_eq!(report.broken, None, "{report:?}");
    assert_eq!(report.entries, 7);
    // Appends go on after the cut, and a second purge removes nothing more.
    beneficiary(&app, &t.mediator).await;
    assert_eq!(log.purge(365).await.unwrap(), 0);
    assert_eq!(log.verify(Some(t.id)).await.unwrap().broken, None);
}

#[tokio::test]
async fn a_read_or_a_mutation_fails_when_its_entry_cannot_be_written() {
    let app = spawn_with(|v| {
        v.insert("PASSERELLE_DB_LOCK_TIMEOUT_MS".into(), "300".into());
    })
    .await;
    let t = app.tenant().await;
    beneficiary(&app, &t.mediator).await;
    let read = "{ beneficiaries { edges { node { pseudonym } } } }";
    let r = app.as_user(&t.director, None, read, json!({})).await;
    assert!(r.ok(), "{:?}", r.body);
    let pseudonym = r.data()["beneficiaries"]["edges"][0]["node"]["pseudonym"]
        .as_str()
        .unwrap()
        .to_owned();
    // The chain's head is held by someone else: appends time out.
    let admin = app.db.admin().await;
    let tx = admin.begin().await.unwrap();
    tx.execute_unprepared(&format!(
        "select * from access_log_heads where tenant_id = '{}' for update",
        t.id
    ))
    .await
    .unwrap();
    let r = app.as_user(&t.director, None, read, json!({})).await;
    assert_eq!(r.code(), Some("UNAVAILABLE"), "{:?}", r.body);
    assert!(!r.body.to_string().contains(&pseudonym), "{:?}", r.body);
    let made = app
        .count(&format!(
            "select count(*) from beneficiaries where tenant_id = '{}'",
            t.id
        ))
        .await;
    let r = app
        .as_user(
            &t.mediator,
            None,
            CREATE,
            json!({"i": {"ageBand": "FROM_26_TO_40", "consent": consent()}}),
        )
        .await;
    assert_eq!(r.code(), Some("UNAVAILABLE"), "{:?}", r.body);
    // The change itself went through (the answer says it may have): only its entry is missing.
    assert_eq!(
        app.count(&format!(
            "select count(*) from beneficiaries where tenant_id = '{}'",
            t.id
        ))
        .await,
        made + 1
    );
    tx.rollback().await.unwrap();
    let _ = admin.close().await;
    let r = app.as_user(&t.director, None, read, json!({})).await;
    assert!(r.ok(), "{:?}", r.body);
}

// ---------------------------------------------------------------------------
// Every field of a personal type, from the SDL.

fn named(ty: &async_graphql::parser::types::Type) -> &str {
    match &ty.base {
        BaseType::Named(n) => n.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

/// "Parent.field" for every field whose type is a declared personal type, directly,
/// in a list or through a connection; connection and edge types are the field's own
/// shape, not parents of their own. And `node`/`nodes`, whose interface personal types
/// implement.
fn personal_fields(sdl: &str) -> BTreeSet<String> {
    let doc = async_graphql::parser::parse_schema(sdl).unwrap();
    let mut out = BTreeSet::new();
    let personal = |t: &str| {
        privacy::is_personal(t)
            || t.strip_suffix("Connection")
                .is_some_and(privacy::is_personal)
            || t.strip_suffix("Edge").is_some_and(privacy::is_personal)
    };
    for def in doc.definitions {
        let TypeSystemDefinition::Type(t) = def else {
            continue;
        };
        let parent = t.node.name.node.to_string();
        if let TypeKind::Object(o) = &t.node.kind {
            if personal(&parent) && !privacy::is_personal(&parent) {
                continue;
            }
            for f in &o.fields {
                let ty = named(&f.node.ty.node);
                if personal(ty) || (parent == "Query" && ty == "Node") {
                    out.insert(format!("{parent}.{}", f.node.name.node));
                }
            }
        }
    }
    out
}

struct Probe {
    field: &'static str,
    who: TestUser,
    doc: &'static str,
    vars: Value,
    /// The entry it must add: operation, object type.
    logs: (&'static str, &'static str),
}

#[tokio::test]
async fn every_field_of_a_personal_type_logs_its_reads() {
    let app = spawn_app().await;
    let t: TestTenant = app.tenant().await;
    testkit::fixtures::populate(app.db, &t).await;
    let p = testkit::fixtures::populate_partner(app.db, &app.issuer.url, &t).await;
    let r = app
        .as_user(
            &t.director,
            None,
            "{ beneficiaries { edges { node { id consents { id } } } } }",
            json!({}),
        )
        .await;
    let ben = r.data()["beneficiaries"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let case = kernel::gid::encode("OutreachCase", p.case);
    let campaign = kernel::gid::encode("OutreachCampaign", p.campaign);
    let setup = setup_personal_probes(&app, &t, &p, &ben).await;
    let mut probes = vec![
        Probe {
            field: "Query.beneficiaries",
            who: t.director.clone(),
            doc: "{ beneficiaries { edges { node { pseudonym } } } }",
            vars: json!({}),
            logs: ("beneficiaries", "Beneficiary"),
        },
        Probe {
            field: "Visit.beneficiary",
            who: t.director.clone(),
            doc: "{ visits { edges { node { beneficiary { pseudonym } } } } }",
            vars: json!({}),
            logs: ("beneficiary", "Beneficiary"),
        },
        Probe {
            field: "Beneficiary.consents",
            who: t.director.clone(),
            doc: "{ beneficiaries { edges { node { consents { purpose } } } } }",
            vars: json!({}),
            logs: ("consents", "Consent"),
        },
        Probe {
            field: "Visit.notes",
            who: t.director.clone(),
            doc: "{ visits { edges { node { notes { body } } } } }",
            vars: json!({}),
            logs: ("notes", "VisitNote"),
        },
        Probe {
            field: "Query.node",
            who: t.director.clone(),
            doc: "query($id: ID!) { node(id: $id) { ... on Beneficiary { pseudonym } } }",
            vars: json!({"id": ben}),
            logs: ("node", "Beneficiary"),
        },
        Probe {
            field: "Query.nodes",
            who: t.director.clone(),
            doc: "query($id: ID!) { nodes(ids: [$id]) { ... on OutreachCase { fullName } } }",
            vars: json!({"id": case}),
            logs: ("nodes", "OutreachCase"),
        },
        Probe {
            field: "Query.outreachCases",
            who: t.director.clone(),
            doc: "query($c: ID!) { outreachCases(campaignId: $c) { edges { node { fullName } } } }",
            vars: json!({"c": campaign}),
            logs: ("outreachCases", "OutreachCase"),
        },
        Probe {
            field: "OutreachCase.attempts",
            who: t.director.clone(),
            doc: "query($c: ID!) { outreachCases(campaignId: $c) { edges { node { attempts { note } } } } }",
            vars: json!({"c": campaign}),
            logs: ("attempts", "OutreachAttempt"),
        },
        Probe {
            field: "BeneficiaryPayload.beneficiary",
            who: t.mediator.clone(),
            doc: "mutation($i: CreateBeneficiaryInput!) { createBeneficiary(input: $i) { beneficiary { pseudonym } } }",
            vars: json!({"i": {"ageBand": "FROM_18_TO_25", "consent": consent()}}),
            logs: ("createBeneficiary", "Beneficiary"),
        },
        Probe {
            field: "BeneficiaryPayload.consent",
            who: t.mediator.clone(),
            doc: "mutation($i: CreateBeneficiaryInput!) { createBeneficiary(input: $i) { consent { purpose } } }",
            vars: json!({"i": {"consent": consent()}}),
            logs: ("createBeneficiary", "Consent"),
        },
        Probe {
            field: "ConsentPayload.consent",
            who: t.mediator.clone(),
            doc: "mutation($i: AddConsentInput!) { addConsent(input: $i) { consent { purpose } } }",
            vars: json!({"i": {"beneficiaryId": ben, "consent": consent()}}),
            logs: ("addConsent", "Consent"),
        },
        Probe {
            field: "RecordOutreachAttemptPayload.case",
            who: t.mediator.clone(),
            doc: "mutation($i: RecordOutreachAttemptInput!) { recordOutreachAttempt(input: $i) { case { fullName } } }",
            vars: json!({"i": {"caseId": case, "channel": "PHONE", "result": "REACHED"}}),
            logs: ("recordOutreachAttempt", "OutreachCase"),
        },
        Probe {
            field: "RecordOutreachAttemptPayload.attempt",
            who: t.mediator.clone(),
            doc: "mutation($i: RecordOutreachAttemptInput!) { recordOutreachAttempt(input: $i) { attempt { note } } }",
            vars: json!({"i": {"caseId": case, "channel": "SMS", "result": "REACHED"}}),
            logs: ("recordOutreachAttempt", "OutreachAttempt"),
        },
        Probe {
            field: "OutreachCasePayload.case",
            who: t.mediator.clone(),
            doc: "mutation($i: CloseOutreachCaseInput!) { closeOutreachCase(input: $i) { case { fullName } } }",
            vars: json!({"i": {"caseId": case, "outcome": "REFUSED"}}),
            logs: ("closeOutreachCase", "OutreachCase"),
        },
        Probe {
            field: "SubmitOutreachCasesPayload.cases",
            who: p.user.clone(),
            doc: "mutation($i: SubmitOutreachCasesInput!) { submitOutreachCases(input: $i) { cases { customerRef } } }",
            vars: json!({"i": {"campaignId": campaign, "cases": [{"customerRef": format!("REF-{}", testkit::suffix()), "fullName": "Personne Sondée", "phone": "06 12 34 56 78"}]}}),
            logs: ("submitOutreachCases", "OutreachCase"),
        },
    ];
    probes.extend(rights_and_hr_probes(&t, &p, &ben, &setup));
    let derived = personal_fields(&graphql::sdl());
    let probed: BTreeSet<String> = probes.iter().map(|p| p.field.to_owned()).collect();
    let unprobed: Vec<&String> = derived.difference(&probed).collect();
    assert!(
        unprobed.is_empty(),
        "fields of a personal type with no probe here (add one, so their reads are proven logged): {unprobed:?}"
    );
    assert!(derived.len() >= 15, "{derived:?}");
    for probe in &probes {
        let (op, ty) = probe.logs;
        let cond = format!(
            "select count(*) from access_log where kind = 'read' and operation = '{op}' and object_type = '{ty}' and user_id = '{}'",
            probe.who.id
        );
        let before = app.count(&cond).await;
        let r = app
            .as_user(&probe.who, None, probe.doc, probe.vars.clone())
            .await;
        assert!(r.ok(), "{}: {:?}", probe.field, r.body);
        assert!(
            app.count(&cond).await > before,
            "{}: no read logged",
            probe.field
        );
    }
}

/// What the probes of the rights' and HR types act on, made through the API.
struct Setup {
    site: String,
    /// Hired here: their contracts (one renewed, one renewed again by a probe...).
    employees: Vec<String>,
    contracts: Vec<String>,
    /// The renewal of contracts[2].
    renewal: String,
}

async fn gql_ok(app: &TestApp, who: &TestUser, doc: &str, vars: Value) -> Value {
    let r = app.as_user(who, None, doc, vars).await;
    assert!(r.ok(), "{doc}: {:?}", r.body);
    r.data().clone()
}

fn day(offset: i64) -> String {
    (kernel::time::today() + chrono::Duration::days(offset)).to_string()
}

fn hire_input(site: &str, with_subsidy: bool) -> Value {
    let mut i = json!({"fullName": format!("Salarié {}", testkit::suffix()), "birthYear": 1990, "sex": "MALE",
        "contract": {"kind": "CDD", "startsOn": day(-100), "plannedEndOn": day(200), "weeklyHours": 35.0,
                     "jobTitle": "Agent de médiation", "siteIds": [site]}});
    if with_subsidy {
        i["subsidy"] = subsidy();
    }
    i
}

fn subsidy() -> Value {
    json!({"programme": "OTHER", "funder": "REGION", "startsOn": day(-100), "endsOn": day(200), "amountCents": 100000})
}

const HIRE: &str = "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { employee { id } contract { id } } }";

async fn setup_personal_probes(
    app: &TestApp,
    t: &TestTenant,
    p: &testkit::fixtures::TestPartner,
    ben: &str,
) -> Setup {
    let d = gql_ok(
        app,
        &t.director,
        "{ sites(first: 1) { edges { node { id } } } }",
        json!({}),
    )
    .await;
    let site = d["sites"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (mut employees, mut contracts) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let d = gql_ok(
            app,
            &t.director,
            HIRE,
            json!({"i": hire_input(&site, false)}),
        )
        .await;
        employees.push(
            d["hireEmployee"]["employee"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        contracts.push(
            d["hireEmployee"]["contract"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let d = gql_ok(
        app,
        &t.director,
        "mutation($i: RenewContractInput!) { renewContract(input: $i) { contract { id } } }",
        json!({"i": {"contractId": contracts[2], "plannedEndOn": day(400)}}),
    )
    .await;
    let renewal = d["renewContract"]["contract"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A correction of the beneficiary's identity, and a request handled for the
    // partner under the beneficiary's consent naming it.
    gql_ok(app, &t.mediator,
        "mutation($i: RectifyBeneficiaryInput!) { rectifyBeneficiary(input: $i) { beneficiary { id } } }",
        json!({"i": {"beneficiaryId": ben, "ageBand": "FROM_41_TO_60", "reason": "Erreur de saisie"}})).await;
    let partner = kernel::gid::encode("PartnerOrganisation", p.id);
    gql_ok(app, &t.mediator, "mutation($i: AddConsentInput!) { addConsent(input: $i) { consent { id } } }",
        json!({"i": {"beneficiaryId": ben, "consent": {"purpose": "Retour au partenaire", "recipientPartnerId": partner,
            "givenOn": day(-1), "channel": "WRITTEN", "expiresOn": day(300)}}})).await;
    gql_ok(app, &t.mediator, "mutation($i: RecordVisitInput!) { recordVisit(input: $i) { visit { id } } }",
        json!({"i": {"clientKey": Uuid::now_v7().to_string(), "visit": {"siteId": site,
            "occurredAt": (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339(), "channel": "ON_SITE",
            "durationMinutes": 10, "beneficiaryId": ben,
            "requests": [{"theme": "energy", "kind": "PARTNER", "partnerId": partner, "outcome": "INFORMED"}]}}})).await;
    Setup {
        site,
        employees,
        contracts,
        renewal,
    }
}

fn rights_and_hr_probes(
    t: &TestTenant,
    p: &testkit::fixtures::TestPartner,
    ben: &str,
    s: &Setup,
) -> Vec<Probe> {
    let d = || t.director.clone();
    let employees = "{ employees(includeExited: true) { edges { node { ";
    vec![
        Probe {
            field: "Beneficiary.revisions",
            who: d(),
            doc: "{ beneficiaries { edges { node { revisions { reason previousAgeBand } } } } }",
            vars: json!({}),
            logs: ("revisions", "BeneficiaryRevision"),
        },
        Probe {
            field: "RectifyBeneficiaryPayload.beneficiary",
            who: t.mediator.clone(),
            doc: "mutation($i: RectifyBeneficiaryInput!) { rectifyBeneficiary(input: $i) { beneficiary { neighbourhood } } }",
            vars: json!({"i": {"beneficiaryId": ben, "ageBand": "FROM_41_TO_60", "neighbourhood": "Valdegour", "reason": "Quartier précisé"}}),
            logs: ("rectifyBeneficiary", "Beneficiary"),
        },
        Probe {
            field: "Query.beneficiaryExport",
            who: d(),
            doc: "query($b: ID!) { beneficiaryExport(beneficiaryId: $b) { html } }",
            vars: json!({"b": ben}),
            logs: ("beneficiaryExport", "Beneficiary"),
        },
        Probe {
            field: "PartnerReadBack.requests",
            who: p.user.clone(),
            doc: "query($f: NaiveDate!, $t: NaiveDate!) { partnerReadBack(from: $f, to: $t) { requests { pseudonym } } }",
            vars: json!({"f": day(-2), "t": day(0)}),
            logs: ("requests", "ReportedRequest"),
        },
        Probe {
            field: "Query.employees",
            who: d(),
            doc: "{ employees { edges { node { fullName } } } }",
            vars: json!({}),
            logs: ("employees", "Employee"),
        },
        Probe {
            field: "Query.myEmployeeRecord",
            who: t.mediator.clone(),
            doc: "{ myEmployeeRecord { fullName } }",
            vars: json!({}),
            logs: ("myEmployeeRecord", "Employee"),
        },
        Probe {
            field: "Employee.contracts",
            who: d(),
            doc: leak(format!("{employees}contracts {{ jobTitle }} }} }} }} }}")),
            vars: json!({}),
            logs: ("contracts", "EmploymentContract"),
        },
        Probe {
            field: "Employee.trainingEntries",
            who: d(),
            doc: leak(format!(
                "{employees}trainingEntries {{ title }} }} }} }} }}"
            )),
            vars: json!({}),
            logs: ("trainingEntries", "TrainingEntry"),
        },
        Probe {
            field: "Employee.absences",
            who: d(),
            doc: leak(format!("{employees}absences {{ startsOn }} }} }} }} }}")),
            vars: json!({}),
            logs: ("absences", "Absence"),
        },
        Probe {
            field: "Employee.qualifications",
            who: d(),
            doc: leak(format!("{employees}qualifications {{ title }} }} }} }} }}")),
            vars: json!({}),
            logs: ("qualifications", "Qualification"),
        },
        Probe {
            field: "Employee.exit",
            who: d(),
            doc: leak(format!("{employees}exit {{ outcome }} }} }} }} }}")),
            vars: json!({}),
            logs: ("exit", "EmployeeExit"),
        },
        Probe {
            field: "EmployeeExit.employee",
            who: d(),
            doc: leak(format!(
                "{employees}exit {{ employee {{ fullName }} }} }} }} }} }}"
            )),
            vars: json!({}),
            logs: ("employee", "Employee"),
        },
        Probe {
            field: "EmploymentContract.employee",
            who: d(),
            doc: leak(format!(
                "{employees}contracts {{ employee {{ fullName }} }} }} }} }} }}"
            )),
            vars: json!({}),
            logs: ("employee", "Employee"),
        },
        Probe {
            field: "EmploymentContract.subsidies",
            who: d(),
            doc: leak(format!(
                "{employees}contracts {{ subsidies {{ programme }} }} }} }} }} }}"
            )),
            vars: json!({}),
            logs: ("subsidies", "Subsidy"),
        },
        Probe {
            field: "EmploymentContract.renews",
            who: d(),
            doc: "query($id: ID!) { node(id: $id) { ... on EmploymentContract { renews { jobTitle } } } }",
            vars: json!({"id": s.renewal}),
            logs: ("renews", "EmploymentContract"),
        },
        Probe {
            field: "HrDeadline.employee",
            who: d(),
            doc: "{ hrCalendar(withinDays: 300) { employee { fullName } } }",
            vars: json!({}),
            logs: ("employee", "Employee"),
        },
        Probe {
            field: "HrDeadline.contract",
            who: d(),
            doc: "{ hrCalendar(withinDays: 300) { contract { jobTitle } } }",
            vars: json!({}),
            logs: ("contract", "EmploymentContract"),
        },
        Probe {
            field: "HireEmployeePayload.employee",
            who: d(),
            doc: "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { employee { fullName } } }",
            vars: json!({"i": hire_input(&s.site, false)}),
            logs: ("hireEmployee", "Employee"),
        },
        Probe {
            field: "HireEmployeePayload.contract",
            who: d(),
            doc: "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { contract { jobTitle } } }",
            vars: json!({"i": hire_input(&s.site, false)}),
            logs: ("hireEmployee", "EmploymentContract"),
        },
        Probe {
            field: "HireEmployeePayload.subsidy",
            who: d(),
            doc: "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { subsidy { programme } } }",
            vars: json!({"i": hire_input(&s.site, true)}),
            logs: ("hireEmployee", "Subsidy"),
        },
        Probe {
            field: "RenewContractPayload.contract",
            who: d(),
            doc: "mutation($i: RenewContractInput!) { renewContract(input: $i) { contract { jobTitle } } }",
            vars: json!({"i": {"contractId": s.contracts[0], "plannedEndOn": day(400)}}),
            logs: ("renewContract", "EmploymentContract"),
        },
        Probe {
            field: "RenewContractPayload.subsidy",
            who: d(),
            doc: "mutation($i: RenewContractInput!) { renewContract(input: $i) { subsidy { programme } } }",
            vars: json!({"i": {"contractId": s.contracts[1], "plannedEndOn": day(400),
                "subsidy": {"programme": "OTHER", "funder": "REGION", "startsOn": day(201), "endsOn": day(400), "amountCents": 100000}}}),
            logs: ("renewContract", "Subsidy"),
        },
        Probe {
            field: "EndContractEarlyPayload.contract",
            who: d(),
            doc: "mutation($i: EndContractEarlyInput!) { endContractEarly(input: $i) { contract { endedOn } } }",
            vars: json!({"i": {"contractId": s.contracts[3], "endedOn": day(0), "reason": "Rupture d'un commun accord"}}),
            logs: ("endContractEarly", "EmploymentContract"),
        },
        Probe {
            field: "SubsidyPayload.subsidy",
            who: d(),
            doc: "mutation($i: AddSubsidyInput!) { addSubsidy(input: $i) { subsidy { programme } } }",
            vars: json!({"i": {"contractId": s.contracts[2], "subsidy": subsidy()}}),
            logs: ("addSubsidy", "Subsidy"),
        },
        Probe {
            field: "TrainingEntryPayload.entry",
            who: d(),
            doc: "mutation($i: RecordTrainingEntryInput!) { recordTrainingEntry(input: $i) { entry { title } } }",
            vars: json!({"i": {"employeeId": s.employees[4], "kind": "TRAINING", "title": "Accueil des publics",
                "startsOn": day(-20), "endsOn": day(-14), "hours": 7.0}}),
            logs: ("recordTrainingEntry", "TrainingEntry"),
        },
        Probe {
            field: "AbsencePayload.absence",
            who: d(),
            doc: "mutation($i: RecordAbsenceInput!) { recordAbsence(input: $i) { absence { startsOn } } }",
            vars: json!({"i": {"employeeId": s.employees[4], "startsOn": day(-12), "endsOn": day(-6)}}),
            logs: ("recordAbsence", "Absence"),
        },
        Probe {
            field: "QualificationPayload.qualification",
            who: d(),
            doc: "mutation($i: RecordQualificationInput!) { recordQualification(input: $i) { qualification { title } } }",
            vars: json!({"i": {"employeeId": s.employees[4], "title": "Certificat de médiation", "obtainedOn": day(-5)}}),
            logs: ("recordQualification", "Qualification"),
        },
        Probe {
            field: "EmployeeExitPayload.exit",
            who: d(),
            doc: "mutation($i: RecordEmployeeExitInput!) { recordEmployeeExit(input: $i) { exit { outcome } } }",
            vars: json!({"i": {"employeeId": s.employees[1], "exitOn": day(0), "reason": "END_OF_CONTRACT", "outcome": "JOB_SEARCH"}}),
            logs: ("recordEmployeeExit", "EmployeeExit"),
        },
    ]
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[tokio::test]
async fn an_evidence_download_is_logged_as_a_personal_read() {
    assert_eq!(
        privacy::PERSONAL_DOWNLOADS,
        &[("downloadEvidence", "EvidenceDocument")]
    );
    let dir = std::env::temp_dir().join(format!("passerelle-evidence-log-{}", Uuid::now_v7()));
    let d = dir.clone();
    let app = spawn_with(move |v| {
        v.insert("PASSERELLE_EVIDENCE_DIR".into(), d.display().to_string());
    })
    .await;
    let t = app.tenant().await;
    testkit::fixtures::populate(app.db, &t).await;
    // The fixture's documents, their files put in this server's store.
    let docs: Vec<Uuid> = {
        let admin = app.db.admin().await;
        let rows = admin
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                format!(
                    "select id from compliance_documents where tenant_id = '{}' order by id",
                    t.id
                ),
            ))
            .await
            .unwrap();
        let _ = admin.close().await;
        rows.iter()
            .map(|r| r.try_get_by_index(0).unwrap())
            .collect()
    };
    assert!(!docs.is_empty());
    std::fs::create_dir_all(dir.join(t.id.to_string())).unwrap();
    for doc in &docs {
        std::fs::write(
            dir.join(t.id.to_string()).join(doc.to_string()),
            b"%PDF-1.7\n%",
        )
        .unwrap();
    }
    let mut served = 0;
    for doc in docs {
        let cond = format!(
            "kind = 'read' and operation = 'downloadEvidence' and object_type = 'EvidenceDocument' \
             and object_id = '{doc}' and user_id = '{}'",
            t.director.id
        );
        let before = entries(&app, t.id, &cond).await;
        let r = app
            .gql
            .http
            .get(format!(
                "{}/compliance/evidence/{}",
                app.base,
                kernel::gid::encode("EvidenceDocument", doc)
            ))
            .bearer_auth(app.token(&t.director))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let after = entries(&app, t.id, &cond).await;
        if status == 200 {
            served += 1;
            assert_eq!(after, before + 1, "a download served without its entry");
        } else {
            // A refused download is not a read: nothing is logged.
            assert_eq!(after, before, "status {status}");
        }
    }
    assert!(
        served > 0,
        "the director downloaded none of the association's documents"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
