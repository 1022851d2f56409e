//! The dashboard: the journal's counts by period, split one way, against last year.

use crate::node::decode_opt;
use async_graphql::{ID, InputObject, Object, SimpleObject};
use chrono::NaiveDate;
use kernel::Error;
use mediation::dashboard as dash;

mirror_enum!(Granularity => "mediation::dashboard::Granularity" { Day, Week, Month });
mirror_enum!(DashboardDimension => "mediation::dashboard::Dimension" {
    None, Site, Channel, Theme, Kind, Partner,
    /// Network dashboard only.
    Tenant,
    /// The sites' region (from their postcode's department).
    Region,
});
mirror_enum!(AttendanceTrend => "mediation::dashboard::Trend" { Usual, UnusualDrop, UnusualRise });

pub struct DashboardCounts(dash::Counts);

#[Object]
impl DashboardCounts {
    /// People received; null where the split does not apply (by theme, kind, partner).
    async fn people(&self) -> Option<i64> {
        self.0.people
    }
    async fn minutes(&self) -> Option<i64> {
        self.0.minutes
    }
    async fn requests(&self) -> i64 {
        self.0.requests
    }
    async fn mediation_acts(&self) -> i64 {
        self.0.mediation_acts
    }
    async fn workshops(&self) -> Option<i64> {
        self.0.workshops
    }
    async fn attendees(&self) -> Option<i64> {
        self.0.attendees
    }
    /// Data quality: visits recorded during a closure declared for their site (null
    /// where people are).
    async fn visits_during_closure(&self) -> Option<i64> {
        self.0.visits_during_closure
    }
    /// Data quality: on-site visits recorded outside their site's opening hours.
    async fn visits_outside_hours(&self) -> Option<i64> {
        self.0.visits_outside_hours
    }
}

#[derive(SimpleObject)]
pub struct DashboardRow {
    /// First day of the period.
    period: NaiveDate,
    /// The split's key: a site or partner id, a theme, channel or kind code; empty for the total.
    key: String,
    label: String,
    counts: DashboardCounts,
    last_year: DashboardCounts,
    trend: Option<AttendanceTrend>,
}

pub struct Dashboard(pub(crate) dash::Dashboard);

#[Object]
impl Dashboard {
    async fn totals(&self) -> DashboardCounts {
        DashboardCounts(self.0.totals.clone())
    }
    async fn last_year_totals(&self) -> DashboardCounts {
        DashboardCounts(self.0.last_year_totals.clone())
    }
    async fn rows(&self) -> Vec<DashboardRow> {
        self.0
            .rows
            .iter()
            .map(|r| DashboardRow {
                period: r.period,
                key: r.key.clone(),
                label: r.label.clone(),
                counts: DashboardCounts(r.counts.clone()),
                last_year: DashboardCounts(r.last_year.clone()),
                trend: r.trend.map(Into::into),
            })
            .collect()
    }
    /// The same view as CSV (semicolons, UTF-8 with BOM), for a spreadsheet.
    async fn csv(&self) -> String {
        dash::to_csv(&self.0)
    }
    /// Served from the cache.
    async fn cached(&self) -> bool {
        self.0.cached
    }
}

/// A dashboard view. Periods are whole: `from` and `to` are widened to the weeks or
/// months that contain them.
#[derive(InputObject)]
pub struct DashboardInput {
    from: NaiveDate,
    to: NaiveDate,
    #[graphql(default_with = "Granularity::Month")]
    granularity: Granularity,
    #[graphql(default_with = "DashboardDimension::None")]
    dimension: DashboardDimension,
    site_id: Option<ID>,
    /// Network dashboard only: one association.
    tenant_id: Option<ID>,
    /// Rows whose counts (and last year's) are all zero, so that every period and
    /// key has its row; false returns only the rows with activity, much smaller for
    /// a month by day and by site.
    #[graphql(default = true)]
    empty_rows: bool,
}

impl DashboardInput {
    /// What the selection reads: last year's counts and the trend are computed only
    /// when asked for (the CSV has both).
    pub(crate) fn needs(&self, c: &async_graphql::Context<'_>) -> dash::Needs {
        let a = c.look_ahead();
        let csv = a.field("csv").exists();
        let rows = a.field("rows");
        dash::Needs {
            last_year: csv || a.field("lastYearTotals").exists() || rows.field("lastYear").exists(),
            trend: csv || rows.field("trend").exists(),
            empty_rows: self.empty_rows,
        }
    }

    pub(crate) fn query(self) -> Result<dash::DashboardQuery, Error> {
        Ok(dash::DashboardQuery {
            from: self.from,
            to: self.to,
            granularity: self.granularity.into(),
            dimension: self.dimension.into(),
            site_id: decode_opt("siteId", self.site_id.as_ref(), "Site")?,
            tenant_id: decode_opt("tenantId", self.tenant_id.as_ref(), "Tenant")?,
        })
    }
}
