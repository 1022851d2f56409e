use super::types::Site;
use crate::connection::paged;
use crate::node::decode_opt;
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Result};

#[derive(Default)]
pub struct SitesQuery;

#[Object]
impl SitesQuery {
    /// The active association's sites, permanences and mobile units.
    async fn sites(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default = false)] include_closed: bool,
    ) -> Result<Connection<String, Site>> {
        paged(c, first, after, |s, ctx, p| {
            s.sites.list(ctx, p, include_closed)
        })
        .await
    }

    /// Every association's sites: the network map (union staff).
    async fn network_sites(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        tenant_id: Option<ID>,
        #[graphql(default = false)] include_closed: bool,
    ) -> Result<Connection<String, Site>> {
        paged(c, first, after, |s, ctx, p| async move {
            let tenant = decode_opt("tenantId", tenant_id.as_ref(), "Tenant")?;
            s.sites.list_network(ctx, p, tenant, include_closed).await
        })
        .await
    }
}
