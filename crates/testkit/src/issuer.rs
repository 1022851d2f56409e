//! A local OIDC issuer: discovery and JWKS served over HTTP on port 0, Ed25519 keys
//! made at start, and helpers to mint good and bad tokens.

use axum::Router;
use axum::routing::get;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

struct Key {
    kid: String,
    encoding: EncodingKey,
    public_x: String,
}

fn new_key(kid: &str) -> Key {
    use base64::Engine;
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    let sk = ed25519_dalek::SigningKey::from_bytes(&rand::random());
    let der = sk.to_pkcs8_der().expect("pkcs8");
    Key {
        kid: kid.to_owned(),
        encoding: EncodingKey::from_ed_der(der.as_bytes()),
        public_x: base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sk.verifying_key().as_bytes()),
    }
}

pub struct Issuer {
    pub url: String,
    keys: Arc<Mutex<Vec<Key>>>,
    /// How many times the JWKS was fetched (to observe the bounded refresh).
    pub jwks_fetches: Arc<std::sync::atomic::AtomicUsize>,
    /// The JWKS answer's Cache-Control, if any.
    cache_control: Arc<Mutex<Option<String>>>,
}

impl Issuer {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind issuer");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let keys = Arc::new(Mutex::new(vec![new_key("k1")]));
        let fetches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let disc = json!({
            "issuer": url,
            "jwks_uri": format!("{url}/jwks"),
            "id_token_signing_alg_values_supported": ["EdDSA"],
        });
        let k = keys.clone();
        let f = fetches.clone();
        let cache_control: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
        let cc = cache_control.clone();
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(move || async move { axum::Json(disc) }))
            .route(
                "/jwks",
                get(move || {
                    let k = k.clone();
                    let f = f.clone();
                    let cc = cc.lock().expect("cache control").clone();
                    async move {
                        use axum::response::IntoResponse;
                        f.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let keys = k.lock().expect("keys");
                        let jwks: Vec<Value> = keys
                            .iter()
                            .map(|k| json!({"kty": "OKP", "crv": "Ed25519", "x": k.public_x, "kid": k.kid, "alg": "EdDSA", "use": "sig"}))
                            .collect();
                        let mut r = axum::Json(json!({ "keys": jwks })).into_response();
                        if let Some(v) = cc.and_then(|v| axum::http::HeaderValue::from_str(&v).ok()) {
                            r.headers_mut().insert(axum::http::header::CACHE_CONTROL, v);
                        }
                        r
                    }
                }),
            );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url,
            keys,
            jwks_fetches: fetches,
            cache_control,
        }
    }

    /// Standard claims for `subject`, valid for ten minutes.
    pub fn claims(&self, subject: &str, email: &str) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({
            "iss": self.url, "aud": crate::AUDIENCE, "sub": subject,
            "email": email, "email_verified": true, "name": "Test Person",
            "iat": now, "nbf": now, "exp": now + 600,
        })
    }

    /// Signs `claims` with the newest key.
    pub fn sign(&self, claims: &Value) -> String {
        let keys = self.keys.lock().expect("keys");
        let key = keys.last().expect("a key");
        let mut h = Header::new(Algorithm::EdDSA);
        h.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&h, claims, &key.encoding).expect("sign")
    }

    pub fn token(&self, subject: &str, email: &str) -> String {
        self.sign(&self.claims(subject, email))
    }

    /// Signed by a key this issuer never published, under a published kid.
    pub fn forged(&self, claims: &Value) -> String {
        let stranger = new_key("k1");
        let mut h = Header::new(Algorithm::EdDSA);
        h.kid = Some("k1".into());
        jsonwebtoken::encode(&h, claims, &stranger.encoding).expect("sign")
    }

    /// Publishes a new key and signs with it from now on.
    pub fn rotate(&self) -> String {
        let mut keys = self.keys.lock().expect("keys");
        let kid = format!("k{}", keys.len() + 1);
        keys.push(new_key(&kid));
        kid
    }

    /// Stops publishing key `kid` (tokens it signed must then be refused once the
    /// verifier's copy of the keys is past its age).
    pub fn withdraw(&self, kid: &str) {
        self.keys.lock().expect("keys").retain(|k| k.kid != kid);
    }

    /// Signs `claims` with key `kid` (a published one).
    pub fn sign_with(&self, kid: &str, claims: &Value) -> String {
        let keys = self.keys.lock().expect("keys");
        let key = keys
            .iter()
            .find(|k| k.kid == kid)
            .expect("a key with that kid");
        let mut h = Header::new(Algorithm::EdDSA);
        h.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&h, claims, &key.encoding).expect("sign")
    }

    /// The Cache-Control the JWKS is served with from now on (`None`: none).
    pub fn set_cache_control(&self, value: Option<&str>) {
        *self.cache_control.lock().expect("cache control") = value.map(str::to_owned);
    }

    /// A symmetric (HS256) token: must be refused whatever its secret.
    pub fn hs256(&self, claims: &Value) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(b"secret"),
        )
        .expect("sign")
    }
}
