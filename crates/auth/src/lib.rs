//! Authentication: bearer JWTs from standard OIDC issuers (discovery, JWKS with a
//! cache and a bounded refresh, an algorithm allow-list, iss/aud/exp/nbf with a small
//! leeway), and the development issuer the demo uses to mint tokens.
//!
//! This crate answers "is this token genuine and for us?"; who the person is in
//! Passerelle (user, memberships) is the tenancy crate's job.

mod dev;
mod error;
mod jwks;
mod verifier;

pub use dev::{DEV_ISSUER, DevIssuer};

/// The development issuer's identifier (`iss`), under which demo accounts are registered.
pub fn dev_issuer_id() -> &'static str {
    DEV_ISSUER
}
pub use error::AuthError;
pub use jwks::{KeySetFreshness, RemoteIssuer};
pub use verifier::{Verified, Verifier, VerifierConfig};

/// Only asymmetric algorithms: a shared-secret (HS*) token could be forged by anyone
/// holding the secret, and `none` is never acceptable.
pub const ALLOWED_ALGORITHMS: &[jsonwebtoken::Algorithm] = &[
    jsonwebtoken::Algorithm::RS256,
    jsonwebtoken::Algorithm::RS384,
    jsonwebtoken::Algorithm::RS512,
    jsonwebtoken::Algorithm::PS256,
    jsonwebtoken::Algorithm::PS384,
    jsonwebtoken::Algorithm::PS512,
    jsonwebtoken::Algorithm::ES256,
    jsonwebtoken::Algorithm::ES384,
    jsonwebtoken::Algorithm::EdDSA,
];
