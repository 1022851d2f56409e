//! The console's one error type, and the page each error shows (in French).

use crate::GateError;
use crate::messages;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

/// An error the API answered with, as its extensions coded it.
#[derive(Debug, Clone)]
pub struct ApiFailure {
    pub code: String,
    pub field: Option<String>,
    pub reason: Option<String>,
    /// The error's message (English, for developers): read only to recognise a
    /// known conflict and say it in French (`messages::conflict`).
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No session, or one that ended: the person signs in (again).
    #[error("not signed in")]
    SignedOut,
    /// A form without the session's CSRF token.
    #[error("CSRF token missing or wrong")]
    Csrf,
    /// The session store (Redis) does not answer.
    #[error("session store unavailable")]
    SessionStore,
    #[error("sign-in refused: {0:?}")]
    Gate(GateError),
    #[error("API error {}", .0.code)]
    Api(ApiFailure),
    /// What the person asked for does not exist (or is not theirs: the same page).
    #[error("not found")]
    NotFound,
    /// The person must choose what they act as before this page.
    #[error("identity choice required")]
    ChoiceRequired,
    /// The identity provider's answer was not usable.
    #[error("OpenID Connect: {0}")]
    Oidc(String),
    /// A configuration the console cannot work with (stops the start).
    #[error("console configuration: {0}")]
    Config(String),
    #[error("internal: {0}")]
    Internal(&'static str),
}

impl ConsoleError {
    pub(crate) fn api_code(&self) -> Option<&str> {
        match self {
            ConsoleError::Api(f) => Some(f.code.as_str()),
            _ => None,
        }
    }

    /// A page's object read by an id from the address: a malformed id (VALIDATION) is
    /// a missing page, like an unknown one or another association's (NOT_FOUND).
    pub(crate) fn missing_if_unknown(self) -> Self {
        match self.api_code() {
            Some("VALIDATION" | "NOT_FOUND") => ConsoleError::NotFound,
            _ => self,
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        match &self {
            ConsoleError::SignedOut => return Redirect::to("/connexion").into_response(),
            ConsoleError::ChoiceRequired => return Redirect::to("/choisir").into_response(),
            ConsoleError::Api(f) if f.code == "ACTOR_CHOICE_REQUIRED" => {
                return Redirect::to("/choisir").into_response();
            }
            ConsoleError::Api(f) if f.code == "UNAUTHENTICATED" => {
                return Redirect::to("/connexion").into_response();
            }
            _ => {}
        }
        let (status, title, text) = match &self {
            ConsoleError::Csrf => (
                StatusCode::FORBIDDEN,
                "Formulaire expiré",
                messages::CSRF.to_owned(),
            ),
            ConsoleError::SessionStore => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Connexion indisponible",
                messages::SESSION_STORE.to_owned(),
            ),
            ConsoleError::Gate(g) => (
                match g {
                    GateError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                    GateError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
                    _ => StatusCode::FORBIDDEN,
                },
                "Accès refusé",
                messages::gate(*g).to_owned(),
            ),
            ConsoleError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page introuvable",
                messages::NOT_FOUND.to_owned(),
            ),
            ConsoleError::Api(f) => {
                let status = match f.code.as_str() {
                    "NOT_FOUND" => StatusCode::NOT_FOUND,
                    "FORBIDDEN" => StatusCode::FORBIDDEN,
                    "UNAVAILABLE" => StatusCode::SERVICE_UNAVAILABLE,
                    "RATE_LIMITED" => StatusCode::TOO_MANY_REQUESTS,
                    "VALIDATION" | "CONFLICT" => StatusCode::BAD_REQUEST,
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                };
                (status, "Action impossible", messages::api_error(f))
            }
            ConsoleError::Oidc(why) => {
                tracing::warn!(reason = %why, "console: OpenID Connect sign-in failed");
                (
                    StatusCode::BAD_GATEWAY,
                    "Connexion impossible",
                    messages::OIDC.to_owned(),
                )
            }
            ConsoleError::Internal(what) => {
                tracing::error!(what, "console: internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Erreur interne",
                    messages::INTERNAL.to_owned(),
                )
            }
            ConsoleError::Config(_) | ConsoleError::SignedOut | ConsoleError::ChoiceRequired => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Erreur interne",
                messages::INTERNAL.to_owned(),
            ),
        };
        let mut r = (status, crate::view::error_page(title, &text)).into_response();
        r.extensions_mut().insert(crate::view::ErrorPage {
            title: title.to_owned(),
            text,
        });
        r
    }
}
