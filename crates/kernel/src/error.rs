//! The one error vocabulary clients see. Each crate keeps its own error enum and
//! converts into this at its boundary; the gateway turns it into `extensions.code`.

use std::fmt;

/// Stable codes, part of the public API (`extensions.code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    /// A person with several identities (associations, partner, union) named none.
    ActorChoiceRequired,
    NotFound,
    Validation,
    Conflict,
    RateLimited,
    /// The database is slow, locked, down or saturated: nothing is wrong with the
    /// request, and the same request may succeed a moment later.
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::ActorChoiceRequired => "ACTOR_CHOICE_REQUIRED",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Validation => "VALIDATION",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as a client may see it. `Internal` keeps its cause for the logs only:
/// its `Display` never includes it, so database text cannot reach a client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("authentication required")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(&'static str),
    /// The person holds several identities and must say which one this request acts
    /// as (X-Passerelle-Act-As, X-Passerelle-Tenant): here are the choices.
    #[error(
        "choose what you act as: X-Passerelle-Act-As (association, partner, union) and, for an association, X-Passerelle-Tenant"
    )]
    ActorChoiceRequired(Vec<crate::ActorChoice>),
    /// Missing, or belonging to someone else: the two are deliberately identical.
    #[error("not found")]
    NotFound,
    #[error("{field}: {reason}")]
    Validation { field: String, reason: String },
    /// `field`, when set, names the input that conflicts (like VALIDATION's).
    #[error("{reason}")]
    Conflict {
        field: Option<String>,
        reason: String,
    },
    #[error("too many requests")]
    RateLimited,
    /// A fault of the platform's dependencies that a retry may clear: the reason
    /// is a fixed French sentence for the person (never database text); the cause
    /// is for the logs.
    #[error("{reason}")]
    Unavailable {
        reason: &'static str,
        #[source]
        cause: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Unauthenticated => ErrorCode::Unauthenticated,
            Error::Forbidden(_) => ErrorCode::Forbidden,
            Error::ActorChoiceRequired(_) => ErrorCode::ActorChoiceRequired,
            Error::NotFound => ErrorCode::NotFound,
            Error::Validation { .. } => ErrorCode::Validation,
            Error::Conflict { .. } => ErrorCode::Conflict,
            Error::RateLimited => ErrorCode::RateLimited,
            Error::Unavailable { .. } => ErrorCode::Unavailable,
            Error::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn validation(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Validation {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn conflict(reason: impl Into<String>) -> Self {
        Error::Conflict {
            field: None,
            reason: reason.into(),
        }
    }

    /// A conflict on one input field (e.g. a client key already used for another input).
    pub fn conflict_on(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Conflict {
            field: Some(field.into()),
            reason: reason.into(),
        }
    }

    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Internal(Box::new(e))
    }

    pub fn unavailable(
        reason: &'static str,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Unavailable {
            reason,
            cause: Some(Box::new(cause)),
        }
    }

    pub fn internal_msg(msg: impl Into<String>) -> Self {
        Error::Internal(msg.into().into())
    }
}
