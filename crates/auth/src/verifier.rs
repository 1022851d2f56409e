use crate::{ALLOWED_ALGORITHMS, AuthError, DevIssuer, RemoteIssuer};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// What a genuine token tells us about its bearer.
#[derive(Clone, Debug)]
pub struct Verified {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    /// OAuth client of a client-credentials token (RFC 9068 `client_id`).
    pub client_id: Option<String>,
    /// Space-separated scopes the token carries.
    pub scope: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<serde_json::Value>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

#[derive(Deserialize)]
struct IssOnly {
    iss: Option<String>,
}

pub struct VerifierConfig {
    pub audience: String,
    pub leeway: Duration,
    pub min_jwks_refresh: Duration,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        Self {
            audience: "passerelle".into(),
            leeway: Duration::from_secs(30),
            min_jwks_refresh: Duration::from_secs(30),
        }
    }
}

pub struct Verifier {
    audience: String,
    leeway: u64,
    remotes: Vec<Arc<RemoteIssuer>>,
    dev: Option<Arc<DevIssuer>>,
}

impl Verifier {
    pub fn new(
        config: VerifierConfig,
        remotes: Vec<Arc<RemoteIssuer>>,
        dev: Option<Arc<DevIssuer>>,
    ) -> Self {
        Self {
            audience: config.audience,
            leeway: config.leeway.as_secs(),
            remotes,
            dev,
        }
    }

    pub fn dev(&self) -> Option<&Arc<DevIssuer>> {
        self.dev.as_ref()
    }

    pub fn remotes(&self) -> &[Arc<RemoteIssuer>] {
        &self.remotes
    }

    pub async fn verify(&self, token: &str) -> Result<Verified, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
        if !ALLOWED_ALGORITHMS.contains(&header.alg) {
            return Err(AuthError::AlgorithmNotAllowed);
        }
        // The issuer is read unverified only to pick whose keys to verify with.
        let iss = jsonwebtoken::dangerous::insecure_decode::<IssOnly>(token)
            .map_err(|_| AuthError::Malformed)?
            .claims
            .iss
            .ok_or(AuthError::InvalidClaims)?;
        let iss = iss.trim_end_matches('/');
        let key: DecodingKey = if let Some(dev) = self.dev.as_ref().filter(|d| d.issuer() == iss) {
            if header.kid.as_deref() != Some(dev.kid()) {
                return Err(AuthError::UnknownKey);
            }
            dev.decoding_key().clone()
        } else if let Some(remote) = self.remotes.iter().find(|r| r.issuer() == iss) {
            remote.key(header.kid.as_deref()).await?
        } else {
            return Err(AuthError::UnknownIssuer);
        };

        let mut v = Validation::new(header.alg);
        v.algorithms = vec![header.alg];
        v.leeway = self.leeway;
        v.validate_nbf = true;
        v.validate_exp = true;
        v.set_audience(&[self.audience.as_str()]);
        v.set_issuer(&[iss, &format!("{iss}/")]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &v).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => AuthError::Expired,
            ErrorKind::ImmatureSignature => AuthError::NotYetValid,
            ErrorKind::InvalidAudience => AuthError::WrongAudience,
            ErrorKind::InvalidSignature => AuthError::BadSignature,
            ErrorKind::InvalidAlgorithm => AuthError::AlgorithmNotAllowed,
            ErrorKind::InvalidIssuer | ErrorKind::MissingRequiredClaim(_) => {
                AuthError::InvalidClaims
            }
            _ => AuthError::Malformed,
        })?;
        let c = data.claims;
        if c.sub.is_empty() || c.sub.len() > 255 {
            return Err(AuthError::InvalidClaims);
        }
        // Some providers send email_verified as a string.
        let email_verified = matches!(c.email_verified, Some(serde_json::Value::Bool(true)))
            || matches!(&c.email_verified, Some(serde_json::Value::String(s)) if s == "true");
        Ok(Verified {
            issuer: c.iss.trim_end_matches('/').to_owned(),
            subject: c.sub,
            email: c.email.map(|e| e.trim().to_lowercase()),
            email_verified,
            name: c.name,
            client_id: c.client_id,
            scope: c.scope,
        })
    }
}
