//! Tokens: good, bad, expired, foreign, forged, rotated; the tenant header; first
//! login by verified email; the bootstrap admin.

use crate::support::*;
use serde_json::json;

const VIEWER: &str = "{ viewer { user { email } activeRole activeTenant { slug } unionRole } }";

fn code(r: &testkit::gql::Reply) -> &str {
    r.code().unwrap_or("")
}

#[tokio::test]
async fn a_good_token_signs_in() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let r = app.as_user(&t.mediator, None, VIEWER, json!({})).await;
    assert!(r.ok(), "{:?}", r.body);
    assert_eq!(
        r.data()["viewer"]["user"]["email"],
        t.mediator.email.as_str()
    );
    assert_eq!(r.data()["viewer"]["activeRole"], "MEDIATOR");
    assert_eq!(r.data()["viewer"]["activeTenant"]["slug"], t.slug.as_str());
}

#[tokio::test]
async fn bad_tokens_are_unauthenticated() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let u = &t.director;
    let now = chrono::Utc::now().timestamp();
    let iss = &app.issuer;
    let mut cases: Vec<(&str, String)> = Vec::new();
    let mut c = iss.claims(&u.subject, &u.email);
    c["exp"] = json!(now - 3600);
    c["iat"] = json!(now - 7200);
    c["nbf"] = json!(now - 7200);
    cases.push(("expired", iss.sign(&c)));
    let mut c = iss.claims(&u.subject, &u.email);
    c["nbf"] = json!(now + 3600);
    cases.push(("not yet valid", iss.sign(&c)));
    let mut c = iss.claims(&u.subject, &u.email);
    c["aud"] = json!("another-api");
    cases.push(("foreign audience", iss.sign(&c)));
    let mut c = iss.claims(&u.subject, &u.email);
    c["iss"] = json!("https://evil.example");
    cases.push(("unknown issuer", iss.sign(&c)));
    cases.push((
        "forged signature",
        iss.forged(&iss.claims(&u.subject, &u.email)),
    ));
    cases.push(("hs256", iss.hs256(&iss.claims(&u.subject, &u.email))));
    cases.push(("garbage", "not.a.jwt".into()));
    let mut c = iss.claims(&u.subject, &u.email);
    c.as_object_mut().unwrap().remove("exp");
    cases.push(("no exp", iss.sign(&c)));
    // alg none: header {"alg":"none"}
    {
        use base64::Engine;
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let h = b.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let p = b.encode(serde_json::to_vec(&iss.claims(&u.subject, &u.email)).unwrap());
        cases.push(("alg none", format!("{h}.{p}.")));
    }
    let mine = format!("select count(*) from users where email like '%{}%'", t.slug);
    let before = app.count(&mine).await;
    for (name, token) in cases {
        let r = app.gql.run(&token, None, VIEWER, json!({})).await;
        assert_eq!(r.status, 401, "{name}: {:?}", r.body);
        assert_eq!(code(&r), "UNAUTHENTICATED", "{name}");
    }
    assert_eq!(app.count(&mine).await, before, "nothing created");
    assert_eq!(
        app.count("select count(*) from user_identities where issuer like '%evil%'")
            .await,
        0
    );
}

#[tokio::test]
async fn anonymous_callers_get_unauthenticated() {
    let app = spawn_app().await;
    let r = app.gql.raw(None, None, json!({ "query": VIEWER })).await;
    assert_eq!(r.status, 200);
    assert_eq!(code(&r), "UNAUTHENTICATED");
    let r = app
        .gql
        .raw(Some(""), None, json!({ "query": VIEWER }))
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let fetched = app
        .issuer
        .jwks_fetches
        .load(std::sync::atomic::Ordering::SeqCst);
    app.issuer.rotate();
    let r = app.as_user(&t.viewer, None, VIEWER, json!({})).await;
    assert!(r.ok(), "{:?}", r.body);
    let after = app
        .issuer
        .jwks_fetches
        .load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(after, fetched + 1, "one refresh for the new key id");
    // Unknown key ids do not hammer the provider: the refresh is rate-bounded.
    let mut c = app.issuer.claims(&t.viewer.subject, &t.viewer.email);
    c["sub"] = json!(t.viewer.subject);
    for i in 0..5 {
        use base64::Engine;
        let tok = app.issuer.sign(&c);
        let mut parts: Vec<String> = tok.split('.').map(str::to_owned).collect();
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        parts[0] = b.encode(format!(
            r#"{{"alg":"EdDSA","typ":"JWT","kid":"unknown-{i}"}}"#
        ));
        let r = app.gql.run(&parts.join("."), None, VIEWER, json!({})).await;
        assert_eq!(r.status, 401);
    }
    let last = app
        .issuer
        .jwks_fetches
        .load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(last, after, "no refresh within the bound");
}

#[tokio::test]
async fn tenant_header_must_match_a_membership() {
    let app = spawn_app().await;
    let a = app.tenant().await;
    let b = app.tenant().await;
    for header in [b.slug.clone(), b.id.to_string(), b.gid(), "nope".into()] {
        let r = app
            .as_user(&a.director, Some(&header), VIEWER, json!({}))
            .await;
        assert_eq!(r.status, 403, "{header}");
        assert_eq!(code(&r), "FORBIDDEN");
    }
    for header in [a.slug.clone(), a.id.to_string(), a.gid()] {
        let r = app
            .as_user(&a.director, Some(&header), VIEWER, json!({}))
            .await;
        assert!(r.ok(), "{header}: {:?}", r.body);
    }
}

#[tokio::test]
async fn a_person_in_two_associations_picks_one() {
    let app = spawn_app().await;
    let a = app.tenant().await;
    let b = app.tenant().await;
    let db = app.db.app().await;
    let mut u = a.viewer.clone();
    testkit::fixtures::add_member(&db, b.id, &mut u, "coordinator").await;
    let r = app.as_user(&u, None, VIEWER, json!({})).await;
    assert!(r.ok());
    assert!(
        r.data()["viewer"]["activeTenant"].is_null(),
        "no default with two memberships"
    );
    let r = app.as_user(&u, Some(&b.slug), VIEWER, json!({})).await;
    assert_eq!(r.data()["viewer"]["activeRole"], "COORDINATOR");
    let r = app.as_user(&u, Some(&a.slug), VIEWER, json!({})).await;
    assert_eq!(r.data()["viewer"]["activeRole"], "VIEWER");
    // Anything but viewer without a choice asks for one (with the choices), and
    // runs nothing: not a bare FORBIDDEN, not empty.
    let r = app
        .as_user(&u, None, "mutation { inviteMember(input: {email: \"x@y.example\", role: VIEWER}) { invitation { id } } }", json!({}))
        .await;
    assert_eq!(code(&r), "ACTOR_CHOICE_REQUIRED");
    let choices = &r.body["errors"][0]["extensions"]["choices"];
    assert_eq!(choices.as_array().map(Vec::len), Some(2), "{:?}", r.body);
    assert_eq!(
        app.count("select count(*) from invitations where email = 'x@y.example'")
            .await,
        0
    );
}

#[tokio::test]
async fn first_login_matches_a_verified_email_invitation() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let email = format!("nouvelle-{}@example.org", testkit::suffix());
    let r = app
        .as_user(&t.director, None,
            "mutation($i: InviteMemberInput!) { inviteMember(input: $i) { invitation { status role } } }",
            json!({"i": {"email": email.to_uppercase(), "role": "MEDIATOR"}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);
    assert_eq!(r.data()["inviteMember"]["invitation"]["status"], "PENDING");

    // Unverified email: refused, nothing created.
    let mut c = app.issuer.claims("brand-new-subject", &email);
    c["email_verified"] = json!(false);
    let r = app
        .gql
        .run(&app.issuer.sign(&c), None, VIEWER, json!({}))
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        app.count(&format!(
            "select count(*) from users where email = '{email}'"
        ))
        .await,
        0
    );

    // Verified: the invitation becomes a membership.
    let tok = app.issuer.token("brand-new-subject", &email);
    let r = app.gql.run(&tok, None, VIEWER, json!({})).await;
    assert!(r.ok(), "{:?}", r.body);
    assert_eq!(r.data()["viewer"]["activeRole"], "MEDIATOR");
    assert_eq!(r.data()["viewer"]["activeTenant"]["slug"], t.slug.as_str());
    assert_eq!(
        app.count(&format!(
            "select count(*) from invitations where email = '{email}' and status = 'accepted'"
        ))
        .await,
        1
    );
    // Someone else with no invitation: FORBIDDEN, nothing created.
    let stranger = format!("inconnu-{}@example.org", testkit::suffix());
    let r = app
        .gql
        .run(
            &app.issuer.token("stranger", &stranger),
            None,
            VIEWER,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(code(&r), "FORBIDDEN");
    assert_eq!(
        app.count(&format!(
            "select count(*) from users where email = '{stranger}'"
        ))
        .await,
        0
    );
}

#[tokio::test]
async fn bootstrap_admin_becomes_union_admin_at_first_login() {
    let email = format!("boot-{}@union.example", testkit::suffix());
    let e2 = email.clone();
    let app = spawn_with(move |v| {
        v.insert("PASSERELLE_BOOTSTRAP_ADMIN_EMAIL".into(), e2);
    })
    .await;
    let r = app
        .gql
        .run(
            &app.issuer.token("boot-sub", &email),
            None,
            VIEWER,
            json!({}),
        )
        .await;
    assert!(r.ok(), "{:?}", r.body);
    assert_eq!(r.data()["viewer"]["unionRole"], "ADMIN");
}

#[tokio::test]
async fn the_dev_issuer_cannot_run_in_production() {
    let tdb = testkit::test_db();
    let mut vars = base_config(tdb, "https://issuer.example");
    vars.insert("PASSERELLE_ENV".into(), "production".into());
    let config = server::Config::from_map(&vars).expect("production config");
    assert!(!config.is_development());
    let app = server::build(config).await.expect("build");
    assert!(
        app.state.verifier.dev().is_none(),
        "no dev issuer in production"
    );
    // And without an issuer, production refuses to start, naming the setting.
    vars.remove("PASSERELLE_OIDC_ISSUER");
    let err = server::Config::from_map(&vars).expect_err("refused");
    assert_eq!(err.key, "PASSERELLE_OIDC_ISSUER");
}

#[tokio::test]
async fn dev_tokens_sign_in_seeded_style_accounts() {
    let app = spawn_app().await;
    let resp = reqwest::Client::new()
        .post(format!("{}/dev/token", app.base))
        .json(&json!({"email": "personne@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let tok: serde_json::Value = resp.json().await.unwrap();
    let token = tok["access_token"].as_str().unwrap();
    // A valid dev token for someone without an account: authenticated, no access.
    let r = app.gql.run(token, None, VIEWER, json!({})).await;
    assert_eq!(r.status, 403);
    let bad = reqwest::Client::new()
        .post(format!("{}/dev/token", app.base))
        .json(&json!({"email": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}
