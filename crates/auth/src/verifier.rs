use crate::jwks::KeySetFreshness;
use crate::{ALLOWED_ALGORITHMS, AuthError, DevIssuer, RemoteIssuer};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
    /// Seconds since the epoch; a number, not always an integer.
    exp: f64,
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
    verified: Mutex<HashMap<String, Remembered>>,
}

/// A verified token's answer, and what bounds trusting it again.
struct Remembered {
    verified: Verified,
    until: Instant,
    /// The remote issuer (index in `remotes`) and the generation of its key set the
    /// signature was checked with: a newer set may have withdrawn that key.
    keys: Option<(usize, u64)>,
}

/// How long a verified token is trusted without checking its signature again. A
/// signature check (RSA or ECDSA) is most of the server's CPU on a small read, and a
/// client sends the same token for minutes; the bound keeps an issuer's key rotation
/// or revocation effective within a minute; sooner when the key set it was checked
/// with is past its age or has been fetched again (then the signature is checked
/// against the keys held now, as without this cache).
const VERIFIED_FOR: Duration = Duration::from_secs(60);
/// Tokens remembered at most; beyond, expired ones are dropped, then all of them.
const VERIFIED_MAX: usize = 10_000;

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
            verified: Mutex::new(HashMap::new()),
        }
    }

    pub fn dev(&self) -> Option<&Arc<DevIssuer>> {
        self.dev.as_ref()
    }

    pub fn remotes(&self) -> &[Arc<RemoteIssuer>] {
        &self.remotes
    }

    /// Verifies `token`, or returns what verifying it gave less than `VERIFIED_FOR`
    /// ago (never past its `exp`). Only successes are remembered.
    pub async fn verify(&self, token: &str) -> Result<Verified, AuthError> {
        let now = Instant::now();
        if let Some(r) = self.lock_verified().get(token)
            && r.until > now
            && r.keys
                .is_none_or(|(i, g)| self.remotes.get(i).is_some_and(|k| k.generation() == g))
        {
            return Ok(r.verified.clone());
        }
        let (v, exp, keys) = self.verify_signature(token).await?;
        let unix_now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(u64::MAX);
        // Without the leeway: a remembered token ends no later than the check would.
        let mut until = now + Duration::from_secs(exp.saturating_sub(unix_now)).min(VERIFIED_FOR);
        if let Some((_, fresh)) = keys {
            until = until.min(fresh.stale_at.unwrap_or(now));
        }
        if until > now {
            let mut cache = self.lock_verified();
            if cache.len() >= VERIFIED_MAX {
                cache.retain(|_, r| r.until > now);
                if cache.len() >= VERIFIED_MAX {
                    cache.clear();
                }
            }
            cache.insert(
                token.to_owned(),
                Remembered {
                    verified: v.clone(),
                    until,
                    keys: keys.map(|(i, fresh)| (i, fresh.generation)),
                },
            );
        }
        Ok(v)
    }

    fn lock_verified(&self) -> std::sync::MutexGuard<'_, HashMap<String, Remembered>> {
        // The map holds only verified answers: one left by a panicking thread is sound.
        self.verified.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The answer, the token's `exp`, and for a remote issuer which key set checked it.
    async fn verify_signature(
        &self,
        token: &str,
    ) -> Result<(Verified, u64, Option<(usize, KeySetFreshness)>), AuthError> {
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
        let (key, keys): (DecodingKey, _) =
            if let Some(dev) = self.dev.as_ref().filter(|d| d.issuer() == iss) {
                if header.kid.as_deref() != Some(dev.kid()) {
                    return Err(AuthError::UnknownKey);
                }
                (dev.decoding_key().clone(), None)
            } else if let Some((i, remote)) = self
                .remotes
                .iter()
                .enumerate()
                .find(|(_, r)| r.issuer() == iss)
            {
                let (key, fresh) = remote.key(header.kid.as_deref()).await?;
                (key, Some((i, fresh)))
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
        Ok((
            Verified {
                issuer: c.iss.trim_end_matches('/').to_owned(),
                subject: c.sub,
                email: c.email.map(|e| e.trim().to_lowercase()),
                email_verified,
                name: c.name,
                client_id: c.client_id,
                scope: c.scope,
            },
            c.exp as u64,
            keys,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier() -> (Verifier, Arc<DevIssuer>) {
        let dev = Arc::new(DevIssuer::generate("passerelle").expect("dev issuer"));
        let v = Verifier::new(
            VerifierConfig::default(),
            Vec::new(),
            Some(Arc::clone(&dev)),
        );
        (v, dev)
    }

    #[tokio::test]
    async fn a_verified_token_is_remembered_and_a_bad_one_never() {
        let (v, dev) = verifier();
        let token = dev.mint("a@example.org", "A", 600).expect("mint");
        let first = v.verify(&token).await.expect("genuine");
        let again = v.verify(&token).await.expect("remembered");
        assert_eq!(first.subject, again.subject);
        assert_eq!(v.lock_verified().len(), 1);
        let mut forged = token.clone();
        forged.push('x');
        assert!(v.verify(&forged).await.is_err());
        assert_eq!(v.lock_verified().len(), 1);
    }

    #[tokio::test]
    async fn an_expired_token_is_not_remembered() {
        let (v, dev) = verifier();
        // Within the leeway: genuine, but its exp is past, so nothing to remember.
        let token = dev.mint("a@example.org", "A", -5).expect("mint");
        assert!(v.verify(&token).await.is_ok());
        assert!(v.lock_verified().is_empty());
    }
}
