use super::types::*;
use crate::context::{ctx, services};
use crate::error::Gql;
use crate::node::{decode_id, decode_opt, id_arg, opt_arg};
use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::NaiveDate;
use kernel::Error;

#[derive(InputObject)]
pub struct CreateCatalogueVersionInput {
    title: String,
    /// The number of the version to copy (principles and criteria); none for an empty
    /// draft.
    copy_from_version: Option<i32>,
}

#[derive(InputObject)]
pub struct CatalogueVersionInput {
    /// The version's number (`CatalogueVersion.version`).
    version: i32,
}

#[derive(InputObject)]
pub struct AddPrincipleInput {
    /// The draft version's number.
    version: i32,
    code: String,
    label: String,
    description: Option<String>,
}

#[derive(InputObject)]
pub struct AddCriterionInput {
    /// The draft version's number and the principle's code in it.
    version: i32,
    principle_code: String,
    code: String,
    label: String,
    guidance: Option<String>,
    #[graphql(default = 1)]
    weight: i32,
    measure: CriterionMeasure,
    /// Required for (and only for) an INDICATOR measure.
    indicator: Option<ComplianceIndicator>,
    threshold: Option<f64>,
}

#[derive(InputObject)]
pub struct SignatoryInput {
    party: SignatoryParty,
    full_name: String,
    role_title: String,
}

#[derive(InputObject)]
pub struct CreateFranchiseContractInput {
    tenant_id: ID,
    reference: String,
    signed_on: NaiveDate,
    term_ends_on: NaiveDate,
    /// When renewal is decided; the term when absent.
    renewal_on: Option<NaiveDate>,
    #[graphql(default_with = "FranchiseContractStatus::InForce")]
    status: FranchiseContractStatus,
    catalogue_version_id: ID,
    signatories: Vec<SignatoryInput>,
}

#[derive(InputObject)]
pub struct AmendFranchiseContractInput {
    contract_id: ID,
    signed_on: NaiveDate,
    summary: String,
    /// A new term, when the amendment changes it.
    term_ends_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct SetFranchiseContractStatusInput {
    contract_id: ID,
    status: FranchiseContractStatus,
    reason: String,
}

#[derive(InputObject)]
pub struct OpenComplianceCampaignInput {
    title: String,
    catalogue_version_id: ID,
    period_starts_on: NaiveDate,
    period_ends_on: NaiveDate,
    self_assessment_due_on: NaiveDate,
    visits_from: NaiveDate,
    visits_until: NaiveDate,
    contradictory_days: i32,
    closes_on: NaiveDate,
    /// Associations chosen by hand (they may have been audited last time).
    #[graphql(default)]
    tenant_ids: Vec<ID>,
    /// A share of the network drawn at random: at least one association per region,
    /// none audited in the previous campaign.
    sample_percent: Option<i32>,
    /// The auditor assigned (the caller when absent).
    auditor_id: Option<ID>,
}

#[derive(InputObject)]
pub struct CampaignInput {
    campaign_id: ID,
}

#[derive(InputObject)]
pub struct AnswerCriterionInput {
    audit_id: ID,
    criterion_id: ID,
    declaration: Option<String>,
}

#[derive(InputObject)]
pub struct AuditInput {
    audit_id: ID,
}

#[derive(InputObject)]
pub struct ReviewEvidenceInput {
    document_id: ID,
    accept: bool,
    /// Required for a refusal.
    reason: Option<String>,
}

#[derive(InputObject)]
pub struct RecordAuditObservationInput {
    audit_id: ID,
    criterion_id: ID,
    site_id: Option<ID>,
    observed_on: NaiveDate,
    body: String,
}

#[derive(InputObject)]
pub struct ScoreCriterionInput {
    audit_id: ID,
    criterion_id: ID,
    result: ScoreResult,
    /// Required to change an indicator's pre-filled result.
    override_reason: Option<String>,
}

#[derive(InputObject)]
pub struct AddAuditFindingInput {
    audit_id: ID,
    criterion_id: ID,
    body: String,
}

#[derive(InputObject)]
pub struct AddAuditNoteInput {
    audit_id: ID,
    body: String,
}

#[derive(InputObject)]
pub struct SendDraftReportInput {
    audit_id: ID,
    summary: String,
}

#[derive(InputObject)]
pub struct ReplyToFindingInput {
    finding_id: ID,
    body: String,
}

#[derive(InputObject)]
pub struct FindingOutcomeInput {
    finding_id: ID,
    outcome: FindingOutcome,
    note: Option<String>,
}

#[derive(InputObject)]
pub struct CorrectiveActionInput {
    criterion_id: ID,
    title: String,
    /// The member (membership) of the association who owns the action.
    owner_id: ID,
    due_on: NaiveDate,
}

#[derive(InputObject)]
pub struct FinaliseAuditInput {
    audit_id: ID,
    summary: String,
    grade: ComplianceGrade,
    /// What each answered finding became.
    #[graphql(default)]
    outcomes: Vec<FindingOutcomeInput>,
    /// The corrective action plan (required unless COMPLIANT).
    #[graphql(default)]
    actions: Vec<CorrectiveActionInput>,
}

#[derive(InputObject)]
pub struct CompleteCorrectiveActionInput {
    action_id: ID,
    note: String,
}

#[derive(InputObject)]
pub struct ReviewCorrectiveActionInput {
    action_id: ID,
    accept: bool,
    /// Required to reopen.
    reason: Option<String>,
}

#[derive(InputObject)]
pub struct RecordSanctionInput {
    tenant_id: ID,
    kind: SanctionKind,
    /// A suspension of one site's brand label; none: the whole association.
    site_id: Option<ID>,
    reason: String,
    decided_on: NaiveDate,
    ends_on: Option<NaiveDate>,
}

payloads! {
    CatalogueVersionPayload { version: CatalogueVersion }
    PrinciplePayload { principle: Principle }
    CriterionPayload { criterion: Criterion }
    FranchiseContractPayload { contract: FranchiseContract }
    ComplianceCampaignPayload { campaign: ComplianceCampaign }
    CriterionAnswerPayload { answer: CriterionAnswer }
    ComplianceAuditPayload { audit: ComplianceAudit }
    EvidenceDocumentPayload { document: EvidenceDocument }
    AuditObservationPayload { observation: AuditObservation }
    AuditFindingPayload { finding: AuditFinding }
    FindingReplyPayload { reply: FindingReply }
    CorrectiveActionPayload { action: CorrectiveAction }
    SanctionPayload { sanction: Sanction }
}

fn small(field: &str, v: i32) -> Result<i16, Error> {
    i16::try_from(v).map_err(|_| Error::validation(field, "hors limites"))
}

const VERSION: &str = "CatalogueVersion";
const AUDIT: &str = "ComplianceAudit";
const CRITERION: &str = "Criterion";

#[derive(Default)]
pub struct ComplianceMutation;

#[Object]
impl ComplianceMutation {
    /// A new draft version of the standards, empty or a copy (union admin).
    async fn create_catalogue_version(
        &self,
        c: &Context<'_>,
        input: CreateCatalogueVersionInput,
    ) -> Result<CatalogueVersionPayload> {
        let svc = &services(c)?.compliance;
        let from = match input.copy_from_version {
            Some(n) => Some(
                svc.version_by_number(ctx(c)?, n, "copyFromVersion")
                    .await
                    .gql()?
                    .id,
            ),
            None => None,
        };
        let v = svc
            .create_version(ctx(c)?, &input.title, from)
            .await
            .gql()?;
        Ok(CatalogueVersionPayload {
            version: CatalogueVersion(v),
        })
    }

    async fn add_principle(
        &self,
        c: &Context<'_>,
        input: AddPrincipleInput,
    ) -> Result<PrinciplePayload> {
        let svc = &services(c)?.compliance;
        let v = svc
            .version_by_number(ctx(c)?, input.version, "version")
            .await
            .gql()?
            .id;
        let p = svc
            .add_principle(ctx(c)?, v, &input.code, &input.label, input.description)
            .await
            .gql()?;
        Ok(PrinciplePayload {
            principle: Principle(p),
        })
    }

    async fn add_criterion(
        &self,
        c: &Context<'_>,
        input: AddCriterionInput,
    ) -> Result<CriterionPayload> {
        let svc = &services(c)?.compliance;
        let v = svc
            .version_by_number(ctx(c)?, input.version, "version")
            .await
            .gql()?
            .id;
        let p = svc
            .principle_by_code(ctx(c)?, v, &input.principle_code)
            .await
            .gql()?
            .id;
        let n = ::compliance::NewCriterion {
            principle_id: p,
            code: input.code,
            label: input.label,
            guidance: input.guidance,
            weight: small("weight", input.weight).gql()?,
            measure: input.measure.into(),
            indicator: input.indicator.map(Into::into),
            threshold: input.threshold,
        };
        let cr = services(c)?
            .compliance
            .add_criterion(ctx(c)?, n)
            .await
            .gql()?;
        Ok(CriterionPayload {
            criterion: Criterion(cr),
        })
    }

    /// Publishes a draft: frozen from then on.
    async fn publish_catalogue_version(
        &self,
        c: &Context<'_>,
        input: CatalogueVersionInput,
    ) -> Result<CatalogueVersionPayload> {
        let svc = &services(c)?.compliance;
        let v = svc
            .version_by_number(ctx(c)?, input.version, "version")
            .await
            .gql()?
            .id;
        let v = svc.publish_version(ctx(c)?, v).await.gql()?;
        Ok(CatalogueVersionPayload {
            version: CatalogueVersion(v),
        })
    }

    async fn retire_catalogue_version(
        &self,
        c: &Context<'_>,
        input: CatalogueVersionInput,
    ) -> Result<CatalogueVersionPayload> {
        let svc = &services(c)?.compliance;
        let v = svc
            .version_by_number(ctx(c)?, input.version, "version")
            .await
            .gql()?
            .id;
        let v = svc.retire_version(ctx(c)?, v).await.gql()?;
        Ok(CatalogueVersionPayload {
            version: CatalogueVersion(v),
        })
    }

    /// Records an association's contract (union admin).
    async fn create_franchise_contract(
        &self,
        c: &Context<'_>,
        input: CreateFranchiseContractInput,
    ) -> Result<FranchiseContractPayload> {
        let tenant = id_arg("tenantId", &input.tenant_id, "Tenant")?;
        let version = id_arg("catalogueVersionId", &input.catalogue_version_id, VERSION)?;
        let n = ::compliance::NewContract {
            tenant_id: tenant,
            reference: input.reference,
            signed_on: input.signed_on,
            term_ends_on: input.term_ends_on,
            renewal_on: input.renewal_on,
            status: input.status.into(),
            catalogue_version_id: version,
            signatories: input
                .signatories
                .into_iter()
                .map(|s| (s.party.into(), s.full_name, s.role_title))
                .collect(),
        };
        let co = services(c)?
            .compliance
            .create_contract(ctx(c)?, n)
            .await
            .gql()?;
        Ok(FranchiseContractPayload {
            contract: FranchiseContract(co),
        })
    }

    async fn amend_franchise_contract(
        &self,
        c: &Context<'_>,
        input: AmendFranchiseContractInput,
    ) -> Result<FranchiseContractPayload> {
        let id = id_arg("contractId", &input.contract_id, "FranchiseContract")?;
        let co = services(c)?
            .compliance
            .amend_contract(
                ctx(c)?,
                id,
                input.signed_on,
                &input.summary,
                input.term_ends_on,
            )
            .await
            .gql()?;
        Ok(FranchiseContractPayload {
            contract: FranchiseContract(co),
        })
    }

    async fn set_franchise_contract_status(
        &self,
        c: &Context<'_>,
        input: SetFranchiseContractStatusInput,
    ) -> Result<FranchiseContractPayload> {
        let id = id_arg("contractId", &input.contract_id, "FranchiseContract")?;
        let co = services(c)?
            .compliance
            .set_contract_status(ctx(c)?, id, input.status.into(), &input.reason)
            .await
            .gql()?;
        Ok(FranchiseContractPayload {
            contract: FranchiseContract(co),
        })
    }

    /// Opens a campaign and its audits: the self-assessment opens at once.
    async fn open_compliance_campaign(
        &self,
        c: &Context<'_>,
        input: OpenComplianceCampaignInput,
    ) -> Result<ComplianceCampaignPayload> {
        let n = (|| -> Result<::compliance::NewCampaign, Error> {
            Ok(::compliance::NewCampaign {
                title: input.title,
                catalogue_version_id: decode_id(
                    "catalogueVersionId",
                    &input.catalogue_version_id,
                    VERSION,
                )?,
                period_starts_on: input.period_starts_on,
                period_ends_on: input.period_ends_on,
                self_assessment_due_on: input.self_assessment_due_on,
                visits_from: input.visits_from,
                visits_until: input.visits_until,
                contradictory_days: small("contradictoryDays", input.contradictory_days)?,
                closes_on: input.closes_on,
                chosen: input
                    .tenant_ids
                    .iter()
                    .enumerate()
                    .map(|(i, t)| decode_id(&format!("tenantIds[{i}]"), t, "Tenant"))
                    .collect::<Result<_, _>>()?,
                sample_percent: input
                    .sample_percent
                    .map(|p| small("samplePercent", p))
                    .transpose()?,
                auditor_id: decode_opt("auditorId", input.auditor_id.as_ref(), "User")?,
                seed: uuid::Uuid::now_v7().as_u128() as u64,
            })
        })()
        .gql()?;
        let ca = services(c)?
            .compliance
            .open_campaign(ctx(c)?, n)
            .await
            .gql()?;
        Ok(ComplianceCampaignPayload {
            campaign: ComplianceCampaign(ca),
        })
    }

    /// Closes a campaign whose audits all have their final report.
    async fn close_compliance_campaign(
        &self,
        c: &Context<'_>,
        input: CampaignInput,
    ) -> Result<ComplianceCampaignPayload> {
        let id = id_arg("campaignId", &input.campaign_id, "ComplianceCampaign")?;
        let ca = services(c)?
            .compliance
            .close_campaign(ctx(c)?, id)
            .await
            .gql()?;
        Ok(ComplianceCampaignPayload {
            campaign: ComplianceCampaign(ca),
        })
    }

    /// The association's declaration for a criterion (director or coordinator), while
    /// the self-assessment is open. Evidence: POST /compliance/evidence with its id.
    async fn answer_criterion(
        &self,
        c: &Context<'_>,
        input: AnswerCriterionInput,
    ) -> Result<CriterionAnswerPayload> {
        let a = id_arg("auditId", &input.audit_id, AUDIT)?;
        let cr = id_arg("criterionId", &input.criterion_id, CRITERION)?;
        let row = services(c)?
            .compliance
            .answer(ctx(c)?, a, cr, input.declaration)
            .await
            .gql()?;
        Ok(CriterionAnswerPayload {
            answer: CriterionAnswer(row),
        })
    }

    /// The director submits the self-assessment: read-only to the association after.
    async fn submit_self_assessment(
        &self,
        c: &Context<'_>,
        input: AuditInput,
    ) -> Result<ComplianceAuditPayload> {
        let a = id_arg("auditId", &input.audit_id, AUDIT)?;
        let a = services(c)?
            .compliance
            .submit_self_assessment(ctx(c)?, a)
            .await
            .gql()?;
        Ok(ComplianceAuditPayload {
            audit: ComplianceAudit(a),
        })
    }

    /// The auditor accepts or refuses a piece of evidence (a refusal says why).
    async fn review_evidence(
        &self,
        c: &Context<'_>,
        input: ReviewEvidenceInput,
    ) -> Result<EvidenceDocumentPayload> {
        let id = id_arg("documentId", &input.document_id, "EvidenceDocument")?;
        let d = services(c)?
            .compliance
            .review_document(ctx(c)?, id, input.accept, input.reason)
            .await
            .gql()?;
        Ok(EvidenceDocumentPayload {
            document: EvidenceDocument(d),
        })
    }

    async fn record_audit_observation(
        &self,
        c: &Context<'_>,
        input: RecordAuditObservationInput,
    ) -> Result<AuditObservationPayload> {
        let a = id_arg("auditId", &input.audit_id, AUDIT)?;
        let cr = id_arg("criterionId", &input.criterion_id, CRITERION)?;
        let site = opt_arg("siteId", input.site_id.as_ref(), "Site")?;
        let o = services(c)?
            .compliance
            .record_observation(ctx(c)?, a, cr, site, input.observed_on, &input.body)
            .await
            .gql()?;
        Ok(AuditObservationPayload {
            observation: AuditObservation(o),
        })
    }

    /// Pre-fills the indicator criteria's scores from the indicators.
    async fn prefill_indicator_scores(
        &self,
        c: &Context<'_>,
        input: AuditInput,
    ) -> Result<ComplianceAuditPayload> {
        let a = id_arg("auditId", &input.audit_id, AUDIT)?;
        let svc = &services(c)?.compliance;
        svc.prefill_scores(ctx(c)?, a).await.gql()?;
        let (_, audit) = svc.view(ctx(c)?, a).await.gql()?;
        Ok(ComplianceAuditPayload {
            audit: ComplianceAudit(audit),
        })
    }

    /// Scores a criterion (refused once the audit is final).
    async fn score_criterion(
        &self,
        c: &Context<'_>,
        input: ScoreCriterionInput,
    ) -> Result<ComplianceAuditPayload> {
        let a = id_arg("auditId", &input.audit_id, AUDIT)?;
        let cr = id_arg("criterionId", &input.criterion_id, CRITERION)?;
        let svc = &services(c)?.compliance;
        svc.score(ctx(c)?, a, cr, input.result.into(), input.override_reason)
            .await
            .gql()?;
        let (_, audit) = svc.view(ctx(c)?, a).await.gql()?;
        Ok(ComplianceAuditPayload {
            audit: ComplianceAudit(audit),
        })
    }

    async fn add_audit_finding(
        &self,
        c: &Context<'_>,
        input: AddAuditFindingInput,
    ) -> Result<AuditFindingPayload> {
        let a = id_arg("auditId", &input.audit_id, AUDIT)?;
        let cr = id_arg("criterionId", &input.criterion_id, CRITERION)?;
        let f = services(c)?
            .compliance
            .add_finding(ctx(c)?, a, cr, &input.body)
            .await
            .gql()?;
        Ok(AuditFindingPayload {
            finding: AuditFinding(f),
        })
    }

    /// An internal note: never visible to the association.
    async fn add_audit_note(
        &self,
        c: &Context<'_>,
        input: AddAuditNoteInput,
    ) -> Result<ComplianceAuditPayload> {
        let a = id_arg("auditId", &input.audit_id, AUDIT)?;
        let svc = &services(c)?.compliance;
        svc.add_note(ctx(c)?, a, &input.body).await.gql()?;
        let (_, audit) = svc.view(ctx(c)?, a).await.gql()?;
        Ok(ComplianceAuditPayload {
            audit: ComplianceAudit(audit),
        })
    }

    /// Sends the draft report: the contradictory phase opens.
    async fn send_draft_report(
        &self,
        c: &Context<'_>,
        input: SendDraftReportInput,
    ) -> Result<ComplianceAuditPayload> {
        let a = id_arg("auditId", &input.audit_id, AUDIT)?;
        let a = services(c)?
            .compliance
            .send_draft(ctx(c)?, a, &input.summary)
            .await
            .gql()?;
        Ok(ComplianceAuditPayload {
            audit: ComplianceAudit(a),
        })
    }

    /// The association answers a finding, until the contradictory phase's deadline.
    async fn reply_to_finding(
        &self,
        c: &Context<'_>,
        input: ReplyToFindingInput,
    ) -> Result<FindingReplyPayload> {
        let f = id_arg("findingId", &input.finding_id, "AuditFinding")?;
        let r = services(c)?
            .compliance
            .reply(ctx(c)?, f, &input.body)
            .await
            .gql()?;
        Ok(FindingReplyPayload {
            reply: FindingReply(r),
        })
    }

    /// The final report: grade, what each answer changed, corrective actions.
    async fn finalise_audit(
        &self,
        c: &Context<'_>,
        input: FinaliseAuditInput,
    ) -> Result<ComplianceAuditPayload> {
        let a = id_arg("auditId", &input.audit_id, AUDIT)?;
        let outcomes = input
            .outcomes
            .into_iter()
            .enumerate()
            .map(|(i, o)| {
                Ok((
                    decode_id(
                        &format!("outcomes[{i}].findingId"),
                        &o.finding_id,
                        "AuditFinding",
                    )?,
                    o.outcome.into(),
                    o.note,
                ))
            })
            .collect::<Result<Vec<_>, Error>>()
            .gql()?;
        let actions = input
            .actions
            .into_iter()
            .enumerate()
            .map(|(i, n)| {
                Ok(::compliance::NewAction {
                    criterion_id: decode_id(
                        &format!("actions[{i}].criterionId"),
                        &n.criterion_id,
                        CRITERION,
                    )?,
                    title: n.title,
                    owner_membership_id: decode_id(
                        &format!("actions[{i}].ownerId"),
                        &n.owner_id,
                        "Membership",
                    )?,
                    due_on: n.due_on,
                })
            })
            .collect::<Result<Vec<_>, Error>>()
            .gql()?;
        let a = services(c)?
            .compliance
            .finalise(
                ctx(c)?,
                a,
                &input.summary,
                input.grade.into(),
                outcomes,
                actions,
            )
            .await
            .gql()?;
        Ok(ComplianceAuditPayload {
            audit: ComplianceAudit(a),
        })
    }

    async fn complete_corrective_action(
        &self,
        c: &Context<'_>,
        input: CompleteCorrectiveActionInput,
    ) -> Result<CorrectiveActionPayload> {
        let id = id_arg("actionId", &input.action_id, "CorrectiveAction")?;
        let a = services(c)?
            .compliance
            .complete_action(ctx(c)?, id, &input.note)
            .await
            .gql()?;
        Ok(CorrectiveActionPayload {
            action: CorrectiveAction(a),
        })
    }

    async fn review_corrective_action(
        &self,
        c: &Context<'_>,
        input: ReviewCorrectiveActionInput,
    ) -> Result<CorrectiveActionPayload> {
        let id = id_arg("actionId", &input.action_id, "CorrectiveAction")?;
        let a = services(c)?
            .compliance
            .review_action(ctx(c)?, id, input.accept, input.reason)
            .await
            .gql()?;
        Ok(CorrectiveActionPayload {
            action: CorrectiveAction(a),
        })
    }

    /// A sanction (union admin); a suspension or termination shows on the sites' labels.
    async fn record_sanction(
        &self,
        c: &Context<'_>,
        input: RecordSanctionInput,
    ) -> Result<SanctionPayload> {
        let n = ::compliance::NewSanction {
            tenant_id: id_arg("tenantId", &input.tenant_id, "Tenant")?,
            kind: input.kind.into(),
            site_id: opt_arg("siteId", input.site_id.as_ref(), "Site")?,
            reason: input.reason,
            decided_on: input.decided_on,
            ends_on: input.ends_on,
        };
        let s = services(c)?
            .compliance
            .record_sanction(ctx(c)?, n)
            .await
            .gql()?;
        Ok(SanctionPayload {
            sanction: Sanction(s),
        })
    }
}
