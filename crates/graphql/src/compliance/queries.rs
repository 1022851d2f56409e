use super::types::*;
use crate::context::{ctx, services};
use crate::error::Gql;
use crate::node::{id_arg, opt_arg};
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
    /// association's (union admin and auditors; `tenantId` for one).
    async fn franchise_contracts(
        &self,
        c: &Context<'_>,
        tenant_id: Option<ID>,
    ) -> Result<Vec<FranchiseContract>> {
        let tenant = opt_arg("tenantId", tenant_id.as_ref(), "Tenant")?;
        Ok(services(c)?
            .compliance
            .contracts(ctx(c)?, tenant)
            .await
            .gql()?
            .into_iter()
            .map(FranchiseContract)
            .collect())
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

    /// Campaigns: the union's all; an association those it is audited in.
    async fn compliance_campaigns(&self, c: &Context<'_>) -> Result<Vec<ComplianceCampaign>> {
        Ok(services(c)?
            .compliance
            .campaigns(ctx(c)?)
            .await
            .gql()?
            .into_iter()
            .map(ComplianceCampaign)
            .collect())
    }

    /// Audits the caller may read (an association's viewers: final ones only).
    async fn compliance_audits(
        &self,
        c: &Context<'_>,
        campaign_id: Option<ID>,
    ) -> Result<Vec<ComplianceAudit>> {
        let campaign = opt_arg("campaignId", campaign_id.as_ref(), "ComplianceCampaign")?;
        Ok(services(c)?
            .compliance
            .audits(ctx(c)?, campaign)
            .await
            .gql()?
            .into_iter()
            .map(ComplianceAudit)
            .collect())
    }

    /// One audit; NOT_FOUND when it is another association's (or not readable yet).
    async fn compliance_audit(&self, c: &Context<'_>, audit_id: ID) -> Result<ComplianceAudit> {
        let id = id_arg("auditId", &audit_id, "ComplianceAudit")?;
        let (_, a) = services(c)?.compliance.view(ctx(c)?, id).await.gql()?;
        Ok(ComplianceAudit(a))
    }

    /// Corrective actions past their due date: the network's (union admin and
    /// auditors) or the association's (its staff).
    async fn overdue_corrective_actions(&self, c: &Context<'_>) -> Result<Vec<CorrectiveAction>> {
        Ok(services(c)?
            .compliance
            .overdue_actions(ctx(c)?)
            .await
            .gql()?
            .into_iter()
            .map(CorrectiveAction)
            .collect())
    }

    /// Sanctions: the association's, or (union admin and auditors) any association's.
    async fn sanctions(&self, c: &Context<'_>, tenant_id: Option<ID>) -> Result<Vec<Sanction>> {
        let tenant = opt_arg("tenantId", tenant_id.as_ref(), "Tenant")?;
        Ok(services(c)?
            .compliance
            .sanctions(ctx(c)?, tenant)
            .await
            .gql()?
            .into_iter()
            .map(Sanction)
            .collect())
    }

    /// The union's compliance dashboard (every union role: aggregates only).
    async fn compliance_dashboard(&self, c: &Context<'_>) -> Result<ComplianceDashboard> {
        Ok(ComplianceDashboard(
            services(c)?.compliance.dashboard(ctx(c)?).await.gql()?,
        ))
    }
}
