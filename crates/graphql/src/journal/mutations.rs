use super::types::{
    AgeBand, Beneficiary, Consent, ConsentChannel, JournalWarning, RequestKind, RequestOutcome,
    Sex, SurveyCampaign, Visit, VisitChannel, Workshop, warnings,
};
use crate::context::{ctx, services};
use crate::error::{Gql, to_gql};
use crate::node::{decode_id, decode_opt, id_arg, opt_arg};
use crate::privacy::log_reads;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use kernel::Error;

#[derive(InputObject)]
pub struct VisitRequestInput {
    /// A code of requestThemes.
    theme: String,
    kind: RequestKind,
    /// Required for a partner request, absent otherwise.
    partner_id: Option<ID>,
    outcome: RequestOutcome,
    /// Defaults to the outcome's meaning (mediated or resolved).
    mediation_act: Option<bool>,
    referred_to: Option<String>,
    /// The partner agreement to code this partner request to: it must cover the
    /// site, the day, the theme and the partner. In an amendment, omitted keeps the
    /// coding of the request at this position while it still fits (one that no
    /// longer does is removed, with a warning); null uncodes.
    agreement_id: MaybeUndefined<ID>,
}

impl VisitRequestInput {
    /// The request at position `i` of the visit.
    fn request(self, i: usize) -> Result<mediation::NewRequest, Error> {
        Ok(mediation::NewRequest {
            theme: self.theme,
            kind: self.kind.into(),
            partner_id: decode_opt(
                &format!("requests[{i}].partnerId"),
                self.partner_id.as_ref(),
                "PartnerOrganisation",
            )?,
            outcome: self.outcome.into(),
            mediation_act: self.mediation_act,
            referred_to: self.referred_to,
            keep_coding: self.agreement_id.is_undefined(),
            agreement_id: decode_opt(
                &format!("requests[{i}].agreementId"),
                self.agreement_id.as_opt_ref().flatten(),
                "Agreement",
            )?,
        })
    }
}

#[derive(InputObject)]
pub struct VisitFields {
    site_id: ID,
    /// Defaults to the caller's membership.
    mediator_id: Option<ID>,
    occurred_at: DateTime<Utc>,
    channel: VisitChannel,
    duration_minutes: i32,
    /// ISO 639 code when not French.
    language: Option<String>,
    age_band: Option<AgeBand>,
    sex: Option<Sex>,
    neighbourhood: Option<String>,
    beneficiary_id: Option<ID>,
    requests: Vec<VisitRequestInput>,
}

impl VisitFields {
    fn visit(self) -> Result<mediation::VisitInput, Error> {
        let requests = self
            .requests
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.request(i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(mediation::VisitInput {
            site_id: decode_id("siteId", &self.site_id, "Site")?,
            mediator_id: decode_opt("mediatorId", self.mediator_id.as_ref(), "Membership")?,
            occurred_at: self.occurred_at,
            channel: self.channel.into(),
            duration_minutes: self.duration_minutes,
            language: self.language,
            age_band: self.age_band.map(Into::into),
            sex: self.sex.map(Into::into),
            neighbourhood: self.neighbourhood,
            beneficiary_id: decode_opt(
                "beneficiaryId",
                self.beneficiary_id.as_ref(),
                "Beneficiary",
            )?,
            requests,
        })
    }
}

#[derive(InputObject)]
pub struct RecordVisitInput {
    /// Chosen by the client (a UUID): submitting twice records once.
    client_key: String,
    visit: VisitFields,
    /// Sensitive free text; stays in the association.
    note: Option<String>,
}

#[derive(SimpleObject)]
pub struct RecordVisitPayload {
    visit: Visit,
    /// True when this client key was already recorded with the same input: nothing
    /// new was written. The same key with another input is a CONFLICT on clientKey.
    replayed: bool,
    /// What deserves a second look (recorded all the same).
    warnings: Vec<JournalWarning>,
}

#[derive(InputObject)]
pub struct AmendVisitInput {
    visit_id: ID,
    visit: VisitFields,
    reason: Option<String>,
}

#[derive(InputObject)]
pub struct VoidVisitInput {
    visit_id: ID,
    reason: String,
}

#[derive(SimpleObject)]
pub struct VisitPayload {
    visit: Visit,
    /// What deserves a second look in an amendment (recorded all the same); none
    /// for a void.
    warnings: Vec<JournalWarning>,
}

#[derive(InputObject)]
pub struct ConsentInput {
    purpose: String,
    /// The partner organisation the person agrees their data goes to (a
    /// PartnerOrganisation); absent: the association only. A partner reads back more
    /// than counts of a person's requests only under a consent naming it.
    recipient_partner_id: Option<ID>,
    given_on: NaiveDate,
    channel: ConsentChannel,
    expires_on: NaiveDate,
}

impl TryFrom<ConsentInput> for mediation::NewConsent {
    type Error = Error;
    fn try_from(c: ConsentInput) -> Result<Self, Error> {
        Ok(mediation::NewConsent {
            purpose: c.purpose,
            recipient_partner_id: decode_opt(
                "consent.recipientPartnerId",
                c.recipient_partner_id.as_ref(),
                "PartnerOrganisation",
            )?,
            given_on: c.given_on,
            channel: c.channel.into(),
            expires_on: c.expires_on,
        })
    }
}

#[derive(InputObject)]
pub struct CreateBeneficiaryInput {
    age_band: Option<AgeBand>,
    sex: Option<Sex>,
    neighbourhood: Option<String>,
    consent: ConsentInput,
}

#[derive(SimpleObject)]
pub struct BeneficiaryPayload {
    beneficiary: Beneficiary,
    consent: Consent,
}

#[derive(InputObject)]
pub struct AddConsentInput {
    beneficiary_id: ID,
    consent: ConsentInput,
}

#[derive(InputObject)]
pub struct WithdrawConsentInput {
    consent_id: ID,
}

#[derive(InputObject)]
pub struct RecordWorkshopInput {
    client_key: String,
    site_id: ID,
    /// A code of workshopThemes.
    theme: String,
    title: String,
    held_on: NaiveDate,
    duration_minutes: i32,
    /// Defaults to the caller's membership.
    facilitator_id: Option<ID>,
    funding_partner_id: Option<ID>,
    attendees: i32,
    /// Beneficiaries named on the attendance sheet: each needs a valid consent.
    #[graphql(default)]
    named_attendee_ids: Vec<ID>,
    /// The partner agreement to code the workshop to (it must cover workshops, the
    /// site, the day and the theme); its partner becomes the funding partner.
    agreement_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct RecordWorkshopPayload {
    workshop: Workshop,
    replayed: bool,
}

#[derive(InputObject)]
pub struct VoidWorkshopInput {
    workshop_id: ID,
}

#[derive(InputObject)]
pub struct CreateSurveyCampaignInput {
    site_id: ID,
    title: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
}

#[derive(InputObject)]
pub struct RecordSurveyAnswerInput {
    campaign_id: ID,
    /// 1 very dissatisfied, 2 dissatisfied, 3 satisfied, 4 very satisfied.
    score: i32,
    answered_on: NaiveDate,
    client_key: String,
}

payloads! {
    ConsentPayload { consent: Consent }
    WorkshopPayload { workshop: Workshop }
    SurveyCampaignPayload { campaign: SurveyCampaign }
}

#[derive(Default)]
pub struct JournalMutation;

#[Object]
impl JournalMutation {
    /// Records a visit and its requests in one go (front desk). Idempotent under clientKey.
    async fn record_visit(
        &self,
        c: &Context<'_>,
        input: RecordVisitInput,
    ) -> Result<RecordVisitPayload> {
        let v = input.visit.visit().gql()?;
        let r = services(c)?
            .journal
            .record_visit(ctx(c)?, &input.client_key, v, input.note)
            .await
            .gql()?;
        Ok(RecordVisitPayload {
            visit: Visit(r.visit),
            replayed: r.replayed,
            warnings: warnings(r.warnings),
        })
    }

    /// Replaces a visit's details and requests (its author, coordinators, directors).
    async fn amend_visit(&self, c: &Context<'_>, input: AmendVisitInput) -> Result<VisitPayload> {
        let id = id_arg("visitId", &input.visit_id, "Visit")?;
        let v = input.visit.visit().gql()?;
        let a = services(c)?
            .journal
            .amend_visit(ctx(c)?, id, v, input.reason)
            .await
            .gql()?;
        Ok(VisitPayload {
            visit: Visit(a.visit),
            warnings: warnings(a.warnings),
        })
    }

    /// Voids a visit recorded by mistake; it stays in the history (its author, coordinators, directors).
    async fn void_visit(&self, c: &Context<'_>, input: VoidVisitInput) -> Result<VisitPayload> {
        let id = id_arg("visitId", &input.visit_id, "Visit")?;
        let v = services(c)?
            .journal
            .void_visit(ctx(c)?, id, input.reason)
            .await
            .gql()?;
        Ok(VisitPayload {
            visit: Visit(v),
            warnings: Vec::new(),
        })
    }

    /// Opens a pseudonymous follow-up record, with the consent given for it.
    async fn create_beneficiary(
        &self,
        c: &Context<'_>,
        input: CreateBeneficiaryInput,
    ) -> Result<BeneficiaryPayload> {
        let (b, k) = services(c)?
            .journal
            .create_beneficiary(
                ctx(c)?,
                input.age_band.map(Into::into),
                input.sex.map(Into::into),
                input.neighbourhood,
                input.consent.try_into().gql()?,
            )
            .await
            .gql()?;
        log_reads(c, "Beneficiary", [b.id]).await?;
        log_reads(c, "Consent", [k.id]).await?;
        Ok(BeneficiaryPayload {
            beneficiary: Beneficiary(b),
            consent: Consent(k),
        })
    }

    async fn add_consent(&self, c: &Context<'_>, input: AddConsentInput) -> Result<ConsentPayload> {
        let id = id_arg("beneficiaryId", &input.beneficiary_id, "Beneficiary")?;
        let k = services(c)?
            .journal
            .add_consent(ctx(c)?, id, input.consent.try_into().gql()?)
            .await
            .gql()?;
        log_reads(c, "Consent", [k.id]).await?;
        Ok(ConsentPayload {
            consent: Consent(k),
        })
    }

    /// Records that the person withdrew a consent.
    async fn withdraw_consent(
        &self,
        c: &Context<'_>,
        input: WithdrawConsentInput,
    ) -> Result<ConsentPayload> {
        let id = id_arg("consentId", &input.consent_id, "Consent")?;
        let k = services(c)?
            .journal
            .withdraw_consent(ctx(c)?, id)
            .await
            .gql()?;
        log_reads(c, "Consent", [k.id]).await?;
        Ok(ConsentPayload {
            consent: Consent(k),
        })
    }

    async fn record_workshop(
        &self,
        c: &Context<'_>,
        input: RecordWorkshopInput,
    ) -> Result<RecordWorkshopPayload> {
        let named = input
            .named_attendee_ids
            .iter()
            .enumerate()
            .map(|(i, b)| decode_id(&format!("namedAttendeeIds[{i}]"), b, "Beneficiary"))
            .collect::<Result<Vec<_>, _>>()
            .gql()?;
        let w = mediation::WorkshopInput {
            site_id: id_arg("siteId", &input.site_id, "Site")?,
            theme: input.theme,
            title: input.title,
            held_on: input.held_on,
            duration_minutes: input.duration_minutes,
            facilitator_id: opt_arg("facilitatorId", input.facilitator_id.as_ref(), "Membership")?,
            funding_partner_id: opt_arg(
                "fundingPartnerId",
                input.funding_partner_id.as_ref(),
                "PartnerOrganisation",
            )?,
            attendees: input.attendees,
            named_attendees: named,
            agreement_id: opt_arg("agreementId", input.agreement_id.as_ref(), "Agreement")?,
        };
        let (w, replayed) = services(c)?
            .journal
            .record_workshop(ctx(c)?, &input.client_key, w)
            .await
            .gql()?;
        Ok(RecordWorkshopPayload {
            workshop: Workshop(w),
            replayed,
        })
    }

    async fn void_workshop(
        &self,
        c: &Context<'_>,
        input: VoidWorkshopInput,
    ) -> Result<WorkshopPayload> {
        let id = id_arg("workshopId", &input.workshop_id, "Workshop")?;
        let w = services(c)?
            .journal
            .void_workshop(ctx(c)?, id)
            .await
            .gql()?;
        Ok(WorkshopPayload {
            workshop: Workshop(w),
        })
    }

    async fn create_survey_campaign(
        &self,
        c: &Context<'_>,
        input: CreateSurveyCampaignInput,
    ) -> Result<SurveyCampaignPayload> {
        let site = id_arg("siteId", &input.site_id, "Site")?;
        let s = services(c)?
            .journal
            .create_survey_campaign(ctx(c)?, site, &input.title, input.starts_on, input.ends_on)
            .await
            .gql()?;
        Ok(SurveyCampaignPayload {
            campaign: SurveyCampaign(s),
        })
    }

    async fn record_survey_answer(
        &self,
        c: &Context<'_>,
        input: RecordSurveyAnswerInput,
    ) -> Result<SurveyCampaignPayload> {
        let id = id_arg("campaignId", &input.campaign_id, "SurveyCampaign")?;
        let score =
            i16::try_from(input.score).map_err(|_| to_gql(Error::validation("score", "1 to 4")))?;
        let s = services(c)?
            .journal
            .record_survey_answer(ctx(c)?, id, score, input.answered_on, &input.client_key)
            .await
            .gql()?;
        Ok(SurveyCampaignPayload {
            campaign: SurveyCampaign(s),
        })
    }
}
