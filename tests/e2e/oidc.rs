//! Sign-in through a real OpenID Connect provider (`tests/oidc-provider`, the npm
//! `oidc-provider` package): authorization code flow with PKCE, the access token
//! sent to the API, first-login linking by verified email against a pending
//! invitation, and refusal of an identity nobody invited.

use crate::support::*;
use base64::Engine;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope,
    TokenResponse, TokenUrl,
};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};
use uuid::Uuid;

const CLIENT_ID: &str = "passerelle-e2e";
const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";
const AUDIENCE: &str = "passerelle-api";
const PASSWORD: &str = "correct horse";

/// The node provider, killed when dropped (and exiting by itself when its stdin closes).
struct Provider {
    issuer: String,
    child: Child,
    _stdout: BufReader<ChildStdout>,
}

impl Provider {
    async fn start() -> Self {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("oidc-provider");
        assert!(
            dir.join("node_modules").join("oidc-provider").is_dir(),
            "the test OIDC provider's dependencies are missing ({}): run `npm ci --prefix tests/oidc-provider`",
            dir.join("node_modules").display()
        );
        let mut child = Command::new("node")
            .arg("server.mjs")
            .current_dir(&dir)
            .env("PORT", "0")
            .env("CLIENT_ID", CLIENT_ID)
            .env("REDIRECT_URI", REDIRECT_URI)
            .env("AUDIENCE", AUDIENCE)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("starting `node server.mjs` in tests/oidc-provider (is Node.js installed?)");
        let mut stdout = BufReader::new(child.stdout.take().expect("provider stdout"));
        let mut line = String::new();
        let read = tokio::time::timeout(Duration::from_secs(10), stdout.read_line(&mut line))
            .await
            .expect("the test OIDC provider did not print its issuer within 10 s")
            .expect("reading the test OIDC provider's stdout");
        assert!(
            read > 0,
            "the test OIDC provider exited before printing its issuer"
        );
        let ready: Value = serde_json::from_str(line.trim())
            .unwrap_or_else(|e| panic!("unexpected readiness line {line:?}: {e}"));
        let issuer = ready["issuer"]
            .as_str()
            .unwrap_or_else(|| panic!("no issuer in the readiness line {line:?}"))
            .to_owned();
        assert!(issuer.starts_with("http://127.0.0.1:"), "issuer {issuer}");
        Self {
            issuer,
            child,
            _stdout: stdout,
        }
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

fn location(resp: &reqwest::Response) -> reqwest::Url {
    let loc = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .unwrap_or_else(|| panic!("no Location header on {} {}", resp.status(), resp.url()))
        .to_str()
        .expect("Location is ASCII");
    resp.url().join(loc).expect("Location is a URL")
}

async fn expect_status(resp: reqwest::Response, status: u16, step: &str) -> reqwest::Response {
    if resp.status().as_u16() != status {
        let got = resp.status();
        let url = resp.url().clone();
        let body = resp.text().await.unwrap_or_default();
        panic!("{step}: expected {status}, got {got} from {url}: {body}");
    }
    resp
}

/// Signs `email` in at the provider like a browser would, then exchanges the code
/// for the access token (a JWT for AUDIENCE).
async fn sign_in(issuer: &str, email: &str) -> String {
    let client = BasicClient::new(ClientId::new(CLIENT_ID.into()))
        .set_auth_uri(AuthUrl::new(format!("{issuer}/auth")).expect("auth URL"))
        .set_token_uri(TokenUrl::new(format!("{issuer}/token")).expect("token URL"))
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).expect("redirect URL"));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("openid".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .add_extra_param("resource", AUDIENCE)
        .url();

    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("browser client");

    // 1. authorization request → the login interaction
    let resp = browser
        .get(auth_url.as_str())
        .send()
        .await
        .expect("GET /auth");
    let resp = expect_status(resp, 303, "authorization request").await;
    let interaction = location(&resp);
    assert!(
        interaction.path().starts_with("/interaction/"),
        "authorization request redirected to {interaction}"
    );

    // 2. the login form
    let resp = browser
        .get(interaction.clone())
        .send()
        .await
        .expect("GET interaction");
    let form = expect_status(resp, 200, "login form")
        .await
        .text()
        .await
        .expect("form HTML");
    let action = form
        .split_once("action=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(action, _)| action.to_owned())
        .unwrap_or_else(|| panic!("no form action in {form}"));
    assert_eq!(action, format!("{}/login", interaction.path()));

    // 3. submit the credentials → back to the authorization endpoint
    let resp = browser
        .post(interaction.join(&action).expect("form action URL"))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .expect("POST login");
    let resume = location(&expect_status(resp, 303, "login").await);
    assert!(
        resume.as_str().starts_with(&format!("{issuer}/auth/")),
        "login redirected to {resume}"
    );

    // 4. resume → redirect to the client with the code
    let resp = browser.get(resume).send().await.expect("GET resume");
    let callback = location(&expect_status(resp, 303, "resume authorization").await);
    assert!(
        callback.as_str().starts_with(REDIRECT_URI),
        "redirected to {callback}"
    );
    let param = |name: &str| {
        callback
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {callback}"))
    };
    assert_eq!(param("state"), *csrf.secret(), "state round-trips");
    assert_eq!(param("iss"), issuer);
    let code = param("code");

    // 5. code exchange with the PKCE verifier
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("token client");
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .add_extra_param("resource", AUDIENCE)
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("code exchange failed: {e:?}"));
    token.access_token().secret().clone()
}

/// The (unverified) claims of a JWT.
fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

fn check_claims(token: &str, issuer: &str, email: &str) -> String {
    let c = claims(token);
    assert_eq!(c["iss"], issuer, "{c}");
    assert_eq!(c["aud"], AUDIENCE, "{c}");
    assert_eq!(c["email"], email, "{c}");
    assert_eq!(c["email_verified"], true, "{c}");
    let sub = c["sub"].as_str().expect("sub").to_owned();
    assert!(sub.starts_with("acct-"), "{c}");
    sub
}

async fn spawn_for(provider: &Provider) -> TestApp {
    let issuer = provider.issuer.clone();
    spawn_with(move |vars| {
        vars.insert("PASSERELLE_OIDC_ISSUER".into(), issuer);
        vars.insert("PASSERELLE_OIDC_AUDIENCE".into(), AUDIENCE.into());
    })
    .await
}

/// A pending invitation, written like the fixtures do (application role, system scope).
async fn invite(app: &TestApp, tenant: Uuid, email: &str, role: &str) {
    let db = app.db.app().await;
    let tx = db
        .scoped(&kernel::Ctx::system("test fixture"))
        .await
        .expect("scope");
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "insert into invitations (tenant_id, id, email, role, expires_at) \
         values ($1, $2, $3, $4, now() + interval '1 day')",
        vec![
            tenant.into(),
            Uuid::now_v7().into(),
            email.into(),
            role.into(),
        ],
    ))
    .await
    .expect("insert invitation");
    tx.commit().await.expect("commit");
    db.close().await;
}

const VIEWER: &str =
    "{ viewer { user { email } activeRole activeTenant { slug } memberships { role status } } }";

#[tokio::test]
async fn invited_email_signs_in_through_the_provider() {
    let provider = Provider::start().await;
    let app = spawn_for(&provider).await;
    let t = app.tenant().await;
    let email = format!("oidc-{}@e2e.test.example", testkit::suffix());
    invite(&app, t.id, &email, "mediator").await;

    let token = sign_in(&provider.issuer, &email).await;
    let sub = check_claims(&token, &provider.issuer, &email);

    // first call: the identity is unknown, linked through the invitation
    let r = app
        .gql
        .raw(Some(&token), Some(&t.slug), json!({ "query": VIEWER }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.get("errors").is_none(), "{}", r.body);
    let v = &r.data()["viewer"];
    assert_eq!(v["user"]["email"], email.as_str(), "{}", r.body);
    assert_eq!(v["activeRole"], "MEDIATOR", "{}", r.body);
    assert_eq!(v["activeTenant"]["slug"], t.slug.as_str(), "{}", r.body);
    assert_eq!(
        v["memberships"],
        json!([{ "role": "MEDIATOR", "status": "ACTIVE" }]),
        "{}",
        r.body
    );

    assert_eq!(
        app.count(&format!(
            "select count(*) from invitations where email = '{email}' and status = 'accepted'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from invitations where email = '{email}' and status = 'pending'"
        ))
        .await,
        0
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from user_identities i join users u on u.id = i.user_id \
             where u.email = '{email}' and i.issuer = '{}' and i.subject = '{sub}'",
            provider.issuer
        ))
        .await,
        1
    );

    // second call: a known identity, its only association chosen without the header
    let r = app
        .gql
        .raw(Some(&token), None, json!({ "query": VIEWER }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.get("errors").is_none(), "{}", r.body);
    assert_eq!(
        r.data()["viewer"]["activeTenant"]["slug"],
        t.slug.as_str(),
        "{}",
        r.body
    );
    assert_eq!(r.data()["viewer"]["activeRole"], "MEDIATOR", "{}", r.body);

    provider.stop().await;
}

#[tokio::test]
async fn uninvited_email_is_refused() {
    let provider = Provider::start().await;
    let app = spawn_for(&provider).await;
    let t = app.tenant().await;
    // someone else is invited, not this person
    invite(
        &app,
        t.id,
        &format!("oidc-other-{}@e2e.test.example", testkit::suffix()),
        "mediator",
    )
    .await;
    let email = format!("oidc-stranger-{}@e2e.test.example", testkit::suffix());

    let token = sign_in(&provider.issuer, &email).await;
    let sub = check_claims(&token, &provider.issuer, &email);

    let r = app
        .gql
        .raw(Some(&token), Some(&t.slug), json!({ "query": VIEWER }))
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.code(), Some("FORBIDDEN"), "{}", r.body);
    assert!(r.data().is_null(), "{}", r.body);

    assert_eq!(
        app.count(&format!(
            "select count(*) from users where email = '{email}'"
        ))
        .await,
        0
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from user_identities where issuer = '{}' and subject = '{sub}'",
            provider.issuer
        ))
        .await,
        0
    );

    provider.stop().await;
}

const MACHINE_CLIENT_ID: &str = "passerelle-e2e-machine";
const MACHINE_CLIENT_SECRET: &str = "machine secret for tests only";

/// A client-credentials token from the provider for its machine client.
async fn machine_token(issuer: &str, scope: &str) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{issuer}/token"))
        .basic_auth(MACHINE_CLIENT_ID, Some(MACHINE_CLIENT_SECRET))
        .form(&[
            ("grant_type", "client_credentials"),
            ("resource", AUDIENCE),
            ("scope", scope),
        ])
        .send()
        .await
        .expect("token request");
    let resp = expect_status(resp, 200, "client credentials at the provider").await;
    let body: Value = resp.json().await.expect("json");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// A partner's machine signing in at the network's identity provider: accepted only
/// once registered as an API client of that partner, with the scopes both the token
/// and the registration grant.
#[tokio::test]
async fn registered_machine_client_of_the_external_issuer() {
    let provider = Provider::start().await;
    let app = spawn_for(&provider).await;
    let (partner, _) = app.partner("Veolia", "water").await;
    crate::partners::agreement_in_force(&app, partner).await;
    let token = machine_token(&provider.issuer, "agreements:read outreach:read").await;
    let who = "{ viewer { partner { id } } }";

    // Not registered: refused.
    let r = app.gql.run(&token, None, who, json!({})).await;
    assert_eq!(
        (r.status, r.code()),
        (403, Some("FORBIDDEN")),
        "{:?}",
        r.body
    );

    let client = Uuid::now_v7();
    let admin = app.db.admin().await;
    admin
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "insert into partner_api_clients (id, partner_id, client_id, name, external_issuer, external_subject, scopes) \
             values ($1, $2, $3, 'Back-office Veolia', $4, $5, '{outreach:read,outreach:write}')",
            vec![
                client.into(),
                partner.into(),
                format!("pc_{}", client.simple()).into(),
                provider.issuer.clone().into(),
                MACHINE_CLIENT_ID.into(),
            ],
        ))
        .await
        .expect("register client");
    let r = app.gql.run(&token, None, who, json!({})).await;
    assert!(r.ok(), "{:?}", r.body);
    assert_eq!(
        r.data()["viewer"]["partner"]["id"],
        kernel::gid::encode("PartnerOrganisation", partner)
    );

    // Revoked: refused at once.
    admin
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "update partner_api_clients set status = 'revoked', revoked_at = now() where id = $1",
            vec![client.into()],
        ))
        .await
        .expect("revoke");
    let r = app.gql.run(&token, None, who, json!({})).await;
    assert_eq!((r.status, r.code()), (403, Some("FORBIDDEN")));
    let _ = admin.close().await;
    provider.stop().await;
}
