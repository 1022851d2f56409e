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
    /// An OpenID Connect sign-in under way (state, PKCE verifier).
    pub oidc: Option<(String, String)>,
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
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 64)
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
