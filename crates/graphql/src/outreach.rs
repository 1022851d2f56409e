//! Outbound mediation (médiation sortante): campaigns an association opens under an
//! agreement, cases the partner hands over, attempts and outcomes, the campaign
//! dashboard. Contact data reaches only the association's staff who work cases;
//! the partner reads statuses and outcomes of its own cases.

use crate::connection::{connection, page_request};
use crate::context::{ctx, services};
use crate::error::Gql;
use crate::loaders::loaders;
use crate::node::{decode_id, encode_id};
use crate::partners::Agreement;
use crate::tenancy::{Membership, PartnerOrganisation, Tenant};
use ::partners::outreach as out;
use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

macro_rules! mirror_enum {
    ($(#[$m:meta])* $name:ident => $remote:literal { $($v:ident),* $(,)? }) => {
        $(#[$m])*
        #[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
        #[graphql(remote = $remote)]
        pub enum $name { $($v),* }
    };
}

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

// ---------------------------------------------------------------------------
// Objects

/// An outreach campaign: a partner's commission to an association, under an agreement.
pub struct OutreachCampaign(pub out::Campaign);

#[Object]
impl OutreachCampaign {
    pub async fn id(&self) -> ID {
        encode_id("OutreachCampaign", self.0.id)
    }
    /// The association that runs the campaign.
    async fn association(&self, c: &Context<'_>) -> async_graphql::Result<Option<Tenant>> {
        Ok(loaders(c)?
            .tenant
            .load_one(self.0.tenant_id)
            .await?
            .map(Tenant))
    }
    /// The commissioning partner.
    async fn partner(&self, c: &Context<'_>) -> async_graphql::Result<Option<PartnerOrganisation>> {
        Ok(loaders(c)?
            .partner
            .load_one(self.0.partner_id)
            .await?
            .map(PartnerOrganisation))
    }
    /// The agreement the campaign runs under (global id of an Agreement).
    async fn agreement_id(&self) -> ID {
        encode_id("Agreement", self.0.agreement_id)
    }
    /// The agreement itself; null for an API client without agreements:read.
    async fn agreement(&self, c: &Context<'_>) -> async_graphql::Result<Option<Agreement>> {
        Ok(loaders(c)?
            .agreement
            .load_one(self.0.agreement_id)
            .await?
            .map(Agreement))
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
    async fn dashboard(&self, c: &Context<'_>) -> async_graphql::Result<OutreachDashboard> {
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

/// One of the partner's customers to reach. Contact data (name, phone, email,
/// address) only for the association's staff who work cases, and null once purged.
pub struct OutreachCase(pub out::Case);

impl OutreachCase {
    fn contact(&self) -> Option<&out::Contact> {
        self.0.contact.as_ref()
    }
}

#[Object]
impl OutreachCase {
    pub async fn id(&self) -> ID {
        encode_id("OutreachCase", self.0.id)
    }
    async fn campaign(&self, c: &Context<'_>) -> async_graphql::Result<Option<OutreachCampaign>> {
        Ok(loaders(c)?
            .outreach_campaign
            .load_one(self.0.campaign_id)
            .await?
            .map(OutreachCampaign))
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
    async fn attempts(
        &self,
        c: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<OutreachAttempt>>> {
        Ok(Some(
            loaders(c)?
                .outreach_attempts
                .load_one(self.0.id)
                .await?
                .unwrap_or_default()
                .into_iter()
                .map(OutreachAttempt)
                .collect(),
        ))
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
    async fn mediator(&self, c: &Context<'_>) -> async_graphql::Result<Option<Membership>> {
        Ok(loaders(c)?
            .membership
            .load_one(self.0.mediator_id)
            .await?
            .map(Membership))
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

// ---------------------------------------------------------------------------
// Queries

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
    ) -> async_graphql::Result<Connection<String, OutreachCampaign>> {
        let ctx = ctx(c)?;
        let page = page_request(first, after).gql()?;
        let p = services(c)?
            .partners
            .outreach_campaigns(ctx, status.map(Into::into), page)
            .await
            .gql()?;
        Ok(connection(p, |m| m.id, OutreachCampaign))
    }

    /// A campaign's cases, newest first (the association's staff, the partner).
    async fn outreach_cases(
        &self,
        c: &Context<'_>,
        campaign_id: ID,
        status: Option<OutreachCaseStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, OutreachCase>> {
        let ctx = ctx(c)?;
        let id = decode_id("campaignId", &campaign_id, "OutreachCampaign").gql()?;
        let page = page_request(first, after).gql()?;
        let p = services(c)?
            .partners
            .outreach_cases(ctx, id, status.map(Into::into), page)
            .await
            .gql()?;
        Ok(connection(p, |m| m.id, OutreachCase))
    }
}

// ---------------------------------------------------------------------------
// Mutations

#[derive(InputObject)]
pub struct OpenOutreachCampaignInput {
    /// An active agreement covering outreach, local to the association or national
    /// and covering one of its sites.
    agreement_id: ID,
    title: String,
    purpose: OutreachPurpose,
    legal_basis: OutreachLegalBasis,
    /// Within the agreement's period.
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    /// 1 to 10.
    #[graphql(default = 3)]
    max_attempts: i32,
    /// 0 to 1095 days after closing.
    #[graphql(default = 90)]
    retention_days: i32,
}

#[derive(InputObject)]
pub struct CloseOutreachCampaignInput {
    campaign_id: ID,
}

#[derive(SimpleObject)]
pub struct OutreachCampaignPayload {
    campaign: OutreachCampaign,
}

/// A customer to reach: a reference, and a phone, an email or an address with its
/// postal code.
#[derive(InputObject)]
pub struct OutreachCaseInput {
    customer_ref: String,
    full_name: Option<String>,
    /// French (06 12 34 56 78) or international (+32 ...).
    phone: Option<String>,
    email: Option<String>,
    address: Option<String>,
    postal_code: Option<String>,
}

impl From<OutreachCaseInput> for out::NewCase {
    fn from(c: OutreachCaseInput) -> Self {
        out::NewCase {
            customer_ref: c.customer_ref,
            full_name: c.full_name,
            phone: c.phone,
            email: c.email,
            address: c.address,
            postal_code: c.postal_code,
        }
    }
}

#[derive(InputObject)]
pub struct SubmitOutreachCasesInput {
    campaign_id: ID,
    /// Up to 500; all or nothing.
    cases: Vec<OutreachCaseInput>,
}

#[derive(InputObject)]
pub struct UploadOutreachCasesCsvInput {
    campaign_id: ID,
    /// The file's text: a header line (customer_ref, full_name, phone, email, address,
    /// postal_code; customer_ref required), `;` or `,`, up to 500 lines; all or nothing.
    csv: String,
}

#[derive(SimpleObject)]
pub struct SubmitOutreachCasesPayload {
    campaign: OutreachCampaign,
    /// How many cases were recorded.
    submitted: i32,
    /// The new cases, in the order given.
    cases: Vec<OutreachCase>,
}

impl From<out::Submitted> for SubmitOutreachCasesPayload {
    fn from(s: out::Submitted) -> Self {
        Self {
            campaign: OutreachCampaign(s.campaign),
            submitted: s.cases.len() as i32,
            cases: s.cases.into_iter().map(OutreachCase).collect(),
        }
    }
}

#[derive(InputObject)]
pub struct RecordOutreachAttemptInput {
    case_id: ID,
    channel: OutreachChannel,
    /// Defaults to now.
    attempted_at: Option<DateTime<Utc>>,
    result: OutreachAttemptResult,
    /// Stays in the association; erased by the purge.
    note: Option<String>,
}

#[derive(SimpleObject)]
pub struct RecordOutreachAttemptPayload {
    /// The case after the attempt: in progress, or closed as unreachable after the
    /// campaign's last attempt.
    case: OutreachCase,
    attempt: OutreachAttempt,
}

#[derive(InputObject)]
pub struct CloseOutreachCaseInput {
    case_id: ID,
    outcome: OutreachOutcome,
    /// The resident, reached, agreed that details go back to the partner.
    #[graphql(default = false)]
    consent_to_report: bool,
    /// Only with consent; at most 1000 characters.
    report_details: Option<String>,
}

#[derive(SimpleObject)]
pub struct OutreachCasePayload {
    case: OutreachCase,
}

#[derive(Default)]
pub struct OutreachMutation;

#[Object]
impl OutreachMutation {
    /// Opens a campaign under an agreement (the association's directors and coordinators).
    async fn open_outreach_campaign(
        &self,
        c: &Context<'_>,
        input: OpenOutreachCampaignInput,
    ) -> async_graphql::Result<OutreachCampaignPayload> {
        let ctx = ctx(c)?;
        let new = out::NewCampaign {
            agreement_id: decode_id("agreementId", &input.agreement_id, "Agreement").gql()?,
            title: input.title,
            purpose: input.purpose.into(),
            legal_basis: input.legal_basis.into(),
            starts_on: input.starts_on,
            ends_on: input.ends_on,
            max_attempts: input.max_attempts,
            retention_days: input.retention_days,
        };
        let campaign = services(c)?
            .partners
            .open_outreach_campaign(ctx, new)
            .await
            .gql()?;
        Ok(OutreachCampaignPayload {
            campaign: OutreachCampaign(campaign),
        })
    }

    /// Closes a campaign: no more cases come in or are worked; the retention period
    /// starts (directors and coordinators).
    async fn close_outreach_campaign(
        &self,
        c: &Context<'_>,
        input: CloseOutreachCampaignInput,
    ) -> async_graphql::Result<OutreachCampaignPayload> {
        let ctx = ctx(c)?;
        let id = decode_id("campaignId", &input.campaign_id, "OutreachCampaign").gql()?;
        let campaign = services(c)?
            .partners
            .close_outreach_campaign(ctx, id)
            .await
            .gql()?;
        Ok(OutreachCampaignPayload {
            campaign: OutreachCampaign(campaign),
        })
    }

    /// Hands cases over to one of the partner's open campaigns (partners, with
    /// outreach:write). All or nothing.
    async fn submit_outreach_cases(
        &self,
        c: &Context<'_>,
        input: SubmitOutreachCasesInput,
    ) -> async_graphql::Result<SubmitOutreachCasesPayload> {
        let ctx = ctx(c)?;
        let id = decode_id("campaignId", &input.campaign_id, "OutreachCampaign").gql()?;
        let cases = input.cases.into_iter().map(Into::into).collect();
        let s = services(c)?
            .partners
            .submit_outreach_cases(ctx, id, cases)
            .await
            .gql()?;
        Ok(s.into())
    }

    /// The same from a CSV file's text; errors name the line.
    async fn upload_outreach_cases_csv(
        &self,
        c: &Context<'_>,
        input: UploadOutreachCasesCsvInput,
    ) -> async_graphql::Result<SubmitOutreachCasesPayload> {
        let ctx = ctx(c)?;
        let id = decode_id("campaignId", &input.campaign_id, "OutreachCampaign").gql()?;
        let s = services(c)?
            .partners
            .upload_outreach_cases_csv(ctx, id, &input.csv)
            .await
            .gql()?;
        Ok(s.into())
    }

    /// Records an attempt to reach the person (directors, coordinators, mediators).
    async fn record_outreach_attempt(
        &self,
        c: &Context<'_>,
        input: RecordOutreachAttemptInput,
    ) -> async_graphql::Result<RecordOutreachAttemptPayload> {
        let ctx = ctx(c)?;
        let id = decode_id("caseId", &input.case_id, "OutreachCase").gql()?;
        let a = out::NewAttempt {
            channel: input.channel.into(),
            attempted_at: input.attempted_at.unwrap_or_else(Utc::now),
            result: input.result.into(),
            note: input.note,
        };
        let (case, attempt) = services(c)?
            .partners
            .record_outreach_attempt(ctx, id, a)
            .await
            .gql()?;
        Ok(RecordOutreachAttemptPayload {
            case: OutreachCase(case),
            attempt: OutreachAttempt(attempt),
        })
    }

    /// Records how a case ended (directors, coordinators, mediators).
    async fn close_outreach_case(
        &self,
        c: &Context<'_>,
        input: CloseOutreachCaseInput,
    ) -> async_graphql::Result<OutreachCasePayload> {
        let ctx = ctx(c)?;
        let id = decode_id("caseId", &input.case_id, "OutreachCase").gql()?;
        let closure = out::CaseClosure {
            outcome: input.outcome.into(),
            consent_to_report: input.consent_to_report,
            report_details: input.report_details,
        };
        let case = services(c)?
            .partners
            .close_outreach_case(ctx, id, closure)
            .await
            .gql()?;
        Ok(OutreachCasePayload {
            case: OutreachCase(case),
        })
    }
}
