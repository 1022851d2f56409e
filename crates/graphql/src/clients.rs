//! Partner API clients: machines of a partner firm that obtain tokens at
//! /oauth/token (client credentials). The union admin registers, rotates and revokes
//! them; a partner's people list their own. A secret appears once, in the payload of
//! the mutation that made it.

use crate::connection::{connection, page_request};
use crate::context::{ctx, services};
use crate::error::Gql;
use crate::loaders::loaders;
use crate::node::{decode_id, encode_id};
use crate::tenancy::PartnerOrganisation;
use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

/// What an API client may do.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "kernel::PartnerScope")]
pub enum PartnerScope {
    /// Read its agreements (`agreements:read`).
    AgreementsRead,
    /// Read the activity coded to its agreements, small counts suppressed (`activity:read`).
    ActivityRead,
    /// Read its outreach campaigns and the outcomes of its cases (`outreach:read`).
    OutreachRead,
    /// Submit outreach cases (`outreach:write`).
    OutreachWrite,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ApiClientStatus {
    Active,
    Revoked,
}

/// A partner firm's machine calling the API with OAuth2 client credentials.
pub struct PartnerApiClient(pub partners::clients::ApiClient);

#[Object]
impl PartnerApiClient {
    pub async fn id(&self) -> ID {
        encode_id("PartnerApiClient", self.0.id)
    }
    /// The OAuth `client_id` to send to /oauth/token.
    async fn client_id(&self) -> &str {
        &self.0.client_id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn partner(&self, c: &Context<'_>) -> async_graphql::Result<Option<PartnerOrganisation>> {
        Ok(loaders(c)?
            .partner
            .load_one(self.0.partner_id)
            .await?
            .map(PartnerOrganisation))
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

#[derive(Default)]
pub struct ClientsQuery;

#[Object]
impl ClientsQuery {
    /// API clients: every partner's for the union admin (optionally one partner's),
    /// their own partner's for a partner's people.
    async fn partner_api_clients(
        &self,
        c: &Context<'_>,
        partner_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, PartnerApiClient>> {
        let ctx = ctx(c)?;
        let page = page_request(first, after).gql()?;
        let partner = partner_id
            .map(|p| decode_id("partnerId", &p, "PartnerOrganisation"))
            .transpose()
            .gql()?;
        let p = services(c)?
            .partners
            .list_api_clients(ctx, partner, page)
            .await
            .gql()?;
        Ok(connection(p, |m| m.id, PartnerApiClient))
    }
}

#[derive(InputObject)]
pub struct CreatePartnerApiClientInput {
    partner_id: ID,
    /// What the client is (e.g. « Portail recouvrement »).
    name: String,
    scopes: Vec<PartnerScope>,
    /// Issue a secret for /oauth/token (default true).
    #[graphql(default = true)]
    with_secret: bool,
    /// Issuer and subject (its client id there) for a client that signs in at the
    /// configured external identity provider.
    external_issuer: Option<String>,
    external_subject: Option<String>,
}

#[derive(InputObject)]
pub struct PartnerApiClientInput {
    api_client_id: ID,
}

/// The client, and its secret: shown this once, stored only as a hash.
#[derive(SimpleObject)]
pub struct PartnerApiClientSecretPayload {
    api_client: PartnerApiClient,
    secret: Option<String>,
}

#[derive(SimpleObject)]
pub struct PartnerApiClientPayload {
    api_client: PartnerApiClient,
}

#[derive(Default)]
pub struct ClientsMutation;

#[Object]
impl ClientsMutation {
    /// Registers an API client for a partner (union admin).
    async fn create_partner_api_client(
        &self,
        c: &Context<'_>,
        input: CreatePartnerApiClientInput,
    ) -> async_graphql::Result<PartnerApiClientSecretPayload> {
        let ctx = ctx(c)?;
        let partner_id = decode_id("partnerId", &input.partner_id, "PartnerOrganisation").gql()?;
        let external = match (input.external_issuer, input.external_subject) {
            (None, None) => None,
            (Some(i), Some(s)) => Some((i, s)),
            _ => {
                return Err(crate::error::to_gql(kernel::Error::validation(
                    "externalSubject",
                    "give both the external issuer and the subject, or neither",
                )));
            }
        };
        let made = services(c)?
            .partners
            .create_api_client(
                ctx,
                partners::clients::NewApiClient {
                    partner_id,
                    name: input.name,
                    scopes: input.scopes.into_iter().map(Into::into).collect(),
                    external,
                    with_secret: input.with_secret,
                },
            )
            .await
            .gql()?;
        Ok(PartnerApiClientSecretPayload {
            api_client: PartnerApiClient(made.client),
            secret: made.secret,
        })
    }

    /// A new secret; the old one and every token issued with it stop working at once.
    async fn rotate_partner_api_client_secret(
        &self,
        c: &Context<'_>,
        input: PartnerApiClientInput,
    ) -> async_graphql::Result<PartnerApiClientSecretPayload> {
        let ctx = ctx(c)?;
        let id = decode_id("apiClientId", &input.api_client_id, "PartnerApiClient").gql()?;
        let made = services(c)?
            .partners
            .rotate_api_client_secret(ctx, id)
            .await
            .gql()?;
        Ok(PartnerApiClientSecretPayload {
            api_client: PartnerApiClient(made.client),
            secret: made.secret,
        })
    }

    /// Revokes a client for good; its tokens stop working at once.
    async fn revoke_partner_api_client(
        &self,
        c: &Context<'_>,
        input: PartnerApiClientInput,
    ) -> async_graphql::Result<PartnerApiClientPayload> {
        let ctx = ctx(c)?;
        let id = decode_id("apiClientId", &input.api_client_id, "PartnerApiClient").gql()?;
        let client = services(c)?
            .partners
            .revoke_api_client(ctx, id)
            .await
            .gql()?;
        Ok(PartnerApiClientPayload {
            api_client: PartnerApiClient(client),
        })
    }
}
