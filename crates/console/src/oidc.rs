//! Sign-in at the configured OpenID Connect issuer: authorization code flow with
//! PKCE (S256) and a nonce. The provider's endpoints come from its discovery
//! document, read once. The ID token got back is verified here (signature with the
//! issuer's published keys, issuer, audience = the console's client, expiry, and
//! the nonce kept in the browser's session at the start), so that a code or token
//! obtained for another client or another sign-in is refused. The access token is
//! then checked by the server's verifier (the same as API requests), and both are
//! dropped: the session keeps the identity, never a token.

use crate::OidcSettings;
use crate::error::ConsoleError;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use oauth2::basic::BasicTokenType;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, ExtraTokenFields,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, StandardTokenResponse, TokenResponse,
    TokenUrl,
};
use std::time::{Duration, Instant};
use tokio::sync::{OnceCell, RwLock};

#[derive(serde::Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

/// The token endpoint's answer carries the ID token beside the access token.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
struct IdTokenField {
    id_token: Option<String>,
}
impl ExtraTokenFields for IdTokenField {}

type OidcTokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;

/// The provider's endpoints, from its discovery document.
struct Endpoints {
    auth: String,
    token: String,
    jwks: String,
}

/// The algorithms an ID token may be signed with (never `none` nor HMAC: the
/// console holds no secret shared with the provider for that).
const ID_TOKEN_ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Clock skew tolerated on `exp`, `iat` and `nbf`.
const LEEWAY_SECS: u64 = 60;

/// An unknown key id fetches the key set again, at most this often (a rotation at
/// the provider; a flood of forged ids must not hammer it).
const JWKS_REFETCH: Duration = Duration::from_secs(30);

#[derive(serde::Deserialize)]
struct IdClaims {
    nonce: Option<String>,
}

/// The oauth2 client with its authorization, token and redirect endpoints set.
type Configured = oauth2::Client<
    oauth2::basic::BasicErrorResponse,
    OidcTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

pub(crate) struct Client {
    settings: OidcSettings,
    http: reqwest::Client,
    endpoints: OnceCell<Endpoints>,
    /// The provider's signing keys and when they were fetched.
    keys: RwLock<Option<(JwkSet, Instant)>>,
}

/// Where to send the browser, and what to keep in the session until it is back.
pub(crate) struct Start {
    pub url: String,
    pub state: String,
    pub verifier: String,
    pub nonce: String,
}

/// Why an ID token was refused (logged, never shown: the person reads one French
/// message whatever the cause).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum IdTokenError {
    Missing,
    Malformed,
    Algorithm,
    UnknownKey,
    Invalid(String),
    Nonce,
}

impl std::fmt::Display for IdTokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdTokenError::Missing => write!(f, "no ID token in the token response"),
            IdTokenError::Malformed => write!(f, "malformed ID token"),
            IdTokenError::Algorithm => write!(f, "ID token algorithm not allowed"),
            IdTokenError::UnknownKey => write!(f, "ID token signed by an unknown key"),
            IdTokenError::Invalid(why) => write!(f, "ID token refused: {why}"),
            IdTokenError::Nonce => write!(f, "ID token nonce does not match the session's"),
        }
    }
}

/// Verifies `token` as an ID token of `issuer` for `client_id`, signed by one of
/// `keys`, unexpired, carrying `nonce`.
pub(crate) fn verify_id_token(
    token: &str,
    keys: &JwkSet,
    issuer: &str,
    client_id: &str,
    nonce: &str,
) -> Result<(), IdTokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| IdTokenError::Malformed)?;
    if !ID_TOKEN_ALGORITHMS.contains(&header.alg) {
        return Err(IdTokenError::Algorithm);
    }
    let jwk = match header.kid.as_deref() {
        Some(kid) => keys.find(kid),
        // Without a key id, only an issuer with a single key is unambiguous.
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .ok_or(IdTokenError::UnknownKey)?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| IdTokenError::UnknownKey)?;
    let issuer = issuer.trim_end_matches('/');
    let mut v = Validation::new(header.alg);
    v.algorithms = vec![header.alg];
    v.leeway = LEEWAY_SECS;
    v.validate_exp = true;
    v.validate_nbf = true;
    v.set_audience(&[client_id]);
    v.set_issuer(&[issuer, &format!("{issuer}/")]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = jsonwebtoken::decode::<IdClaims>(token, &key, &v)
        .map_err(|e| IdTokenError::Invalid(format!("{:?}", e.kind())))?;
    match data.claims.nonce {
        Some(n) if constant_time_eq(n.as_bytes(), nonce.as_bytes()) => Ok(()),
        _ => Err(IdTokenError::Nonce),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Client {
    pub fn new(settings: OidcSettings) -> Result<Self, ConsoleError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| ConsoleError::Config(e.to_string()))?;
        Ok(Self {
            settings,
            http,
            endpoints: OnceCell::new(),
            keys: RwLock::new(None),
        })
    }

    async fn endpoints(&self) -> Result<&Endpoints, ConsoleError> {
        self.endpoints
            .get_or_try_init(|| async {
                let url = format!(
                    "{}/.well-known/openid-configuration",
                    self.settings.issuer.trim_end_matches('/')
                );
                let d: Discovery = self
                    .http
                    .get(url)
                    .send()
                    .await
                    .and_then(reqwest::Response::error_for_status)
                    .map_err(|e| ConsoleError::Oidc(format!("discovery: {e}")))?
                    .json()
                    .await
                    .map_err(|e| ConsoleError::Oidc(format!("discovery document: {e}")))?;
                if d.issuer.trim_end_matches('/') != self.settings.issuer.trim_end_matches('/') {
                    return Err(ConsoleError::Oidc("discovery names another issuer".into()));
                }
                Ok(Endpoints {
                    auth: d.authorization_endpoint,
                    token: d.token_endpoint,
                    jwks: d.jwks_uri,
                })
            })
            .await
    }

    /// The provider's keys: those held, or fetched again when none are held or
    /// `kid` is not among them (at most once per `JWKS_REFETCH`).
    async fn keys(&self, kid: Option<&str>) -> Result<JwkSet, ConsoleError> {
        if let Some((set, at)) = &*self.keys.read().await {
            let known = kid.is_none_or(|k| set.find(k).is_some());
            if known || at.elapsed() < JWKS_REFETCH {
                return Ok(set.clone());
            }
        }
        let url = &self.endpoints().await?.jwks;
        let set: JwkSet = self
            .http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| ConsoleError::Oidc(format!("key set: {e}")))?
            .json()
            .await
            .map_err(|e| ConsoleError::Oidc(format!("key set document: {e}")))?;
        *self.keys.write().await = Some((set.clone(), Instant::now()));
        Ok(set)
    }

    pub async fn start(&self) -> Result<Start, ConsoleError> {
        let e = self.endpoints().await?;
        let client = self.client(&e.auth, &e.token)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = CsrfToken::new_random().secret().clone();
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new("openid".into()))
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .add_extra_param("resource", self.settings.audience.clone())
            .add_extra_param("nonce", nonce.clone())
            .url();
        Ok(Start {
            url: url.to_string(),
            state: state.secret().clone(),
            verifier: verifier.secret().clone(),
            nonce,
        })
    }

    /// Exchanges the code for the tokens (with the PKCE verifier), verifies the ID
    /// token against `nonce`, and returns the access token.
    pub async fn finish(
        &self,
        code: String,
        verifier: String,
        nonce: &str,
    ) -> Result<String, ConsoleError> {
        let e = self.endpoints().await?;
        let client = self.client(&e.auth, &e.token)?;
        let answer = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .add_extra_param("resource", self.settings.audience.clone())
            .request_async(&self.http)
            .await
            .map_err(|e| ConsoleError::Oidc(format!("code exchange: {e}")))?;
        let id_token = answer
            .extra_fields()
            .id_token
            .as_deref()
            .ok_or_else(|| ConsoleError::Oidc(IdTokenError::Missing.to_string()))?;
        let kid = jsonwebtoken::decode_header(id_token)
            .map_err(|_| ConsoleError::Oidc(IdTokenError::Malformed.to_string()))?
            .kid;
        let keys = self.keys(kid.as_deref()).await?;
        verify_id_token(
            id_token,
            &keys,
            &self.settings.issuer,
            &self.settings.client_id,
            nonce,
        )
        .map_err(|e| ConsoleError::Oidc(e.to_string()))?;
        Ok(answer.access_token().secret().clone())
    }

    fn client(&self, auth: &str, token: &str) -> Result<Configured, ConsoleError> {
        let bad = |e: oauth2::url::ParseError| ConsoleError::Oidc(format!("endpoint URL: {e}"));
        let mut c = oauth2::Client::<
            oauth2::basic::BasicErrorResponse,
            OidcTokenResponse,
            oauth2::basic::BasicTokenIntrospectionResponse,
            oauth2::StandardRevocableToken,
            oauth2::basic::BasicRevocationErrorResponse,
        >::new(ClientId::new(self.settings.client_id.clone()))
        .set_auth_uri(AuthUrl::new(auth.to_owned()).map_err(bad)?)
        .set_token_uri(TokenUrl::new(token.to_owned()).map_err(bad)?)
        .set_redirect_uri(RedirectUrl::new(self.settings.redirect_url.clone()).map_err(bad)?);
        if let Some(secret) = &self.settings.client_secret {
            c = c.set_client_secret(ClientSecret::new(secret.clone()));
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::{IdTokenError, verify_id_token};
    use base64::Engine;
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    use jsonwebtoken::jwk::JwkSet;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use serde_json::json;

    const ISSUER: &str = "https://idp.example";
    const CLIENT: &str = "passerelle-console";

    /// A provider's key pair: the signing key, and its key set as published.
    fn provider(kid: &str) -> (EncodingKey, JwkSet) {
        let sk = ed25519_dalek::SigningKey::from_bytes(&rand::random());
        let der = sk.to_pkcs8_der().expect("pkcs8");
        let x =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sk.verifying_key().as_bytes());
        let set: JwkSet = serde_json::from_value(json!({ "keys": [
            { "kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig" }
        ] }))
        .expect("jwks");
        (EncodingKey::from_ed_der(der.as_bytes()), set)
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    fn sign(key: &EncodingKey, kid: &str, claims: serde_json::Value) -> String {
        let mut h = Header::new(Algorithm::EdDSA);
        h.kid = Some(kid.into());
        jsonwebtoken::encode(&h, &claims, key).expect("sign")
    }

    fn claims(nonce: &str) -> serde_json::Value {
        json!({ "iss": ISSUER, "aud": CLIENT, "sub": "acct-1", "iat": now(), "exp": now() + 300, "nonce": nonce })
    }

    #[test]
    fn a_token_of_the_issuer_for_the_console_with_the_sessions_nonce_passes() {
        let (key, set) = provider("k1");
        let t = sign(&key, "k1", claims("n-123"));
        assert_eq!(verify_id_token(&t, &set, ISSUER, CLIENT, "n-123"), Ok(()));
    }

    #[test]
    fn another_sign_ins_nonce_or_none_is_refused() {
        let (key, set) = provider("k1");
        let t = sign(&key, "k1", claims("n-123"));
        assert_eq!(
            verify_id_token(&t, &set, ISSUER, CLIENT, "n-456"),
            Err(IdTokenError::Nonce)
        );
        let mut c = claims("x");
        c.as_object_mut().expect("object").remove("nonce");
        let t = sign(&key, "k1", c);
        assert_eq!(
            verify_id_token(&t, &set, ISSUER, CLIENT, "x"),
            Err(IdTokenError::Nonce)
        );
    }

    #[test]
    fn audience_issuer_and_expiry_are_checked() {
        let (key, set) = provider("k1");
        let mut c = claims("n");
        c["aud"] = json!("another-client");
        let t = sign(&key, "k1", c);
        assert!(matches!(
            verify_id_token(&t, &set, ISSUER, CLIENT, "n"),
            Err(IdTokenError::Invalid(_))
        ));
        let mut c = claims("n");
        c["iss"] = json!("https://evil.example");
        let t = sign(&key, "k1", c);
        assert!(matches!(
            verify_id_token(&t, &set, ISSUER, CLIENT, "n"),
            Err(IdTokenError::Invalid(_))
        ));
        let mut c = claims("n");
        c["exp"] = json!(now() - 3600);
        let t = sign(&key, "k1", c);
        assert!(matches!(
            verify_id_token(&t, &set, ISSUER, CLIENT, "n"),
            Err(IdTokenError::Invalid(_))
        ));
    }

    #[test]
    fn a_tampered_token_or_another_key_is_refused() {
        let (key, set) = provider("k1");
        let t = sign(&key, "k1", claims("n"));
        // The payload changed after signing (another subject): the signature fails.
        let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
        let forged = serde_json::to_vec(&json!({ "iss": ISSUER, "aud": CLIENT, "sub": "acct-2", "exp": now() + 300, "nonce": "n" })).expect("json");
        parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged);
        assert!(matches!(
            verify_id_token(&parts.join("."), &set, ISSUER, CLIENT, "n"),
            Err(IdTokenError::Invalid(_))
        ));
        // Signed by a key the issuer does not publish, under its key id.
        let (other, _) = provider("k1");
        let t = sign(&other, "k1", claims("n"));
        assert!(matches!(
            verify_id_token(&t, &set, ISSUER, CLIENT, "n"),
            Err(IdTokenError::Invalid(_))
        ));
        // Under a key id it does not publish.
        let t = sign(&key, "k2", claims("n"));
        assert_eq!(
            verify_id_token(&t, &set, ISSUER, CLIENT, "n"),
            Err(IdTokenError::UnknownKey)
        );
        // Unsigned.
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"alg":"none","kid":"k1"}"#);
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&claims("n")).expect("json"));
        assert!(verify_id_token(&format!("{header}.{body}."), &set, ISSUER, CLIENT, "n").is_err());
    }
}
