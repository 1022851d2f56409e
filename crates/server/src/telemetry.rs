//! Logs (JSON, one line per event, with the request id from the request span) and,
//! when OTEL_EXPORTER_OTLP_ENDPOINT is set, traces and metrics over OTLP/HTTP,
//! named by the OpenTelemetry semantic conventions.
//!
//! Traces: a server span per request, continuing the caller's trace when it sends a
//! W3C `traceparent`; a child span for each GraphQL operation (`graphql::telemetry`);
//! under it a client span per SQL statement (sea-orm's, renamed here by `DbSpans`)
//! and per Redis call (`db::telemetry`). Never variables, bound values, keys,
//! tokens, names, emails or client addresses.
//!
//! Metrics: `http.server.request.duration` by route, status and GraphQL operation
//! (bounded), the pool's connections, pending requests and waits, Redis
//! availability, dashboard cache hits and misses, rate-limit refusals.

use crate::config::Config;
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use opentelemetry::KeyValue;
use opentelemetry::propagation::{Extractor, TextMapPropagator as _};
use opentelemetry::trace::{Status, TracerProvider as _};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{BatchSpanProcessor, SdkTracerProvider, SpanData, SpanProcessor};
use std::borrow::Cow;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

pub struct Telemetry {
    tracer: Option<SdkTracerProvider>,
    meter: Option<SdkMeterProvider>,
}

impl Telemetry {
    /// Flushes pending spans and metrics (graceful shutdown).
    pub fn shutdown(self) {
        if let Some(p) = self.tracer {
            let _ = p.shutdown();
        }
        if let Some(m) = self.meter {
            let _ = m.shutdown();
        }
    }
}

/// What exported spans and metrics are allowed to come from, whatever RUST_LOG
/// says for the logs: our spans and sea-orm's statement spans, not the HTTP
/// clients' (the exporter's own requests would trace themselves).
const EXPORT_FILTER: &str = "info,sqlx=warn,hyper=warn,h2=warn,reqwest=warn,tower=warn,\
     opentelemetry=off,opentelemetry_sdk=off,opentelemetry_otlp=off,opentelemetry_http=off";

fn endpoint(base: &str, signal: &str) -> String {
    let base = base.trim_end_matches('/');
    let base = base
        .strip_suffix("/v1/traces")
        .or_else(|| base.strip_suffix("/v1/metrics"))
        .unwrap_or(base);
    format!("{base}/{signal}")
}

pub fn init(config: &Config, json: bool) -> Result<Telemetry, String> {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,hyper=warn"));
    let fmt = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_filter(filter)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .compact()
            .with_filter(filter)
            .boxed()
    };
    let Some(base) = config.otlp_endpoint.as_deref() else {
        tracing_subscriber::registry()
            .with(fmt)
            .try_init()
            .map_err(|e| format!("logging already initialised: {e}"))?;
        return Ok(Telemetry {
            tracer: None,
            meter: None,
        });
    };
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name("passerelle")
        .build();

    let spans = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(endpoint(base, "v1/traces"))
        .build()
        .map_err(|e| format!("OTEL_EXPORTER_OTLP_ENDPOINT: {e}"))?;
    let tracer = SdkTracerProvider::builder()
        .with_span_processor(DbSpans::new(
            BatchSpanProcessor::builder(spans).build(),
            &config.database_url,
        ))
        .with_resource(resource.clone())
        .build();

    let metrics = opentelemetry_otlp::MetricExporter::builder()
        .with_http()
        .with_endpoint(endpoint(base, "v1/metrics"))
        .build()
        .map_err(|e| format!("OTEL_EXPORTER_OTLP_ENDPOINT: {e}"))?;
    let meter = SdkMeterProvider::builder()
        .with_reader(
            PeriodicReader::builder(metrics)
                .with_interval(config.metric_export_interval)
                .build(),
        )
        .with_resource(resource)
        .build();
    // Before any instrument is made: instruments of the no-op provider stay no-op.
    opentelemetry::global::set_meter_provider(meter.clone());
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    db::telemetry::set_redis_peer(&config.redis_url);

    let otel = tracing_opentelemetry::layer()
        .with_tracer(tracer.tracer("passerelle"))
        .with_threads(false)
        .with_target(false)
        .with_tracked_inactivity(false)
        .with_filter(EnvFilter::new(EXPORT_FILTER));
    tracing_subscriber::registry()
        .with(fmt)
        .with(otel)
        .try_init()
        .map_err(|e| format!("logging already initialised: {e}"))?;
    Ok(Telemetry {
        tracer: Some(tracer),
        meter: Some(meter),
    })
}

// ---------------------------------------------------------------------------
// The request's span and metrics

struct Headers<'a>(&'a axum::http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// The conventional method name; anything else is `_OTHER`.
fn method(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "_OTHER",
    }
}

fn cut(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The server span of a request: continues the caller's trace when the request
/// carries a W3C `traceparent` (a caller that did not sample it gets no spans).
/// The request id lets a log line be found from a trace and back.
pub fn request_span(req: &Request) -> tracing::Span {
    let m = method(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    let name = match route {
        Some(r) => format!("{m} {r}"),
        None => m.to_owned(),
    };
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let host = req
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(|h| cut(h, 255));
    let (address, port) = match host.and_then(|h| h.rsplit_once(':')) {
        Some((a, p)) if !a.ends_with(']') || a.starts_with('[') => (Some(a), p.parse::<i64>().ok()),
        _ => (host, None),
    };
    let version = match req.version() {
        axum::http::Version::HTTP_10 => "1.0",
        axum::http::Version::HTTP_2 => "2",
        _ => "1.1",
    };
    let span = tracing::info_span!(
        "request",
        otel.name = %name,
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        http.request.method = m,
        http.route = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
        url.path = cut(req.uri().path(), 256),
        url.scheme = "http",
        server.address = tracing::field::Empty,
        server.port = tracing::field::Empty,
        network.protocol.version = version,
        error.type = tracing::field::Empty,
        passerelle.request_id = %request_id,
        passerelle.tenant_id = tracing::field::Empty,
    );
    if let Some(r) = route {
        span.record("http.route", r);
    }
    if let Some(a) = address {
        span.record("server.address", a);
    }
    if let Some(p) = port {
        span.record("server.port", p);
    }
    let parent = TraceContextPropagator::new().extract(&Headers(req.headers()));
    // Without the OpenTelemetry layer (no OTLP endpoint) there is nothing to continue.
    let _ = span.set_parent(parent);
    span
}

struct HttpInstruments {
    duration: opentelemetry::metrics::Histogram<f64>,
    refusals: opentelemetry::metrics::Counter<u64>,
}

fn http_instruments() -> &'static HttpInstruments {
    static I: OnceLock<HttpInstruments> = OnceLock::new();
    I.get_or_init(|| {
        let m = opentelemetry::global::meter("passerelle");
        HttpInstruments {
            duration: m
                .f64_histogram("http.server.request.duration")
                .with_unit("s")
                .with_description("Duration of HTTP server requests")
                .with_boundaries(vec![
                    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
                ])
                .build(),
            refusals: m
                .u64_counter("passerelle.rate_limit.refusals")
                .with_description("Requests refused by the per-actor rate limit")
                .build(),
        }
    })
}

/// Inside the request span: records the response on it and the request's
/// duration, with its GraphQL operation, on `http.server.request.duration`.
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let m = method(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let (resp, op) = graphql::telemetry::observe(next.run(req)).await;
    let status = resp.status().as_u16();
    let span = tracing::Span::current();
    span.record("http.response.status_code", i64::from(status));
    let error: Option<Cow<'static, str>> = if status >= 500 {
        span.record("otel.status_code", "ERROR");
        Some(status.to_string().into())
    } else {
        op.error.map(Cow::Borrowed)
    };
    if status >= 500 {
        span.record("error.type", status.to_string());
    }
    let mut attrs = vec![
        KeyValue::new("http.request.method", m),
        KeyValue::new("http.response.status_code", i64::from(status)),
        KeyValue::new("url.scheme", "http"),
    ];
    if let Some(r) = route {
        attrs.push(KeyValue::new("http.route", r));
    }
    match (op.operations, op.name) {
        (0, _) => {}
        (1, Some(n)) => attrs.push(KeyValue::new(
            "graphql.operation.name",
            graphql::telemetry::metric_name(&n),
        )),
        (1, None) => {}
        (_, _) => attrs.push(KeyValue::new("graphql.operation.name", "_BATCH")),
    }
    if let Some(e) = error {
        attrs.push(KeyValue::new("error.type", e));
    }
    http_instruments()
        .duration
        .record(start.elapsed().as_secs_f64(), &attrs);
    resp
}

/// One request refused by the rate limit; `store` is where it was counted
/// ("redis", or "local" while Redis is unavailable).
pub fn rate_limit_refused(store: &'static str) {
    http_instruments()
        .refusals
        .add(1, &[KeyValue::new("passerelle.rate_limit.store", store)]);
}

/// Gauges read at each export: the pool's connections and waiters, and Redis.
pub fn observe_pools(db: &db::Db, redis: &db::RedisPool) {
    let m = opentelemetry::global::meter("passerelle");
    let pool = KeyValue::new("db.client.connection.pool.name", db::telemetry::POOL_NAME);
    let (d, p) = (db.clone(), pool.clone());
    m.i64_observable_up_down_counter("db.client.connection.count")
        .with_unit("{connection}")
        .with_description("Connections of the pool, by state")
        .with_callback(move |o| {
            let u = d.pool_usage();
            for (state, n) in [("idle", u.idle), ("used", u.used)] {
                o.observe(
                    i64::try_from(n).unwrap_or(i64::MAX),
                    &[
                        p.clone(),
                        KeyValue::new("db.client.connection.state", state),
                    ],
                );
            }
        })
        .build();
    let (d, p) = (db.clone(), pool.clone());
    m.i64_observable_up_down_counter("db.client.connection.max")
        .with_unit("{connection}")
        .with_description("The pool's size limit")
        .with_callback(move |o| {
            o.observe(
                i64::try_from(d.pool_usage().max).unwrap_or(i64::MAX),
                std::slice::from_ref(&p),
            );
        })
        .build();
    let (d, p) = (db.clone(), pool);
    m.i64_observable_up_down_counter("db.client.connection.pending_requests")
        .with_unit("{request}")
        .with_description("Callers waiting for a connection of the pool")
        .with_callback(move |o| {
            o.observe(
                i64::try_from(d.pool_usage().pending).unwrap_or(i64::MAX),
                std::slice::from_ref(&p),
            );
        })
        .build();
    let r = redis.clone();
    // Up while the circuit breaker is closed (see db::RedisPool).
    m.i64_observable_gauge("passerelle.redis.available")
        .with_description("1 while Redis is used, 0 while the platform serves without it")
        .with_callback(move |o| {
            let up = r.status() == db::RedisStatus::Up;
            o.observe(i64::from(up), &[]);
        })
        .build();
    let r = redis.clone();
    // One series per state, 1 for the breaker's current one: a dashboard can stack
    // them, and an alert can watch `open`.
    m.i64_observable_gauge("passerelle.redis.breaker.state")
        .with_description(
            "The Redis circuit breaker: 1 for its current state (closed, open, half-open)",
        )
        .with_callback(move |o| {
            let now = r.breaker_state();
            for st in [
                db::BreakerState::Closed,
                db::BreakerState::Open,
                db::BreakerState::HalfOpen,
            ] {
                o.observe(i64::from(st == now), &[KeyValue::new("state", st.as_str())]);
            }
        })
        .build();
}

// ---------------------------------------------------------------------------
// SQL statement spans

/// Gives sea-orm's statement spans (`tracing-spans`) the semantic conventions'
/// names before export: `db.system.name`, `db.operation.name`, `db.query.text`
/// (literals replaced by `?`: bound parameters stay `$n`, values are never there),
/// `db.namespace`, `server.address`/`server.port`; drops the driver's error text,
/// which may quote a value, for `error.type`.
#[derive(Debug)]
struct DbSpans<P> {
    inner: P,
    namespace: Option<String>,
    address: Option<String>,
    port: Option<i64>,
}

impl<P> DbSpans<P> {
    fn new(inner: P, database_url: &str) -> Self {
        let (namespace, address, port) = pg_target(database_url);
        Self {
            inner,
            namespace,
            address,
            port,
        }
    }
}

/// Database, host and port from a postgres URL (never its credentials).
fn pg_target(url: &str) -> (Option<String>, Option<String>, Option<i64>) {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host_port = authority
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or(authority);
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() => (h, p.parse::<i64>().ok()),
        _ => (host_port, None),
    };
    let namespace = (!path.is_empty()).then(|| path.to_owned());
    let host = (!host.is_empty()).then(|| host.to_owned());
    (namespace, host, port.or(Some(5432)))
}

impl<P: SpanProcessor> SpanProcessor for DbSpans<P> {
    fn on_start(&self, span: &mut opentelemetry_sdk::trace::Span, cx: &opentelemetry::Context) {
        self.inner.on_start(span, cx);
    }

    fn on_end(&self, mut span: SpanData) {
        if let Some(kind) = span.name.strip_prefix("sea_orm.") {
            let kind = kind.to_owned();
            self.rename(&mut span, &kind);
        }
        self.inner.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        self.inner.set_resource(resource);
    }
}

impl<P> DbSpans<P> {
    fn rename(&self, span: &mut SpanData, kind: &str) {
        let mut text: Option<String> = None;
        span.attributes.retain(|kv| match kv.key.as_str() {
            "db.statement" => {
                text = Some(sanitize_sql(&kv.value.as_str()));
                false
            }
            "db.system" | "db.operation" | "exception.message" => false,
            _ => true,
        });
        let operation = match kind {
            "begin" => "BEGIN".to_owned(),
            "commit" => "COMMIT".to_owned(),
            "rollback" => "ROLLBACK".to_owned(),
            _ => text
                .as_deref()
                .and_then(|t| t.split_whitespace().next())
                .map(|w| w.to_ascii_uppercase())
                .unwrap_or_else(|| "EXECUTE".to_owned()),
        };
        let mut attrs = vec![
            KeyValue::new("db.system.name", "postgresql"),
            KeyValue::new("db.operation.name", operation.clone()),
        ];
        if let Some(t) = text {
            attrs.push(KeyValue::new("db.query.text", t));
        }
        if let Some(ns) = &self.namespace {
            attrs.push(KeyValue::new("db.namespace", ns.clone()));
        }
        if let Some(a) = &self.address {
            attrs.push(KeyValue::new("server.address", a.clone()));
        }
        if let Some(p) = self.port {
            attrs.push(KeyValue::new("server.port", p));
        }
        if matches!(span.status, Status::Error { .. }) {
            attrs.push(KeyValue::new("error.type", "db_error"));
            span.status = Status::error("");
        }
        span.attributes.extend(attrs);
        span.name = match &self.namespace {
            Some(ns) => format!("{operation} {ns}").into(),
            None => operation.into(),
        };
    }
}

/// Statement text with every literal replaced by `?`: quoted strings, dollar-quoted
/// strings and numbers. Placeholders (`$1`), identifiers (`t1`, `"Quoted"`) and
/// keywords stay, so the text says what ran but never with what.
pub fn sanitize_sql(sql: &str) -> String {
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    let ident = |c: u8| c == b'_' || c.is_ascii_alphanumeric();
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' => {
                // 'it''s' and E'...': skip to the closing quote.
                let mut j = i + 1;
                while j < b.len() {
                    if b[j] == b'\\' && j + 1 < b.len() {
                        j += 2;
                        continue;
                    }
                    if b[j] == b'\'' {
                        if j + 1 < b.len() && b[j + 1] == b'\'' {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j += 1;
                }
                // A string prefix (E'', B'', X'') is part of the literal.
                if out.ends_with(['E', 'e', 'B', 'b', 'X', 'x', 'U', 'u'])
                    && !out[..out.len() - 1]
                        .ends_with(|ch: char| ch == '_' || ch.is_ascii_alphanumeric())
                {
                    out.pop();
                }
                out.push('?');
                i = j + 1;
            }
            b'"' => {
                let j = b[i + 1..]
                    .iter()
                    .position(|&x| x == b'"')
                    .map_or(b.len(), |p| i + 1 + p);
                out.push_str(&sql[i..(j + 1).min(b.len())]);
                i = j + 1;
            }
            b'$' => {
                let mut j = i + 1;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                if j > i + 1 {
                    // $1: a placeholder.
                    out.push_str(&sql[i..j]);
                    i = j;
                    continue;
                }
                let mut k = i + 1;
                while k < b.len() && ident(b[k]) {
                    k += 1;
                }
                if k < b.len() && b[k] == b'$' {
                    // $tag$ ... $tag$: a dollar-quoted string.
                    let tag = &sql[i..=k];
                    let end = sql[k + 1..]
                        .find(tag)
                        .map_or(b.len(), |p| k + 1 + p + tag.len());
                    out.push('?');
                    i = end;
                } else {
                    out.push('$');
                    i += 1;
                }
            }
            c if c.is_ascii_digit() && !(i > 0 && (ident(b[i - 1]) || b[i - 1] == b'$')) => {
                let mut j = i;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'.') {
                    j += 1;
                }
                out.push('?');
                i = j;
            }
            c if ident(c) => {
                let mut j = i;
                while j < b.len() && ident(b[j]) {
                    j += 1;
                }
                out.push_str(&sql[i..j]);
                i = j;
            }
            _ => {
                // Any other character, whole (the text is UTF-8).
                let ch = sql[i..].chars().next().unwrap_or(' ');
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_literals_are_replaced_and_placeholders_kept() {
        assert_eq!(
            sanitize_sql(
                "select set_config('app.tenant_id', $1, true) from t1 where x = 42 and y = 'O''Brien'"
            ),
            "select set_config(?, $1, true) from t1 where x = ? and y = ?"
        );
        assert_eq!(
            sanitize_sql("select \"Name\", E'a\\'b', $$dollar$$, $q$x$q$ from v2 where n = 1.5e3"),
            "select \"Name\", ?, ?, ? from v2 where n = ?"
        );
        assert_eq!(
            sanitize_sql("insert into a (b) values ($1), ($12)"),
            "insert into a (b) values ($1), ($12)"
        );
        assert_eq!(sanitize_sql("select 'é' || nom"), "select ? || nom");
    }

    #[test]
    fn postgres_url_gives_target_without_credentials() {
        assert_eq!(
            pg_target("postgres://api:secret@db.local:6543/passerelle?sslmode=require"),
            (
                Some("passerelle".into()),
                Some("db.local".into()),
                Some(6543)
            )
        );
        assert_eq!(
            pg_target("postgres://127.0.0.1/x"),
            (Some("x".into()), Some("127.0.0.1".into()), Some(5432))
        );
    }

    #[test]
    fn otlp_endpoints_per_signal() {
        assert_eq!(
            endpoint("http://c:4318/", "v1/metrics"),
            "http://c:4318/v1/metrics"
        );
        assert_eq!(
            endpoint("http://c:4318/v1/traces", "v1/metrics"),
            "http://c:4318/v1/metrics"
        );
    }
}
