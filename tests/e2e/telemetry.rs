//! Traces and logs: the real binary exports spans over OTLP/HTTP to a collector run
//! by this test. The spans must name the GraphQL operation and the tenant, and
//! neither the spans nor the logs may hold variables, emails or tokens.

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncReadExt;

fn passerelle_binary() -> std::path::PathBuf {
    // target/<profile>/deps/e2e-<hash> -> target/<profile>/passerelle
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir.join("passerelle");
    assert!(
        bin.exists(),
        "{} is missing: run the tests with `cargo test --workspace` (scripts/test)",
        bin.display()
    );
    bin
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn spans_name_the_operation_and_tenant_but_never_variables() {
    // The collector: keeps every export body.
    let bodies: Arc<Mutex<Vec<u8>>> = Arc::default();
    let sink = bodies.clone();
    let collector = Router::new().route(
        "/v1/traces",
        post(move |b: Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().extend_from_slice(&b);
                ""
            }
        }),
    );
    let cl = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector_url = format!("http://{}", cl.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(cl, collector).await;
    });

    let tdb = testkit::test_db();
    let issuer = testkit::Issuer::start().await;
    let t = testkit::TestTenant::create(tdb, &issuer.url).await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = tokio::process::Command::new(passerelle_binary())
        .arg("serve")
        .env_clear()
        .envs(crate::support::base_config(tdb, &issuer.url))
        .env("PASSERELLE_LISTEN", format!("127.0.0.1:{port}"))
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &collector_url)
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start passerelle serve");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "passerelle serve did not come up");

    let secret_email = format!("variable-secrete-{}@example.org", testkit::suffix());
    let token = issuer.token(&t.director.subject, &t.director.email);
    let gql = testkit::Gql::new(&base);
    let r = gql
        .run(&token, None,
            "mutation InviteProbe($i: InviteMemberInput!) { inviteMember(input: $i) { invitation { id } } }",
            json!({"i": {"email": secret_email, "role": "VIEWER"}}))
        .await;
    assert!(r.ok(), "{:?}", r.body);

    // Graceful shutdown flushes the spans.
    let pid = child.id().expect("pid");
    let _ = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("exits on SIGTERM")
        .unwrap();
    assert!(status.success(), "clean exit after SIGTERM: {status:?}");
    let mut logs = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut logs)
        .await
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut logs)
        .await
        .unwrap();

    let spans = bodies.lock().unwrap().clone();
    assert!(!spans.is_empty(), "spans were exported");
    assert!(
        contains(&spans, "InviteProbe"),
        "the operation name is on the span"
    );
    assert!(
        contains(&spans, &t.id.to_string()),
        "the tenant id is on the span"
    );
    for (what, bytes) in [("spans", &spans), ("logs", &logs)] {
        assert!(!contains(bytes, &secret_email), "{what} hold a variable");
        assert!(!contains(bytes, &t.director.email), "{what} hold an email");
        assert!(!contains(bytes, &token[..40]), "{what} hold the token");
    }
    assert!(contains(&logs, "request_id"), "logs carry the request id");
}
