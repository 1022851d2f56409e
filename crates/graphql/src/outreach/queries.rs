use super::types::{OutreachCampaign, OutreachCampaignStatus, OutreachCase, OutreachCaseStatus};
use crate::connection::paged;
use crate::context::ctx;
use crate::node::id_arg;
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Result};

#[derive(Default)]
pub struct OutreachQuery;

#[Object]
impl OutreachQuery {
    /// Outreach campaigns, newest first: the active association's (its staff), or the
    /// partner's own across associations (its people, API clients with outreach:read).
    async fn outreach_campaigns(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<OutreachCampaignStatus>,
    ) -> Result<Connection<String, OutreachCampaign>> {
        let status = status.map(Into::into);
        paged(c, first, after, |s, ctx, p| {
            s.partners.outreach_campaigns(ctx, status, p)
        })
        .await
    }

    /// A campaign's cases, newest first (the association's staff, the partner).
    async fn outreach_cases(
        &self,
        c: &Context<'_>,
        campaign_id: ID,
        status: Option<OutreachCaseStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, OutreachCase>> {
        // The caller, then the campaign, then the page: checked in that order.
        ctx(c)?;
        let id = id_arg("campaignId", &campaign_id, "OutreachCampaign")?;
        let status = status.map(Into::into);
        paged(c, first, after, |s, ctx, p| {
            s.partners.outreach_cases(ctx, id, status, p)
        })
        .await
    }
}
