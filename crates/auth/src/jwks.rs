//! A remote issuer's signing keys: discovered from `/.well-known/openid-configuration`,
//! cached, and fetched again
//! - when they are older than their maximum age: the provider's `Cache-Control:
//!   max-age`, kept within configured bounds (a provider saying `no-store` is not
//!   asked on every request; one saying a week still has a withdrawn key refused
//!   within the upper bound);
//! - when a token names an unknown key id (a rotation), at most once per
//!   `min_refresh` so that a flood of forged key ids cannot hammer the provider.
//!
//! When the provider cannot be reached once the keys are too old, the keys already
//! held keep serving (an outage of the provider does not sign everyone out) and it
//! is asked again at most once per `min_refresh`.

use crate::AuthError;
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, RwLock};

pub struct RemoteIssuer {
    issuer: String,
    http: reqwest::Client,
    min_refresh: Duration,
    min_age: Duration,
    max_age: Duration,
    keys: RwLock<KeySet>,
    /// Bumped at every fetch: a token verified against an older set is checked again
    /// (the key it was signed with may have been withdrawn since).
    generation: AtomicU64,
    refresh: Mutex<RefreshState>,
}

/// Which key set a key came from, and until when that set may be trusted.
#[derive(Clone, Copy, Debug)]
pub struct KeySetFreshness {
    pub generation: u64,
    pub stale_at: Option<Instant>,
}

#[derive(Default)]
struct KeySet {
    keys: HashMap<String, DecodingKey>,
    /// When the set must be fetched again; `None` before the first fetch.
    stale_at: Option<Instant>,
    generation: u64,
}

struct RefreshState {
    jwks_uri: Option<String>,
    /// Last refresh asked for by an unknown key id.
    last_unknown_kid: Option<Instant>,
    /// Last failed fetch of stale keys (retried at most once per `min_refresh`).
    last_failure: Option<Instant>,
}

#[derive(serde::Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

/// Default bounds on the provider's max-age.
pub const DEFAULT_MIN_KEY_AGE: Duration = Duration::from_secs(60);
pub const DEFAULT_MAX_KEY_AGE: Duration = Duration::from_secs(3600);

/// How long a key set may be kept, from the JWKS answer's `Cache-Control`: its
/// `max-age` (`no-store` / `no-cache` meaning 0) within `[min, max]`; `max` when the
/// provider says nothing.
pub fn key_set_age(cache_control: Option<&str>, min: Duration, max: Duration) -> Duration {
    let said = cache_control.and_then(|v| {
        v.split(',').map(str::trim).find_map(|d| {
            let d = d.to_ascii_lowercase();
            if d == "no-store" || d == "no-cache" {
                return Some(0);
            }
            d.strip_prefix("max-age=")
                .and_then(|n| n.trim_matches('"').parse::<u64>().ok())
        })
    });
    match said {
        Some(secs) => Duration::from_secs(secs).clamp(min, max),
        None => max,
    }
}

impl RemoteIssuer {
    pub fn new(issuer: impl Into<String>, http: reqwest::Client, min_refresh: Duration) -> Self {
        Self {
            issuer: issuer.into().trim_end_matches('/').to_owned(),
            http,
            min_refresh,
            min_age: DEFAULT_MIN_KEY_AGE,
            max_age: DEFAULT_MAX_KEY_AGE,
            keys: RwLock::new(KeySet::default()),
            generation: AtomicU64::new(0),
            refresh: Mutex::new(RefreshState {
                jwks_uri: None,
                last_unknown_kid: None,
                last_failure: None,
            }),
        }
    }

    /// Bounds on the provider's `Cache-Control: max-age` (`min <= max`).
    pub fn with_key_age_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.min_age = min.min(max);
        self.max_age = max;
        self
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The key for `kid`: from keys no older than their maximum age, refreshing the
    /// set once if `kid` is unknown (bounded).
    pub async fn key(
        &self,
        kid: Option<&str>,
    ) -> Result<(DecodingKey, KeySetFreshness), AuthError> {
        if self.is_stale().await {
            self.refresh_stale().await;
        }
        if let Some(k) = self.lookup(kid).await {
            return Ok(k);
        }
        self.refresh(false).await?;
        self.lookup(kid).await.ok_or(AuthError::UnknownKey)
    }

    /// The generation of the key set held now (see `KeySetFreshness`).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    async fn is_stale(&self) -> bool {
        self.keys
            .read()
            .await
            .stale_at
            .is_some_and(|t| Instant::now() >= t)
    }

    async fn lookup(&self, kid: Option<&str>) -> Option<(DecodingKey, KeySetFreshness)> {
        let set = self.keys.read().await;
        let key = match kid {
            Some(kid) => set.keys.get(kid).cloned(),
            // A token without kid is acceptable only when the issuer has one key.
            None if set.keys.len() == 1 => set.keys.values().next().cloned(),
            None => None,
        }?;
        Some((
            key,
            KeySetFreshness {
                generation: set.generation,
                stale_at: set.stale_at,
            },
        ))
    }

    /// Keys past their age: fetched again by one request while the others wait for
    /// it. If the provider is unreachable the old keys stay in use.
    async fn refresh_stale(&self) {
        let mut state = self.refresh.lock().await;
        // Another request may have refreshed while this one waited for the lock.
        if !self.is_stale().await {
            return;
        }
        if state
            .last_failure
            .is_some_and(|t| t.elapsed() < self.min_refresh)
        {
            return;
        }
        match self.fetch(&mut state).await {
            Ok(()) => state.last_failure = None,
            Err(_) => {
                tracing::warn!(
                    issuer = %self.issuer,
                    "OIDC signing keys past their age and the provider unreachable: keeping them"
                );
                state.last_failure = Some(Instant::now());
            }
        }
    }

    /// Fetches discovery (once) and the JWKS. `force` ignores the rate bound (start-up).
    pub async fn refresh(&self, force: bool) -> Result<(), AuthError> {
        let mut state = self.refresh.lock().await;
        if !force {
            if state
                .last_unknown_kid
                .is_some_and(|t| t.elapsed() < self.min_refresh)
            {
                return Ok(());
            }
            // Only refreshes triggered by unknown key ids count against the bound, so
            // a rotation right after start is still picked up.
            state.last_unknown_kid = Some(Instant::now());
        }
        self.fetch(&mut state).await
    }

    async fn fetch(&self, state: &mut RefreshState) -> Result<(), AuthError> {
        let jwks_uri = match &state.jwks_uri {
            Some(u) => u.clone(),
            None => {
                let url = format!("{}/.well-known/openid-configuration", self.issuer);
                let d: Discovery = self.get_json(&url).await?.0;
                if d.issuer.trim_end_matches('/') != self.issuer {
                    tracing::error!(
                        expected = %self.issuer,
                        "OIDC discovery returned another issuer; refusing its keys"
                    );
                    return Err(AuthError::IssuerUnavailable);
                }
                state.jwks_uri = Some(d.jwks_uri.clone());
                d.jwks_uri
            }
        };
        let (set, cache_control): (JwkSet, _) = self.get_json(&jwks_uri).await?;
        let mut keys = HashMap::new();
        for (i, jwk) in set.keys.iter().enumerate() {
            if let Ok(k) = DecodingKey::from_jwk(jwk) {
                let kid = jwk.common.key_id.clone().unwrap_or_else(|| format!("#{i}"));
                keys.insert(kid, k);
            }
        }
        let age = key_set_age(cache_control.as_deref(), self.min_age, self.max_age);
        tracing::info!(
            issuer = %self.issuer,
            keys = keys.len(),
            max_age_secs = age.as_secs(),
            "OIDC signing keys loaded"
        );
        let mut held = self.keys.write().await;
        let generation = held.generation + 1;
        *held = KeySet {
            keys,
            stale_at: Some(Instant::now() + age),
            generation,
        };
        self.generation.store(generation, Ordering::Release);
        Ok(())
    }

    /// The decoded body and the answer's Cache-Control.
    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
    ) -> Result<(T, Option<String>), AuthError> {
        let resp = self
            .http
            .get(url)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "OIDC request failed");
                AuthError::IssuerUnavailable
            })?;
        if !resp.status().is_success() {
            tracing::warn!(status = %resp.status(), "OIDC endpoint answered an error");
            return Err(AuthError::IssuerUnavailable);
        }
        let cache_control = resp
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp
            .json()
            .await
            .map_err(|_| AuthError::IssuerUnavailable)?;
        Ok((body, cache_control))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_providers_max_age_is_kept_within_bounds() {
        let (min, max) = (Duration::from_secs(60), Duration::from_secs(3600));
        let age = |h: Option<&str>| key_set_age(h, min, max).as_secs();
        assert_eq!(age(None), 3600, "silent provider: the upper bound");
        assert_eq!(age(Some("public, max-age=300")), 300);
        assert_eq!(age(Some("max-age=\"600\", must-revalidate")), 600);
        assert_eq!(age(Some("Max-Age=5")), 60, "raised to the lower bound");
        assert_eq!(age(Some("no-store")), 60);
        assert_eq!(age(Some("no-cache")), 60);
        assert_eq!(age(Some("max-age=604800")), 3600, "cut to the upper bound");
        assert_eq!(age(Some("public")), 3600);
        assert_eq!(age(Some("max-age=soon")), 3600);
    }
}
