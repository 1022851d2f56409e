//! The web console: server-rendered pages in French for the people at the front
//! desk, in the association's office, at the union and at the partner.
//!
//! One API: every page gets and changes data by executing the public GraphQL
//! schema in-process as the signed-in person (`graphql::http::Endpoint::execute_as`),
//! with the documents of `graphql/*.graphql` (checked against `schema.graphql` by a
//! test). Nothing here reaches a domain crate or the database: the only store of
//! its own is the session store (Redis).
//!
//! Who the person is and what they act as is the server's business (token
//! verification, principal resolution, the choice of identity): the console asks
//! it through [`Gate`], so a page's `Ctx` is built exactly like an API request's.

mod api;
mod error;
mod messages;
mod oidc;
mod pages;
mod session;
mod view;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

pub use api::DOCUMENTS;
pub use error::ConsoleError;

/// A verified person, as the session keeps it between requests. Never a token:
/// the console holds no credential once signed in.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

/// Why the server would not let a person in or act as they asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateError {
    /// The token was refused (signature, issuer, audience, expiry).
    Refused,
    /// A valid identity, but no account nor invitation for it.
    NoAccount,
    /// The identity asked for is not one the person holds (any more).
    Choice,
    /// The database or the identity provider cannot answer now.
    Unavailable,
    /// The person's rate limit is spent.
    RateLimited,
}

/// The server's side of sign-in, implemented by the `server` crate with the very
/// code that authenticates API requests.
pub trait Gate: Send + Sync + 'static {
    /// Verifies an access token (the configured issuer's or the development issuer's).
    fn identify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Identity, GateError>>;
    /// A development-issuer token for `email`; `None` outside development.
    fn dev_token(&self, email: &str) -> Option<String>;
    /// The request context of `who` acting as (`act_as`, `tenant`), as the
    /// `X-Passerelle-Act-As` and `X-Passerelle-Tenant` headers would choose.
    fn context<'a>(
        &'a self,
        who: &'a Identity,
        act_as: Option<&'a str>,
        tenant: Option<&'a str>,
    ) -> BoxFuture<'a, Result<kernel::Ctx, GateError>>;
}

/// The configured OpenID Connect client of the console.
#[derive(Clone, Debug)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    /// None for a public client (PKCE only).
    pub client_secret: Option<String>,
    /// Where the provider sends the browser back: `<public URL>/connexion/retour`.
    pub redirect_url: String,
    /// Asked for as the `resource` of the access token, so that the token is the
    /// API's (RFC 8707); providers without resource indicators ignore it.
    pub audience: String,
}

/// A demo account listed on the development sign-in page.
#[derive(Clone, Debug)]
pub struct DevAccount {
    pub email: String,
    pub name: String,
    /// What the account is, in French ("Direction, PIMMS Lyon Métropole").
    pub description: String,
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// Production: cookies `Secure`, no development sign-in.
    pub production: bool,
    /// A session unused this long is gone.
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in, however active.
    pub max_lifetime: Duration,
    pub oidc: Option<OidcSettings>,
    /// Listed on the development sign-in page (ignored in production).
    pub dev_accounts: Vec<DevAccount>,
}

pub(crate) struct Console {
    pub endpoint: Arc<graphql::http::Endpoint>,
    pub sessions: session::Store,
    pub gate: Arc<dyn Gate>,
    pub settings: Settings,
    pub oidc: Option<oidc::Client>,
}

pub(crate) type Shared = Arc<Console>;

/// The console's routes, to be merged at `/` into the server's router.
pub fn router(
    endpoint: Arc<graphql::http::Endpoint>,
    redis: db::RedisPool,
    gate: Arc<dyn Gate>,
    settings: Settings,
) -> Result<Router, ConsoleError> {
    let oidc = match &settings.oidc {
        Some(o) => Some(oidc::Client::new(o.clone())?),
        None => None,
    };
    let console = Arc::new(Console {
        endpoint,
        sessions: session::Store::new(redis, settings.idle_timeout, settings.max_lifetime),
        gate,
        settings,
        oidc,
    });
    Ok(pages::routes(console).layer(axum::middleware::map_response(security_headers)))
}

/// The console's pages must not run a script that is not one of the binary's
/// files, be framed, leak their address to another site or be sniffed.
async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}
