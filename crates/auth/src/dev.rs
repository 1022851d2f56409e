//! The development issuer: lets the demo and a developer mint tokens for demo
//! accounts without an identity provider. Its key lives only in this process's
//! memory. It cannot exist in production: the server refuses to build it there.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::Serialize;

pub const DEV_ISSUER: &str = "urn:passerelle:dev-issuer";

pub struct DevIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    audience: String,
}

#[derive(Serialize)]
struct DevClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    sub: &'a str,
    email: &'a str,
    email_verified: bool,
    name: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
}

impl DevIssuer {
    pub fn generate(audience: impl Into<String>) -> Result<Self, crate::AuthError> {
        use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
        let seed: [u8; 32] = rand::random();
        let sk = ed25519_dalek::SigningKey::from_bytes(&seed);
        let der = sk
            .to_pkcs8_der()
            .map_err(|_| crate::AuthError::InvalidClaims)?;
        let pub_der = sk
            .verifying_key()
            .to_public_key_der()
            .map_err(|_| crate::AuthError::InvalidClaims)?;
        // The SPKI of an Ed25519 key ends with the 32 raw public key bytes.
        let raw = &pub_der.as_bytes()[pub_der.as_bytes().len() - 32..];
        Ok(Self {
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            decoding: DecodingKey::from_ed_der(raw),
            kid: format!("dev-{}", &uuid::Uuid::now_v7().simple().to_string()[..12]),
            audience: audience.into(),
        })
    }

    pub fn issuer(&self) -> &'static str {
        DEV_ISSUER
    }

    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    pub(crate) fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    /// A token for a demo account. The subject is the lowercased email: the seed
    /// registers demo accounts under that identity.
    pub fn mint(&self, email: &str, name: &str, ttl_secs: i64) -> Result<String, crate::AuthError> {
        let email = email.trim().to_lowercase();
        let now = chrono::Utc::now().timestamp();
        let claims = DevClaims {
            iss: DEV_ISSUER,
            aud: &self.audience,
            sub: &email,
            email: &email,
            email_verified: true,
            name,
            iat: now,
            nbf: now,
            exp: now + ttl_secs,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|_| crate::AuthError::InvalidClaims)
    }
}
