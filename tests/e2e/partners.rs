//! Partner API clients: registration by the union admin (secret shown once, stored
//! as an argon2 hash), the client-credentials grant at /oauth/token, scopes, and what
//! stops a client: a wrong secret, rotation, revocation, no agreement in force.
//! Every refusal leaves nothing behind (no token row).

use crate::support::*;
use serde_json::{Value, json};
use uuid::Uuid;

pub(crate) const CREATE_CLIENT: &str = "mutation($i: CreatePartnerApiClientInput!) { createPartnerApiClient(input: $i) { secret apiClient { id clientId name scopes status hasSecret partner { name } } } }";

/// An active national agreement in force today for `partner`, written as the
/// superuser (agreements have their own tests).
pub(crate) async fn agreement_in_force(app: &TestApp, partner: Uuid) -> Uuid {
    use sea_orm::ConnectionTrait;
    let id = Uuid::now_v7();
    let admin = app.db.admin().await;
    admin
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "insert into agreements (id, partner_id, reference, title, starts_on, ends_on, status, services, themes) \
             values ($1, $2, $3, 'Convention cadre de test', current_date - 30, current_date + 300, 'active', \
                     '{partner_visits,outreach}', '{energy}')",
            [id.into(), partner.into(), format!("TEST-{}", &id.simple().to_string()[..12]).into()],
        ))
        .await
        .expect("agreement");
    let _ = admin.close().await;
    id
}

pub(crate) async fn set_agreement_status(app: &TestApp, agreement: Uuid, status: &str) {
    use sea_orm::ConnectionTrait;
    let admin = app.db.admin().await;
    admin
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "update agreements set status = $2 where id = $1",
            [agreement.into(), status.into()],
        ))
        .await
        .expect("agreement status");
    let _ = admin.close().await;
}

/// Registers a client for `partner` with `scopes`; returns (global id, client_id, secret).
pub(crate) async fn register(
    app: &TestApp,
    admin: &testkit::TestUser,
    partner: Uuid,
    scopes: &[&str],
) -> (String, String, String) {
    let r = app
        .as_user(
            admin,
            None,
            CREATE_CLIENT,
            json!({"i": {
                "partnerId": kernel::gid::encode("PartnerOrganisation", partner),
                "name": "Portail recouvrement",
                "scopes": scopes,
            }}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let p = &r.data()["createPartnerApiClient"];
    (
        p["apiClient"]["id"].as_str().expect("id").to_owned(),
        p["apiClient"]["clientId"]
            .as_str()
            .expect("client id")
            .to_owned(),
        p["secret"].as_str().expect("secret").to_owned(),
    )
}

pub(crate) struct TokenReply {
    pub status: u16,
    pub body: Value,
}

impl TokenReply {
    pub fn token(&self) -> &str {
        self.body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token: {:?}", self.body))
    }
}

pub(crate) async fn token(
    app: &TestApp,
    client_id: &str,
    secret: &str,
    scope: Option<&str>,
) -> TokenReply {
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.base))
        .basic_auth(client_id, Some(secret))
        .form(&form)
        .send()
        .await
        .expect("token request");
    let status = resp.status().as_u16();
    let body = resp.json().await.unwrap_or(Value::Null);
    TokenReply { status, body }
}

/// Tokens held for this client (other tests run beside this one).
async fn tokens(app: &TestApp, client_id: &str) -> i64 {
    app.count(&format!(
        "select count(*) from partner_access_tokens t join partner_api_clients c on c.id = t.client_id \
         where c.client_id = '{client_id}'"
    ))
    .await
}

const WHO: &str = "{ viewer { partner { name } } }";

#[tokio::test]
async fn client_credentials_end_to_end() {
    let app = spawn_app().await;
    let admin = app.union_user("admin").await;
    let (partner, partner_user) = app.partner("EDF", "energy").await;
    let (other, other_user) = app.partner("ENGIE", "energy").await;
    let agreement = agreement_in_force(&app, partner).await;
    agreement_in_force(&app, other).await;
    let (gid, client_id, secret) =
        register(&app, &admin, partner, &["AGREEMENTS_READ", "OUTREACH_READ"]).await;
    assert!(client_id.starts_with("pc_") && secret.starts_with("pcs_"));

    // Stored as an argon2id hash, never in clear.
    let clear = app
        .count(&format!(
            "select count(*) from partner_api_clients where client_id = '{client_id}' \
             and secret_hash like '$argon2id$%' and position('{secret}' in secret_hash) = 0"
        ))
        .await;
    assert_eq!(clear, 1);

    // The partner's people see their client (no secret anywhere); another partner does not.
    let list = "{ partnerApiClients { edges { node { id clientId hasSecret } } } }";
    let r = app.as_user(&partner_user, None, list, json!({})).await;
    assert!(r.ok(), "{:?}", r.body);
    assert_eq!(r.data()["partnerApiClients"]["edges"][0]["node"]["id"], gid);
    assert!(!r.body.to_string().contains(&secret));
    let r = app.as_user(&other_user, None, list, json!({})).await;
    assert_eq!(r.data()["partnerApiClients"]["edges"], json!([]));
    // Only the union admin registers clients.
    let r = app
        .as_user(
            &partner_user,
            None,
            CREATE_CLIENT,
            json!({"i": {"partnerId": kernel::gid::encode("PartnerOrganisation", partner), "name": "X", "scopes": ["OUTREACH_WRITE"]}}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));

    // The grant: Basic auth and form auth both work; the token is opaque and works.
    let t = token(&app, &client_id, &secret, None).await;
    assert_eq!(t.status, 200, "{:?}", t.body);
    assert_eq!(t.body["token_type"], "Bearer");
    assert_eq!(t.body["scope"], "agreements:read outreach:read");
    assert!(t.body["expires_in"].as_i64().expect("expires_in") <= 3600);
    let r = app.gql.run(t.token(), None, WHO, json!({})).await;
    assert!(r.ok(), "{:?}", r.body);
    assert!(
        r.data()["viewer"]["partner"]["name"]
            .as_str()
            .expect("name")
            .starts_with("EDF")
    );
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.base))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 200);
    // A machine never works inside an association.
    let r = app
        .gql
        .run(t.token(), Some("anything"), WHO, json!({}))
        .await;
    assert_eq!(r.status, 403);

    // Refusals leave nothing behind.
    let before = tokens(&app, &client_id).await;
    let bad = token(&app, &client_id, "pcs_wrong", None).await;
    assert_eq!(
        (
            bad.status,
            bad.body["error"].as_str(),
            bad.body["code"].as_str()
        ),
        (401, Some("invalid_client"), Some("UNAUTHENTICATED"))
    );
    let unknown = token(&app, "pc_doesnotexist0000000000", &secret, None).await;
    assert_eq!(
        (unknown.status, unknown.body["code"].as_str()),
        (401, Some("UNAUTHENTICATED"))
    );
    let scope = token(&app, &client_id, &secret, Some("outreach:write")).await;
    assert_eq!(
        (
            scope.status,
            scope.body["error"].as_str(),
            scope.body["code"].as_str()
        ),
        (400, Some("invalid_scope"), Some("FORBIDDEN"))
    );
    let grant = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.base))
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .expect("post");
    assert_eq!(grant.status().as_u16(), 400);
    assert_eq!(tokens(&app, &client_id).await, before);

    // A narrower token holds only what it asked for.
    let narrow = token(&app, &client_id, &secret, Some("outreach:read")).await;
    assert_eq!(narrow.body["scope"], "outreach:read");

    // The agreement ends: no new token, and tokens already issued stop working.
    set_agreement_status(&app, agreement, "ended").await;
    let before = tokens(&app, &client_id).await;
    let ended = token(&app, &client_id, &secret, None).await;
    assert_eq!(
        (
            ended.status,
            ended.body["error"].as_str(),
            ended.body["code"].as_str()
        ),
        (400, Some("unauthorized_client"), Some("FORBIDDEN"))
    );
    assert_eq!(tokens(&app, &client_id).await, before);
    let r = app.gql.run(t.token(), None, WHO, json!({})).await;
    assert_eq!((r.status, r.code()), (403, Some("FORBIDDEN")));
    set_agreement_status(&app, agreement, "active").await;
    let r = app.gql.run(t.token(), None, WHO, json!({})).await;
    assert!(r.ok(), "{:?}", r.body);

    // Rotation: the old secret and the tokens issued with it stop at once.
    let rotate = "mutation($i: PartnerApiClientInput!) { rotatePartnerApiClientSecret(input: $i) { secret apiClient { id } } }";
    let r = app
        .as_user(&admin, None, rotate, json!({"i": {"apiClientId": gid}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let new_secret = r.data()["rotatePartnerApiClientSecret"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert_ne!(new_secret, secret);
    assert_eq!(token(&app, &client_id, &secret, None).await.status, 401);
    let r = app.gql.run(t.token(), None, WHO, json!({})).await;
    assert_eq!((r.status, r.code()), (401, Some("UNAUTHENTICATED")));
    let fresh = token(&app, &client_id, &new_secret, None).await;
    assert_eq!(fresh.status, 200);

    // Revocation: final, immediate.
    let revoke = "mutation($i: PartnerApiClientInput!) { revokePartnerApiClient(input: $i) { apiClient { status revokedAt } } }";
    let r = app
        .as_user(
            &partner_user,
            None,
            revoke,
            json!({"i": {"apiClientId": gid}}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    let r = app
        .as_user(&admin, None, revoke, json!({"i": {"apiClientId": gid}}))
        .await;
    assert_eq!(
        r.data()["revokePartnerApiClient"]["apiClient"]["status"],
        "REVOKED",
        "{:?}",
        r.body
    );
    let r = app.gql.run(fresh.token(), None, WHO, json!({})).await;
    assert_eq!((r.status, r.code()), (401, Some("UNAUTHENTICATED")));
    assert_eq!(token(&app, &client_id, &new_secret, None).await.status, 401);
    let r = app
        .as_user(&admin, None, rotate, json!({"i": {"apiClientId": gid}}))
        .await;
    assert_eq!(r.code(), Some("NOT_FOUND"));
}

#[tokio::test]
async fn client_registration_validates_its_input() {
    let app = spawn_app().await;
    let admin = app.union_user("admin").await;
    let (partner, _) = app.partner("SNCF", "transport").await;
    let before = app
        .count(&format!(
            "select count(*) from partner_api_clients where partner_id = '{partner}'"
        ))
        .await;
    let pid = kernel::gid::encode("PartnerOrganisation", partner);
    for (input, field) in [
        (
            json!({"partnerId": pid, "name": "x", "scopes": ["OUTREACH_READ"]}),
            "name",
        ),
        (
            json!({"partnerId": pid, "name": "Portail", "scopes": []}),
            "scopes",
        ),
        (
            json!({"partnerId": kernel::gid::encode("PartnerOrganisation", Uuid::now_v7()), "name": "Portail", "scopes": ["OUTREACH_READ"]}),
            "partnerId",
        ),
        (
            json!({"partnerId": pid, "name": "Portail", "scopes": ["OUTREACH_READ"], "withSecret": false}),
            "withSecret",
        ),
        (
            json!({"partnerId": pid, "name": "Portail", "scopes": ["OUTREACH_READ"], "externalIssuer": "https://idp.example"}),
            "externalSubject",
        ),
    ] {
        let r = app
            .as_user(&admin, None, CREATE_CLIENT, json!({"i": input}))
            .await;
        assert_eq!(r.code(), Some("VALIDATION"), "{input}: {:?}", r.body);
        assert_eq!(
            r.body["errors"][0]["extensions"]["field"], field,
            "{:?}",
            r.body
        );
    }
    assert_eq!(
        app.count(&format!(
            "select count(*) from partner_api_clients where partner_id = '{partner}'"
        ))
        .await,
        before
    );
}

/// A partner's person joins by invitation from the union admin, at first login.
#[tokio::test]
async fn a_partner_person_joins_by_invitation() {
    let app = spawn_app().await;
    let admin = app.union_user("admin").await;
    let (partner, partner_user) = app.partner("La Poste", "postal").await;
    let pid = kernel::gid::encode("PartnerOrganisation", partner);
    let email = format!("agent-{}@laposte.test.example", testkit::suffix());
    let invite = "mutation($i: InvitePartnerUserInput!) { invitePartnerUser(input: $i) { partnerInvitation { id email acceptedAt partner { id } } } }";
    let who = "{ viewer { partner { id } } }";

    let r = app
        .as_user(
            &partner_user,
            None,
            invite,
            json!({"i": {"partnerId": pid, "email": email}}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    let r = app
        .as_user(
            &admin,
            None,
            invite,
            json!({"i": {"partnerId": pid, "email": "not an email"}}),
        )
        .await;
    assert_eq!(r.code(), Some("VALIDATION"));
    // Not invited yet: refused.
    let token = app.issuer.token(&format!("sub-{}", Uuid::now_v7()), &email);
    let r = app.gql.run(&token, None, who, json!({})).await;
    assert_eq!(r.status, 403);

    let r = app
        .as_user(
            &admin,
            None,
            invite,
            json!({"i": {"partnerId": pid, "email": email}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    assert_eq!(
        r.data()["invitePartnerUser"]["partnerInvitation"]["partner"]["id"],
        pid
    );
    let r = app
        .as_user(
            &admin,
            None,
            invite,
            json!({"i": {"partnerId": pid, "email": email}}),
        )
        .await;
    assert_eq!(r.code(), Some("CONFLICT"));

    let r = app.gql.run(&token, None, who, json!({})).await;
    assert!(r.ok(), "{:?}", r.body);
    assert_eq!(r.data()["viewer"]["partner"]["id"], pid);
    assert_eq!(
        app.count(&format!(
            "select count(*) from partner_invitations where email = '{email}' and accepted_at is not null"
        ))
        .await,
        1
    );
}

/// A partner's listing of its coded requests: 20 a page, with the site's name, small
/// counts hidden, its own rows only.
#[tokio::test]
async fn a_partner_pages_through_its_coded_activity() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let t = app.tenant().await;
    testkit::fixtures::populate(app.db, &t).await;
    let (partner, partner_user) = app.partner("ENGIE", "energy").await;
    let (_, other_user) = app.partner("EDF", "energy").await;
    let agreement = agreement_in_force(&app, partner).await;
    let admin = app.db.admin().await;
    let site: Uuid = admin
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!(
                "select id from sites where tenant_id = '{}' and kind = 'site' limit 1",
                t.id
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    admin
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "insert into agreement_sites (agreement_id, partner_id, tenant_id, site_id) values ($1, $2, $3, $4)",
            [agreement.into(), partner.into(), t.id.into(), site.into()],
        ))
        .await
        .unwrap();
    // 25 rows: 12 months x 2 themes + 1; counts 1..=25 (the first four hidden).
    let mut n = 0;
    for m in 0..13 {
        for theme in ["energy", "water"] {
            n += 1;
            if n > 25 {
                break;
            }
            admin
                .execute_raw(sea_orm::Statement::from_sql_and_values(
                    sea_orm::DbBackend::Postgres,
                    "insert into agreement_activity_monthly (agreement_id, partner_id, tenant_id, site_id, month, activity, theme, count, mediation_acts) \
                     values ($1, $2, $3, $4, (date_trunc('month', current_date) - make_interval(months => $5))::date, 'request', $6, $7, 0)",
                    [agreement.into(), partner.into(), t.id.into(), site.into(), m.into(), theme.into(), n.into()],
                ))
                .await
                .unwrap();
        }
    }
    let _ = admin.close().await;
    let q = "query($after: String) { codedActivity(first: 20, after: $after) { edges { cursor node { month theme requests requestsValue site { name } } } pageInfo { hasNextPage endCursor } } }";
    let r = app.as_user(&partner_user, None, q, json!({})).await;
    assert!(r.ok(), "{:?}", r.body);
    let page = &r.data()["codedActivity"];
    let edges = page["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 20);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    assert!(edges.iter().all(|e| {
        e["node"]["site"]["name"]
            .as_str()
            .unwrap()
            .starts_with("Site principal")
    }));
    let after = page["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    let r = app
        .as_user(&partner_user, None, q, json!({"after": after}))
        .await;
    let rest = r.data()["codedActivity"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(rest.len(), 5);
    assert_eq!(r.data()["codedActivity"]["pageInfo"]["hasNextPage"], false);
    let all: Vec<&Value> = edges.iter().chain(rest.iter()).collect();
    let hidden = all.iter().filter(|e| e["node"]["requests"] == "<5").count();
    assert_eq!(hidden, 4);
    assert!(
        all.iter()
            .filter(|e| e["node"]["requests"] == "<5")
            .all(|e| e["node"]["requestsValue"].is_null())
    );
    // No row twice across pages.
    let mut cursors: Vec<&str> = all.iter().map(|e| e["cursor"].as_str().unwrap()).collect();
    cursors.sort();
    cursors.dedup();
    assert_eq!(cursors.len(), 25);

    // Another partner sees none of it; an association's staff is sent to agreementActivity.
    let r = app.as_user(&other_user, None, q, json!({})).await;
    assert_eq!(r.data()["codedActivity"]["edges"], json!([]));
    let r = app.as_user(&t.director, None, q, json!({})).await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
    let r = app
        .as_user(&partner_user, None, q, json!({"after": "bogus"}))
        .await;
    assert_eq!(r.code(), Some("VALIDATION"));
}

/// With the principal cache on, a change through the API (suspension, revocation)
/// still stops the caller: PostgreSQL's notification empties every server's cache.
#[tokio::test]
async fn cached_principals_are_forgotten_when_they_change() {
    // A database of its own: any other test's change to memberships or clients
    // notifies every listener on its database and empties the cache, which would
    // make the "cache really used" step below see the change.
    let tdb: &'static testkit::TestDb = Box::leak(Box::new(testkit::testdb::separate_db().await));
    let app = spawn_on_db(tdb, |v| {
        v.insert("PASSERELLE_PRINCIPAL_CACHE_SECS".into(), "300".into());
    })
    .await;
    let admin = app.union_user("admin").await;
    let t = app.tenant().await;
    let (partner, _) = app.partner("Keolis", "transport").await;
    agreement_in_force(&app, partner).await;
    let (gid, client_id, secret) = register(&app, &admin, partner, &["AGREEMENTS_READ"]).await;
    let machine = token(&app, &client_id, &secret, None)
        .await
        .token()
        .to_owned();
    let director = app.token(&t.director);
    let me = "{ viewer { activeTenant { id } } }";
    // The cache is used only once the server listens for changes: wait for its
    // listening connection (a loaded machine can take seconds to open it).
    {
        use sea_orm::ConnectionTrait;
        let su = app.db.admin().await;
        let listening = "select count(*) as n from pg_stat_activity \
             where datname = current_database() and query ilike 'listen%passerelle_principals%'";
        let mut ready = false;
        for _ in 0..200 {
            let row = su
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    listening,
                ))
                .await
                .unwrap()
                .unwrap();
            if row.try_get::<i64>("", "n").unwrap() > 0 {
                ready = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(ready, "the server never listened for principal changes");
        let _ = su.close().await;
    }
    // Warm the cache.
    for _ in 0..3 {
        assert!(
            app.gql
                .run(&director, Some(&t.slug), me, json!({}))
                .await
                .ok()
        );
        assert!(app.gql.run(&machine, None, WHO, json!({})).await.ok());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // The cache is really used: a change made behind its back (triggers off, so no
    // notification) is not seen.
    {
        use sea_orm::ConnectionTrait;
        let su = app.db.admin().await;
        su.execute_unprepared(&format!(
            "set session_replication_role = replica; \
             update memberships set status = 'deactivated', deactivated_at = now() where user_id = '{}'; \
             set session_replication_role = origin",
            t.director.id
        ))
        .await
        .unwrap();
        let _ = su.close().await;
    }
    assert!(
        app.gql
            .run(&director, Some(&t.slug), me, json!({}))
            .await
            .ok(),
        "served from the cache"
    );

    let r = app
        .as_user(
            &admin,
            None,
            "mutation($i: SuspendTenantInput!) { suspendTenant(input: $i) { tenant { id } } }",
            json!({"i": {"tenantId": t.gid(), "reason": "Contrôle de la franchise"}}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    let r = app
        .as_user(&admin, None, "mutation($i: PartnerApiClientInput!) { revokePartnerApiClient(input: $i) { apiClient { id } } }",
            json!({"i": {"apiClientId": gid}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);

    // Notifications are asynchronous: allow them a moment, not a TTL.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        let d = app
            .gql
            .run(&director, Some(&t.slug), me, json!({}))
            .await
            .status;
        let m = app.gql.run(&machine, None, WHO, json!({})).await.status;
        if d == 403 && m == 401 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still served from the cache: director {d}, machine {m}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
