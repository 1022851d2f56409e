//! The Relay `Node` interface and the `node` / `nodes` root fields, global ids, and
//! `RowObject`: an object over one domain row with a global id. An id of another
//! tenant resolves exactly like a missing one: null.

use crate::clients::types::PartnerApiClient;
use crate::compliance::types::{
    AuditFinding, AuditObservation, CatalogueVersion, ComplianceAudit, ComplianceCampaign,
    CorrectiveAction, Criterion, CriterionAnswer, EvidenceDocument, FindingReply,
    FranchiseContract, Principle, Sanction,
};
use crate::error::{Gql, to_gql};
use crate::events::types::{WebhookDelivery, WebhookEndpoint};
use crate::journal::types::{Beneficiary, SurveyCampaign, Visit, Workshop};
use crate::loaders::load;
use crate::outreach::types::{OutreachCampaign, OutreachCase};
use crate::partners::types::Agreement;
use crate::pathways::types::{Employee, EmploymentContract, HrOrganisation};
use crate::sites::types::Site;
use crate::tenancy::types::{Invitation, Membership, PartnerOrganisation, Tenant, User};
use async_graphql::{Context, ID, Interface, Object};
use kernel::Error;
use uuid::Uuid;

/// An object over one domain row with a global id; declared with `row_objects!`.
pub(crate) trait RowObject: Sized {
    type Row;
    /// The global id's type name: the GraphQL type's.
    const NAME: &'static str;
    /// Holds personal data (declared in privacy::PERSONAL_TYPES): every object read
    /// through the loader or a connection is logged first (privacy::log_reads).
    const PERSONAL: bool = privacy::is_personal(Self::NAME);
    fn wrap(row: Self::Row) -> Self;
    fn key(row: &Self::Row) -> Uuid;
    fn row(&self) -> &Self::Row;
    /// The object's global id.
    fn gid(&self) -> ID {
        encode_id(Self::NAME, Self::key(self.row()))
    }
}

#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global identifier."))]
pub enum Node {
    Tenant(Tenant),
    Membership(Membership),
    User(User),
    Invitation(Invitation),
    PartnerOrganisation(PartnerOrganisation),
    PartnerApiClient(PartnerApiClient),
    Site(Site),
    Visit(Visit),
    Beneficiary(Beneficiary),
    Workshop(Workshop),
    SurveyCampaign(SurveyCampaign),
    Agreement(Agreement),
    OutreachCampaign(OutreachCampaign),
    OutreachCase(OutreachCase),
    WebhookEndpoint(WebhookEndpoint),
    WebhookDelivery(WebhookDelivery),
    Employee(Employee),
    EmploymentContract(EmploymentContract),
    HrOrganisation(HrOrganisation),
    CatalogueVersion(CatalogueVersion),
    Principle(Principle),
    Criterion(Criterion),
    FranchiseContract(FranchiseContract),
    ComplianceCampaign(ComplianceCampaign),
    ComplianceAudit(ComplianceAudit),
    CriterionAnswer(CriterionAnswer),
    AuditObservation(AuditObservation),
    AuditFinding(AuditFinding),
    FindingReply(FindingReply),
    CorrectiveAction(CorrectiveAction),
    Sanction(Sanction),
    EvidenceDocument(EvidenceDocument),
}

pub(crate) const MAX_NODES: usize = 100;

/// Decodes a global id of the expected type, or VALIDATION on `field`.
pub(crate) fn decode_id(field: &str, id: &ID, type_name: &str) -> Result<Uuid, Error> {
    match kernel::gid::decode(id.as_str()) {
        Some((t, uuid)) if t == type_name => Ok(uuid),
        _ => Err(Error::validation(field, format!("not a {type_name} id"))),
    }
}

/// `decode_id` of an optional id.
pub(crate) fn decode_opt(
    field: &str,
    id: Option<&ID>,
    type_name: &str,
) -> Result<Option<Uuid>, Error> {
    id.map(|i| decode_id(field, i, type_name)).transpose()
}

/// `decode_id` for a resolver.
pub(crate) fn id_arg(field: &str, id: &ID, type_name: &str) -> async_graphql::Result<Uuid> {
    decode_id(field, id, type_name).gql()
}

/// `decode_opt` for a resolver.
pub(crate) fn opt_arg(
    field: &str,
    id: Option<&ID>,
    type_name: &str,
) -> async_graphql::Result<Option<Uuid>> {
    decode_opt(field, id, type_name).gql()
}

pub(crate) fn encode_id(type_name: &str, id: Uuid) -> ID {
    ID(kernel::gid::encode(type_name, id))
}

async fn load_node(c: &Context<'_>, id: &ID) -> async_graphql::Result<Option<Node>> {
    let Some((t, id)) = kernel::gid::decode(id.as_str()) else {
        return Ok(None);
    };
    Ok(match t.as_str() {
        "Tenant" => load(c, id).await?.map(Node::Tenant),
        "Membership" => load(c, id).await?.map(Node::Membership),
        "User" => load(c, id).await?.map(Node::User),
        "Invitation" => load(c, id).await?.map(Node::Invitation),
        "PartnerOrganisation" => load(c, id).await?.map(Node::PartnerOrganisation),
        // Read alone, not batched: API clients have no loader.
        "PartnerApiClient" => crate::context::services(c)?
            .partners
            .api_clients_by_ids(crate::context::ctx(c)?, &[id])
            .await
            .gql()?
            .pop()
            .map(|m| Node::PartnerApiClient(PartnerApiClient(m))),
        "Site" => load(c, id).await?.map(Node::Site),
        "Visit" => load(c, id).await?.map(Node::Visit),
        "Beneficiary" => load(c, id).await?.map(Node::Beneficiary),
        "Workshop" => load(c, id).await?.map(Node::Workshop),
        "SurveyCampaign" => load(c, id).await?.map(Node::SurveyCampaign),
        "Agreement" => load(c, id).await?.map(Node::Agreement),
        "OutreachCampaign" => load(c, id).await?.map(Node::OutreachCampaign),
        "OutreachCase" => load(c, id).await?.map(Node::OutreachCase),
        // Read alone, not batched: a partner's people read a few at a time.
        "WebhookEndpoint" => crate::context::services(c)?
            .events
            .endpoints_by_ids(crate::context::ctx(c)?, &[id])
            .await
            .gql()?
            .pop()
            .map(|m| Node::WebhookEndpoint(WebhookEndpoint(m))),
        "WebhookDelivery" => crate::context::services(c)?
            .events
            .deliveries_by_ids(crate::context::ctx(c)?, &[id])
            .await
            .gql()?
            .pop()
            .map(|m| Node::WebhookDelivery(WebhookDelivery(m))),
        "Employee" => load(c, id).await?.map(Node::Employee),
        "EmploymentContract" => load(c, id).await?.map(Node::EmploymentContract),
        "HrOrganisation" => load(c, id).await?.map(Node::HrOrganisation),
        "CatalogueVersion" => load(c, id).await?.map(Node::CatalogueVersion),
        "Principle" => load(c, id).await?.map(Node::Principle),
        "Criterion" => load(c, id).await?.map(Node::Criterion),
        "FranchiseContract" => load(c, id).await?.map(Node::FranchiseContract),
        "ComplianceCampaign" => load(c, id).await?.map(Node::ComplianceCampaign),
        "ComplianceAudit" => load(c, id).await?.map(Node::ComplianceAudit),
        "CriterionAnswer" => load(c, id).await?.map(Node::CriterionAnswer),
        "AuditObservation" => load(c, id).await?.map(Node::AuditObservation),
        "AuditFinding" => load(c, id).await?.map(Node::AuditFinding),
        "FindingReply" => load(c, id).await?.map(Node::FindingReply),
        "CorrectiveAction" => load(c, id).await?.map(Node::CorrectiveAction),
        "Sanction" => load(c, id).await?.map(Node::Sanction),
        "EvidenceDocument" => load(c, id).await?.map(Node::EvidenceDocument),
        _ => None,
    })
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any object by its global id; null when it does not exist or is not yours.
    async fn node(&self, c: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        // The loaders also serve `viewer` before a choice: the caller must have chosen.
        crate::context::ctx(c)?;
        load_node(c, &id).await
    }

    /// Fetches up to 100 objects by global id, in order; null for each one that does
    /// not exist or is not yours.
    async fn nodes(
        &self,
        c: &Context<'_>,
        ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        crate::context::ctx(c)?;
        if ids.len() > MAX_NODES {
            return Err(to_gql(Error::validation(
                "ids",
                format!("at most {MAX_NODES} ids"),
            )));
        }
        let futs = ids.iter().map(|id| load_node(c, id));
        futures_util::future::try_join_all(futs).await
    }
}
