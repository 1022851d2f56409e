use super::types::*;
use crate::connection::paged;
use crate::context::{ctx, services};
use crate::error::Gql;
use crate::node::{id_arg, opt_arg};
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Result};

#[derive(Default)]
pub struct ComplianceQuery;

#[Object]
impl ComplianceQuery {
    /// Versions of the standards catalogue, newest first (an association reads the
    /// published and retired ones).
    async fn catalogue_versions(&self, c: &Context<'_>) -> Result<Vec<CatalogueVersion>> {
        Ok(services(c)?
            .compliance
            .versions(ctx(c)?)
            .await
            .gql()?
            .into_iter()
            .map(CatalogueVersion)
            .collect())
    }

    /// Franchise contracts: the active association's (its staff), or every
    /// association's (union admin and auditors; `tenantId` for one), in the order
    /// they were recorded. A contract past its term reads EXPIRED.
    async fn franchise_contracts(
        &self,
        c: &Context<'_>,
        tenant_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, FranchiseContract>> {
        let tenant = opt_arg("tenantId", tenant_id.as_ref(), "Tenant")?;
        paged(c, first, after, |s, ctx, p| {
            s.compliance.contracts(ctx, tenant, p)
        })
        .await
    }

    /// Contracts in force reaching their term within 90 days (union admin).
    async fn contracts_to_renew(&self, c: &Context<'_>) -> Result<Vec<FranchiseContract>> {
        Ok(services(c)?
            .compliance
            .contracts_to_renew(ctx(c)?)
            .await
            .gql()?
            .into_iter()
            .map(FranchiseContract)
            .collect())
    }

    /// Campaigns, in the order they were opened: the union's all; an association
    /// those it is audited in.
    async fn compliance_campaigns(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, ComplianceCampaign>> {
        paged(c, first, after, |s, ctx, p| s.compliance.campaigns(ctx, p)).await
    }

    /// Audits the caller may read (an association's viewers: final ones only), in
    /// the order they were opened.
    async fn compliance_audits(
        &self,
        c: &Context<'_>,
        campaign_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, ComplianceAudit>> {
        let campaign = opt_arg("campaignId", campaign_id.as_ref(), "ComplianceCampaign")?;
        paged(c, first, after, |s, ctx, p| {
            s.compliance.audits(ctx, campaign, p)
        })
        .await
    }

    /// One audit; NOT_FOUND when it is another association's (or not readable yet).
    async fn compliance_audit(&self, c: &Context<'_>, audit_id: ID) -> Result<ComplianceAudit> {
        let id = id_arg("auditId", &audit_id, "ComplianceAudit")?;
        let (_, a) = services(c)?.compliance.view(ctx(c)?, id).await.gql()?;
        Ok(ComplianceAudit(a))
    }

    /// Corrective actions past their due date and still to do: the network's (union
    /// admin and auditors) or the association's (its staff).
    async fn overdue_corrective_actions(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, CorrectiveAction>> {
        paged(c, first, after, |s, ctx, p| {
            s.compliance.overdue_actions(ctx, p)
        })
        .await
    }

    /// Sanctions, in the order they were recorded: the association's, or (union
    /// admin and auditors) every association's or one's.
    async fn sanctions(
        &self,
        c: &Context<'_>,
        tenant_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Sanction>> {
        let tenant = opt_arg("tenantId", tenant_id.as_ref(), "Tenant")?;
        paged(c, first, after, |s, ctx, p| {
            s.compliance.sanctions(ctx, tenant, p)
        })
        .await
    }

    /// The union's compliance dashboard (every union role: aggregates only).
    async fn compliance_dashboard(&self, c: &Context<'_>) -> Result<ComplianceDashboard> {
        Ok(ComplianceDashboard(
            services(c)?.compliance.dashboard(ctx(c)?).await.gql()?,
        ))
    }
}
