//! Server-side sessions in Redis. The browser holds only a random id in an
//! HttpOnly, SameSite=Lax cookie (Secure in production); Redis holds the rest
//! under the SHA-256 of that id (a copy of Redis gives no usable cookie), with the
//! idle timeout as its expiry, pushed back at each request. Sign-out deletes it.
//!
//! Redis down: no session can be read or written, so pages send the person to a
//! "connexion indisponible" page until it is back; the API itself keeps serving.

use crate::Identity;
use crate::error::ConsoleError;
use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::time::Duration;

pub(crate) const COOKIE: &str = "passerelle_console";

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Data {
    /// Sent back in every form (`_csrf`) and compared on every POST.
    pub csrf: String,
    pub identity: Option<Identity>,
    /// The person's name as the API knows it (`viewer.user.displayName`).
    pub person: Option<String>,
    /// The identity acted as: the `X-Passerelle-Act-As` and `X-Passerelle-Tenant`
    /// values an API client would send.
    pub act_as: Option<String>,
    pub tenant: Option<String>,
    /// What the header shows: "PIMMS Lyon Métropole · Direction".
    pub acting_label: Option<String>,
    /// The role acted in: an association role (`DIRECTOR`...), `PARTNER`, or the
    /// union role (`ADMIN`...): which pages the navigation offers.
    pub role: Option<String>,
    /// Whether the person holds several identities (the header offers to switch).
    pub several: bool,
    /// The front desk's site, remembered for the session (id, name).
    pub site: Option<(String, String)>,
    /// One message for the next page (kind, text): after a redirect.
    pub flash: Option<(String, String)>,
    /// An OpenID Connect sign-in under way (state, PKCE verifier, nonce): taken at
    /// the callback, so a callback replayed finds nothing to finish.
    pub oidc: Option<(String, String, String)>,
    /// Unix seconds of sign-in: the session ends `max_lifetime` after.
    pub started: i64,
}

#[derive(Clone)]
pub(crate) struct Store {
    redis: db::RedisPool,
    idle: Duration,
    max_lifetime: Duration,
}

pub(crate) struct Session {
    pub id: String,
    pub data: Data,
}

fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

impl Store {
    pub fn new(redis: db::RedisPool, idle: Duration, max_lifetime: Duration) -> Self {
        Self {
            redis,
            idle,
            max_lifetime,
        }
    }

    fn key(&self, id: &str) -> String {
        let digest = Sha256::digest(id.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        self.redis.key(&["console", "session", &hex])
    }

    /// The session named by the request's cookie, its idle expiry pushed back;
    /// `None` when there is none or it ended.
    pub async fn load(&self, headers: &HeaderMap) -> Result<Option<Session>, ConsoleError> {
        let Some(id) = cookie(headers) else {
            return Ok(None);
        };
        let mut cmd = redis::cmd("GETEX");
        cmd.arg(self.key(&id)).arg("EX").arg(self.idle.as_secs());
        let raw: Option<String> = self
            .redis
            .query(&cmd)
            .await
            .ok_or(ConsoleError::SessionStore)?;
        let Some(raw) = raw else { return Ok(None) };
        let Ok(data) = serde_json::from_str::<Data>(&raw) else {
            return Ok(None);
        };
        let age = chrono::Utc::now().timestamp() - data.started;
        if age < 0 || age as u64 > self.max_lifetime.as_secs() {
            self.delete(&id).await?;
            return Ok(None);
        }
        Ok(Some(Session { id, data }))
    }

    pub async fn save(&self, s: &Session) -> Result<(), ConsoleError> {
        let json = serde_json::to_string(&s.data)
            .map_err(|_| ConsoleError::Internal("session to JSON"))?;
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(&s.id))
            .arg(json)
            .arg("EX")
            .arg(self.idle.as_secs());
        let _: () = self
            .redis
            .query(&cmd)
            .await
            .ok_or(ConsoleError::SessionStore)?;
        Ok(())
    }

    pub async fn delete(&self, id: &str) -> Result<(), ConsoleError> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(self.key(id));
        let _: i64 = self
            .redis
            .query(&cmd)
            .await
            .ok_or(ConsoleError::SessionStore)?;
        Ok(())
    }

    /// A new session, not yet signed in (it carries the sign-in forms' CSRF token
    /// and an OpenID Connect sign-in under way).
    pub async fn create(&self) -> Result<Session, ConsoleError> {
        let s = Session {
            id: random_token(),
            data: Data {
                csrf: random_token(),
                started: chrono::Utc::now().timestamp(),
                ..Data::default()
            },
        };
        self.save(&s).await?;
        Ok(s)
    }

    /// Signs `identity` in: a new id and a new CSRF token (the pre-sign-in ones
    /// may have been seen by someone else: session fixation), the old one deleted.
    pub async fn sign_in(
        &self,
        old: Option<&Session>,
        identity: Identity,
    ) -> Result<Session, ConsoleError> {
        if let Some(o) = old {
            self.delete(&o.id).await?;
        }
        let s = Session {
            id: random_token(),
            data: Data {
                csrf: random_token(),
                identity: Some(identity),
                started: chrono::Utc::now().timestamp(),
                ..Data::default()
            },
        };
        self.save(&s).await?;
        Ok(s)
    }
}

/// The session cookie's value, if the request has one.
fn cookie(headers: &HeaderMap) -> Option<String> {
    named_cookie(headers, COOKIE, 64)
}

pub(crate) fn named_cookie(headers: &HeaderMap, name: &str, max_len: usize) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty() && v.len() <= max_len)
}

/// The front desk's site, remembered by the browser from one session to the next
/// (a site's opaque id: no personal data). Checked against the sites the API gives
/// the person before any use.
pub(crate) const SITE_COOKIE: &str = "passerelle_site";

pub(crate) fn site_cookie(site: &str, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    site.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=')
        .then(|| {
            HeaderValue::from_str(&format!(
                "{SITE_COOKIE}={site}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{secure}"
            ))
            .ok()
        })
        .flatten()
}

/// `Set-Cookie` for a session id: HttpOnly, SameSite=Lax, Secure in production.
/// No expiry: the browser forgets it when closed; the server forgets it after the
/// idle timeout.
pub(crate) fn set_cookie(id: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("passerelle_console=; Path=/"))
}

pub(crate) fn clear_cookie(secure: bool) -> HeaderValue {
    if secure {
        HeaderValue::from_static(
            "passerelle_console=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0",
        )
    } else {
        HeaderValue::from_static("passerelle_console=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
    }
}

/// Constant-time comparison of the form's CSRF token with the session's.
pub(crate) fn csrf_ok(session: &Data, sent: &str) -> bool {
    let a = session.csrf.as_bytes();
    let b = sent.as_bytes();
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against the real Redis of the test environment (127.0.0.1:6379).
    async fn store(idle: Duration) -> Store {
        let redis = db::RedisPool::new(
            "redis://127.0.0.1:6379",
            db::RedisOptions {
                prefix: format!("console-test:{}", uuid::Uuid::now_v7()),
                timeout: Duration::from_secs(2),
                ..db::RedisOptions::default()
            },
        )
        .expect("redis url");
        redis.start().await;
        Store::new(redis, idle, Duration::from_secs(3600))
    }

    fn cookie_of(s: &Session) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {COOKIE}={}", s.id)).expect("header"),
        );
        h
    }

    #[tokio::test]
    async fn an_idle_session_ends_and_use_keeps_it_alive() {
        let store = store(Duration::from_secs(2)).await;
        let s = store.create().await.expect("create");
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(1200)).await;
            assert!(store.load(&cookie_of(&s)).await.expect("load").is_some());
        }
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert!(store.load(&cookie_of(&s)).await.expect("load").is_none());
    }

    #[tokio::test]
    async fn signing_in_replaces_the_id_and_signing_out_ends_it() {
        let store = store(Duration::from_secs(60)).await;
        let pre = store.create().await.expect("create");
        let who = Identity {
            issuer: "urn:test".into(),
            subject: "someone".into(),
            email: None,
            email_verified: false,
            name: None,
        };
        let s = store.sign_in(Some(&pre), who).await.expect("sign in");
        assert_ne!(s.id, pre.id);
        assert_ne!(s.data.csrf, pre.data.csrf);
        assert!(store.load(&cookie_of(&pre)).await.expect("load").is_none());
        let loaded = store
            .load(&cookie_of(&s))
            .await
            .expect("load")
            .expect("signed in");
        assert_eq!(
            loaded.data.identity.map(|i| i.subject).as_deref(),
            Some("someone")
        );
        store.delete(&s.id).await.expect("sign out");
        assert!(store.load(&cookie_of(&s)).await.expect("load").is_none());
    }

    #[test]
    fn csrf_tokens_must_match_exactly() {
        let d = Data {
            csrf: "abc".into(),
            ..Data::default()
        };
        assert!(csrf_ok(&d, "abc"));
        assert!(!csrf_ok(&d, "abd"));
        assert!(!csrf_ok(&d, ""));
        assert!(!csrf_ok(&Data::default(), ""));
    }
}
