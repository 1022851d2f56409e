//! Coded activity and the agreement report. A partner sees counts from 1 to 4 as
//! "<5"; the union and associations see exact counts.

use super::types::{Agreement, AgreementActivityKind, AgreementIndicator, ReportingFrequency};
use crate::loaders::load;
use crate::node::encode_id;
use crate::sites::types::Site;
use crate::tenancy::types::Tenant;
use ::partners::agreements as ag;
use ::partners::agreements::report as rep;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::NaiveDate;

/// Activity coded to agreements. A partner sees counts from 1 to 4 as "<5" (and
/// the matching *Value as null); the union and associations see exact counts.
#[derive(SimpleObject)]
pub struct AgreementActivity {
    /// First day of the first month.
    pub(crate) from: NaiveDate,
    /// Last day of the last month.
    pub(crate) to: NaiveDate,
    /// Whether counts from 1 to 4 are hidden.
    pub(crate) suppressed: bool,
    pub(crate) rows: Vec<AgreementActivityRow>,
}

/// Activity coded to one agreement at one site in one month on one theme.
pub struct AgreementActivityRow(pub(crate) rep::ActivityRow);

#[Object]
impl AgreementActivityRow {
    async fn agreement(&self, c: &Context<'_>) -> Result<Option<Agreement>> {
        load(c, self.0.agreement_id).await
    }
    async fn site(&self, c: &Context<'_>) -> Result<Option<Site>> {
        load(c, self.0.site_id).await
    }
    async fn tenant(&self, c: &Context<'_>) -> Result<Option<Tenant>> {
        load(c, self.0.tenant_id).await
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

impl From<&rep::Deliverable> for AgreementDeliverable {
    fn from(d: &rep::Deliverable) -> Self {
        AgreementDeliverable {
            indicator: d.indicator.into(),
            label: d.indicator.label_fr(),
            achieved: d.achieved.text.clone(),
            achieved_value: d.achieved.value,
            target: d.target,
            rate: d.rate,
        }
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
    async fn site(&self, c: &Context<'_>) -> Result<Option<Site>> {
        load(c, self.0.site_id).await
    }
    async fn tenant(&self, c: &Context<'_>) -> Result<Option<Tenant>> {
        load(c, self.0.tenant_id).await
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
        self.0.deliverables.iter().map(Into::into).collect()
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
pub struct AgreementReport(pub(crate) rep::Report);

#[Object]
impl AgreementReport {
    async fn agreement(&self, c: &Context<'_>) -> Result<Option<Agreement>> {
        load(c, self.0.agreement.id).await
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
        self.0.totals.iter().map(Into::into).collect()
    }
    /// The report as CSV (semicolons, UTF-8 with BOM), for a spreadsheet.
    async fn csv(&self) -> String {
        rep::to_csv(&self.0)
    }
}

/// A covered site as a partner sees it in its listing: its name, nothing internal.
#[derive(SimpleObject)]
pub struct CodedActivitySite {
    id: ID,
    name: String,
}

/// Partner requests coded to one agreement at one site, in one month, on one theme.
pub struct CodedActivityRow(pub(crate) ag::listing::CodedRow);

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
    async fn agreement(&self, c: &Context<'_>) -> Result<Option<Agreement>> {
        load(c, self.0.cursor.agreement_id).await
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
