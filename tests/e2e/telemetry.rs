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
    // PASSERELLE_BIN names another build (a target directory shared by several
    // checkouts holds only the last one built).
    if let Some(bin) = std::env::var_os("PASSERELLE_BIN") {
        return bin.into();
    }
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

// ---------------------------------------------------------------------------
// The span tree of one request and the metrics, decoded from OTLP/HTTP protobuf.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{Metric, metric, number_data_point};
use opentelemetry_proto::tonic::trace::v1::{Span, span::SpanKind};
use prost::Message;

#[derive(Default)]
struct Received {
    spans: Vec<Span>,
    span_bytes: Vec<u8>,
    metrics: Vec<Metric>,
}

fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a any_value::Value> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn attr_str<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match attr(attrs, key) {
        Some(any_value::Value::StringValue(s)) => Some(s),
        _ => None,
    }
}

fn attr_int(attrs: &[KeyValue], key: &str) -> Option<i64> {
    match attr(attrs, key) {
        Some(any_value::Value::IntValue(i)) => Some(*i),
        _ => None,
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Every data point of a metric as (attributes, value): a histogram's count, a
/// sum's or gauge's value.
fn points(m: &Metric) -> Vec<(Vec<KeyValue>, f64)> {
    let num = |v: &Option<number_data_point::Value>| match v {
        Some(number_data_point::Value::AsInt(i)) => *i as f64,
        Some(number_data_point::Value::AsDouble(d)) => *d,
        None => f64::NAN,
    };
    match &m.data {
        Some(metric::Data::Histogram(h)) => h
            .data_points
            .iter()
            .map(|p| (p.attributes.clone(), p.count as f64))
            .collect(),
        Some(metric::Data::Sum(s)) => s
            .data_points
            .iter()
            .map(|p| (p.attributes.clone(), num(&p.value)))
            .collect(),
        Some(metric::Data::Gauge(g)) => g
            .data_points
            .iter()
            .map(|p| (p.attributes.clone(), num(&p.value)))
            .collect(),
        _ => Vec::new(),
    }
}

const METRICS: &[&str] = &[
    "http.server.request.duration",
    "db.client.connection.count",
    "db.client.connection.pending_requests",
    "db.client.connection.wait_time",
    "passerelle.redis.available",
    "passerelle.redis.breaker.state",
    "passerelle.dashboard.cache.hits",
    "passerelle.dashboard.cache.misses",
    "passerelle.rate_limit.refusals",
];

#[tokio::test]
async fn a_request_continues_the_callers_trace_with_operation_and_statement_spans_and_metrics() {
    let received: Arc<Mutex<Received>> = Arc::default();
    let (traces, metrics) = (received.clone(), received.clone());
    let collector = Router::new()
        .route(
            "/v1/traces",
            post(move |b: Bytes| {
                let r = traces.clone();
                async move {
                    let req = ExportTraceServiceRequest::decode(b.as_ref()).expect("OTLP traces");
                    let mut r = r.lock().unwrap();
                    r.span_bytes.extend_from_slice(&b);
                    for rs in req.resource_spans {
                        for ss in rs.scope_spans {
                            r.spans.extend(ss.spans);
                        }
                    }
                    ""
                }
            }),
        )
        .route(
            "/v1/metrics",
            post(move |b: Bytes| {
                let r = metrics.clone();
                async move {
                    let req =
                        ExportMetricsServiceRequest::decode(b.as_ref()).expect("OTLP metrics");
                    let mut r = r.lock().unwrap();
                    // Cumulative: the latest export holds everything so far.
                    for rm in req.resource_metrics {
                        for sm in rm.scope_metrics {
                            for m in sm.metrics {
                                r.metrics.retain(|x| x.name != m.name);
                                r.metrics.push(m);
                            }
                        }
                    }
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
        .env("OTEL_METRIC_EXPORT_INTERVAL", "300")
        .env("PASSERELLE_RATE_LIMIT_PER_MINUTE", "4")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
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

    // The caller's trace: its trace id and the id of its span calling us.
    let trace_id = format!("{:032x}", rand::random::<u128>() | 1);
    let caller_span = format!("{:016x}", rand::random::<u64>() | 1);
    let token = issuer.token(&t.director.subject, &t.director.email);
    let dashboard = json!({
        "query": "query TelemetryDashboard($i: DashboardInput!) { dashboard(input: $i) { cached totals { people } } }",
        "operationName": "TelemetryDashboard",
        "variables": {"i": {"from": "2025-01-01", "to": "2025-03-31", "granularity": "MONTH"}},
    });
    let mut cached = Vec::new();
    // The first computes (statements), the second reads the cache: another caller span.
    let second_span = format!("{:016x}", rand::random::<u64>() | 1);
    for parent in [&caller_span, &second_span] {
        let r = http
            .post(format!("{base}/graphql"))
            .bearer_auth(&token)
            .header("traceparent", format!("00-{trace_id}-{parent}-01"))
            .json(&dashboard)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body.get("errors").is_none(), "{body}");
        cached.push(body["data"]["dashboard"]["cached"].as_bool().unwrap());
    }
    assert_eq!(cached, [false, true], "computed, then read from the cache");
    // Past the limit (4 a minute): refused.
    let mut refused = false;
    for _ in 0..8 {
        let r = http
            .post(format!("{base}/graphql"))
            .bearer_auth(&token)
            .json(&json!({"query": "{ viewer { activeRole } }"}))
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            refused = true;
            break;
        }
    }
    assert!(refused, "the rate limit refused a request");

    // Metrics arrive every 300 ms; all but the waiters must have counted something.
    let mut missing: Vec<&str> = METRICS.to_vec();
    for _ in 0..100 {
        {
            let r = received.lock().unwrap();
            missing.retain(|name| {
                !r.metrics.iter().any(|m| {
                    m.name == *name
                        && (*name == "db.client.connection.pending_requests"
                            || points(m).iter().any(|(_, v)| *v > 0.0))
                })
            });
        }
        if missing.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        missing.is_empty(),
        "metrics not exported (or zero): {missing:?}"
    );

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

    let r = received.lock().unwrap();
    // The metrics' attributes.
    let metric = |name: &str| r.metrics.iter().find(|m| m.name == name).unwrap();
    let duration = points(metric("http.server.request.duration"));
    assert!(
        duration.iter().any(|(a, n)| {
            attr_str(a, "graphql.operation.name") == Some("TelemetryDashboard")
                && attr_str(a, "http.route") == Some("/graphql")
                && attr_str(a, "http.request.method") == Some("POST")
                && attr_int(a, "http.response.status_code") == Some(200)
                && *n == 2.0
        }),
        "the two dashboard requests, by operation: {duration:?}"
    );
    assert!(
        duration
            .iter()
            .any(|(a, _)| attr_int(a, "http.response.status_code") == Some(429)),
        "the refused request: {duration:?}"
    );
    let states: Vec<String> = points(metric("db.client.connection.count"))
        .iter()
        .filter_map(|(a, _)| attr_str(a, "db.client.connection.state").map(str::to_owned))
        .collect();
    assert!(
        states.iter().any(|s| s == "idle") && states.iter().any(|s| s == "used"),
        "connections by state: {states:?}"
    );
    assert_eq!(
        points(metric("passerelle.redis.available"))
            .first()
            .map(|p| p.1),
        Some(1.0)
    );
    let breaker: Vec<(String, f64)> = points(metric("passerelle.redis.breaker.state"))
        .into_iter()
        .filter_map(|(a, v)| attr_str(&a, "state").map(|st| (st.to_owned(), v)))
        .collect();
    assert!(
        breaker.contains(&("closed".to_owned(), 1.0))
            && breaker.contains(&("open".to_owned(), 0.0))
            && breaker.contains(&("half-open".to_owned(), 0.0)),
        "breaker states: {breaker:?}"
    );

    // The span tree of the first dashboard request.
    let spans = &r.spans;
    let server = spans
        .iter()
        .find(|s| {
            hex(&s.trace_id) == trace_id
                && hex(&s.parent_span_id) == caller_span
                && s.kind == SpanKind::Server as i32
        })
        .expect("a server span continuing the caller's trace, child of the caller's span");
    assert_eq!(
        attr_str(&server.attributes, "http.request.method"),
        Some("POST")
    );
    assert_eq!(attr_str(&server.attributes, "http.route"), Some("/graphql"));
    assert_eq!(attr_str(&server.attributes, "url.path"), Some("/graphql"));
    assert_eq!(
        attr_int(&server.attributes, "http.response.status_code"),
        Some(200),
        "{:?}",
        server.attributes
    );
    assert_eq!(server.name, "POST /graphql");
    let children = |parent: &Span| -> Vec<&Span> {
        spans
            .iter()
            .filter(|s| s.trace_id == parent.trace_id && s.parent_span_id == parent.span_id)
            .collect()
    };
    let operation = children(server)
        .into_iter()
        .find(|s| attr_str(&s.attributes, "graphql.operation.name").is_some())
        .expect("a GraphQL operation span under the server span");
    assert_eq!(
        attr_str(&operation.attributes, "graphql.operation.name"),
        Some("TelemetryDashboard")
    );
    assert_eq!(
        attr_str(&operation.attributes, "graphql.operation.type"),
        Some("query")
    );
    assert_eq!(operation.name, "query TelemetryDashboard");

    let under = children(operation);
    let sql: Vec<&Span> = under
        .iter()
        .copied()
        .filter(|s| attr_str(&s.attributes, "db.system.name") == Some("postgresql"))
        .collect();
    let texts: Vec<&str> = sql
        .iter()
        .filter_map(|s| attr_str(&s.attributes, "db.query.text"))
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("$1")),
        "statements with their bound parameters' placeholders: {texts:?}"
    );
    for s in &sql {
        assert_eq!(s.kind, SpanKind::Client as i32);
        assert!(attr_str(&s.attributes, "db.operation.name").is_some());
        assert_eq!(
            attr_str(&s.attributes, "db.namespace"),
            Some(tdb.name.as_str())
        );
    }
    // The values bound to those statements: the scope settings and the period.
    for value in [
        t.id.to_string(),
        t.director.id.to_string(),
        "2025-01-01".to_owned(),
        "2024-".to_owned(),
    ] {
        for text in &texts {
            assert!(!text.contains(&value), "a bound value in {text}");
        }
    }
    let redis: Vec<&Span> = under
        .iter()
        .copied()
        .filter(|s| attr_str(&s.attributes, "db.system.name") == Some("redis"))
        .collect();
    assert!(
        redis
            .iter()
            .any(|s| attr_str(&s.attributes, "db.operation.name") == Some("GET")),
        "the cache's Redis calls"
    );
    for s in &redis {
        for kv in &s.attributes {
            if let Some(any_value::Value::StringValue(v)) =
                kv.value.as_ref().and_then(|v| v.value.as_ref())
            {
                assert!(!v.contains("passerelle:"), "a Redis key in {}: {v}", kv.key);
            }
        }
    }
    // Nothing personal anywhere in the exported spans.
    for secret in [&t.director.email, &token[..40]] {
        assert!(!contains(&r.span_bytes, secret), "spans hold {secret}");
    }
}
