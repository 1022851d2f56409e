use super::report::{AgreementActivity, AgreementActivityRow, AgreementReport, CodedActivityRow};
use super::types::{Agreement, AgreementService, AgreementStatus};
use crate::connection::paged;
use crate::context::{ctx, services};
use crate::error::Gql;
use crate::node::{decode_opt, id_arg, opt_arg};
use ::partners::agreements as ag;
use ::partners::agreements::report as rep;
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, Object, Result};
use chrono::NaiveDate;

#[derive(Default)]
pub struct PartnersQuery;

#[Object]
impl PartnersQuery {
    /// The agreements you read, newest first: every one for the union; an
    /// association's local agreements and the national ones covering one of its
    /// sites; a partner's own.
    async fn agreements(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<AgreementStatus>,
        partner_id: Option<ID>,
    ) -> Result<Connection<String, Agreement>> {
        paged(c, first, after, |s, ctx, p| async move {
            let f = ag::AgreementFilter {
                status: status.map(Into::into),
                partner_id: decode_opt("partnerId", partner_id.as_ref(), "PartnerOrganisation")?,
            };
            s.partners.list_agreements(ctx, p, f).await
        })
        .await
    }

    /// The agreements an entry of the active association would fit, for the front
    /// desk to propose one: active or ended, covering the site on that day, the
    /// service and the theme, with that partner (any partner when omitted).
    async fn agreement_candidates(
        &self,
        c: &Context<'_>,
        site_id: ID,
        on: NaiveDate,
        service: AgreementService,
        theme: String,
        partner_id: Option<ID>,
    ) -> Result<Vec<Agreement>> {
        let ctx = ctx(c)?;
        let site = id_arg("siteId", &site_id, "Site")?;
        let partner = opt_arg("partnerId", partner_id.as_ref(), "PartnerOrganisation")?;
        let rows = services(c)?
            .partners
            .agreement_candidates(ctx, site, on, service.into(), &theme, partner)
            .await
            .gql()?;
        Ok(rows.into_iter().map(Agreement).collect())
    }

    /// Activity coded to one agreement, or to every agreement of a partner (a
    /// partner's own by default), per site, month and theme. Whole months.
    async fn agreement_activity(
        &self,
        c: &Context<'_>,
        agreement_id: Option<ID>,
        partner_id: Option<ID>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<AgreementActivity> {
        let ctx = ctx(c)?;
        let q = rep::ActivityQuery {
            agreement_id: opt_arg("agreementId", agreement_id.as_ref(), "Agreement")?,
            partner_id: opt_arg("partnerId", partner_id.as_ref(), "PartnerOrganisation")?,
            from,
            to,
        };
        let a = services(c)?
            .partners
            .agreement_activity(ctx, q)
            .await
            .gql()?;
        Ok(AgreementActivity {
            from: a.from,
            to: a.to,
            suppressed: a.suppressed,
            rows: a.rows.into_iter().map(AgreementActivityRow).collect(),
        })
    }

    /// A partner's coded requests, page by page: one row per agreement, site, month
    /// and theme, with the site's name; counts from 1 to 4 read "<5". Partners only
    /// (activity:read); months between `from` and `to` when given.
    async fn coded_activity(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Connection<String, CodedActivityRow>> {
        let ctx = ctx(c)?;
        // Its cursor is the row's key, not an id: the listing pages on its own.
        let page = services(c)?
            .partners
            .coded_activity(ctx, first, after.as_deref(), from, to)
            .await
            .gql()?;
        let mut conn = Connection::new(after.is_some(), page.has_next_page);
        conn.edges.extend(
            page.rows
                .into_iter()
                .map(|r| Edge::new(r.cursor.encode(), CodedActivityRow(r))),
        );
        Ok(conn)
    }

    /// An agreement's report: deliverables against targets per reporting period
    /// and per site. From and to default to the agreement's period and are widened
    /// to whole reporting periods.
    async fn agreement_report(
        &self,
        c: &Context<'_>,
        agreement_id: ID,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<AgreementReport> {
        let ctx = ctx(c)?;
        let q = rep::ReportQuery {
            agreement_id: id_arg("agreementId", &agreement_id, "Agreement")?,
            from,
            to,
        };
        let r = services(c)?.partners.agreement_report(ctx, q).await.gql()?;
        Ok(AgreementReport(r))
    }
}
