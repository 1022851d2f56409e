use super::types::PartnerApiClient;
use crate::connection::paged;
use crate::node::decode_opt;
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Result};

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
    ) -> Result<Connection<String, PartnerApiClient>> {
        paged(c, first, after, |s, ctx, p| async move {
            let partner = decode_opt("partnerId", partner_id.as_ref(), "PartnerOrganisation")?;
            s.partners.list_api_clients(ctx, partner, p).await
        })
        .await
    }
}
