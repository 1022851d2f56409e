//! Franchise compliance objects by id, for `node`, `nodes` and relations: each
//! through the service's by-ids read, which applies the same rules as the lists
//! (an association's own rows, the audit's phase, the caller's view).

use super::types::{
    AuditFinding, AuditObservation, CatalogueVersion, ComplianceAudit, ComplianceCampaign,
    CorrectiveAction, Criterion, CriterionAnswer, EvidenceDocument, FindingReply,
    FranchiseContract, Principle, Sanction,
};
use crate::loaders::{Load, Scope, by_id};
use ::compliance as co;
use std::sync::Arc;

pub(crate) struct Loaders {
    pub version: Load<co::CatalogueVersion>,
    pub principle: Load<co::Principle>,
    pub criterion: Load<co::Criterion>,
    pub contract: Load<co::Contract>,
    pub campaign: Load<co::Campaign>,
    pub audit: Load<co::Audit>,
    pub answer: Load<co::Answer>,
    pub observation: Load<co::Observation>,
    pub finding: Load<co::Finding>,
    pub reply: Load<co::Reply>,
    pub action: Load<co::Action>,
    pub sanction: Load<co::Sanction>,
    pub document: Load<co::Document>,
}

impl Loaders {
    pub fn new(s: &Arc<Scope>) -> Self {
        Self {
            version: s.loader(|svc, ctx, ids| {
                by_id::<CatalogueVersion>(svc.compliance.versions_by_ids(ctx, ids))
            }),
            principle: s.loader(|svc, ctx, ids| {
                by_id::<Principle>(svc.compliance.principles_by_ids(ctx, ids))
            }),
            criterion: s.loader(|svc, ctx, ids| {
                by_id::<Criterion>(svc.compliance.criteria_by_ids(ctx, ids))
            }),
            contract: s.loader(|svc, ctx, ids| {
                by_id::<FranchiseContract>(svc.compliance.contracts_by_ids(ctx, ids))
            }),
            campaign: s.loader(|svc, ctx, ids| {
                by_id::<ComplianceCampaign>(svc.compliance.campaigns_by_ids(ctx, ids))
            }),
            audit: s.loader(|svc, ctx, ids| {
                by_id::<ComplianceAudit>(svc.compliance.audits_by_ids(ctx, ids))
            }),
            answer: s.loader(|svc, ctx, ids| {
                by_id::<CriterionAnswer>(svc.compliance.answers_by_ids(ctx, ids))
            }),
            observation: s.loader(|svc, ctx, ids| {
                by_id::<AuditObservation>(svc.compliance.observations_by_ids(ctx, ids))
            }),
            finding: s.loader(|svc, ctx, ids| {
                by_id::<AuditFinding>(svc.compliance.findings_by_ids(ctx, ids))
            }),
            reply: s.loader(|svc, ctx, ids| {
                by_id::<FindingReply>(svc.compliance.replies_by_ids(ctx, ids))
            }),
            action: s.loader(|svc, ctx, ids| {
                by_id::<CorrectiveAction>(svc.compliance.actions_by_ids(ctx, ids))
            }),
            sanction: s.loader(|svc, ctx, ids| {
                by_id::<Sanction>(svc.compliance.sanctions_by_ids(ctx, ids))
            }),
            document: s.loader(|svc, ctx, ids| {
                by_id::<EvidenceDocument>(svc.compliance.documents_by_ids(ctx, ids))
            }),
        }
    }
}

loadable! {
    CatalogueVersion => compliance.version,
    Principle => compliance.principle,
    Criterion => compliance.criterion,
    FranchiseContract => compliance.contract,
    ComplianceCampaign => compliance.campaign,
    ComplianceAudit => compliance.audit,
    CriterionAnswer => compliance.answer,
    AuditObservation => compliance.observation,
    AuditFinding => compliance.finding,
    FindingReply => compliance.reply,
    CorrectiveAction => compliance.action,
    Sanction => compliance.sanction,
    EvidenceDocument => compliance.document,
}
