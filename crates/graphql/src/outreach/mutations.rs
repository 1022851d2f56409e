use super::types::{
    OutreachAttempt, OutreachAttemptResult, OutreachCampaign, OutreachCase, OutreachChannel,
    OutreachLegalBasis, OutreachOutcome, OutreachPurpose,
};
use crate::context::{ctx, services};
use crate::error::Gql;
use crate::node::id_arg;
use crate::privacy::log_reads;
use ::partners::outreach as out;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

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

payloads! {
    OutreachCampaignPayload { campaign: OutreachCampaign }
    OutreachCasePayload { case: OutreachCase }
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
    ) -> Result<OutreachCampaignPayload> {
        let ctx = ctx(c)?;
        let new = out::NewCampaign {
            agreement_id: id_arg("agreementId", &input.agreement_id, "Agreement")?,
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
    ) -> Result<OutreachCampaignPayload> {
        let ctx = ctx(c)?;
        let id = id_arg("campaignId", &input.campaign_id, "OutreachCampaign")?;
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
    ) -> Result<SubmitOutreachCasesPayload> {
        let ctx = ctx(c)?;
        let id = id_arg("campaignId", &input.campaign_id, "OutreachCampaign")?;
        let cases = input.cases.into_iter().map(Into::into).collect();
        let s = services(c)?
            .partners
            .submit_outreach_cases(ctx, id, cases)
            .await
            .gql()?;
        let payload: SubmitOutreachCasesPayload = s.into();
        log_reads(c, "OutreachCase", payload.cases.iter().map(|k| k.0.id)).await?;
        Ok(payload)
    }

    /// The same from a CSV file's text; errors name the line.
    async fn upload_outreach_cases_csv(
        &self,
        c: &Context<'_>,
        input: UploadOutreachCasesCsvInput,
    ) -> Result<SubmitOutreachCasesPayload> {
        let ctx = ctx(c)?;
        let id = id_arg("campaignId", &input.campaign_id, "OutreachCampaign")?;
        let s = services(c)?
            .partners
            .upload_outreach_cases_csv(ctx, id, &input.csv)
            .await
            .gql()?;
        let payload: SubmitOutreachCasesPayload = s.into();
        log_reads(c, "OutreachCase", payload.cases.iter().map(|k| k.0.id)).await?;
        Ok(payload)
    }

    /// Records an attempt to reach the person (directors, coordinators, mediators).
    async fn record_outreach_attempt(
        &self,
        c: &Context<'_>,
        input: RecordOutreachAttemptInput,
    ) -> Result<RecordOutreachAttemptPayload> {
        let ctx = ctx(c)?;
        let id = id_arg("caseId", &input.case_id, "OutreachCase")?;
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
        log_reads(c, "OutreachCase", [case.id]).await?;
        log_reads(c, "OutreachAttempt", [attempt.id]).await?;
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
    ) -> Result<OutreachCasePayload> {
        let ctx = ctx(c)?;
        let id = id_arg("caseId", &input.case_id, "OutreachCase")?;
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
        log_reads(c, "OutreachCase", [case.id]).await?;
        Ok(OutreachCasePayload {
            case: OutreachCase(case),
        })
    }
}
