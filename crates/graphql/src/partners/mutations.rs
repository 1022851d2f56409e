use super::types::{
    Agreement, AgreementIndicator, AgreementPayment, AgreementPaymentKind, AgreementService,
    AgreementStatus, PartnerContact, ReportingFrequency,
};
use crate::context::{ctx, services};
use crate::error::{Gql, to_gql};
use crate::journal::types::{Visit, Workshop};
use crate::node::{decode_id, decode_opt, id_arg, opt_arg};
use ::partners::agreements as ag;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;
use kernel::Error;
use uuid::Uuid;

#[derive(InputObject)]
pub struct AgreementTargetInput {
    indicator: AgreementIndicator,
    annual_target: i32,
}

fn targets(t: Vec<AgreementTargetInput>) -> Vec<ag::Target> {
    t.into_iter()
        .map(|t| ag::Target {
            indicator: t.indicator.into(),
            annual_target: t.annual_target,
        })
        .collect()
}

fn site_ids(ids: Vec<ID>) -> Result<Vec<Uuid>, Error> {
    ids.iter()
        .enumerate()
        .map(|(i, s)| decode_id(&format!("siteIds[{i}]"), s, "Site"))
        .collect()
}

#[derive(InputObject)]
pub struct CreateAgreementInput {
    partner_id: ID,
    /// A national framework between the partner and the union (union admins).
    #[graphql(default = false)]
    national: bool,
    /// The association party to a local agreement; defaults to the active one.
    tenant_id: Option<ID>,
    /// Unique, e.g. EDF-2026/LYON-01.
    reference: String,
    title: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    services: Vec<AgreementService>,
    /// Request themes covered (codes of requestThemes): required with PARTNER_VISITS.
    #[graphql(default)]
    themes: Vec<String>,
    /// Workshop themes covered (codes of workshopThemes): required with WORKSHOPS.
    #[graphql(default)]
    workshop_themes: Vec<String>,
    /// Sites covered: a local agreement's must be its association's.
    #[graphql(default)]
    site_ids: Vec<ID>,
    #[graphql(default)]
    targets: Vec<AgreementTargetInput>,
    /// Euro cents.
    #[graphql(default)]
    funding_cents: i64,
    #[graphql(default_with = "ReportingFrequency::Quarterly")]
    reporting_frequency: ReportingFrequency,
}

/// Changes what is given; the rest stays. Lists replace the previous ones whole.
#[derive(InputObject)]
pub struct AmendAgreementInput {
    agreement_id: ID,
    /// Why (kept in the history).
    reason: String,
    title: Option<String>,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    services: Option<Vec<AgreementService>>,
    themes: Option<Vec<String>>,
    workshop_themes: Option<Vec<String>>,
    site_ids: Option<Vec<ID>>,
    targets: Option<Vec<AgreementTargetInput>>,
    funding_cents: Option<i64>,
    reporting_frequency: Option<ReportingFrequency>,
}

#[derive(InputObject)]
pub struct SetAgreementStatusInput {
    agreement_id: ID,
    status: AgreementStatus,
    /// Why (kept in the history).
    reason: String,
}

#[derive(InputObject)]
pub struct RecordAgreementPaymentInput {
    agreement_id: ID,
    kind: AgreementPaymentKind,
    /// Due date of an instalment, or the day a payment was received.
    on_date: NaiveDate,
    /// Euro cents.
    amount_cents: i64,
    label: Option<String>,
}

#[derive(SimpleObject)]
pub struct RecordAgreementPaymentPayload {
    agreement: Agreement,
    payment: AgreementPayment,
}

#[derive(InputObject)]
pub struct AddPartnerContactInput {
    partner_id: ID,
    full_name: String,
    job_title: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

#[derive(InputObject)]
pub struct RequestCodingInput {
    /// The request's position in the visit (0 for the first).
    position: i32,
    /// The agreement to code it to; null to uncode it.
    agreement_id: Option<ID>,
}

impl RequestCodingInput {
    /// The coding of the `i`th entry of the input.
    fn coding(self, i: usize) -> Result<mediation::RequestCoding, Error> {
        Ok(mediation::RequestCoding {
            position: i16::try_from(self.position).map_err(|_| {
                Error::validation(
                    format!("requests[{i}].position"),
                    "the visit has no request at this position",
                )
            })?,
            agreement_id: decode_opt(
                &format!("requests[{i}].agreementId"),
                self.agreement_id.as_ref(),
                "Agreement",
            )?,
        })
    }
}

#[derive(InputObject)]
pub struct CodeVisitRequestsInput {
    visit_id: ID,
    requests: Vec<RequestCodingInput>,
}

#[derive(InputObject)]
pub struct CodeWorkshopInput {
    workshop_id: ID,
    /// The agreement to code it to; null to uncode it.
    agreement_id: Option<ID>,
}

payloads! {
    AgreementPayload { agreement: Agreement }
    PartnerContactPayload { contact: PartnerContact }
    CodeVisitRequestsPayload { visit: Visit }
    CodeWorkshopPayload { workshop: Workshop }
}

#[derive(Default)]
pub struct PartnersMutation;

#[Object]
impl PartnersMutation {
    /// Creates an agreement, as a draft: a national framework (union admins), or a
    /// local agreement (union admins, or the association's director).
    async fn create_agreement(
        &self,
        c: &Context<'_>,
        input: CreateAgreementInput,
    ) -> Result<AgreementPayload> {
        let ctx = ctx(c)?;
        let tenant = opt_arg("tenantId", input.tenant_id.as_ref(), "Tenant")?;
        let tenant = match (input.national, tenant) {
            (true, Some(_)) => {
                return Err(to_gql(Error::validation(
                    "tenantId",
                    "a national framework has no association",
                )));
            }
            (true, None) => None,
            (false, Some(t)) => Some(t),
            (false, None) => Some(
                ctx.tenant()
                    .map(|t| t.tenant_id.0)
                    .ok_or_else(|| Error::validation("tenantId", "required for a local agreement"))
                    .gql()?,
            ),
        };
        let new = ag::NewAgreement {
            partner_id: id_arg("partnerId", &input.partner_id, "PartnerOrganisation")?,
            tenant_id: tenant,
            reference: input.reference,
            terms: ag::Terms {
                title: input.title,
                starts_on: input.starts_on,
                ends_on: input.ends_on,
                services: input.services.into_iter().map(Into::into).collect(),
                themes: input.themes,
                workshop_themes: input.workshop_themes,
                site_ids: site_ids(input.site_ids).gql()?,
                targets: targets(input.targets),
                funding_cents: input.funding_cents,
                reporting_frequency: input.reporting_frequency.into(),
            },
        };
        let a = services(c)?
            .partners
            .create_agreement(ctx, new)
            .await
            .gql()?;
        Ok(AgreementPayload {
            agreement: Agreement(a),
        })
    }

    /// Amends an agreement that has not ended (whoever may write it). The previous
    /// state goes into its history; activity already coded to it stays coded.
    async fn amend_agreement(
        &self,
        c: &Context<'_>,
        input: AmendAgreementInput,
    ) -> Result<AgreementPayload> {
        let ctx = ctx(c)?;
        let id = id_arg("agreementId", &input.agreement_id, "Agreement")?;
        let amendment = ag::Amendment {
            title: input.title,
            starts_on: input.starts_on,
            ends_on: input.ends_on,
            services: input
                .services
                .map(|s| s.into_iter().map(Into::into).collect()),
            themes: input.themes,
            workshop_themes: input.workshop_themes,
            site_ids: input.site_ids.map(site_ids).transpose().gql()?,
            targets: input.targets.map(targets),
            funding_cents: input.funding_cents,
            reporting_frequency: input.reporting_frequency.map(Into::into),
        };
        let a = services(c)?
            .partners
            .amend_agreement(ctx, id, amendment, &input.reason)
            .await
            .gql()?;
        Ok(AgreementPayload {
            agreement: Agreement(a),
        })
    }

    /// Moves an agreement along its workflow (whoever may write it), with a reason.
    async fn set_agreement_status(
        &self,
        c: &Context<'_>,
        input: SetAgreementStatusInput,
    ) -> Result<AgreementPayload> {
        let ctx = ctx(c)?;
        let id = id_arg("agreementId", &input.agreement_id, "Agreement")?;
        let a = services(c)?
            .partners
            .set_agreement_status(ctx, id, input.status.into(), &input.reason)
            .await
            .gql()?;
        Ok(AgreementPayload {
            agreement: Agreement(a),
        })
    }

    /// Records an instalment scheduled or a payment received (whoever may write the
    /// agreement).
    async fn record_agreement_payment(
        &self,
        c: &Context<'_>,
        input: RecordAgreementPaymentInput,
    ) -> Result<RecordAgreementPaymentPayload> {
        let ctx = ctx(c)?;
        let id = id_arg("agreementId", &input.agreement_id, "Agreement")?;
        let new = ag::NewPayment {
            kind: input.kind.into(),
            on_date: input.on_date,
            amount_cents: input.amount_cents,
            label: input.label,
        };
        let (a, p) = services(c)?
            .partners
            .record_agreement_payment(ctx, id, new)
            .await
            .gql()?;
        Ok(RecordAgreementPaymentPayload {
            agreement: Agreement(a),
            payment: p.into(),
        })
    }

    /// Adds a contact at a partner firm (union admins).
    async fn add_partner_contact(
        &self,
        c: &Context<'_>,
        input: AddPartnerContactInput,
    ) -> Result<PartnerContactPayload> {
        let ctx = ctx(c)?;
        let partner = id_arg("partnerId", &input.partner_id, "PartnerOrganisation")?;
        let new = ag::NewContact {
            full_name: input.full_name,
            job_title: input.job_title,
            email: input.email,
            phone: input.phone,
        };
        let k = services(c)?
            .partners
            .add_partner_contact(ctx, partner, new)
            .await
            .gql()?;
        Ok(PartnerContactPayload { contact: k.into() })
    }

    /// Codes requests of a visit to agreements, or uncodes them (directors,
    /// coordinators, mediators). Each must be a partner request fitting the
    /// agreement: site covered, day in its period, theme covered, same partner.
    async fn code_visit_requests(
        &self,
        c: &Context<'_>,
        input: CodeVisitRequestsInput,
    ) -> Result<CodeVisitRequestsPayload> {
        let ctx = ctx(c)?;
        let id = id_arg("visitId", &input.visit_id, "Visit")?;
        let codings = input
            .requests
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.coding(i))
            .collect::<Result<Vec<_>, _>>()
            .gql()?;
        let v = services(c)?
            .journal
            .code_requests(ctx, id, codings)
            .await
            .gql()?;
        Ok(CodeVisitRequestsPayload { visit: Visit(v) })
    }

    /// Codes a workshop to an agreement covering workshops, or uncodes it
    /// (directors, coordinators, mediators). Coding sets the funding partner to the
    /// agreement's partner when there is none, and refuses a different one.
    async fn code_workshop(
        &self,
        c: &Context<'_>,
        input: CodeWorkshopInput,
    ) -> Result<CodeWorkshopPayload> {
        let ctx = ctx(c)?;
        let id = id_arg("workshopId", &input.workshop_id, "Workshop")?;
        let agreement = opt_arg("agreementId", input.agreement_id.as_ref(), "Agreement")?;
        let w = services(c)?
            .journal
            .code_workshop(ctx, id, agreement)
            .await
            .gql()?;
        Ok(CodeWorkshopPayload {
            workshop: Workshop(w),
        })
    }
}
