//! The objects and enums of outbound mediation: campaigns, cases, attempts, the
//! campaign dashboard.

use crate::context::{ctx, services};
use crate::error::Gql;
use crate::loaders::{load, load_of};
use crate::node::{RowObject, encode_id};
use crate::partners::types::Agreement;
use crate::privacy::log_reads;
use crate::tenancy::types::{Membership, PartnerOrganisation, Tenant};
use ::partners::outreach as out;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, FixedOffset, NaiveDate};

mirror_enum!(
/// What the partner wants settled with its customers.
OutreachPurpose => "partners::outreach::Purpose" {
    UnpaidEnergyBills, UnpaidWaterBills, EnergyVouchers, SocialTariff, TransportFines,
    MeterAccess, DigitalInclusion, Other,
});
mirror_enum!(
/// The GDPR legal basis on which the partner hands over its customers' data.
OutreachLegalBasis => "partners::outreach::LegalBasis" {
    LegitimateInterest, Contract, LegalObligation, Consent, PublicInterest,
});
mirror_enum!(OutreachCampaignStatus => "partners::outreach::CampaignStatus" { Open, Closed });
mirror_enum!(
    /// Pending until the first attempt, in progress until an outcome.
    OutreachCaseStatus => "partners::outreach::CaseStatus" { Pending, InProgress, Closed });
mirror_enum!(
/// How a case ended. The first three restore contact (the contact rate counts them).
OutreachOutcome => "partners::outreach::Outcome" {
    ContactRestored, PaymentPlanAgreed, ReferredToSocialServices, WrongNumber, Refused, Unreachable,
});
mirror_enum!(OutreachChannel => "partners::outreach::AttemptChannel" { Phone, DoorToDoor, Letter, Sms });
mirror_enum!(
/// What an attempt gave. Reached and refused mean the person was reached.
OutreachAttemptResult => "partners::outreach::AttemptResult" {
    Reached, NoAnswer, LeftMessage, WrongNumber, Refused, LetterSent, MovedAway,
});

row_objects! {
    /// An outreach campaign: a partner's commission to an association, under an agreement.
    pub struct OutreachCampaign(pub out::Campaign);
    /// One of the partner's customers to reach. Contact data (name, phone, email,
    /// address) only for the association's staff who work cases, and null once purged.
    pub struct OutreachCase(pub out::Case);
}

#[Object]
impl OutreachCampaign {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    /// The association that runs the campaign.
    async fn association(&self, c: &Context<'_>) -> Result<Option<Tenant>> {
        load(c, self.0.tenant_id).await
    }
    /// The commissioning partner.
    async fn partner(&self, c: &Context<'_>) -> Result<Option<PartnerOrganisation>> {
        load(c, self.0.partner_id).await
    }
    /// The agreement the campaign runs under (global id of an Agreement).
    async fn agreement_id(&self) -> ID {
        encode_id("Agreement", self.0.agreement_id)
    }
    /// The agreement itself; null for an API client without agreements:read.
    async fn agreement(&self, c: &Context<'_>) -> Result<Option<Agreement>> {
        load(c, self.0.agreement_id).await
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn purpose(&self) -> OutreachPurpose {
        self.0.purpose.into()
    }
    async fn purpose_label(&self) -> &'static str {
        self.0.purpose.label_fr()
    }
    async fn legal_basis(&self) -> OutreachLegalBasis {
        self.0.legal_basis.into()
    }
    async fn legal_basis_label(&self) -> &'static str {
        self.0.legal_basis.label_fr()
    }
    /// Cases are submitted between these two days (Paris time).
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }
    async fn ends_on(&self) -> NaiveDate {
        self.0.ends_on
    }
    /// Attempts after which a case nobody answered closes as unreachable.
    async fn max_attempts(&self) -> i32 {
        i32::from(self.0.max_attempts)
    }
    /// Days contact data is kept after the campaign closes.
    async fn retention_days(&self) -> i32 {
        self.0.retention_days
    }
    async fn status(&self) -> OutreachCampaignStatus {
        self.0.status.into()
    }
    async fn status_label(&self) -> &'static str {
        self.0.status.label_fr()
    }
    async fn closed_at(&self) -> Option<DateTime<FixedOffset>> {
        self.0.closed_at
    }
    /// When contact data becomes due for erasure (closed, plus the retention period).
    async fn purge_due_at(&self) -> Option<DateTime<FixedOffset>> {
        self.0
            .closed_at
            .map(|t| t + chrono::Duration::days(i64::from(self.0.retention_days)))
    }
    /// When contact data was erased; outcome counts remain.
    async fn purged_at(&self) -> Option<DateTime<FixedOffset>> {
        self.0.purged_at
    }
    async fn created_at(&self) -> DateTime<FixedOffset> {
        self.0.created_at
    }
    /// Cases by status and outcome, contact rate, attempts per case.
    async fn dashboard(&self, c: &Context<'_>) -> Result<OutreachDashboard> {
        let d = services(c)?
            .partners
            .outreach_dashboard(ctx(c)?, self.0.id)
            .await
            .gql()?;
        Ok(OutreachDashboard {
            title: self.0.title.clone(),
            d,
        })
    }
}

impl OutreachCase {
    fn contact(&self) -> Option<&out::Contact> {
        self.0.contact.as_ref()
    }
}

#[Object]
impl OutreachCase {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn campaign(&self, c: &Context<'_>) -> Result<Option<OutreachCampaign>> {
        load(c, self.0.campaign_id).await
    }
    /// The partner's reference for its customer (the partner and those who work cases).
    async fn customer_ref(&self) -> Option<&str> {
        self.0.customer_ref.as_deref()
    }
    async fn full_name(&self) -> Option<&str> {
        self.contact().and_then(|k| k.full_name.as_deref())
    }
    /// International form, e.g. +33612345678.
    async fn phone(&self) -> Option<&str> {
        self.contact().and_then(|k| k.phone.as_deref())
    }
    async fn email(&self) -> Option<&str> {
        self.contact().and_then(|k| k.email.as_deref())
    }
    async fn address(&self) -> Option<&str> {
        self.contact().and_then(|k| k.address.as_deref())
    }
    async fn postal_code(&self) -> Option<&str> {
        self.contact().and_then(|k| k.postal_code.as_deref())
    }
    async fn status(&self) -> OutreachCaseStatus {
        self.0.status.into()
    }
    async fn status_label(&self) -> &'static str {
        self.0.status.label_fr()
    }
    async fn outcome(&self) -> Option<OutreachOutcome> {
        self.0.outcome.map(Into::into)
    }
    async fn outcome_label(&self) -> Option<&'static str> {
        self.0.outcome.map(out::Outcome::label_fr)
    }
    /// The resident agreed that details of the outcome go back to the partner.
    async fn consent_to_report(&self) -> bool {
        self.0.consent_to_report
    }
    /// What the partner may be told, with the resident's consent.
    async fn report_details(&self) -> Option<&str> {
        self.0.report_details.as_deref()
    }
    async fn attempt_count(&self) -> i32 {
        self.0.attempts
    }
    /// Attempts, oldest first: the association's staff only (notes for those who work
    /// cases); null with an error for anyone else.
    async fn attempts(&self, c: &Context<'_>) -> Result<Option<Vec<OutreachAttempt>>> {
        let rows = load_of(c, |l| &l.outreach.attempts, self.0.id).await?;
        log_reads(c, "OutreachAttempt", rows.iter().map(|a| a.id)).await?;
        Ok(Some(rows.into_iter().map(OutreachAttempt).collect()))
    }
    async fn submitted_at(&self) -> DateTime<FixedOffset> {
        self.0.submitted_at
    }
    async fn updated_at(&self) -> DateTime<FixedOffset> {
        self.0.updated_at
    }
    async fn closed_at(&self) -> Option<DateTime<FixedOffset>> {
        self.0.closed_at
    }
    async fn purged_at(&self) -> Option<DateTime<FixedOffset>> {
        self.0.purged_at
    }
}

/// One attempt to reach the person: it stays in the association.
pub struct OutreachAttempt(pub out::Attempt);

#[Object]
impl OutreachAttempt {
    async fn channel(&self) -> OutreachChannel {
        self.0.channel.into()
    }
    async fn channel_label(&self) -> &'static str {
        self.0.channel.label_fr()
    }
    async fn attempted_at(&self) -> DateTime<FixedOffset> {
        self.0.attempted_at
    }
    async fn result(&self) -> OutreachAttemptResult {
        self.0.result.into()
    }
    async fn result_label(&self) -> &'static str {
        self.0.result.label_fr()
    }
    /// Free text, for those who work cases; erased by the purge.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn mediator(&self, c: &Context<'_>) -> Result<Option<Membership>> {
        load(c, self.0.mediator_id).await
    }
}

#[derive(SimpleObject)]
pub struct OutreachStatusCount {
    status: OutreachCaseStatus,
    label: &'static str,
    count: i64,
}

#[derive(SimpleObject)]
pub struct OutreachOutcomeCount {
    outcome: OutreachOutcome,
    label: &'static str,
    count: i64,
}

/// A campaign's numbers; they survive the purge.
pub struct OutreachDashboard {
    title: String,
    d: out::Dashboard,
}

#[Object]
impl OutreachDashboard {
    /// Cases submitted.
    async fn cases(&self) -> i64 {
        self.d.cases
    }
    /// Every status, zeros included.
    async fn by_status(&self) -> Vec<OutreachStatusCount> {
        self.d
            .by_status
            .iter()
            .map(|(s, n)| OutreachStatusCount {
                status: (*s).into(),
                label: s.label_fr(),
                count: *n,
            })
            .collect()
    }
    /// Every outcome, zeros included.
    async fn by_outcome(&self) -> Vec<OutreachOutcomeCount> {
        self.d
            .by_outcome
            .iter()
            .map(|(o, n)| OutreachOutcomeCount {
                outcome: (*o).into(),
                label: o.label_fr(),
                count: *n,
            })
            .collect()
    }
    async fn closed_cases(&self) -> i64 {
        self.d.closed()
    }
    /// Closed cases whose outcome restored contact.
    async fn contacted_cases(&self) -> i64 {
        self.d.contacted()
    }
    /// Contacted cases / closed cases (0..1); null before any case is closed.
    async fn contact_rate(&self) -> Option<f64> {
        self.d.contact_rate()
    }
    async fn attempts(&self) -> i64 {
        self.d.attempts
    }
    /// Attempts per submitted case; null without cases.
    async fn attempts_per_case(&self) -> Option<f64> {
        self.d.attempts_per_case()
    }
    /// The same numbers as CSV (semicolons, UTF-8 with BOM), for a spreadsheet.
    async fn csv(&self) -> String {
        out::to_csv(&self.title, &self.d)
    }
}
