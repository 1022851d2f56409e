//! The application, built the same way for production and for tests: `build` wires
//! services and returns the router; `serve` binds it. Layers, outermost first:
//! the headers every answer carries, request id, trace span, body limit (before any
//! parsing), the request guard (timeout and shutdown deadline), then on the routes
//! that need the database the load shedder and, on /graphql, the auth + rate-limit
//! middleware.

use crate::config::Config;
use crate::ratelimit::{Decision, RateLimiter};
use auth::{AuthError, DevIssuer, RemoteIssuer, Verifier, VerifierConfig};
use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use db::{Db, RedisOptions, RedisPool, RedisStatus};
use graphql::RequestActor;
use graphql::http::{Endpoint, error_response, unavailable_response};
use kernel::{Ctx, RequestId};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub const TENANT_HEADER: &str = "x-passerelle-tenant";
/// What a person acts as for the request: `association`, `partner` or `union`.
pub const ACT_AS_HEADER: &str = "x-passerelle-act-as";
/// Every route; /graphql reads its body under its own smaller limit and answers
/// with a GraphQL-shaped error.
const OUTER_BODY_LIMIT: usize = 1024 * 1024;
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub redis: RedisPool,
    pub verifier: Arc<Verifier>,
    pub tenancy: tenancy::Tenancy,
    pub partners: partners::Partners,
    pub principals: Arc<crate::principals::PrincipalCache>,
    pub limiter: Arc<RateLimiter>,
    pub token_limits: Arc<TokenLimits>,
    pub endpoint: Arc<Endpoint>,
    pub stop: Arc<Stop>,
    /// Delivers the outbox's events (webhooks, e-mails); started by `serve`.
    pub events_worker: events::Worker,
}

/// The end of a shutdown's drain: once the deadline passed, requests still running
/// are answered 503 at once and their statements cancelled. (The drain itself,
/// no new connections while in-flight requests finish, is hyper's graceful shutdown.)
pub struct Stop {
    ended: watch::Sender<bool>,
}

impl Stop {
    fn new() -> Self {
        Self {
            ended: watch::channel(false).0,
        }
    }

    async fn wait(tx: &watch::Sender<bool>) {
        let mut rx = tx.subscribe();
        let _ = rx.wait_for(|v| *v).await;
    }
}

/// /oauth/token's own limits, far below /graphql's: each attempt there may cost an
/// argon2 verification.
pub struct TokenLimits {
    pub per_address: RateLimiter,
    pub per_client: RateLimiter,
}

pub struct App {
    pub router: Router,
    pub state: AppState,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("DATABASE_URL: cannot connect: {0}")]
    Database(#[source] db::DbError),
    #[error("REDIS_URL: {0}")]
    Redis(String),
    #[error("HTTP client for the OIDC issuer: {0}")]
    Http(String),
    #[error("development issuer: {0}")]
    DevIssuer(String),
    #[error("PASSERELLE_BOOTSTRAP_ADMIN_EMAIL: {0}")]
    Bootstrap(String),
    #[error("PASSERELLE_EVIDENCE_DIR / PASSERELLE_EVIDENCE_S3_BUCKET: {0}")]
    Evidence(String),
    #[error("PASSERELLE_SMTP_URL / PASSERELLE_MAIL_FROM: {0}")]
    Events(String),
    #[error("console: {0}")]
    Console(String),
    #[error("access log: {0}")]
    AccessLog(String),
    #[error("PASSERELLE_LISTEN: cannot bind: {0}")]
    Bind(#[source] std::io::Error),
}

pub async fn build(config: Config) -> Result<App, StartError> {
    let db = Db::connect(&config.database_url, &config.pool_options())
        .await
        .map_err(StartError::Database)?;
    // Servers of two deployments may share a Redis: every key carries this one's.
    let prefix = match &config.redis_prefix {
        Some(p) => p.clone(),
        None => format!(
            "passerelle:{}",
            db.deployment_id().await.map_err(StartError::Database)?
        ),
    };
    let redis = RedisPool::new(
        &config.redis_url,
        RedisOptions {
            prefix,
            timeout: Duration::from_millis(config.redis_timeout_ms),
            failures_to_open: config.redis_failures_to_open,
            ..RedisOptions::default()
        },
    )
    .map_err(|e| StartError::Redis(e.to_string()))?;
    redis.start().await;
    crate::telemetry::observe_pools(&db, &redis);

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| StartError::Http(e.to_string()))?;
    let remotes: Vec<Arc<RemoteIssuer>> = config
        .oidc_issuer
        .iter()
        .map(|i| {
            Arc::new(
                RemoteIssuer::new(i.clone(), http.clone(), Duration::from_secs(30))
                    .with_key_age_bounds(
                        Duration::from_secs(config.jwks_min_age_secs),
                        Duration::from_secs(config.jwks_max_age_secs),
                    ),
            )
        })
        .collect();
    for r in &remotes {
        // Best effort: an unreachable provider at start is retried on first use.
        if let Err(e) = r.refresh(true).await {
            tracing::warn!(issuer = %r.issuer(), error = %e, "OIDC provider not reachable at start");
        }
    }
    let dev = if config.is_development() {
        Some(Arc::new(
            DevIssuer::generate(config.oidc_audience.clone())
                .map_err(|e| StartError::DevIssuer(e.to_string()))?,
        ))
    } else {
        None
    };
    let verifier = Arc::new(Verifier::new(
        VerifierConfig {
            audience: config.oidc_audience.clone(),
            ..VerifierConfig::default()
        },
        remotes,
        dev,
    ));

    let tenancy = tenancy::Tenancy::new(db.clone());
    if let Some(email) = &config.bootstrap_admin_email {
        tenancy
            .ensure_bootstrap_admin(email)
            .await
            .map_err(|e| StartError::Bootstrap(e.to_string()))?;
    }
    let partners = partners::Partners::new(db.clone(), Some(redis.clone()));
    // Production: webhooks over HTTPS to public addresses only (events::outbound).
    let outbound = events::Outbound::new(!config.is_development())
        .map_err(|e| StartError::Events(e.to_string()))?;
    let mailer = events::Mailer::new(&events::MailerConfig {
        smtp_url: config.smtp_url.clone(),
        from: config.mail_from.clone(),
        production: !config.is_development(),
    })
    .map_err(StartError::Events)?;
    if config.smtp_url.is_none() && !config.is_development() {
        tracing::warn!("PASSERELLE_SMTP_URL is not set: e-mails stay queued until it is");
    }
    let events_worker = events::Worker::new(
        db.clone(),
        outbound.clone(),
        mailer,
        events::WorkerConfig {
            poll: config.events_poll,
            retry_base: config.webhook_retry_base,
        },
    );
    let access_log = privacy::AccessLog::new(
        db.clone(),
        &config.database_url,
        &config.access_log_options(),
    )
    .map_err(|e| StartError::AccessLog(e.to_string()))?;
    let services = graphql::Services {
        privacy: access_log,
        events: events::Events::new(db.clone(), outbound),
        tenancy: tenancy.clone(),
        sites: sites::Sites::new(db.clone()),
        journal: mediation::Journal::new(db.clone(), config.dashboard_cache.then(|| redis.clone())),
        partners: partners.clone(),
        pathways: pathways::Pathways::new(db.clone()),
        compliance: compliance::Compliance::new(
            db.clone(),
            compliance::EvidenceStore::open(&config.evidence_store)
                .map_err(|e| StartError::Evidence(e.to_string()))?,
        ),
    };
    let limits = graphql::Limits::default();
    let schema = graphql::build(services.clone(), &limits, config.introspection);
    let endpoint = Arc::new(Endpoint {
        schema,
        services,
        limits: limits.clone(),
        graphiql: config.is_development(),
    });
    let limiter = Arc::new(RateLimiter::new(
        redis.clone(),
        config.rate_limit_per_minute,
    ));
    let token_limits = Arc::new(TokenLimits {
        per_address: RateLimiter::new(redis.clone(), config.token_rate_limit_per_minute),
        per_client: RateLimiter::new(redis.clone(), config.token_client_rate_limit_per_minute),
    });
    let principals = Arc::new(crate::principals::PrincipalCache::new(
        config.principal_cache_secs,
    ));
    tokio::spawn(principals.clone().follow(db.clone()));
    let state = AppState {
        config: Arc::new(config),
        db,
        redis,
        verifier,
        tenancy,
        partners,
        principals,
        limiter,
        token_limits,
        endpoint: endpoint.clone(),
        stop: Arc::new(Stop::new()),
        events_worker,
    };

    let gql = Router::new()
        .route(
            "/graphql",
            post(graphql::http::post).get(graphql::http::graphiql),
        )
        .with_state(endpoint.clone())
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::from_fn_with_state(state.clone(), shed));
    // GraphiQL's own files: static, public, no caller to authenticate.
    let gql = gql.merge(
        Router::new()
            .route(
                &format!("{}/{{name}}", graphql::http::GRAPHIQL_ASSETS_PATH),
                get(graphql::http::graphiql_asset),
            )
            .with_state(endpoint),
    );
    let mut router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route(
            "/oauth/token",
            post(crate::oauth::token).layer(middleware::from_fn_with_state(state.clone(), shed)),
        )
        .merge(gql);
    if state.verifier.dev().is_some() {
        router = router.route("/dev/token", post(dev_token));
    }
    // The web console at `/`: its pages execute the same schema in-process, as
    // the signed-in person (see console_gate).
    let console = console::router(
        state.endpoint.clone(),
        state.redis.clone(),
        Arc::new(crate::console_gate::ConsoleGate {
            state: state.clone(),
        }),
        console_settings(&state.config),
    )
    .map_err(|e| StartError::Console(e.to_string()))?;
    // Evidence files (compliance): up to 20 MiB, so under a limit of their own.
    let evidence = Router::new()
        .route(
            graphql::compliance::http::EVIDENCE_PATH,
            post(graphql::compliance::http::upload),
        )
        .route(
            &format!("{}/{{id}}", graphql::compliance::http::EVIDENCE_PATH),
            get(graphql::compliance::http::download),
        )
        .with_state(state.endpoint.clone())
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::from_fn_with_state(state.clone(), shed))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            graphql::compliance::http::EVIDENCE_BODY_LIMIT,
        ));
    let router = router
        .with_state(state.clone())
        .merge(console)
        // Every other route's outer limit; /graphql also reads its body under its own
        // (smaller) limit.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            OUTER_BODY_LIMIT,
        ))
        .merge(evidence)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        // Inside the request's span: its response and duration (metrics).
        .layer(middleware::from_fn(crate::telemetry::track))
        .layer(TraceLayer::new_for_http().make_span_with(crate::telemetry::request_span))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(middleware::map_response(api_headers));
    Ok(App { router, state })
}

/// The console's settings from the server's configuration: OIDC sign-in when both
/// the issuer and the console's client are configured; the demo accounts listed in
/// development only.
fn console_settings(c: &Config) -> console::Settings {
    let oidc = match (&c.oidc_issuer, &c.console_oidc_client_id) {
        (Some(issuer), Some(client_id)) => Some(console::OidcSettings {
            issuer: issuer.clone(),
            client_id: client_id.clone(),
            client_secret: c.console_oidc_client_secret.clone(),
            redirect_url: format!("{}/connexion/retour", c.public_url),
            audience: c.oidc_audience.clone(),
        }),
        _ => None,
    };
    console::Settings {
        production: !c.is_development(),
        idle_timeout: c.console_idle_timeout,
        max_lifetime: Duration::from_secs(12 * 3600),
        oidc,
        dev_accounts: if c.is_development() {
            crate::console_gate::dev_accounts()
        } else {
            Vec::new()
        },
    }
}

/// On every answer, errors included: answers hold personal data, so no cache (a
/// proxy's or the browser's) keeps them, unless the route chose its own caching
/// (static assets); and no browser guesses a content type other than the declared one.
async fn api_headers(mut r: Response) -> Response {
    use axum::http::header::{CACHE_CONTROL, X_CONTENT_TYPE_OPTIONS};
    let h = r.headers_mut();
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

/// Binds and serves until SIGINT/SIGTERM, then drains in-flight requests for at
/// most PASSERELLE_SHUTDOWN_DRAIN_SECS.
pub async fn serve(app: App, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    serve_until(app, listener, shutdown_signal()).await
}

/// After the drain deadline: how long the requests ended then may take to answer
/// and close, how long their transactions may take to be cancelled and rolled
/// back, and how long closing the pool may take. With the default drain (20 s) the
/// whole shutdown stays under 25 s, inside the 30 s grace period of the manifests.
const ABORT_GRACE: Duration = Duration::from_secs(2);
const SETTLE_WITHIN: Duration = Duration::from_secs(2);
const CLOSE_WITHIN: Duration = Duration::from_secs(1);

/// `serve`, ending when `signal` completes (tests give their own).
///
/// Connections go through hyper's HTTP/1 builder rather than `axum::serve`, which
/// cannot bound the time a client takes to send its headers: a client trickling one
/// byte a second would hold its connection (and its task) forever. hyper's deadline
/// also closes a kept-alive connection idle that long.
pub async fn serve_until(
    app: App,
    listener: tokio::net::TcpListener,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;
    let housekeeping = tokio::spawn(housekeeping(
        app.state.partners.clone(),
        app.state.endpoint.services.pathways.clone(),
        app.state.endpoint.services.compliance.clone(),
        (
            app.state.endpoint.services.privacy.clone(),
            app.state.config.access_log_retention_days,
        ),
        (
            app.state.endpoint.services.journal.clone(),
            app.state.config.journal_retention,
        ),
    ));
    // Every replica runs one: claims are FOR UPDATE SKIP LOCKED (events::worker).
    let events_worker = tokio::spawn(app.state.events_worker.clone().run());
    let stop = app.state.stop.clone();
    let drain = app.state.config.shutdown_drain;
    let header_timeout = Duration::from_secs(app.state.config.header_read_timeout_secs);
    let router = app.router;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut signal = std::pin::pin!(signal);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut signal => break,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(req.map(axum::body::Body::new))
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tracing::info!(
        drain_secs = drain.as_secs(),
        "shutting down: draining in-flight requests"
    );
    let drained = graceful.shutdown();
    tokio::pin!(drained);
    if tokio::time::timeout(drain, &mut drained).await.is_err() {
        tracing::warn!("drain deadline passed: ending the requests still running");
        stop.ended.send_replace(true);
        if tokio::time::timeout(ABORT_GRACE, &mut drained)
            .await
            .is_err()
        {
            tracing::warn!("connections still open after the drain deadline: closed");
        }
    }
    housekeeping.abort();
    events_worker.abort();
    // The transactions of requests ended above are being cancelled and rolled
    // back in the background: let them finish before the pool closes.
    if !app.state.db.settle(SETTLE_WITHIN).await {
        tracing::warn!("some abandoned transactions were not rolled back in time");
    }
    if tokio::time::timeout(CLOSE_WITHIN, app.state.db.clone().close())
        .await
        .is_err()
    {
        tracing::warn!("closing the database pool timed out");
    }
    Ok(())
}

/// Hourly, from a minute after start: purge the contact data of outreach campaigns
/// past their retention, reduce HR records five years after the exit to their
/// statistics, run the compliance domain's daily checks (contracts past their term
/// expire, contracts to renew announced, self-assessments past their deadline close,
/// corrective actions past their due date flagged: hourly so that the Paris date's
/// change is seen within the hour), announce subsidies to renew, sweep expired partner
/// tokens, and purge the access log's entries past its retention (each chain keeps a
/// checkpoint), and apply the journal's retention (beneficiaries without contact for
/// two years anonymised, old notes deleted; one replica at a time, by an advisory
/// lock). Idempotent, so several replicas doing it at once is harmless.
/// `passerelle purge` runs them by hand.
async fn housekeeping(
    partners: partners::Partners,
    pathways: pathways::Pathways,
    compliance: compliance::Compliance,
    (access_log, retention_days): (privacy::AccessLog, u32),
    (journal, journal_retention): (mediation::Journal, mediation::Retention),
) {
    let start = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut every = tokio::time::interval_at(start, Duration::from_secs(3600));
    loop {
        every.tick().await;
        match partners.purge_expired_outreach().await {
            Ok(p) => tracing::info!(purged = ?p, "outreach purge"),
            Err(e) => tracing::error!(error = %e, "outreach purge failed"),
        }
        match pathways.anonymise_expired().await {
            Ok(a) => tracing::info!(anonymised = ?a, "HR records retention"),
            Err(e) => tracing::error!(error = %e, "HR records retention failed"),
        }
        match compliance.daily_checks().await {
            Ok(d) => tracing::info!(
                contracts_expired = d.contracts_expired,
                contracts_to_renew = d.contracts_to_renew_announced,
                self_assessments_closed = d.self_assessments_closed,
                actions_flagged = d.actions_flagged,
                "compliance daily checks"
            ),
            Err(e) => tracing::error!(error = %e, "compliance daily checks failed"),
        }
        match pathways
            .announce_subsidies_to_renew(kernel::time::today())
            .await
        {
            Ok(n) => tracing::info!(announced = n, "subsidies to renew announced"),
            Err(e) => tracing::error!(error = %e, "announcing subsidies to renew failed"),
        }
        // Idempotent too: each closed period's event has its de-duplication key.
        match partners
            .announce_closed_reporting_periods(kernel::time::today())
            .await
        {
            Ok(n) => tracing::info!(announced = n, "closed reporting periods announced"),
            Err(e) => tracing::error!(error = %e, "announcing closed reporting periods failed"),
        }
        match partners.sweep_expired_tokens().await {
            Ok(n) => tracing::info!(swept = n, "expired partner tokens swept"),
            Err(e) => tracing::error!(error = %e, "sweeping partner tokens failed"),
        }
        match access_log.purge(retention_days).await {
            Ok(n) => tracing::info!(purged = n, "access log retention"),
            Err(e) => tracing::error!(error = %e, "access log retention failed"),
        }
        // Counts only (the run traces them too), never data.
        match access_log
            .journal_retention_now(&journal, journal_retention)
            .await
        {
            Ok(r) => tracing::info!(
                ran = r.ran,
                beneficiaries = r.erased.beneficiaries,
                notes = r.erased.notes + r.old_notes,
                "journal retention"
            ),
            Err(e) => tracing::error!(error = %e, "journal retention failed"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

async fn healthz() -> &'static str {
    "ok"
}

/// Readiness. Unready (503) only when PostgreSQL does not answer the check
/// connection within PASSERELLE_READINESS_TIMEOUT_MS: then no request can be
/// served. A busy or saturated pool, or Redis down, only degrades (200,
/// `"status": "degraded"`): the replica still serves, and taking every replica out
/// of the Service because the database is slow would turn slowness into an outage.
/// The check uses its own connection, never queued behind requests.
async fn readyz(State(s): State<AppState>) -> Response {
    let pg = s.db.check().await;
    if let Err(e) = &pg {
        tracing::warn!(diagnosis = %e.diagnosis(), "readiness: PostgreSQL does not answer");
    }
    let pool = s.db.pool_status();
    let redis = s.redis.status() == RedisStatus::Up;
    let status = match (pg.is_ok(), pool.saturated || !redis) {
        (false, _) => "unready",
        (true, true) => "degraded",
        (true, false) => "ready",
    };
    let body = serde_json::json!({
        "status": status,
        "postgres": if pg.is_ok() { "up" } else { "down" },
        "pool": {
            "size": pool.max_connections,
            "open": pool.open,
            "idle": pool.idle,
            "waiting": pool.waiting,
            "saturated": pool.saturated,
        },
        "redis": if redis { "up" } else { "down" },
        "redisBreaker": s.redis.breaker_state().as_str(),
        "rateLimiting": if redis { "shared (redis)" } else { "in-process (redis unavailable)" },
    });
    let code = if pg.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, axum::Json(body)).into_response()
}

/// Every request: answered within PASSERELLE_REQUEST_TIMEOUT_SECS, and at once
/// when the shutdown's drain deadline passes. Either way the handler's future is
/// dropped, which cancels its statement and rolls back its transaction
/// (db::Scoped), and the client gets the usual error shape with `Retry-After`.
async fn guard(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let limit = s.config.request_timeout;
    tokio::select! {
        r = next.run(req) => r,
        () = tokio::time::sleep(limit) => {
            tracing::warn!(timeout_secs = limit.as_secs(), "request timed out: ended");
            unavailable_response(&format!(
                "La requête a dépassé le délai de traitement ({} s) et a été interrompue : réessayez dans quelques secondes.",
                limit.as_secs()
            ))
        }
        () = Stop::wait(&s.stop.ended) => {
            unavailable_response("Le serveur s'arrête : réessayez dans quelques secondes.")
        }
    }
}

/// Load shedding: when the queue for database connections is past
/// PASSERELLE_DB_MAX_WAITING, a new request is refused at once (503, `Retry-After`)
/// rather than queued to time out. Requests already admitted that find the queue
/// full are refused the same way by `db` itself.
async fn shed(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let pool = s.db.pool_status();
    if pool.saturated {
        tracing::warn!(
            waiting = pool.waiting,
            "shed: the queue for database connections is full"
        );
        return unavailable_response(db::error::REASON_SATURATED);
    }
    next.run(req).await
}

/// What a request gets when authenticating it needed the database and failed:
/// UNAVAILABLE when the database could not serve it (retry), else INTERNAL.
fn auth_failed(e: &kernel::Error, what: &'static str) -> Response {
    if let kernel::Error::Unavailable { reason, cause } = e {
        graphql::log_unavailable(cause.as_deref());
        return unavailable_response(reason);
    }
    tracing::error!(step = what, "authentication failed");
    graphql::log_internal(e);
    error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        "INTERNAL",
        "internal error",
    )
}

fn request_id(req: &Request) -> RequestId {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| uuid::Uuid::parse_str(v).ok())
        .map(RequestId)
        .unwrap_or_default()
}

fn client_key(req: &Request) -> String {
    match req.extensions().get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(addr)) => format!("ip:{}", addr.ip()),
        None => "ip:unknown".into(),
    }
}

fn rate_limited(retry_after_secs: u64) -> Response {
    let mut r = error_response(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        "too many requests",
    );
    if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    r
}

/// Bearer token -> verified identity -> principal -> what it acts as -> `Ctx`, then
/// the actor's rate limit. A bad token is 401; a tenant header without membership (or
/// an X-Passerelle-Act-As identity the person lacks) is 403, a malformed choice 400;
/// no token is an anonymous caller (every field then answers UNAUTHENTICATED).
async fn authenticate(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .map(str::trim)
        });
    let ctx = match token {
        None => None,
        Some(None) | Some(Some("")) => {
            return error_response(
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "expected a Bearer token",
            );
        }
        Some(Some(token)) if partners::Partners::is_client_token(token) => {
            let key = partners::clients::token_key(token);
            let check = match s.principals.client(&key) {
                Some(p) => Ok(partners::clients::TokenCheck::Valid(p)),
                None => s.partners.check_token(token).await.inspect(|c| {
                    if let partners::clients::TokenCheck::Valid(p) = c {
                        s.principals.put_client(key, p);
                    }
                }),
            };
            match check {
                Ok(check) => match client_ctx(check, &req) {
                    Ok(ctx) => Some(ctx),
                    Err(r) => return r,
                },
                Err(e) => return auth_failed(&e, "checking a partner token"),
            }
        }
        Some(Some(token)) => match s.verifier.verify(token).await {
            Err(e) => {
                if let Decision::Deny { retry_after_secs } =
                    s.limiter.check(&client_key(&req)).await
                {
                    return rate_limited(retry_after_secs);
                }
                return match e {
                    AuthError::IssuerUnavailable => error_response(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "INTERNAL",
                        "identity provider unreachable",
                    ),
                    e => {
                        tracing::info!(reason = %e, "token refused");
                        error_response(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", &e.to_string())
                    }
                };
            }
            // A machine token of the external issuer (client-credentials grant there):
            // it names its client and is no person.
            Ok(v) if v.client_id.is_some() && v.email.is_none() => {
                match s
                    .partners
                    .check_external(&v.issuer, &v.subject, v.scope.as_deref())
                    .await
                {
                    Ok(partners::clients::TokenCheck::Invalid) => {
                        return error_response(
                            StatusCode::FORBIDDEN,
                            "FORBIDDEN",
                            "no active Passerelle API client is registered for this client",
                        );
                    }
                    Ok(check) => match client_ctx(check, &req) {
                        Ok(ctx) => Some(ctx),
                        Err(r) => return r,
                    },
                    Err(e) => return auth_failed(&e, "resolving an external client"),
                }
            }
            Ok(v) => {
                let identity = tenancy::LoginIdentity {
                    issuer: v.issuer,
                    subject: v.subject,
                    email: v.email,
                    email_verified: v.email_verified,
                    name: v.name,
                };
                let cached = s.principals.user(&identity.issuer, &identity.subject);
                let resolved = match cached {
                    Some(p) => Ok(Some(p)),
                    None => s.tenancy.resolve(&identity).await.inspect(|p| {
                        if let Some(p) = p {
                            s.principals
                                .put_user(&identity.issuer, &identity.subject, p);
                        }
                    }),
                };
                let principal = match resolved {
                    Ok(Some(p)) => p,
                    Ok(None) => {
                        return error_response(
                            StatusCode::FORBIDDEN,
                            "FORBIDDEN",
                            "no Passerelle account or invitation for this identity",
                        );
                    }
                    Err(e) => return auth_failed(&e, "resolving the principal"),
                };
                // The cached principal is the person whatever they act as; the
                // choice is applied here, per request, after the cache.
                let acting = match principal.acting(
                    header_value(&req, ACT_AS_HEADER),
                    header_value(&req, TENANT_HEADER),
                ) {
                    Ok(a) => a,
                    Err(e) => return choice_refused(e),
                };
                if let kernel::Acting::Association(t) = acting {
                    tracing::Span::current()
                        .record("passerelle.tenant_id", tracing::field::display(t.tenant_id));
                }
                Some(Ctx::user(
                    principal.user_id,
                    acting,
                    principal.choices(),
                    request_id(&req),
                ))
            }
        },
    };
    let key = match (
        ctx.as_ref().and_then(Ctx::user_id),
        ctx.as_ref().and_then(Ctx::client_id),
    ) {
        (Some(u), _) => format!("u:{u}"),
        (None, Some(c)) => format!("c:{c}"),
        (None, None) => client_key(&req),
    };
    if let Decision::Deny { retry_after_secs } = s.limiter.check(&key).await {
        return rate_limited(retry_after_secs);
    }
    req.extensions_mut().insert(RequestActor(ctx));
    next.run(req).await
}

/// A header's value; one that is not visible ASCII is kept as an unmatchable value,
/// so that it is refused rather than taken for an absent header.
fn header_value<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get(name)
        .map(|v| v.to_str().unwrap_or("\u{fffd}"))
}

/// The answer to a choice of identity that cannot be honoured: naming one the person
/// does not hold is 403, a malformed or contradictory choice 400 (with `field` and
/// `reason`). Nothing runs.
fn choice_refused(e: kernel::Error) -> Response {
    match e {
        kernel::Error::Validation { field, reason } => {
            let body = serde_json::json!({
                "errors": [{
                    "message": format!("{field}: {reason}"),
                    "extensions": { "code": "VALIDATION", "field": field, "reason": reason }
                }]
            });
            (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
        }
        kernel::Error::Forbidden(m) => error_response(StatusCode::FORBIDDEN, "FORBIDDEN", m),
        e => {
            tracing::error!(error = %e, "choosing the acting identity failed");
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "internal error",
            )
        }
    }
}

/// An API client's context, or the answer refusing it. A tenant header means
/// nothing to a partner's machine: it is refused rather than ignored, and so is any
/// X-Passerelle-Act-As but `partner` (what it is).
// The error is the HTTP answer itself, built at most once per refused request.
#[allow(clippy::result_large_err)]
fn client_ctx(check: partners::clients::TokenCheck, req: &Request) -> Result<Ctx, Response> {
    use partners::clients::TokenCheck;
    match check {
        TokenCheck::Valid(p) => {
            if req.headers().contains_key(TENANT_HEADER) {
                return Err(error_response(
                    StatusCode::FORBIDDEN,
                    "FORBIDDEN",
                    "a partner API client works in no association: drop X-Passerelle-Tenant",
                ));
            }
            match header_value(req, ACT_AS_HEADER).map(tenancy::ActAs::parse) {
                None | Some(Ok(None | Some(tenancy::ActAs::Partner))) => {}
                Some(Err(e)) => return Err(choice_refused(e)),
                Some(Ok(Some(_))) => {
                    return Err(error_response(
                        StatusCode::FORBIDDEN,
                        "FORBIDDEN",
                        "a partner API client acts as its partner only",
                    ));
                }
            }
            Ok(Ctx::client(
                p.client_id,
                p.partner_id,
                p.scopes,
                request_id(req),
            ))
        }
        TokenCheck::Invalid => Err(error_response(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "unknown, expired or revoked token",
        )),
        TokenCheck::NoAgreementInForce => Err(error_response(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "the partner has no agreement in force today",
        )),
    }
}

#[derive(serde::Deserialize)]
struct DevTokenRequest {
    email: String,
}

/// Development only (the route does not exist in production): a token for any
/// email, signed by the in-process development issuer.
async fn dev_token(State(s): State<AppState>, body: axum::body::Bytes) -> Response {
    let Some(dev) = s.verifier.dev() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(r) = serde_json::from_slice::<DevTokenRequest>(&body) else {
        return error_response(
            StatusCode::BAD_REQUEST,
            "VALIDATION",
            "expected {\"email\": \"...\"}",
        );
    };
    let Ok(email) = tenancy::validate::email("email", &r.email) else {
        return error_response(
            StatusCode::BAD_REQUEST,
            "VALIDATION",
            "email: not a valid email address",
        );
    };
    let name = email.split('@').next().unwrap_or("").to_owned();
    match dev.mint(&email, &name, 8 * 3600) {
        Ok(t) => axum::Json(serde_json::json!({
            "access_token": t,
            "token_type": "Bearer",
            "expires_in": 8 * 3600,
        }))
        .into_response(),
        Err(_) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "internal error",
        ),
    }
}
