//! The objects and enums of partner API clients.

use crate::loaders::load;
use crate::node::RowObject;
use crate::tenancy::types::PartnerOrganisation;
use async_graphql::{Context, Enum, ID, Object, Result};
use chrono::{DateTime, Utc};

mirror_enum!(
/// What an API client may do.
PartnerScope => "kernel::PartnerScope" {
    /// Read its agreements (`agreements:read`).
    AgreementsRead,
    /// Read the activity coded to its agreements, small counts suppressed (`activity:read`).
    ActivityRead,
    /// Read its outreach campaigns and the outcomes of its cases (`outreach:read`).
    OutreachRead,
    /// Submit outreach cases (`outreach:write`).
    OutreachWrite,
});

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ApiClientStatus {
    Active,
    Revoked,
}

row_objects! {
    /// A partner firm's machine calling the API with OAuth2 client credentials.
    pub struct PartnerApiClient(pub partners::clients::ApiClient);
}

#[Object]
impl PartnerApiClient {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    /// The OAuth `client_id` to send to /oauth/token.
    async fn client_id(&self) -> &str {
        &self.0.client_id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn partner(&self, c: &Context<'_>) -> Result<Option<PartnerOrganisation>> {
        load(c, self.0.partner_id).await
    }
    async fn scopes(&self) -> Vec<PartnerScope> {
        self.0.scopes.iter().map(|s| (*s).into()).collect()
    }
    /// Whether a secret exists for /oauth/token (never the secret itself).
    async fn has_secret(&self) -> bool {
        self.0.has_secret
    }
    /// Issuer and subject under which the client may instead sign in at the
    /// configured external identity provider.
    async fn external_issuer(&self) -> Option<&str> {
        self.0.external_issuer.as_deref()
    }
    async fn external_subject(&self) -> Option<&str> {
        self.0.external_subject.as_deref()
    }
    async fn status(&self) -> ApiClientStatus {
        if self.0.revoked {
            ApiClientStatus::Revoked
        } else {
            ApiClientStatus::Active
        }
    }
    async fn status_label(&self) -> &'static str {
        if self.0.revoked { "Révoqué" } else { "Actif" }
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn rotated_at(&self) -> Option<DateTime<Utc>> {
        self.0.rotated_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}
