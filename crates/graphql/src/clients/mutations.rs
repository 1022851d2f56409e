use super::types::{PartnerApiClient, PartnerScope};
use crate::context::{ctx, services};
use crate::error::{Gql, to_gql};
use crate::node::id_arg;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use partners::clients::{ClientWithSecret, NewApiClient};

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

impl From<ClientWithSecret> for PartnerApiClientSecretPayload {
    fn from(made: ClientWithSecret) -> Self {
        Self {
            api_client: PartnerApiClient(made.client),
            secret: made.secret,
        }
    }
}

payloads! {
    PartnerApiClientPayload { api_client: PartnerApiClient }
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
    ) -> Result<PartnerApiClientSecretPayload> {
        let ctx = ctx(c)?;
        let partner_id = id_arg("partnerId", &input.partner_id, "PartnerOrganisation")?;
        let external = match (input.external_issuer, input.external_subject) {
            (None, None) => None,
            (Some(i), Some(s)) => Some((i, s)),
            _ => {
                return Err(to_gql(kernel::Error::validation(
                    "externalSubject",
                    "give both the external issuer and the subject, or neither",
                )));
            }
        };
        let new = NewApiClient {
            partner_id,
            name: input.name,
            scopes: input.scopes.into_iter().map(Into::into).collect(),
            external,
            with_secret: input.with_secret,
        };
        let made = services(c)?
            .partners
            .create_api_client(ctx, new)
            .await
            .gql()?;
        Ok(made.into())
    }

    /// A new secret; the old one and every token issued with it stop working at once.
    async fn rotate_partner_api_client_secret(
        &self,
        c: &Context<'_>,
        input: PartnerApiClientInput,
    ) -> Result<PartnerApiClientSecretPayload> {
        let ctx = ctx(c)?;
        let id = id_arg("apiClientId", &input.api_client_id, "PartnerApiClient")?;
        let made = services(c)?
            .partners
            .rotate_api_client_secret(ctx, id)
            .await
            .gql()?;
        Ok(made.into())
    }

    /// Revokes a client for good; its tokens stop working at once.
    async fn revoke_partner_api_client(
        &self,
        c: &Context<'_>,
        input: PartnerApiClientInput,
    ) -> Result<PartnerApiClientPayload> {
        let ctx = ctx(c)?;
        let id = id_arg("apiClientId", &input.api_client_id, "PartnerApiClient")?;
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
