//! Partner agreements (conventions): terms, amendments, workflow, funding and
//! payments, partner contacts; coding journal entries to agreements; the coded
//! activity and the agreement report. Roles are enforced by the partners and
//! mediation services (and row-level security underneath), never here.

use crate::connection::{connection, page_request};
use crate::context::{ctx, services};
use crate::error::{Gql, to_gql};
use crate::journal::{Visit, Workshop};
use crate::loaders::loaders;
use crate::node::{decode_id, encode_id};
use crate::sites::Site;
use crate::tenancy::{PartnerOrganisation, Tenant};
use ::partners::agreements as ag;
use ::partners::agreements::report as rep;
use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, FixedOffset, NaiveDate};
use kernel::Error;
use uuid::Uuid;

macro_rules! mirror_enum {
    ($(#[$m:meta])* $name:ident => $remote:literal { $($v:ident),* $(,)? }) => {
        $(#[$m])*
        #[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
        #[graphql(remote = $remote)]
        pub enum $name { $($v),* }
    };
}

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

// ---------------------------------------------------------------------------
// Objects

/// An agreement (convention de partenariat) between a partner firm and the union
/// (a national framework) or one association (a local agreement).
pub struct Agreement(pub ag::Agreement);

#[Object]
impl Agreement {
    pub async fn id(&self) -> ID {
        encode_id("Agreement", self.0.id)
    }
    /// E.g. EDF-2026/LYON-01.
    async fn reference(&self) -> &str {
        &self.0.reference
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn partner(&self, c: &Context<'_>) -> async_graphql::Result<Option<PartnerOrganisation>> {
        Ok(loaders(c)?
            .partner
            .load_one(self.0.partner_id)
            .await?
            .map(PartnerOrganisation))
    }
    /// The association party to a local agreement; null for a national framework.
    async fn tenant(&self, c: &Context<'_>) -> async_graphql::Result<Option<Tenant>> {
        match self.0.tenant_id {
            Some(t) => Ok(loaders(c)?.tenant.load_one(t).await?.map(Tenant)),
            None => Ok(None),
        }
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
    async fn sites(&self, c: &Context<'_>) -> async_graphql::Result<Vec<Site>> {
        let l = loaders(c)?;
        let d = l
            .agreement_details
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let ids: Vec<Uuid> = d.sites.iter().map(|s| s.site_id).collect();
        let mut found = l.site.load_many(ids.iter().copied()).await?;
        Ok(ids
            .iter()
            .filter_map(|i| found.remove(i))
            .map(Site)
            .collect())
    }
    /// Yearly targets.
    async fn targets(&self, c: &Context<'_>) -> async_graphql::Result<Vec<AgreementTarget>> {
        let d = loaders(c)?
            .agreement_details
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
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
    async fn payments(&self, c: &Context<'_>) -> async_graphql::Result<Vec<AgreementPayment>> {
        let d = loaders(c)?
            .agreement_details
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(d.payments.into_iter().map(payment).collect())
    }
    /// Agreed, scheduled, received and outstanding funding; null when the reader
    /// may not see the agreement's money.
    async fn funding(&self, c: &Context<'_>) -> async_graphql::Result<Option<AgreementFunding>> {
        let Some(agreed) = self.0.funding_cents else {
            return Ok(None);
        };
        let d = loaders(c)?
            .agreement_details
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let f = ag::Funding::of(agreed, &d.payments);
        Ok(Some(AgreementFunding {
            agreed_cents: f.agreed,
            scheduled_cents: f.scheduled,
            received_cents: f.received,
            outstanding_cents: f.outstanding,
        }))
    }
    /// Previous states, oldest first: amendments and status changes with their reason.
    async fn history(&self, c: &Context<'_>) -> async_graphql::Result<Vec<AgreementRevision>> {
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

fn payment(p: ag::Payment) -> AgreementPayment {
    AgreementPayment {
        id: encode_id("AgreementPayment", p.id),
        kind: p.kind.into(),
        on_date: p.on_date,
        amount_cents: p.amount_cents,
        label: p.label,
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

pub(crate) fn contact(c: ag::Contact) -> PartnerContact {
    PartnerContact {
        id: encode_id("PartnerContact", c.id),
        full_name: c.full_name,
        job_title: c.job_title,
        email: c.email,
        phone: c.phone,
    }
}

// ---------------------------------------------------------------------------
// Coded activity and the report

/// Activity coded to agreements. A partner sees counts from 1 to 4 as "<5" (and
/// the matching *Value as null); the union and associations see exact counts.
#[derive(SimpleObject)]
pub struct AgreementActivity {
    /// First day of the first month.
    from: NaiveDate,
    /// Last day of the last month.
    to: NaiveDate,
    /// Whether counts from 1 to 4 are hidden.
    suppressed: bool,
    rows: Vec<AgreementActivityRow>,
}

/// Activity coded to one agreement at one site in one month on one theme.
pub struct AgreementActivityRow(rep::ActivityRow);

#[Object]
impl AgreementActivityRow {
    async fn agreement(&self, c: &Context<'_>) -> async_graphql::Result<Option<Agreement>> {
        Ok(loaders(c)?
            .agreement
            .load_one(self.0.agreement_id)
            .await?
            .map(Agreement))
    }
    async fn site(&self, c: &Context<'_>) -> async_graphql::Result<Option<Site>> {
        Ok(loaders(c)?.site.load_one(self.0.site_id).await?.map(Site))
    }
    async fn tenant(&self, c: &Context<'_>) -> async_graphql::Result<Option<Tenant>> {
        Ok(loaders(c)?
            .tenant
            .load_one(self.0.tenant_id)
            .await?
            .map(Tenant))
    }
    /// First day of the (Paris) month.
    async fn month(&self) -> NaiveDate {
        self.0.month
    }
    async fn activity(&self) -> AgreementActivityKind {
        self.0.activity.into()
    }
    async fn theme(&self) -> &str {
        &self.0.theme
    }
    async fn theme_label(&self) -> &str {
        &self.0.theme_label
    }
    /// Requests or workshops, e.g. "12", or "<5" for a partner.
    async fn count(&self) -> &str {
        &self.0.count.text
    }
    /// The count; null when suppressed.
    async fn count_value(&self) -> Option<i64> {
        self.0.count.value
    }
    /// Requests only.
    async fn mediation_acts(&self) -> Option<&str> {
        self.0.mediation_acts.as_ref().map(|s| s.text.as_str())
    }
    async fn mediation_acts_value(&self) -> Option<i64> {
        self.0.mediation_acts.as_ref().and_then(|s| s.value)
    }
    /// Workshops only.
    async fn attendees(&self) -> Option<&str> {
        self.0.attendees.as_ref().map(|s| s.text.as_str())
    }
    async fn attendees_value(&self) -> Option<i64> {
        self.0.attendees.as_ref().and_then(|s| s.value)
    }
}

/// One indicator over a period, against the yearly target pro-rated to it.
#[derive(SimpleObject)]
pub struct AgreementDeliverable {
    indicator: AgreementIndicator,
    label: &'static str,
    /// E.g. "12", or "<5" for a partner.
    achieved: String,
    /// Null when suppressed.
    achieved_value: Option<i64>,
    /// Null when the agreement sets no target for the indicator.
    target: Option<f64>,
    /// Achieved over target (1.0 = met); null when either is unknown.
    rate: Option<f64>,
}

fn deliverable(d: &rep::Deliverable) -> AgreementDeliverable {
    AgreementDeliverable {
        indicator: d.indicator.into(),
        label: d.indicator.label_fr(),
        achieved: d.achieved.text.clone(),
        achieved_value: d.achieved.value,
        target: d.target,
        rate: d.rate,
    }
}

#[derive(SimpleObject)]
pub struct AgreementSiteDeliverable {
    indicator: AgreementIndicator,
    label: &'static str,
    achieved: String,
    achieved_value: Option<i64>,
}

/// What one site delivered in a period. Outreach has no site (campaigns belong to
/// an association): it is in the period's deliverables only.
pub struct AgreementSiteDeliverables(rep::SiteLine);

#[Object]
impl AgreementSiteDeliverables {
    async fn site(&self, c: &Context<'_>) -> async_graphql::Result<Option<Site>> {
        Ok(loaders(c)?.site.load_one(self.0.site_id).await?.map(Site))
    }
    async fn tenant(&self, c: &Context<'_>) -> async_graphql::Result<Option<Tenant>> {
        Ok(loaders(c)?
            .tenant
            .load_one(self.0.tenant_id)
            .await?
            .map(Tenant))
    }
    async fn site_name(&self) -> &str {
        &self.0.site_name
    }
    async fn association_name(&self) -> &str {
        &self.0.tenant_name
    }
    async fn deliverables(&self) -> Vec<AgreementSiteDeliverable> {
        self.0
            .achieved
            .iter()
            .map(|(i, s)| AgreementSiteDeliverable {
                indicator: (*i).into(),
                label: i.label_fr(),
                achieved: s.text.clone(),
                achieved_value: s.value,
            })
            .collect()
    }
}

pub struct AgreementReportPeriod(rep::ReportPeriod);

#[Object]
impl AgreementReportPeriod {
    async fn start(&self) -> NaiveDate {
        self.0.start
    }
    async fn end(&self) -> NaiveDate {
        self.0.end
    }
    /// E.g. "T1 2026", "janvier 2026", "S2 2026", "2026".
    async fn label(&self) -> &str {
        &self.0.label
    }
    async fn deliverables(&self) -> Vec<AgreementDeliverable> {
        self.0.deliverables.iter().map(deliverable).collect()
    }
    async fn sites(&self) -> Vec<AgreementSiteDeliverables> {
        self.0
            .sites
            .iter()
            .cloned()
            .map(AgreementSiteDeliverables)
            .collect()
    }
}

/// Deliverables against targets per reporting period and per site.
pub struct AgreementReport(rep::Report);

#[Object]
impl AgreementReport {
    async fn agreement(&self, c: &Context<'_>) -> async_graphql::Result<Option<Agreement>> {
        Ok(loaders(c)?
            .agreement
            .load_one(self.0.agreement.id)
            .await?
            .map(Agreement))
    }
    /// First day of the first period.
    async fn from(&self) -> NaiveDate {
        self.0.from
    }
    /// Last day of the last period.
    async fn to(&self) -> NaiveDate {
        self.0.to
    }
    async fn reporting_frequency(&self) -> ReportingFrequency {
        self.0.agreement.reporting_frequency.into()
    }
    /// Whether counts from 1 to 4 are hidden ("<5").
    async fn suppressed(&self) -> bool {
        self.0.suppressed
    }
    /// An association reading a national framework: the figures are its own share.
    async fn partial(&self) -> bool {
        self.0.partial
    }
    async fn periods(&self) -> Vec<AgreementReportPeriod> {
        self.0
            .periods
            .iter()
            .cloned()
            .map(AgreementReportPeriod)
            .collect()
    }
    /// Over the whole span.
    async fn totals(&self) -> Vec<AgreementDeliverable> {
        self.0.totals.iter().map(deliverable).collect()
    }
    /// The report as CSV (semicolons, UTF-8 with BOM), for a spreadsheet.
    async fn csv(&self) -> String {
        rep::to_csv(&self.0)
    }
}

// ---------------------------------------------------------------------------
// Queries

fn opt_id(field: &str, id: Option<ID>, type_name: &str) -> Result<Option<Uuid>, Error> {
    id.map(|i| decode_id(field, &i, type_name)).transpose()
}

/// A covered site as a partner sees it in its listing: its name, nothing internal.
#[derive(SimpleObject)]
pub struct CodedActivitySite {
    id: ID,
    name: String,
}

/// Partner requests coded to one agreement at one site, in one month, on one theme.
pub struct CodedActivityRow(ag::listing::CodedRow);

#[Object]
impl CodedActivityRow {
    /// First day of the month (Paris calendar).
    async fn month(&self) -> NaiveDate {
        self.0.cursor.month
    }
    /// A code of requestThemes.
    async fn theme(&self) -> &str {
        &self.0.cursor.theme
    }
    async fn agreement(&self, c: &Context<'_>) -> async_graphql::Result<Option<Agreement>> {
        Ok(loaders(c)?
            .agreement
            .load_one(self.0.cursor.agreement_id)
            .await?
            .map(Agreement))
    }
    async fn site(&self) -> CodedActivitySite {
        CodedActivitySite {
            id: encode_id("Site", self.0.cursor.site_id),
            name: self.0.site_name.clone(),
        }
    }
    /// "12", or "<5" when from 1 to 4.
    async fn requests(&self) -> &str {
        &self.0.requests.text
    }
    /// Null when suppressed.
    async fn requests_value(&self) -> Option<i64> {
        self.0.requests.value
    }
    async fn mediation_acts(&self) -> &str {
        &self.0.mediation_acts.text
    }
    async fn mediation_acts_value(&self) -> Option<i64> {
        self.0.mediation_acts.value
    }
}

#[derive(Default)]
pub struct PartnersQuery;

#[Object]
impl PartnersQuery {
    /// The agreements you read, newest first: every one for the union; an
    /// association's local agreements and the national ones covering one of its
    /// sites; a partner's own.
    async fn agreements(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<AgreementStatus>,
        partner_id: Option<ID>,
    ) -> async_graphql::Result<Connection<String, Agreement>> {
        let ctx = ctx(c)?;
        let page = page_request(first, after).gql()?;
        let f = ag::AgreementFilter {
            status: status.map(Into::into),
            partner_id: opt_id("partnerId", partner_id, "PartnerOrganisation").gql()?,
        };
        let p = services(c)?
            .partners
            .list_agreements(ctx, page, f)
            .await
            .gql()?;
        Ok(connection(p, |a| a.id, Agreement))
    }

    /// The agreements an entry of the active association would fit, for the front
    /// desk to propose one: active or ended, covering the site on that day, the
    /// service and the theme, with that partner (any partner when omitted).
    async fn agreement_candidates(
        &self,
        c: &Context<'_>,
        site_id: ID,
        on: NaiveDate,
        service: AgreementService,
        theme: String,
        partner_id: Option<ID>,
    ) -> async_graphql::Result<Vec<Agreement>> {
        let ctx = ctx(c)?;
        let site = decode_id("siteId", &site_id, "Site").gql()?;
        let partner = opt_id("partnerId", partner_id, "PartnerOrganisation").gql()?;
        let rows = services(c)?
            .partners
            .agreement_candidates(ctx, site, on, service.into(), &theme, partner)
            .await
            .gql()?;
        Ok(rows.into_iter().map(Agreement).collect())
    }

    /// Activity coded to one agreement, or to every agreement of a partner (a
    /// partner's own by default), per site, month and theme. Whole months.
    async fn agreement_activity(
        &self,
        c: &Context<'_>,
        agreement_id: Option<ID>,
        partner_id: Option<ID>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> async_graphql::Result<AgreementActivity> {
        let ctx = ctx(c)?;
        let q = rep::ActivityQuery {
            agreement_id: opt_id("agreementId", agreement_id, "Agreement").gql()?,
            partner_id: opt_id("partnerId", partner_id, "PartnerOrganisation").gql()?,
            from,
            to,
        };
        let a = services(c)?
            .partners
            .agreement_activity(ctx, q)
            .await
            .gql()?;
        Ok(AgreementActivity {
            from: a.from,
            to: a.to,
            suppressed: a.suppressed,
            rows: a.rows.into_iter().map(AgreementActivityRow).collect(),
        })
    }

    /// A partner's coded requests, page by page: one row per agreement, site, month
    /// and theme, with the site's name; counts from 1 to 4 read "<5". Partners only
    /// (activity:read); months between `from` and `to` when given.
    async fn coded_activity(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> async_graphql::Result<Connection<String, CodedActivityRow>> {
        let ctx = ctx(c)?;
        let page = services(c)?
            .partners
            .coded_activity(ctx, first, after.as_deref(), from, to)
            .await
            .gql()?;
        let mut conn = Connection::new(after.is_some(), page.has_next_page);
        conn.edges.extend(
            page.rows.into_iter().map(|r| {
                async_graphql::connection::Edge::new(r.cursor.encode(), CodedActivityRow(r))
            }),
        );
        Ok(conn)
    }

    /// An agreement's report: deliverables against targets per reporting period
    /// and per site. From and to default to the agreement's period and are widened
    /// to whole reporting periods.
    async fn agreement_report(
        &self,
        c: &Context<'_>,
        agreement_id: ID,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> async_graphql::Result<AgreementReport> {
        let ctx = ctx(c)?;
        let q = rep::ReportQuery {
            agreement_id: decode_id("agreementId", &agreement_id, "Agreement").gql()?,
            from,
            to,
        };
        let r = services(c)?.partners.agreement_report(ctx, q).await.gql()?;
        Ok(AgreementReport(r))
    }
}

// ---------------------------------------------------------------------------
// Mutations

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

#[derive(SimpleObject)]
pub struct AgreementPayload {
    agreement: Agreement,
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

#[derive(SimpleObject)]
pub struct PartnerContactPayload {
    contact: PartnerContact,
}

#[derive(InputObject)]
pub struct RequestCodingInput {
    /// The request's position in the visit (0 for the first).
    position: i32,
    /// The agreement to code it to; null to uncode it.
    agreement_id: Option<ID>,
}

#[derive(InputObject)]
pub struct CodeVisitRequestsInput {
    visit_id: ID,
    requests: Vec<RequestCodingInput>,
}

#[derive(SimpleObject)]
pub struct CodeVisitRequestsPayload {
    visit: Visit,
}

#[derive(InputObject)]
pub struct CodeWorkshopInput {
    workshop_id: ID,
    /// The agreement to code it to; null to uncode it.
    agreement_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct CodeWorkshopPayload {
    workshop: Workshop,
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
    ) -> async_graphql::Result<AgreementPayload> {
        let ctx = ctx(c)?;
        let tenant = opt_id("tenantId", input.tenant_id, "Tenant").gql()?;
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
            partner_id: decode_id("partnerId", &input.partner_id, "PartnerOrganisation").gql()?,
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
    ) -> async_graphql::Result<AgreementPayload> {
        let ctx = ctx(c)?;
        let id = decode_id("agreementId", &input.agreement_id, "Agreement").gql()?;
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
    ) -> async_graphql::Result<AgreementPayload> {
        let ctx = ctx(c)?;
        let id = decode_id("agreementId", &input.agreement_id, "Agreement").gql()?;
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
    ) -> async_graphql::Result<RecordAgreementPaymentPayload> {
        let ctx = ctx(c)?;
        let id = decode_id("agreementId", &input.agreement_id, "Agreement").gql()?;
        let (a, p) = services(c)?
            .partners
            .record_agreement_payment(
                ctx,
                id,
                ag::NewPayment {
                    kind: input.kind.into(),
                    on_date: input.on_date,
                    amount_cents: input.amount_cents,
                    label: input.label,
                },
            )
            .await
            .gql()?;
        Ok(RecordAgreementPaymentPayload {
            agreement: Agreement(a),
            payment: payment(p),
        })
    }

    /// Adds a contact at a partner firm (union admins).
    async fn add_partner_contact(
        &self,
        c: &Context<'_>,
        input: AddPartnerContactInput,
    ) -> async_graphql::Result<PartnerContactPayload> {
        let ctx = ctx(c)?;
        let partner = decode_id("partnerId", &input.partner_id, "PartnerOrganisation").gql()?;
        let k = services(c)?
            .partners
            .add_partner_contact(
                ctx,
                partner,
                ag::NewContact {
                    full_name: input.full_name,
                    job_title: input.job_title,
                    email: input.email,
                    phone: input.phone,
                },
            )
            .await
            .gql()?;
        Ok(PartnerContactPayload {
            contact: contact(k),
        })
    }

    /// Codes requests of a visit to agreements, or uncodes them (directors,
    /// coordinators, mediators). Each must be a partner request fitting the
    /// agreement: site covered, day in its period, theme covered, same partner.
    async fn code_visit_requests(
        &self,
        c: &Context<'_>,
        input: CodeVisitRequestsInput,
    ) -> async_graphql::Result<CodeVisitRequestsPayload> {
        let ctx = ctx(c)?;
        let id = decode_id("visitId", &input.visit_id, "Visit").gql()?;
        let mut codings = Vec::with_capacity(input.requests.len());
        for (i, r) in input.requests.into_iter().enumerate() {
            codings.push(mediation::RequestCoding {
                position: i16::try_from(r.position)
                    .map_err(|_| {
                        Error::validation(
                            format!("requests[{i}].position"),
                            "the visit has no request at this position",
                        )
                    })
                    .gql()?,
                agreement_id: opt_id(
                    &format!("requests[{i}].agreementId"),
                    r.agreement_id,
                    "Agreement",
                )
                .gql()?,
            });
        }
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
    ) -> async_graphql::Result<CodeWorkshopPayload> {
        let ctx = ctx(c)?;
        let id = decode_id("workshopId", &input.workshop_id, "Workshop").gql()?;
        let agreement = opt_id("agreementId", input.agreement_id, "Agreement").gql()?;
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
