/// Why a token was refused. The client only ever sees UNAUTHENTICATED and a short
/// reason; the token itself is never logged.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("malformed token")]
    Malformed,
    #[error("token algorithm not allowed")]
    AlgorithmNotAllowed,
    #[error("token issuer not trusted")]
    UnknownIssuer,
    #[error("token signing key not found")]
    UnknownKey,
    #[error("token signature invalid")]
    BadSignature,
    #[error("token expired")]
    Expired,
    #[error("token not yet valid")]
    NotYetValid,
    #[error("token audience not accepted")]
    WrongAudience,
    #[error("token claims invalid")]
    InvalidClaims,
    #[error("identity provider unreachable")]
    IssuerUnavailable,
}

impl From<AuthError> for kernel::Error {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::IssuerUnavailable => kernel::Error::internal(e),
            _ => kernel::Error::Unauthenticated,
        }
    }
}
