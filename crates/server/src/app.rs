//! The application, built the same way for production and for tests: `build` wires
//! services and returns the router; `serve` binds it. Layers, outermost first:
//! request id, trace span, body limit (before any parsing), timeout, then the
//! auth + rate-limit middleware on /graphql.

use crate::config::Config;
use crate::ratelimit::{Decision, RateLimiter};
use auth::{AuthError, DevIssuer, RemoteIssuer, Verifier, VerifierConfig};
use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use db::{Db, PoolOptions, RedisPool, RedisStatus};
use graphql::RequestActor;
use graphql::http::{Endpoint, error_response};
use kernel::{Ctx, RequestId};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub const TENANT_HEADER: &str = "x-passerelle-tenant";
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
    pub endpoint: Arc<Endpoint>,
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
    #[error("PASSERELLE_LISTEN: cannot bind: {0}")]
    Bind(#[source] std::io::Error),
}

pub async fn build(config: Config) -> Result<App, StartError> {
    let db = Db::connect(
        &config.database_url,
        &PoolOptions {
            max_connections: config.db_max_connections,
            ..PoolOptions::default()
        },
    )
    .await
    .map_err(StartError::Database)?;
    let redis =
        RedisPool::new(&config.redis_url, 4).map_err(|e| StartError::Redis(e.to_string()))?;
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
            Arc::new(RemoteIssuer::new(
                i.clone(),
                http.clone(),
                Duration::from_secs(30),
            ))
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
    let services = graphql::Services {
        tenancy: tenancy.clone(),
        sites: sites::Sites::new(db.clone()),
        journal: mediation::Journal::new(db.clone(), config.dashboard_cache.then(|| redis.clone())),
        partners: partners.clone(),
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
        endpoint: endpoint.clone(),
    };

    let gql = Router::new()
        .route(
            "/graphql",
            post(graphql::http::post).get(graphql::http::graphiql),
        )
        .with_state(endpoint)
        .layer(middleware::from_fn_with_state(state.clone(), authenticate));
    let mut router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/oauth/token", post(crate::oauth::token))
        .merge(gql);
    if state.verifier.dev().is_some() {
        router = router.route("/dev/token", post(dev_token));
    }
    let router = router
        .with_state(state.clone())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        // Outer guard; /graphql also reads its body under its own (smaller) limit.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            OUTER_BODY_LIMIT,
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        // Inside the request's span: its response and duration (metrics).
        .layer(middleware::from_fn(crate::telemetry::track))
        .layer(TraceLayer::new_for_http().make_span_with(crate::telemetry::request_span))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid));
    Ok(App { router, state })
}

/// Binds and serves until SIGINT/SIGTERM, then drains in-flight requests.
pub async fn serve(app: App, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let housekeeping = tokio::spawn(housekeeping(app.state.partners.clone()));
    let served = axum::serve(
        listener,
        app.router
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await;
    housekeeping.abort();
    served
}

/// Hourly, from a minute after start: purge the contact data of outreach campaigns
/// past their retention, and sweep expired partner tokens. Idempotent, so several
/// replicas doing it at once is harmless. `passerelle purge` runs the purge by hand.
async fn housekeeping(partners: partners::Partners) {
    let start = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut every = tokio::time::interval_at(start, Duration::from_secs(3600));
    loop {
        every.tick().await;
        match partners.purge_expired_outreach().await {
            Ok(p) => tracing::info!(purged = ?p, "outreach purge"),
            Err(e) => tracing::error!(error = %e, "outreach purge failed"),
        }
        match partners.sweep_expired_tokens().await {
            Ok(n) => tracing::info!(swept = n, "expired partner tokens swept"),
            Err(e) => tracing::error!(error = %e, "sweeping partner tokens failed"),
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
    tracing::info!("shutting down: draining in-flight requests");
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(s): State<AppState>) -> Response {
    let pg = s.db.ping().await.is_ok();
    let redis = s.redis.status() == RedisStatus::Up;
    let body = serde_json::json!({
        "postgres": if pg { "up" } else { "down" },
        "redis": if redis { "up" } else { "down" },
        "rateLimiting": if redis { "shared (redis)" } else { "in-process (redis unavailable)" },
    });
    // Redis down degrades (in-process rate limiting) but still serves: ready.
    let status = if pg {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
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

/// Bearer token -> verified identity -> principal -> `Ctx`, then the actor's rate
/// limit. A bad token is 401; a tenant header without membership is 403; no token
/// is an anonymous caller (every field then answers UNAUTHENTICATED).
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
                Err(e) => {
                    tracing::error!(error = %e, "checking a partner token failed");
                    return error_response(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "INTERNAL",
                        "internal error",
                    );
                }
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
                    Err(e) => {
                        tracing::error!(error = %e, "resolving an external client failed");
                        return error_response(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "INTERNAL",
                            "internal error",
                        );
                    }
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
                    Err(e) => {
                        tracing::error!(error = %e, "resolving principal failed");
                        return error_response(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "INTERNAL",
                            "internal error",
                        );
                    }
                };
                let header = req
                    .headers()
                    .get(TENANT_HEADER)
                    .and_then(|v| v.to_str().ok());
                let scope = match principal.tenant_scope(header) {
                    Ok(s) => s,
                    Err(e) => {
                        return error_response(StatusCode::FORBIDDEN, "FORBIDDEN", &e.to_string());
                    }
                };
                if let Some(t) = scope {
                    tracing::Span::current()
                        .record("passerelle.tenant_id", tracing::field::display(t.tenant_id));
                }
                Some(Ctx::user(
                    principal.user_id,
                    scope,
                    principal.union_role,
                    principal.partner_id,
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

/// An API client's context, or the answer refusing it. A tenant header means
/// nothing to a partner's machine: it is refused rather than ignored.
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
