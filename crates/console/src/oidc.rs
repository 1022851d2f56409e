//! Sign-in at the configured OpenID Connect issuer: authorization code flow with
//! PKCE (S256). The provider's endpoints come from its discovery document, read
//! once. The access token got back is checked by the server's verifier (the same
//! as API requests: signature, issuer, audience, expiry), then dropped: the
//! session keeps the identity, never the token.

use crate::OidcSettings;
use crate::error::ConsoleError;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use tokio::sync::OnceCell;

#[derive(serde::Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
}

/// The oauth2 client with its authorization, token and redirect endpoints set.
type Configured = oauth2::Client<
    oauth2::basic::BasicErrorResponse,
    oauth2::basic::BasicTokenResponse,
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
    endpoints: OnceCell<(String, String)>,
}

/// Where to send the browser, and what to keep in the session until it is back.
pub(crate) struct Start {
    pub url: String,
    pub state: String,
    pub verifier: String,
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
        })
    }

    async fn endpoints(&self) -> Result<&(String, String), ConsoleError> {
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
                Ok((d.authorization_endpoint, d.token_endpoint))
            })
            .await
    }

    pub async fn start(&self) -> Result<Start, ConsoleError> {
        let (auth, token) = self.endpoints().await?;
        let client = self.client(auth, token)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new("openid".into()))
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .add_extra_param("resource", self.settings.audience.clone())
            .url();
        Ok(Start {
            url: url.to_string(),
            state: state.secret().clone(),
            verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code for the access token (with the PKCE verifier).
    pub async fn finish(&self, code: String, verifier: String) -> Result<String, ConsoleError> {
        let (auth, token) = self.endpoints().await?;
        let client = self.client(auth, token)?;
        let answer = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .add_extra_param("resource", self.settings.audience.clone())
            .request_async(&self.http)
            .await
            .map_err(|e| ConsoleError::Oidc(format!("code exchange: {e}")))?;
        Ok(answer.access_token().secret().clone())
    }

    fn client(&self, auth: &str, token: &str) -> Result<Configured, ConsoleError> {
        let bad = |e: oauth2::url::ParseError| ConsoleError::Oidc(format!("endpoint URL: {e}"));
        let mut c = BasicClient::new(ClientId::new(self.settings.client_id.clone()))
            .set_auth_uri(AuthUrl::new(auth.to_owned()).map_err(bad)?)
            .set_token_uri(TokenUrl::new(token.to_owned()).map_err(bad)?)
            .set_redirect_uri(RedirectUrl::new(self.settings.redirect_url.clone()).map_err(bad)?);
        if let Some(secret) = &self.settings.client_secret {
            c = c.set_client_secret(ClientSecret::new(secret.clone()));
        }
        Ok(c)
    }
}
