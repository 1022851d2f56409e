use super::dashboard::{Dashboard, DashboardInput};
use super::types::{Beneficiary, ServiceCode, SurveyCampaign, Theme, Visit, Workshop};
use crate::connection::paged;
use crate::context::{ctx, services};
use crate::error::Gql;
use crate::node::decode_opt;
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

/// A catalogue of themes (of requests, or of workshops).
async fn themes(c: &Context<'_>, workshops: bool) -> Result<Vec<Theme>> {
    let rows = services(c)?
        .journal
        .themes(ctx(c)?, workshops)
        .await
        .gql()?;
    Ok(rows
        .into_iter()
        .map(|t| Theme {
            code: t.code,
            label: t.label_fr,
        })
        .collect())
}

#[derive(Default)]
pub struct JournalQuery;

#[Object]
impl JournalQuery {
    /// The association's journal, newest first (directors, coordinators, mediators).
    /// `theme` and `partnerId` keep the visits with a request of that theme (a code of
    /// `requestThemes`) and with a request for that partner.
    #[allow(clippy::too_many_arguments)]
    async fn visits(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        site_id: Option<ID>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        #[graphql(default = false)] include_voided: bool,
        theme: Option<String>,
        partner_id: Option<ID>,
    ) -> Result<Connection<String, Visit>> {
        paged(c, first, after, |s, ctx, p| async move {
            let f = mediation::VisitFilter {
                site_id: decode_opt("siteId", site_id.as_ref(), "Site")?,
                from,
                to,
                include_voided,
                theme,
                partner_id: decode_opt("partnerId", partner_id.as_ref(), "PartnerOrganisation")?,
            };
            s.journal.list_visits(ctx, p, f).await
        })
        .await
    }

    /// The network's catalogue of request themes.
    async fn request_themes(&self, c: &Context<'_>) -> Result<Vec<Theme>> {
        themes(c, false).await
    }

    /// The network's catalogue of workshop themes.
    async fn workshop_themes(&self, c: &Context<'_>) -> Result<Vec<Theme>> {
        themes(c, true).await
    }

    /// The catalogue of services a site may offer (Site.services, createSite and
    /// updateSite take these codes), with their French labels.
    async fn site_services(&self, c: &Context<'_>) -> Result<Vec<ServiceCode>> {
        // Like the themes' catalogues: for signed-in callers.
        ctx(c)?.require_user().gql()?;
        Ok(::sites::SERVICES
            .iter()
            .map(|(code, label)| ServiceCode {
                code: (*code).to_owned(),
                label: (*label).to_owned(),
            })
            .collect())
    }

    async fn beneficiaries(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Beneficiary>> {
        paged(c, first, after, |s, ctx, p| {
            s.journal.list_beneficiaries(ctx, p)
        })
        .await
    }

    async fn workshops(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Workshop>> {
        paged(c, first, after, |s, ctx, p| {
            s.journal.list_workshops(ctx, p)
        })
        .await
    }

    async fn survey_campaigns(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, SurveyCampaign>> {
        paged(c, first, after, |s, ctx, p| {
            s.journal.list_survey_campaigns(ctx, p)
        })
        .await
    }

    /// The active association's dashboard, or one site's (every staff role).
    async fn dashboard(&self, c: &Context<'_>, input: DashboardInput) -> Result<Dashboard> {
        let n = input.needs(c);
        let q = input.query().gql()?;
        let d = services(c)?
            .journal
            .dashboard_for(ctx(c)?, q, n)
            .await
            .gql()?;
        Ok(Dashboard(d))
    }

    /// The network's dashboard: aggregates across associations (union staff).
    async fn network_dashboard(&self, c: &Context<'_>, input: DashboardInput) -> Result<Dashboard> {
        let n = input.needs(c);
        let q = input.query().gql()?;
        let d = services(c)?
            .journal
            .network_dashboard_for(ctx(c)?, q, n)
            .await
            .gql()?;
        Ok(Dashboard(d))
    }
}
