//! The objects and enums of partner agreements: terms, funding and payments,
//! history, partner contacts.

use crate::context::{ctx, services};
use crate::error::Gql;
use crate::loaders::{Loadable, load, load_of, loaders};
use crate::node::{RowObject, encode_id};
use crate::sites::types::Site;
use crate::tenancy::types::{PartnerOrganisation, Tenant};
use ::partners::agreements as ag;
use async_graphql::{Context, ID, Json, Object, Result, SimpleObject};
use chrono::{DateTime, FixedOffset, NaiveDate};

mirror_enum!(
    /// DRAFT -> ACTIVE <-> SUSPENDED; ACTIVE or SUSPENDED -> ENDED, which is final.
    /// Only ACTIVE and ENDED agreements take coded activity.
    AgreementStatus => "::partners::agreements::AgreementStatus" { Draft, Active, Suspended, Ended });
mirror_enum!(
    /// What the partner funds.
    AgreementService => "::partners::agreements::Service" { PartnerVisits, Outreach, Workshops });
mirror_enum!(
    /// How often the association reports; reporting periods follow the calendar.
    ReportingFrequency => "::partners::agreements::ReportingFrequency" { Monthly, Quarterly, Semiannual, Annual });
mirror_enum!(
/// A deliverable the agreement may set a yearly target for.
AgreementIndicator => "::partners::agreements::Indicator" {
    PartnerRequests, MediationActs, Workshops, WorkshopAttendees, OutreachCases, OutreachContacts
});
mirror_enum!(AgreementPaymentKind => "::partners::agreements::PaymentKind" { Scheduled, Received });
mirror_enum!(AgreementActivityKind => "::partners::agreements::ActivityKind" { Request, Workshop });

row_objects! {
    /// An agreement (convention de partenariat) between a partner firm and the union
    /// (a national framework) or one association (a local agreement).
    pub struct Agreement(pub ag::Agreement);
}

impl Agreement {
    async fn details(&self, c: &Context<'_>) -> Result<ag::Details> {
        load_of(c, |l| &l.partners.details, self.0.id).await
    }
}

#[Object]
impl Agreement {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    /// E.g. EDF-2026/LYON-01.
    async fn reference(&self) -> &str {
        &self.0.reference
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn partner(&self, c: &Context<'_>) -> Result<Option<PartnerOrganisation>> {
        load(c, self.0.partner_id).await
    }
    /// The association party to a local agreement; null for a national framework.
    async fn tenant(&self, c: &Context<'_>) -> Result<Option<Tenant>> {
        load(c, self.0.tenant_id).await
    }
    /// A national framework between the partner and the union.
    async fn national(&self) -> bool {
        self.0.is_national()
    }
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }
    async fn ends_on(&self) -> NaiveDate {
        self.0.ends_on
    }
    async fn status(&self) -> AgreementStatus {
        self.0.status.into()
    }
    async fn status_label(&self) -> &'static str {
        self.0.status.label_fr()
    }
    async fn services(&self) -> Vec<AgreementService> {
        self.0.services.iter().map(|s| (*s).into()).collect()
    }
    /// Request themes covered (codes of requestThemes), for partner visits.
    async fn themes(&self) -> &[String] {
        &self.0.themes
    }
    /// Workshop themes covered (codes of workshopThemes).
    async fn workshop_themes(&self) -> &[String] {
        &self.0.workshop_themes
    }
    /// Funding agreed, in euro cents; null for an association reading a national
    /// framework (its money is the union's and the partner's business).
    async fn funding_cents(&self) -> Option<i64> {
        self.0.funding_cents
    }
    async fn reporting_frequency(&self) -> ReportingFrequency {
        self.0.reporting_frequency.into()
    }
    /// 1 when created; each amendment or status change adds one.
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    /// The sites covered, as far as the reader may know: an association sees only
    /// its own sites among those of a national framework.
    async fn sites(&self, c: &Context<'_>) -> Result<Vec<Site>> {
        let l = loaders(c)?;
        let d = self.details(c).await?;
        let ids: Vec<_> = d.sites.iter().map(|s| s.site_id).collect();
        let mut found = Site::loader(l).load_many(ids.iter().copied()).await?;
        Ok(ids
            .iter()
            .filter_map(|i| found.remove(i))
            .map(Site)
            .collect())
    }
    /// Yearly targets.
    async fn targets(&self, c: &Context<'_>) -> Result<Vec<AgreementTarget>> {
        let d = self.details(c).await?;
        Ok(d.targets
            .into_iter()
            .map(|t| AgreementTarget {
                indicator: t.indicator.into(),
                label: t.indicator.label_fr(),
                annual_target: t.annual_target,
            })
            .collect())
    }
    /// Instalments scheduled and payments received, by date (not shown to an
    /// association for a national framework).
    async fn payments(&self, c: &Context<'_>) -> Result<Vec<AgreementPayment>> {
        let d = self.details(c).await?;
        Ok(d.payments.into_iter().map(AgreementPayment::from).collect())
    }
    /// Agreed, scheduled, received and outstanding funding; null when the reader
    /// may not see the agreement's money.
    async fn funding(&self, c: &Context<'_>) -> Result<Option<AgreementFunding>> {
        let Some(agreed) = self.0.funding_cents else {
            return Ok(None);
        };
        let d = self.details(c).await?;
        let f = ag::Funding::of(agreed, &d.payments);
        Ok(Some(AgreementFunding {
            agreed_cents: f.agreed,
            scheduled_cents: f.scheduled,
            received_cents: f.received,
            outstanding_cents: f.outstanding,
        }))
    }
    /// Previous states, oldest first: amendments and status changes with their reason.
    async fn history(&self, c: &Context<'_>) -> Result<Vec<AgreementRevision>> {
        let rows = services(c)?
            .partners
            .agreement_history(ctx(c)?, self.0.id)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .map(|r| AgreementRevision {
                revision: r.revision,
                action: r.action,
                previous: Json(r.previous),
                reason: r.reason,
                changed_at: r.changed_at,
            })
            .collect())
    }
    async fn created_at(&self) -> DateTime<FixedOffset> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<FixedOffset> {
        self.0.updated_at
    }
}

#[derive(SimpleObject)]
pub struct AgreementTarget {
    indicator: AgreementIndicator,
    label: &'static str,
    annual_target: i32,
}

#[derive(SimpleObject)]
pub struct AgreementPayment {
    id: ID,
    kind: AgreementPaymentKind,
    on_date: NaiveDate,
    amount_cents: i64,
    label: Option<String>,
}

impl From<ag::Payment> for AgreementPayment {
    fn from(p: ag::Payment) -> Self {
        AgreementPayment {
            id: encode_id("AgreementPayment", p.id),
            kind: p.kind.into(),
            on_date: p.on_date,
            amount_cents: p.amount_cents,
            label: p.label,
        }
    }
}

/// In euro cents. Outstanding is agreed minus received: negative when more was
/// received than agreed.
#[derive(SimpleObject)]
pub struct AgreementFunding {
    agreed_cents: i64,
    scheduled_cents: i64,
    received_cents: i64,
    outstanding_cents: i64,
}

#[derive(SimpleObject)]
pub struct AgreementRevision {
    /// The revision this state was.
    revision: i32,
    /// amended or status
    action: String,
    previous: Json<serde_json::Value>,
    reason: String,
    changed_at: DateTime<FixedOffset>,
}

/// Someone to deal with at a partner firm.
#[derive(SimpleObject)]
pub struct PartnerContact {
    id: ID,
    full_name: String,
    job_title: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

impl From<ag::Contact> for PartnerContact {
    fn from(c: ag::Contact) -> Self {
        PartnerContact {
            id: encode_id("PartnerContact", c.id),
            full_name: c.full_name,
            job_title: c.job_title,
            email: c.email,
            phone: c.phone,
        }
    }
}
