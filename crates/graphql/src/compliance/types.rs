//! The objects and enums of franchise compliance: catalogue versions, principles and
//! criteria; contracts; campaigns and audits with their answers, evidence,
//! observations, scores, findings and replies, reports, notes and corrective actions;
//! sanctions; indicators; the union's dashboard.

use crate::connection::paged;
use crate::context::{ctx, services};
use crate::error::Gql;
use crate::loaders::load;
use crate::node::{RowObject, encode_id};
use crate::sites::types::Site;
use crate::tenancy::types::{Membership, Tenant, User};
use ::compliance as co;
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Json, Object, Result, SimpleObject};
use chrono::{DateTime, FixedOffset, NaiveDate};

mirror_enum!(
    /// DRAFT (edited) -> PUBLISHED (frozen) -> RETIRED.
    CatalogueVersionStatus => "::compliance::VersionStatus" { Draft, Published, Retired });
mirror_enum!(
    /// How a criterion is assessed: computed from the platform's data, declared by the
    /// association, proven by a document, or observed on site by the auditor.
    CriterionMeasure => "::compliance::Measure" { Indicator, Declaration, Evidence, Observation });
mirror_enum!(
/// The built-in indicators (see ComplianceAudit.indicators).
ComplianceIndicator => "::compliance::Indicator" {
    WeeklyOpeningHours, SitesOpen, PeopleReceivedPerSite, MediationActsPerSite, PartnerShare,
    WorkshopsHeld, SatisfactionShare, AgreementsInForce, AgreementDeliverables, TeamSizePerSite,
        TrainingTimeShare,
});
mirror_enum!(FranchiseContractStatus => "::compliance::ContractStatus" { Draft, InForce, Expired, Terminated });
mirror_enum!(SignatoryParty => "::compliance::Party" { Association, Union });
mirror_enum!(ComplianceCampaignStatus => "::compliance::CampaignStatus" { Open, Closed });
mirror_enum!(
    /// Chosen by hand or drawn at random.
    AuditSelection => "::compliance::Selection" { Chosen, Sampled });
mirror_enum!(
    /// SELF_ASSESSMENT -> REVIEW (submitted) -> CONTRADICTORY (draft report sent) -> FINAL.
    AuditStatus => "::compliance::AuditStatus" { SelfAssessment, Review, Contradictory, Final });
mirror_enum!(ScoreResult => "::compliance::ScoreResult" { Met, PartlyMet, NotMet, NotApplicable });
mirror_enum!(
    /// Conforme, conforme avec réserves, non conforme.
    ComplianceGrade => "::compliance::Grade" { Compliant, CompliantWithReservations, NonCompliant });
mirror_enum!(FindingOutcome => "::compliance::FindingOutcome" { Maintained, Amended, Withdrawn });
mirror_enum!(AuditReportKind => "::compliance::ReportKind" { Draft, Final });
mirror_enum!(CorrectiveActionStatus => "::compliance::ActionStatus" { Open, Done, Accepted, Reopened });
mirror_enum!(SanctionKind => "::compliance::SanctionKind" { Warning, Suspension, Termination });
mirror_enum!(EvidenceReview => "::compliance::Review" { Pending, Accepted, Refused });
mirror_enum!(EvidenceOwnerKind => "::compliance::OwnerKind" { Contract, Answer, Observation, Reply, Action });

row_objects! {
    /// A version of the standards catalogue (référentiel).
    pub struct CatalogueVersion(pub co::CatalogueVersion);
    /// A principle of the standards (proximité, médiation, partenariat...).
    pub struct Principle(pub co::Principle);
    /// A criterion of a principle, with its measure.
    pub struct Criterion(pub co::Criterion);
    /// The social franchise contract (contrat de franchise sociale) of an association.
    pub struct FranchiseContract(pub co::Contract);
    /// A campaign of audits (campagne de contrôle).
    pub struct ComplianceCampaign(pub co::Campaign);
    /// The audit of one association in a campaign.
    pub struct ComplianceAudit(pub co::Audit);
    /// The association's declaration for one criterion.
    pub struct CriterionAnswer(pub co::Answer);
    /// What the auditor recorded on site.
    pub struct AuditObservation(pub co::Observation);
    /// A finding of the draft report.
    pub struct AuditFinding(pub co::Finding);
    /// The association's answer to a finding (phase contradictoire).
    pub struct FindingReply(pub co::Reply);
    /// An action of the corrective action plan.
    pub struct CorrectiveAction(pub co::Action);
    /// A sanction decided by the union admin.
    pub struct Sanction(pub co::Sanction);
    /// An evidence file; its bytes at GET /compliance/evidence/{id}.
    pub struct EvidenceDocument(pub co::Document);
}

fn label<T: Copy>(v: T, f: fn(T) -> &'static str) -> &'static str {
    f(v)
}

#[Object]
impl CatalogueVersion {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn status(&self) -> CatalogueVersionStatus {
        self.0.status.into()
    }
    async fn copied_from(&self, c: &Context<'_>) -> Result<Option<CatalogueVersion>> {
        load(c, self.0.copied_from).await
    }
    async fn published_at(&self) -> Option<DateTime<FixedOffset>> {
        self.0.published_at
    }
    async fn retired_at(&self) -> Option<DateTime<FixedOffset>> {
        self.0.retired_at
    }
    async fn principles(&self, c: &Context<'_>) -> Result<Vec<Principle>> {
        Ok(services(c)?
            .compliance
            .principles(ctx(c)?, self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(Principle)
            .collect())
    }
    async fn criteria(&self, c: &Context<'_>) -> Result<Vec<Criterion>> {
        Ok(services(c)?
            .compliance
            .criteria(ctx(c)?, self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(Criterion)
            .collect())
    }
}

#[Object]
impl Principle {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// French label.
    async fn label(&self) -> &str {
        &self.0.label
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn criteria(&self, c: &Context<'_>) -> Result<Vec<Criterion>> {
        Ok(services(c)?
            .compliance
            .criteria(ctx(c)?, self.0.version_id)
            .await
            .gql()?
            .into_iter()
            .filter(|cr| cr.principle_id == self.0.id)
            .map(Criterion)
            .collect())
    }
}

#[Object]
impl Criterion {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// French label.
    async fn label(&self) -> &str {
        &self.0.label
    }
    async fn guidance(&self) -> Option<&str> {
        self.0.guidance.as_deref()
    }
    async fn weight(&self) -> i32 {
        self.0.weight.into()
    }
    async fn measure(&self) -> CriterionMeasure {
        self.0.measure.into()
    }
    async fn indicator(&self) -> Option<ComplianceIndicator> {
        self.0.indicator.map(Into::into)
    }
    /// What the indicator must reach, where it applies.
    async fn threshold(&self) -> Option<f64> {
        self.0.threshold
    }
    async fn principle_id(&self) -> ID {
        encode_id("Principle", self.0.principle_id)
    }
    async fn principle(&self, c: &Context<'_>) -> Result<Option<Principle>> {
        load(c, self.0.principle_id).await
    }
}

#[derive(SimpleObject)]
pub struct ContractSignatory {
    party: SignatoryParty,
    full_name: String,
    role_title: String,
}

#[derive(SimpleObject)]
pub struct ContractAmendment {
    signed_on: NaiveDate,
    summary: String,
    created_at: DateTime<FixedOffset>,
}

/// A state before a change: who changed it, when, why, and the state as it was.
#[derive(SimpleObject)]
pub struct ComplianceHistoryEntry {
    action: String,
    previous: Json<serde_json::Value>,
    reason: Option<String>,
    changed_by_id: Option<ID>,
    changed_at: DateTime<FixedOffset>,
}

async fn history(c: &Context<'_>, id: uuid::Uuid) -> Result<Vec<ComplianceHistoryEntry>> {
    Ok(services(c)?
        .compliance
        .history(ctx(c)?, id)
        .await
        .gql()?
        .into_iter()
        .map(|h| ComplianceHistoryEntry {
            action: h.action,
            previous: Json(h.previous),
            reason: h.reason,
            changed_by_id: h.changed_by.map(|u| encode_id("User", u)),
            changed_at: h.changed_at,
        })
        .collect())
}

async fn documents(c: &Context<'_>, owner: uuid::Uuid) -> Result<Vec<EvidenceDocument>> {
    Ok(services(c)?
        .compliance
        .documents(ctx(c)?, owner)
        .await
        .gql()?
        .into_iter()
        .map(EvidenceDocument)
        .collect())
}

#[Object]
impl FranchiseContract {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn tenant(&self, c: &Context<'_>) -> Result<Option<Tenant>> {
        load(c, self.0.tenant_id).await
    }
    async fn reference(&self) -> &str {
        &self.0.reference
    }
    async fn signed_on(&self) -> NaiveDate {
        self.0.signed_on
    }
    /// The contract's term.
    async fn term_ends_on(&self) -> NaiveDate {
        self.0.term_ends_on
    }
    async fn renewal_on(&self) -> NaiveDate {
        self.0.renewal_on
    }
    async fn status(&self) -> FranchiseContractStatus {
        self.0.status.into()
    }
    async fn status_label(&self) -> &'static str {
        label(self.0.status, co::ContractStatus::label_fr)
    }
    /// The standards version it binds the association to.
    async fn catalogue_version(&self, c: &Context<'_>) -> Result<Option<CatalogueVersion>> {
        load(c, self.0.catalogue_version_id).await
    }
    /// Names and roles only.
    async fn signatories(&self, c: &Context<'_>) -> Result<Vec<ContractSignatory>> {
        Ok(services(c)?
            .compliance
            .signatories(ctx(c)?, self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(|s| ContractSignatory {
                party: s.party.into(),
                full_name: s.full_name,
                role_title: s.role_title,
            })
            .collect())
    }
    /// Amendments (avenants), oldest first.
    async fn amendments(&self, c: &Context<'_>) -> Result<Vec<ContractAmendment>> {
        Ok(services(c)?
            .compliance
            .amendments(ctx(c)?, self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(|a| ContractAmendment {
                signed_on: a.signed_on,
                summary: a.summary,
                created_at: a.created_at,
            })
            .collect())
    }
    /// Annexes (evidence documents attached to the contract).
    async fn annexes(&self, c: &Context<'_>) -> Result<Vec<EvidenceDocument>> {
        documents(c, self.0.id).await
    }
    /// Previous states: amendments and status changes, oldest first.
    async fn history(&self, c: &Context<'_>) -> Result<Vec<ComplianceHistoryEntry>> {
        history(c, self.0.id).await
    }
}

#[Object]
impl ComplianceCampaign {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn catalogue_version(&self, c: &Context<'_>) -> Result<Option<CatalogueVersion>> {
        load(c, self.0.catalogue_version_id).await
    }
    /// The period audited.
    async fn period_starts_on(&self) -> NaiveDate {
        self.0.period_starts_on
    }
    async fn period_ends_on(&self) -> NaiveDate {
        self.0.period_ends_on
    }
    async fn self_assessment_due_on(&self) -> NaiveDate {
        self.0.self_assessment_due_on
    }
    async fn visits_from(&self) -> NaiveDate {
        self.0.visits_from
    }
    async fn visits_until(&self) -> NaiveDate {
        self.0.visits_until
    }
    /// Days the association has to answer a draft report.
    async fn contradictory_days(&self) -> i32 {
        self.0.contradictory_days.into()
    }
    async fn closes_on(&self) -> NaiveDate {
        self.0.closes_on
    }
    /// The share of the network drawn at random, when there was a draw.
    async fn sample_percent(&self) -> Option<i32> {
        self.0.sample_percent.map(Into::into)
    }
    async fn status(&self) -> ComplianceCampaignStatus {
        self.0.status.into()
    }
    /// Its audits the caller may read, in the order they were opened.
    async fn audits(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, ComplianceAudit>> {
        let id = self.0.id;
        paged(c, first, after, move |s, ctx, p| {
            s.compliance.audits(ctx, Some(id), p)
        })
        .await
    }
}

/// One indicator of the audited association over the campaign's period.
#[derive(SimpleObject)]
pub struct IndicatorValue {
    indicator: ComplianceIndicator,
    /// French label.
    label: &'static str,
    /// Null when not available (never 0 in its place): see `unavailableReason`.
    value: Option<f64>,
    threshold: Option<f64>,
    met: Option<bool>,
    unavailable_reason: Option<&'static str>,
    per_site: Vec<IndicatorSiteValue>,
}

#[derive(SimpleObject)]
pub struct IndicatorSiteValue {
    site_id: ID,
    site_name: String,
    value: f64,
}

impl From<co::IndicatorValue> for IndicatorValue {
    fn from(v: co::IndicatorValue) -> Self {
        IndicatorValue {
            indicator: v.indicator.into(),
            label: v.indicator.label_fr(),
            value: v.value,
            threshold: v.threshold,
            met: v.met,
            unavailable_reason: v.unavailable_reason,
            per_site: v
                .per_site
                .into_iter()
                .map(|(id, name, value)| IndicatorSiteValue {
                    site_id: encode_id("Site", id),
                    site_name: name,
                    value,
                })
                .collect(),
        }
    }
}

#[derive(SimpleObject)]
pub struct CriterionScore {
    criterion_id: ID,
    result: ScoreResult,
    /// What the indicator gave, for an indicator criterion.
    prefilled_result: Option<ScoreResult>,
    indicator_value: Option<f64>,
    /// Why the auditor overrode the indicator.
    override_reason: Option<String>,
    scored_at: DateTime<FixedOffset>,
}

#[derive(SimpleObject)]
pub struct AuditReport {
    kind: AuditReportKind,
    summary: String,
    score: Option<f64>,
    grade: Option<ComplianceGrade>,
    issued_at: DateTime<FixedOffset>,
}

/// The auditors' own note: never shown to the association.
#[derive(SimpleObject)]
pub struct AuditNote {
    body: String,
    created_at: DateTime<FixedOffset>,
}

#[Object]
impl ComplianceAudit {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn tenant(&self, c: &Context<'_>) -> Result<Option<Tenant>> {
        load(c, self.0.tenant_id).await
    }
    async fn campaign(&self, c: &Context<'_>) -> Result<Option<ComplianceCampaign>> {
        load(c, self.0.campaign_id).await
    }
    async fn selection(&self) -> AuditSelection {
        self.0.selection.into()
    }
    async fn status(&self) -> AuditStatus {
        self.0.status.into()
    }
    async fn status_label(&self) -> &'static str {
        label(self.0.status, co::AuditStatus::label_fr)
    }
    async fn auditor_id(&self) -> Option<ID> {
        self.0.auditor_id.map(|u| encode_id("User", u))
    }
    async fn submitted_at(&self) -> Option<DateTime<FixedOffset>> {
        self.0.submitted_at
    }
    async fn draft_sent_at(&self) -> Option<DateTime<FixedOffset>> {
        self.0.draft_sent_at
    }
    /// The last day (Paris) the association may answer the draft report.
    async fn replies_due_on(&self) -> Option<NaiveDate> {
        self.0.replies_due_on
    }
    async fn finalised_at(&self) -> Option<DateTime<FixedOffset>> {
        self.0.finalised_at
    }
    /// The weighted share of criteria met, in % (partly met counts half), once the
    /// draft report is sent.
    async fn score(&self) -> Option<f64> {
        self.0.score
    }
    async fn grade(&self) -> Option<ComplianceGrade> {
        self.0.grade.map(Into::into)
    }
    async fn grade_label(&self) -> Option<&'static str> {
        self.0.grade.map(co::Grade::label_fr)
    }
    async fn answers(&self, c: &Context<'_>) -> Result<Vec<CriterionAnswer>> {
        Ok(services(c)?
            .compliance
            .answers(ctx(c)?, self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(CriterionAnswer)
            .collect())
    }
    /// The indicators over the campaign's period (auditors and the association's staff).
    async fn indicators(&self, c: &Context<'_>) -> Result<Vec<IndicatorValue>> {
        Ok(services(c)?
            .compliance
            .indicators(ctx(c)?, self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(Into::into)
            .collect())
    }
    async fn scores(&self, c: &Context<'_>) -> Result<Vec<CriterionScore>> {
        Ok(services(c)?
            .compliance
            .scores(ctx(c)?, self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(|s| CriterionScore {
                criterion_id: encode_id("Criterion", s.criterion_id),
                result: s.result.into(),
                prefilled_result: s.prefilled_result.map(Into::into),
                indicator_value: s.indicator_value,
                override_reason: s.override_reason,
                scored_at: s.scored_at,
            })
            .collect())
    }
    async fn observations(&self, c: &Context<'_>) -> Result<Vec<AuditObservation>> {
        Ok(services(c)?
            .compliance
            .observations(ctx(c)?, self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(AuditObservation)
            .collect())
    }
    /// The draft report's findings, once it is sent (to the association).
    async fn findings(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, AuditFinding>> {
        let id = self.0.id;
        paged(c, first, after, move |s, ctx, p| {
            s.compliance.findings(ctx, id, p)
        })
        .await
    }
    /// The draft (once sent) and the final report.
    async fn reports(&self, c: &Context<'_>) -> Result<Vec<AuditReport>> {
        Ok(services(c)?
            .compliance
            .reports(ctx(c)?, self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(|r| AuditReport {
                kind: r.kind.into(),
                summary: r.summary,
                score: r.score,
                grade: r.grade.map(Into::into),
                issued_at: r.issued_at,
            })
            .collect())
    }
    /// Internal notes: the union's admin and auditors only (empty for anyone else).
    async fn notes(&self, c: &Context<'_>) -> Result<Vec<AuditNote>> {
        Ok(services(c)?
            .compliance
            .notes(ctx(c)?, self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(|n| AuditNote {
                body: n.body,
                created_at: n.created_at,
            })
            .collect())
    }
    /// The corrective action plan, in the order the actions were set.
    async fn actions(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, CorrectiveAction>> {
        let id = self.0.id;
        paged(c, first, after, move |s, ctx, p| {
            s.compliance.actions(ctx, id, p)
        })
        .await
    }
    /// State changes, oldest first (submission, draft sent, final report).
    async fn history(&self, c: &Context<'_>) -> Result<Vec<ComplianceHistoryEntry>> {
        history(c, self.0.id).await
    }
}

#[Object]
impl CriterionAnswer {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn criterion_id(&self) -> ID {
        encode_id("Criterion", self.0.criterion_id)
    }
    async fn criterion(&self, c: &Context<'_>) -> Result<Option<Criterion>> {
        load(c, self.0.criterion_id).await
    }
    async fn declaration(&self) -> Option<&str> {
        self.0.declaration.as_deref()
    }
    async fn updated_at(&self) -> DateTime<FixedOffset> {
        self.0.updated_at
    }
    async fn evidence(&self, c: &Context<'_>) -> Result<Vec<EvidenceDocument>> {
        documents(c, self.0.id).await
    }
}

#[Object]
impl AuditObservation {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn criterion_id(&self) -> ID {
        encode_id("Criterion", self.0.criterion_id)
    }
    async fn criterion(&self, c: &Context<'_>) -> Result<Option<Criterion>> {
        load(c, self.0.criterion_id).await
    }
    async fn site(&self, c: &Context<'_>) -> Result<Option<Site>> {
        load(c, self.0.site_id).await
    }
    async fn observed_on(&self) -> NaiveDate {
        self.0.observed_on
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn evidence(&self, c: &Context<'_>) -> Result<Vec<EvidenceDocument>> {
        documents(c, self.0.id).await
    }
}

#[Object]
impl AuditFinding {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn criterion_id(&self) -> ID {
        encode_id("Criterion", self.0.criterion_id)
    }
    async fn criterion(&self, c: &Context<'_>) -> Result<Option<Criterion>> {
        load(c, self.0.criterion_id).await
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// What the final report says of it after the association's answer.
    async fn outcome(&self) -> Option<FindingOutcome> {
        self.0.outcome.map(Into::into)
    }
    async fn outcome_note(&self) -> Option<&str> {
        self.0.outcome_note.as_deref()
    }
    async fn reply(&self, c: &Context<'_>) -> Result<Option<FindingReply>> {
        Ok(services(c)?
            .compliance
            .replies(ctx(c)?, &self.0)
            .await
            .gql()?
            .pop()
            .map(FindingReply))
    }
}

#[Object]
impl FindingReply {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn created_at(&self) -> DateTime<FixedOffset> {
        self.0.created_at
    }
    async fn evidence(&self, c: &Context<'_>) -> Result<Vec<EvidenceDocument>> {
        documents(c, self.0.id).await
    }
}

#[Object]
impl CorrectiveAction {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn tenant(&self, c: &Context<'_>) -> Result<Option<Tenant>> {
        load(c, self.0.tenant_id).await
    }
    async fn criterion_id(&self) -> ID {
        encode_id("Criterion", self.0.criterion_id)
    }
    async fn criterion(&self, c: &Context<'_>) -> Result<Option<Criterion>> {
        load(c, self.0.criterion_id).await
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The audit whose final report set it.
    async fn audit(&self, c: &Context<'_>) -> Result<Option<ComplianceAudit>> {
        load(c, self.0.audit_id).await
    }
    /// The member of the association who owns it.
    async fn owner(&self, c: &Context<'_>) -> Result<Option<Membership>> {
        load(c, self.0.owner_membership_id).await
    }
    async fn due_on(&self) -> NaiveDate {
        self.0.due_on
    }
    async fn status(&self) -> CorrectiveActionStatus {
        self.0.status.into()
    }
    async fn completion_note(&self) -> Option<&str> {
        self.0.completion_note.as_deref()
    }
    /// Set by the daily check when the due date passed and the action was not done.
    async fn overdue_since(&self) -> Option<NaiveDate> {
        self.0.overdue_since
    }
    async fn overdue(&self) -> bool {
        self.0.overdue_since.is_some()
            && matches!(
                self.0.status,
                co::ActionStatus::Open | co::ActionStatus::Reopened
            )
    }
    /// Evidence of completion.
    async fn evidence(&self, c: &Context<'_>) -> Result<Vec<EvidenceDocument>> {
        documents(c, self.0.id).await
    }
    async fn history(&self, c: &Context<'_>) -> Result<Vec<ComplianceHistoryEntry>> {
        history(c, self.0.id).await
    }
}

#[Object]
impl Sanction {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn tenant(&self, c: &Context<'_>) -> Result<Option<Tenant>> {
        load(c, self.0.tenant_id).await
    }
    async fn kind(&self) -> SanctionKind {
        self.0.kind.into()
    }
    async fn kind_label(&self) -> &'static str {
        self.0.kind.label_fr()
    }
    /// The site whose brand label is suspended (none: the whole association).
    async fn site(&self, c: &Context<'_>) -> Result<Option<Site>> {
        load(c, self.0.site_id).await
    }
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    async fn decided_on(&self) -> NaiveDate {
        self.0.decided_on
    }
    async fn ends_on(&self) -> Option<NaiveDate> {
        self.0.ends_on
    }
}

#[Object]
impl EvidenceDocument {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn owner_kind(&self) -> EvidenceOwnerKind {
        self.0.owner_kind.into()
    }
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }
    /// Checked from the content, not the name.
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }
    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    /// Where to fetch it (with the same token): the gateway streams it after the
    /// same checks as its record.
    async fn download_path(&self) -> String {
        format!("/compliance/evidence/{}", self.gid().as_str())
    }
    async fn review(&self) -> EvidenceReview {
        self.0.review.into()
    }
    async fn review_reason(&self) -> Option<&str> {
        self.0.review_reason.as_deref()
    }
    async fn uploaded_by(&self, c: &Context<'_>) -> Result<Option<User>> {
        load(c, self.0.uploaded_by).await
    }
    async fn uploaded_at(&self) -> DateTime<FixedOffset> {
        self.0.uploaded_at
    }
}

#[derive(SimpleObject)]
pub struct GradeCount {
    grade: ComplianceGrade,
    label: &'static str,
    associations: i64,
}

#[derive(SimpleObject)]
pub struct CriterionNotMet {
    code: String,
    label: String,
    times: i64,
}

#[derive(SimpleObject)]
pub struct CampaignTrend {
    title: String,
    audits_finalised: i64,
    mean_score: Option<f64>,
}

/// The union's compliance dashboard (aggregates only).
pub struct ComplianceDashboard(pub co::ComplianceDashboard);

#[Object]
impl ComplianceDashboard {
    /// Each association's latest final grade.
    async fn by_grade(&self) -> Vec<GradeCount> {
        self.0
            .by_grade
            .iter()
            .map(|(g, n)| GradeCount {
                grade: (*g).into(),
                label: g.label_fr(),
                associations: *n,
            })
            .collect()
    }
    /// The ten criteria most often not met in final audits.
    async fn criteria_not_met(&self) -> Vec<CriterionNotMet> {
        self.0
            .criteria_not_met
            .iter()
            .map(|(code, label, n)| CriterionNotMet {
                code: code.clone(),
                label: label.clone(),
                times: *n,
            })
            .collect()
    }
    async fn overdue_actions(&self) -> i64 {
        self.0.overdue_actions
    }
    /// Contracts in force reaching their term within 90 days.
    async fn contracts_to_renew(&self) -> i64 {
        self.0.contracts_to_renew
    }
    /// Per campaign, oldest first.
    async fn trend(&self) -> Vec<CampaignTrend> {
        self.0
            .trend
            .iter()
            .map(|(t, n, m)| CampaignTrend {
                title: t.clone(),
                audits_finalised: *n,
                mean_score: *m,
            })
            .collect()
    }
    /// The same view for a spreadsheet: semicolons, UTF-8 with BOM, formula-safe cells.
    async fn csv(&self) -> String {
        to_csv(&self.0)
    }
}

pub(crate) fn to_csv(d: &co::ComplianceDashboard) -> String {
    use kernel::csv::field;
    let mut out = String::from("\u{feff}section;clé;libellé;valeur\r\n");
    let mut line = |s: &str, k: &str, l: &str, v: String| {
        out.push_str(&format!(
            "{};{};{};{}\r\n",
            field(s),
            field(k),
            field(l),
            field(&v)
        ));
    };
    for (g, n) in &d.by_grade {
        line("notes", g.as_str(), g.label_fr(), n.to_string());
    }
    for (code, label, n) in &d.criteria_not_met {
        line("critères non atteints", code, label, n.to_string());
    }
    line("actions en retard", "", "", d.overdue_actions.to_string());
    line(
        "contrats à renouveler (90 jours)",
        "",
        "",
        d.contracts_to_renew.to_string(),
    );
    for (t, n, m) in &d.trend {
        line("campagnes", t, "contrôles finalisés", n.to_string());
        line(
            "campagnes",
            t,
            "score moyen",
            m.map(|v| format!("{v:.1}").replace('.', ","))
                .unwrap_or_default(),
        );
    }
    out
}
