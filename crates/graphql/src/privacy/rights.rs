//! Residents' rights over a beneficiary's record (access export, rectification with
//! history, erasure, linking an outreach case to the person it reached), and the
//! partner read-back of requests handled for a partner, in detail only under a
//! consent naming it. Every read of personal data here is logged before it leaves
//! (`log_reads`); the mutations are logged by the extension like every other.

use super::log_reads;
use crate::context::{ctx, services};
use crate::error::Gql;
use crate::journal::types::{AgeBand, Beneficiary, RequestOutcome, Sex};
use crate::node::{encode_id, id_arg};
use async_graphql::{Context, ID, InputObject, Json, Object, Result, SimpleObject};
use chrono::{DateTime, FixedOffset, NaiveDate};

/// One earlier state of a beneficiary's identity fields, replaced by a correction.
pub struct BeneficiaryRevision(pub mediation::BeneficiaryRevision);

#[Object]
impl BeneficiaryRevision {
    async fn id(&self) -> ID {
        encode_id("BeneficiaryRevision", self.0.id)
    }
    /// The version these values were (1: as created).
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    async fn previous_age_band(&self) -> Option<AgeBand> {
        self.0.previous["ageBand"]
            .as_str()
            .and_then(mediation::AgeBand::parse)
            .map(Into::into)
    }
    async fn previous_sex(&self) -> Option<Sex> {
        self.0.previous["sex"]
            .as_str()
            .and_then(mediation::Sex::parse)
            .map(Into::into)
    }
    async fn previous_neighbourhood(&self) -> Option<&str> {
        self.0.previous["neighbourhood"].as_str()
    }
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    async fn changed_at(&self) -> DateTime<FixedOffset> {
        self.0.changed_at
    }
}

/// Everything the platform holds about one beneficiary (right of access).
pub struct BeneficiaryExport(mediation::BeneficiaryFile);

#[Object]
impl BeneficiaryExport {
    async fn beneficiary_id(&self) -> ID {
        encode_id("Beneficiary", self.0.beneficiary_id)
    }
    /// The whole file: identity and its corrections, consents, visits with their
    /// requests and notes, workshops attended, linked outreach cases.
    async fn json(&self) -> Json<serde_json::Value> {
        Json(self.0.json.clone())
    }
    /// The same as a readable French document (HTML, printable to PDF).
    async fn html(&self) -> &str {
        &self.0.html
    }
    /// A file name for saving it.
    async fn file_name(&self) -> String {
        let p = self.0.json["beneficiary"]["pseudonym"]
            .as_str()
            .unwrap_or("beneficiaire");
        let p: String = p
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("donnees-{p}.html")
    }
}

/// What an erasure removed: counts only.
#[derive(SimpleObject)]
pub struct ErasureCounts {
    /// Visits unlinked from the person, keeping their anonymous statistics fields.
    visits: i32,
    notes: i32,
    consents: i32,
    /// Named attendance rows removed (workshops keep their headcount).
    workshop_attendance: i32,
    corrections: i32,
    /// Linked outreach cases whose contact data was erased.
    outreach_cases: i32,
}

fn n(x: u64) -> i32 {
    i32::try_from(x).unwrap_or(i32::MAX)
}

impl From<mediation::Erased> for ErasureCounts {
    fn from(e: mediation::Erased) -> Self {
        Self {
            visits: n(e.visits),
            notes: n(e.notes),
            consents: n(e.consents),
            workshop_attendance: n(e.attendance),
            corrections: n(e.corrections),
            outreach_cases: n(e.outreach_cases),
        }
    }
}

#[derive(InputObject)]
pub struct RectifyBeneficiaryInput {
    beneficiary_id: ID,
    /// The whole corrected identity: a field left out is cleared.
    age_band: Option<AgeBand>,
    sex: Option<Sex>,
    neighbourhood: Option<String>,
    /// Why (3 to 500 characters), kept with the previous values.
    reason: String,
}

#[derive(SimpleObject)]
pub struct RectifyBeneficiaryPayload {
    beneficiary: Beneficiary,
}

#[derive(InputObject)]
pub struct EraseBeneficiaryInput {
    beneficiary_id: ID,
}

#[derive(SimpleObject)]
pub struct EraseBeneficiaryPayload {
    erased: ErasureCounts,
}

#[derive(InputObject)]
pub struct LinkOutreachCaseInput {
    case_id: ID,
    beneficiary_id: ID,
}

#[derive(SimpleObject)]
pub struct LinkOutreachCasePayload {
    linked: bool,
}

/// Requests handled for the partner at one site, in one month, on one theme.
#[derive(SimpleObject)]
pub struct ReadBackCount {
    /// First day of the month.
    month: NaiveDate,
    site_name: String,
    theme: String,
    theme_label: String,
    /// Null when suppressed (1 to 4).
    requests: Option<i64>,
    /// The count as shown: "<5" for 1 to 4.
    requests_text: String,
}

/// A request reported back in detail: its resident gave a consent naming the partner,
/// valid on that day and not withdrawn.
pub struct ReportedRequest(partners::agreements::readback::ReportedRequest);

#[Object]
impl ReportedRequest {
    async fn id(&self) -> ID {
        encode_id("VisitRequest", self.0.id)
    }
    async fn association(&self) -> &str {
        &self.0.association
    }
    async fn site_name(&self) -> &str {
        &self.0.site_name
    }
    async fn day(&self) -> NaiveDate {
        self.0.day
    }
    async fn theme(&self) -> &str {
        &self.0.theme
    }
    async fn theme_label(&self) -> &str {
        &self.0.theme_label
    }
    async fn outcome(&self) -> Option<RequestOutcome> {
        mediation::Outcome::parse(&self.0.outcome).map(Into::into)
    }
    async fn mediation_act(&self) -> bool {
        self.0.mediation_act
    }
    async fn referred_to(&self) -> Option<&str> {
        self.0.referred_to.as_deref()
    }
    /// The person's pseudonym in the association (never a name).
    async fn pseudonym(&self) -> &str {
        &self.0.pseudonym
    }
    async fn age_band(&self) -> Option<AgeBand> {
        self.0
            .age_band
            .as_deref()
            .and_then(mediation::AgeBand::parse)
            .map(Into::into)
    }
    async fn sex(&self) -> Option<Sex> {
        self.0
            .sex
            .as_deref()
            .and_then(mediation::Sex::parse)
            .map(Into::into)
    }
    /// The consent it is reported under.
    async fn consent_id(&self) -> ID {
        encode_id("Consent", self.0.consent_id)
    }
}

/// The requests the associations handled for the partner over a period.
pub struct PartnerReadBack(partners::agreements::readback::ReadBack);

#[Object]
impl PartnerReadBack {
    async fn from(&self) -> NaiveDate {
        self.0.from
    }
    async fn to(&self) -> NaiveDate {
        self.0.to
    }
    /// Every request handled for the partner, counted by month, site and theme
    /// (small counts hidden).
    async fn counts(&self) -> Vec<ReadBackCount> {
        self.0
            .counts
            .iter()
            .map(|c| ReadBackCount {
                month: c.month,
                site_name: c.site_name.clone(),
                theme: c.theme.clone(),
                theme_label: c.theme_label.clone(),
                requests: c.requests.value,
                requests_text: c.requests.text.clone(),
            })
            .collect()
    }
    /// The requests whose resident consented to this partner receiving them (a
    /// consent naming it, valid on the request's day, not withdrawn): in detail.
    /// The others are in `counts` only.
    async fn requests(&self, c: &Context<'_>) -> Result<Vec<ReportedRequest>> {
        log_reads(c, "ReportedRequest", self.0.requests.iter().map(|r| r.id)).await?;
        Ok(self
            .0
            .requests
            .iter()
            .cloned()
            .map(ReportedRequest)
            .collect())
    }
}

#[derive(Default)]
pub struct RightsQuery;

#[Object]
impl RightsQuery {
    /// Right of access: everything the platform holds about a beneficiary, as JSON
    /// and as a French document (the association's director or a coordinator).
    /// Logged as a read of the beneficiary's data.
    async fn beneficiary_export(
        &self,
        c: &Context<'_>,
        beneficiary_id: ID,
    ) -> Result<BeneficiaryExport> {
        let id = id_arg("beneficiaryId", &beneficiary_id, "Beneficiary")?;
        let f = services(c)?
            .journal
            .export_beneficiary(ctx(c)?, id)
            .await
            .gql()?;
        log_reads(c, "Beneficiary", [f.beneficiary_id]).await?;
        Ok(BeneficiaryExport(f))
    }

    /// For a partner firm (its people, or an API client with activity:read): the
    /// requests the associations handled for it from `from` to `to` (a year at
    /// most), as counts, and in detail where the resident consented.
    async fn partner_read_back(
        &self,
        c: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<PartnerReadBack> {
        let r = services(c)?
            .partners
            .partner_read_back(ctx(c)?, from, to)
            .await
            .gql()?;
        Ok(PartnerReadBack(r))
    }
}

#[derive(Default)]
pub struct RightsMutation;

#[Object]
impl RightsMutation {
    /// Right of rectification: corrects a beneficiary's identity fields, keeping the
    /// previous values and the reason (the association's writers).
    async fn rectify_beneficiary(
        &self,
        c: &Context<'_>,
        input: RectifyBeneficiaryInput,
    ) -> Result<RectifyBeneficiaryPayload> {
        let id = id_arg("beneficiaryId", &input.beneficiary_id, "Beneficiary")?;
        let b = services(c)?
            .journal
            .rectify_beneficiary(
                ctx(c)?,
                id,
                mediation::Rectification {
                    age_band: input.age_band.map(Into::into),
                    sex: input.sex.map(Into::into),
                    neighbourhood: input.neighbourhood,
                    reason: input.reason,
                },
            )
            .await
            .gql()?;
        log_reads(c, "Beneficiary", [b.id]).await?;
        Ok(RectifyBeneficiaryPayload {
            beneficiary: Beneficiary(b),
        })
    }

    /// Right to erasure: anonymises a beneficiary (the director or a coordinator).
    /// Identifying fields emptied; visits keep their anonymous statistics fields
    /// (age band, sex, a neighbourhood only when shared by five others); notes,
    /// consents, named attendance and corrections deleted; linked outreach contact
    /// data erased. Dashboards and agreement figures are unchanged.
    async fn erase_beneficiary(
        &self,
        c: &Context<'_>,
        input: EraseBeneficiaryInput,
    ) -> Result<EraseBeneficiaryPayload> {
        let id = id_arg("beneficiaryId", &input.beneficiary_id, "Beneficiary")?;
        let e = services(c)?
            .journal
            .erase_beneficiary(ctx(c)?, id)
            .await
            .gql()?;
        Ok(EraseBeneficiaryPayload { erased: e.into() })
    }

    /// Links an outreach case of the association to the beneficiary the person it
    /// reached became, so that access exports and erasure reach it.
    async fn link_outreach_case(
        &self,
        c: &Context<'_>,
        input: LinkOutreachCaseInput,
    ) -> Result<LinkOutreachCasePayload> {
        let case = id_arg("caseId", &input.case_id, "OutreachCase")?;
        let b = id_arg("beneficiaryId", &input.beneficiary_id, "Beneficiary")?;
        services(c)?
            .journal
            .link_outreach_case(ctx(c)?, case, b)
            .await
            .gql()?;
        Ok(LinkOutreachCasePayload { linked: true })
    }
}
