use super::types::{PartnerOrganisation, Tenant, TenantStatus, Viewer};
use crate::connection::paged;
use crate::context::person;
use async_graphql::connection::Connection;
use async_graphql::{Context, Object, Result};

#[derive(Default)]
pub struct TenancyQuery;

#[Object]
impl TenancyQuery {
    /// The signed-in person, their memberships, what this request acts as and what
    /// it could act as. Answers even before the person has chosen.
    async fn viewer(&self, c: &Context<'_>) -> Result<Viewer> {
        person(c)?;
        Ok(Viewer)
    }

    /// Every association of the network (union staff).
    async fn tenants(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<TenantStatus>,
    ) -> Result<Connection<String, Tenant>> {
        let status = status.map(Into::into);
        paged(c, first, after, |s, ctx, p| {
            s.tenancy.list_tenants(ctx, p, status)
        })
        .await
    }

    /// The network's partner organisations.
    async fn partner_organisations(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, PartnerOrganisation>> {
        paged(c, first, after, |s, ctx, p| s.tenancy.list_partners(ctx, p)).await
    }
}
