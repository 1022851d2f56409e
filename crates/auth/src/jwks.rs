//! A remote issuer's signing keys: discovered from `/.well-known/openid-configuration`,
//! cached, and refreshed when a token names an unknown key id, at most once per
//! `min_refresh` so that a flood of forged key ids cannot hammer the provider.

use crate::AuthError;
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, RwLock};

pub struct RemoteIssuer {
    issuer: String,
    http: reqwest::Client,
    min_refresh: Duration,
    keys: RwLock<HashMap<String, DecodingKey>>,
    refresh: Mutex<RefreshState>,
}

struct RefreshState {
    jwks_uri: Option<String>,
    last: Option<Instant>,
}

#[derive(serde::Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

impl RemoteIssuer {
    pub fn new(issuer: impl Into<String>, http: reqwest::Client, min_refresh: Duration) -> Self {
        Self {
            issuer: issuer.into().trim_end_matches('/').to_owned(),
            http,
            min_refresh,
            keys: RwLock::new(HashMap::new()),
            refresh: Mutex::new(RefreshState {
                jwks_uri: None,
                last: None,
            }),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The key for `kid`, refreshing the set once if it is unknown (bounded).
    pub async fn key(&self, kid: Option<&str>) -> Result<DecodingKey, AuthError> {
        if let Some(k) = self.lookup(kid).await {
            return Ok(k);
        }
        self.refresh(false).await?;
        self.lookup(kid).await.ok_or(AuthError::UnknownKey)
    }

    async fn lookup(&self, kid: Option<&str>) -> Option<DecodingKey> {
        let keys = self.keys.read().await;
        match kid {
            Some(kid) => keys.get(kid).cloned(),
            // A token without kid is acceptable only when the issuer has one key.
            None if keys.len() == 1 => keys.values().next().cloned(),
            None => None,
        }
    }

    /// Fetches discovery (once) and the JWKS. `force` ignores the rate bound (start-up).
    pub async fn refresh(&self, force: bool) -> Result<(), AuthError> {
        let mut state = self.refresh.lock().await;
        if !force {
            if state.last.is_some_and(|t| t.elapsed() < self.min_refresh) {
                return Ok(());
            }
            // Only refreshes triggered by unknown key ids count against the bound, so
            // a rotation right after start is still picked up.
            state.last = Some(Instant::now());
        }
        let jwks_uri = match &state.jwks_uri {
            Some(u) => u.clone(),
            None => {
                let url = format!("{}/.well-known/openid-configuration", self.issuer);
                let d: Discovery = self.get_json(&url).await?;
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
        let set: JwkSet = self.get_json(&jwks_uri).await?;
        let mut keys = HashMap::new();
        for (i, jwk) in set.keys.iter().enumerate() {
            if let Ok(k) = DecodingKey::from_jwk(jwk) {
                let kid = jwk.common.key_id.clone().unwrap_or_else(|| format!("#{i}"));
                keys.insert(kid, k);
            }
        }
        tracing::info!(issuer = %self.issuer, keys = keys.len(), "OIDC signing keys loaded");
        *self.keys.write().await = keys;
        Ok(())
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, AuthError> {
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
        resp.json().await.map_err(|_| AuthError::IssuerUnavailable)
    }
}
