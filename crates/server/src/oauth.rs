//! POST /oauth/token: the OAuth2 client-credentials grant (RFC 6749 §4.4) for partner
//! API clients. Client authentication by HTTP Basic (client_secret_basic) or in the
//! form (client_secret_post). Errors follow §5.2 and carry Passerelle's stable code
//! beside (UNAUTHENTICATED, FORBIDDEN, VALIDATION) so clients of both worlds read them.

use crate::app::AppState;
use crate::ratelimit::Decision;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use partners::clients::TokenError;
use std::net::SocketAddr;

#[derive(serde::Deserialize, Default)]
struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

fn oauth_error(status: StatusCode, error: &str, code: &str, description: &str) -> Response {
    let mut r = (
        status,
        axum::Json(serde_json::json!({
            "error": error,
            "error_description": description,
            "code": code,
        })),
    )
        .into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        h.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"passerelle\""),
        );
    }
    r
}

/// (client_id, secret) from `Authorization: Basic`, whose parts are form-encoded
/// (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let b64 = v
        .strip_prefix("Basic ")
        .or_else(|| v.strip_prefix("basic "))?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (id, secret) = raw.split_once(':')?;
    let decode = |s: &str| form_urlencoded_decode(s);
    Some((decode(id)?, decode(secret)?))
}

fn form_urlencoded_decode(s: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
        .ok()?
        .into_iter()
        .next()
        .map(|(_, v)| v)
}

/// 429 (over a rate limit) or 503 (every secret check busy), with when to come back.
fn slow_down(status: StatusCode, retry_after_secs: u64, description: &str) -> Response {
    let error = if status == StatusCode::TOO_MANY_REQUESTS {
        "slow_down"
    } else {
        "temporarily_unavailable"
    };
    let mut r = oauth_error(status, error, "RATE_LIMITED", description);
    if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// Secrets are guessed by brute force and every guess costs an argon2 verification:
/// attempts are counted per client address and per client id (in Redis, shared by
/// every replica) and refused before anything is hashed. A refused attempt costs a
/// counter increment.
pub(crate) async fn token(State(s): State<AppState>, req: Request) -> Response {
    let peer = match req.extensions().get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(a)) => format!("token-ip:{}", a.ip()),
        None => "token-ip:unknown".to_owned(),
    };
    if let Decision::Deny { retry_after_secs } = s.token_limits.per_address.check(&peer).await {
        tracing::info!("token request refused: address over its rate limit");
        return slow_down(
            StatusCode::TOO_MANY_REQUESTS,
            retry_after_secs,
            "too many token requests from this address",
        );
    }
    let headers = req.headers().clone();
    let form_ok = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body = match axum::body::to_bytes(req.into_body(), 16 * 1024).await {
        Ok(b) => b,
        Err(_) => {
            return oauth_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request",
                "VALIDATION",
                "body too large",
            );
        }
    };
    if !form_ok {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "VALIDATION",
            "expected application/x-www-form-urlencoded",
        );
    }
    let Ok(form) = serde_urlencoded::from_bytes::<TokenForm>(&body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "VALIDATION",
            "malformed form body",
        );
    };
    if form.grant_type.as_deref() != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "VALIDATION",
            "grant_type: only client_credentials is supported",
        );
    }
    let basic = basic_credentials(&headers);
    let (client_id, secret) = match (basic, form.client_id, form.client_secret) {
        (Some(_), _, Some(_)) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "VALIDATION",
                "use one client authentication method, not two",
            );
        }
        (Some(b), _, None) => b,
        (None, Some(id), Some(secret)) => (id, secret),
        _ => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "UNAUTHENTICATED",
                "client authentication required",
            );
        }
    };
    // Ids longer than any real one are refused unhashed by issue_token: not counted.
    if client_id.len() <= 80
        && let Decision::Deny { retry_after_secs } = s
            .token_limits
            .per_client
            .check(&format!("token-client:{client_id}"))
            .await
    {
        tracing::info!("token request refused: client id over its rate limit");
        return slow_down(
            StatusCode::TOO_MANY_REQUESTS,
            retry_after_secs,
            "too many token requests for this client",
        );
    }
    match s
        .partners
        .issue_token(&client_id, &secret, form.scope.as_deref())
        .await
    {
        Ok(t) => {
            let scope = t
                .scopes
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let mut r = axum::Json(serde_json::json!({
                "access_token": t.access_token,
                "token_type": "Bearer",
                "expires_in": t.expires_in,
                "scope": scope,
            }))
            .into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(TokenError::Busy) => {
            tracing::warn!("token request refused: every secret check busy");
            slow_down(
                StatusCode::SERVICE_UNAVAILABLE,
                1,
                &TokenError::Busy.to_string(),
            )
        }
        Err(e) => {
            let (status, code) = match &e {
                TokenError::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "VALIDATION"),
                TokenError::InvalidClient => (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
                TokenError::NoAgreementInForce | TokenError::InvalidScope(_) => {
                    (StatusCode::BAD_REQUEST, "FORBIDDEN")
                }
                TokenError::Internal(kernel::Error::Unavailable { reason, cause }) => {
                    graphql::log_unavailable(cause.as_deref());
                    return graphql::http::unavailable_response(reason);
                }
                TokenError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "RATE_LIMITED"),
                TokenError::Internal(err) => {
                    tracing::error!("token endpoint failed");
                    graphql::log_internal(err);
                    (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL")
                }
            };
            tracing::info!(reason = e.oauth_code(), "token request refused");
            oauth_error(status, e.oauth_code(), code, &e.to_string())
        }
    }
}
