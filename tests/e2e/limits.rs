//! Limits on by default: body size (before parsing), depth, complexity, aliases
//! (including __typename), fields, batch size; malformed requests.

use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn a_20_mib_body_gets_413_unparsed() {
    let app = spawn_app().await;
    let body = vec![b'{'; 20 * 1024 * 1024];
    let resp = reqwest::Client::new()
        .post(&app.gql.url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    // Streamed (chunked, no Content-Length): cut off at the limit, answered 413.
    assert_eq!(chunked_post(&app.base, 20).await, 413);
    // A body just over the GraphQL limit gets a GraphQL-shaped 413.
    let over = format!(
        "{{\"query\":\"{{ viewer {{ activeRole }} }}\",\"x\":\"{}\"}}",
        "a".repeat(300 * 1024)
    );
    let resp = reqwest::Client::new()
        .post(&app.gql.url)
        .header("content-type", "application/json")
        .body(over)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["errors"][0]["extensions"]["code"], "VALIDATION");
}

#[tokio::test]
async fn malformed_requests_are_validation_errors() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let tok = app.token(&t.viewer);
    let resp = reqwest::Client::new()
        .post(&app.gql.url)
        .bearer_auth(&tok)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["errors"][0]["extensions"]["code"], "VALIDATION");
    for q in [
        "{ viewer { ",
        "{ viewer { unknownField } }",
        "{ nope }",
        "mutation { createTenant { tenant { id } } }",
    ] {
        let r = app.gql.run(&tok, None, q, json!({})).await;
        assert_eq!(r.status, 200, "{q}");
        assert_eq!(r.code(), Some("VALIDATION"), "{q}: {:?}", r.body);
    }
}

#[tokio::test]
async fn aliases_typename_depth_and_batches_are_limited() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let tok = app.token(&t.viewer);
    let aliases: String = (0..200).map(|i| format!("a{i}: __typename ")).collect();
    let r = app
        .gql
        .run(&tok, None, &format!("{{ {aliases} }}"), json!({}))
        .await;
    assert_eq!(r.code(), Some("VALIDATION"), "{:?}", r.body);
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("aliases")
    );
    // Many unaliased __typename through fragments: the field count catches them.
    let frag: String = (0..50).map(|_| "__typename ").collect();
    let spreads: String = (0..20).map(|_| "...F ").collect();
    let q = format!("query {{ viewer {{ {spreads} }} }} fragment F on Viewer {{ {frag} }}");
    let r = app.gql.run(&tok, None, &q, json!({})).await;
    assert_eq!(r.code(), Some("VALIDATION"), "{:?}", r.body);
    // Depth.
    let deep = "{ viewer { activeTenant { members { edges { node { tenant { members { edges { node { tenant { members { edges { node { tenant { members { edges { node { id } } } } } } } } } } } } } } } } } }";
    let r = app.gql.run(&tok, None, deep, json!({})).await;
    assert_eq!(r.code(), Some("VALIDATION"), "{:?}", r.body);
    // Batches.
    let one = json!({"query": "{ viewer { activeRole } }"});
    let r = app
        .gql
        .raw(Some(&tok), None, json!(vec![one.clone(); 11]))
        .await;
    assert_eq!(r.status, 400);
    let r = app.gql.raw(Some(&tok), None, json!(vec![one; 3])).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.as_array().unwrap().len(), 3);
    let r = app.gql.raw(Some(&tok), None, json!([])).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn graphiqls_introspection_fits_the_limits() {
    let app = spawn_app().await;
    let t = app.tenant().await;
    let r = app
        .gql
        .run(&app.token(&t.viewer), None, INTROSPECTION, json!({}))
        .await;
    assert!(r.ok(), "{:?}", r.body["errors"]);
    assert!(r.data()["__schema"]["types"].as_array().unwrap().len() > 20);
}

#[tokio::test]
async fn introspection_can_be_turned_off() {
    let app = spawn_with(|v| {
        v.insert("PASSERELLE_INTROSPECTION".into(), "false".into());
    })
    .await;
    let t = app.tenant().await;
    let r = app
        .gql
        .run(
            &app.token(&t.viewer),
            None,
            "{ __schema { types { name } } }",
            json!({}),
        )
        .await;
    assert!(r.data()["__schema"].is_null(), "{:?}", r.body);
}

/// The query GraphiQL sends (graphql-js getIntrospectionQuery, default options).
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}
"#;

/// Sends `mib` MiB as a chunked body over a raw connection; returns the status.
async fn chunked_post(base: &str, mib: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 1024 * 1024];
    for _ in 0..mib {
        // The server may stop reading once the limit is reached.
        if s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await
            .is_err()
            || s.write_all(&chunk).await.is_err()
            || s.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut buf = vec![0u8; 64];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), s.read(&mut buf))
        .await
        .expect("an answer")
        .unwrap_or(0);
    let line = String::from_utf8_lossy(&buf[..n]).to_string();
    line.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}
