//! The dashboard (tableau de bord): people received, requests, mediation acts,
//! workshops and attendees by day, week or month, split by site, channel, theme,
//! kind, partner (or association, for the union), with the same period last year
//! beside it and unusual drops or rises flagged. Read from the daily rollups only,
//! never from the journal; cached in Redis under keys that carry the deployment, the
//! association and its version, which every write of its rollups bumps in
//! PostgreSQL (migration 0009).

use crate::Journal;
use crate::entity::{activity_monthly, department, request_daily, visit_daily, workshop_daily};
use crate::model::{Channel, RequestKind};
use crate::repo;
use chrono::{Datelike, Days, Months, NaiveDate};
use db::RedisPool;
use kernel::{Ctx, Error, UnionRole};
use sea_orm::sea_query::{
    DynIden, Expr, ExprTrait, Func, IntoIden, JoinType, PostgresQueryBuilder, Query,
};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tokio::sync::{Semaphore, watch};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Granularity {
    Day,
    Week,
    Month,
}

impl Granularity {
    fn trunc(self) -> &'static str {
        match self {
            Granularity::Day => "day",
            Granularity::Week => "week",
            Granularity::Month => "month",
        }
    }
    fn start(self, d: NaiveDate) -> NaiveDate {
        match self {
            Granularity::Day => d,
            Granularity::Week => d - Days::new(u64::from(d.weekday().num_days_from_monday())),
            Granularity::Month => d.with_day(1).unwrap_or(d),
        }
    }
    fn next(self, d: NaiveDate) -> NaiveDate {
        match self {
            Granularity::Day => d + Days::new(1),
            Granularity::Week => d + Days::new(7),
            Granularity::Month => d + Months::new(1),
        }
    }
    fn back(self, d: NaiveDate, n: u32) -> NaiveDate {
        match self {
            Granularity::Day => d - Days::new(u64::from(n)),
            Granularity::Week => d - Days::new(7 * u64::from(n)),
            Granularity::Month => d - Months::new(n),
        }
    }
    /// Last year's matching date: 52 weeks back (same weekday) by day or week, a
    /// calendar year back by month.
    fn last_year(self, d: NaiveDate) -> NaiveDate {
        match self {
            Granularity::Month => d - Months::new(12),
            _ => d - Days::new(364),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dimension {
    None,
    Site,
    Channel,
    Theme,
    Kind,
    Partner,
    /// Union only: one row per association.
    Tenant,
    /// The sites' region (from the postcode's department).
    Region,
}

impl Dimension {
    fn people_apply(self) -> bool {
        matches!(
            self,
            Dimension::None
                | Dimension::Site
                | Dimension::Channel
                | Dimension::Tenant
                | Dimension::Region
        )
    }
    fn workshops_apply(self) -> bool {
        matches!(
            self,
            Dimension::None | Dimension::Site | Dimension::Tenant | Dimension::Region
        )
    }
    /// The row's key, as text, from the rollup (aliased `x`) and what it is joined to.
    fn key(self) -> Expr {
        let x = |column: &'static str| Expr::col((X, column));
        match self {
            Dimension::None => Expr::val(""),
            Dimension::Site => x("site_id").cast_as("text"),
            Dimension::Channel => x("channel"),
            Dimension::Theme => x("theme"),
            Dimension::Kind => x("kind"),
            Dimension::Partner => x("partner_key").cast_as("text"),
            Dimension::Tenant => x("tenant_id").cast_as("text"),
            Dimension::Region => Func::coalesce([
                Expr::col(("d", department::Column::RegionCode)),
                Expr::val(""),
            ])
            .into(),
        }
    }
}

/// The rollup's alias in the dashboard's statements.
const X: &str = "x";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DashboardQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub granularity: Granularity,
    pub dimension: Dimension,
    pub site_id: Option<Uuid>,
    /// Network dashboard only: one association.
    pub tenant_id: Option<Uuid>,
}

/// What the caller will read of a dashboard: a GraphQL selection that asks for no
/// comparison, no trend or no empty rows spares their statements and their rows
/// (issue "Performance, round two": last year and the lookback were half of the
/// statements, empty rows most of a large association's answer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Needs {
    /// Last year's counts (`lastYear`, `lastYearTotals`).
    pub last_year: bool,
    /// The attendance trend, which reads the six periods before the range.
    pub trend: bool,
    /// Rows whose counts (and last year's, when read) are all zero.
    pub empty_rows: bool,
}

impl Needs {
    /// Everything: what a caller gets that does not say (the CSV export, the cache
    /// of the full view).
    pub const ALL: Needs = Needs {
        last_year: true,
        trend: true,
        empty_rows: true,
    };
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// People received (visits); None where the split does not apply (by theme...).
    pub people: Option<i64>,
    pub minutes: Option<i64>,
    pub requests: i64,
    pub mediation_acts: i64,
    pub workshops: Option<i64>,
    pub attendees: Option<i64>,
    /// Data quality: visits recorded during a closure of their site, and on-site
    /// visits outside its opening hours (where people apply).
    #[serde(default)]
    pub visits_during_closure: Option<i64>,
    #[serde(default)]
    pub visits_outside_hours: Option<i64>,
}

impl Counts {
    fn empty(d: Dimension) -> Self {
        Counts {
            people: d.people_apply().then_some(0),
            minutes: d.people_apply().then_some(0),
            visits_during_closure: d.people_apply().then_some(0),
            visits_outside_hours: d.people_apply().then_some(0),
            workshops: d.workshops_apply().then_some(0),
            attendees: d.workshops_apply().then_some(0),
            ..Counts::default()
        }
    }
    fn is_zero(&self) -> bool {
        let z = |n: Option<i64>| n.unwrap_or(0) == 0;
        self.requests == 0
            && self.mediation_acts == 0
            && z(self.people)
            && z(self.minutes)
            && z(self.workshops)
            && z(self.attendees)
            && z(self.visits_during_closure)
            && z(self.visits_outside_hours)
    }
    fn add(&mut self, o: &Counts) {
        let sum = |a: &mut Option<i64>, b: Option<i64>| {
            if let (Some(x), Some(y)) = (a.as_mut(), b) {
                *x += y;
            }
        };
        sum(&mut self.people, o.people);
        sum(&mut self.minutes, o.minutes);
        sum(&mut self.workshops, o.workshops);
        sum(&mut self.attendees, o.attendees);
        sum(&mut self.visits_during_closure, o.visits_during_closure);
        sum(&mut self.visits_outside_hours, o.visits_outside_hours);
        self.requests += o.requests;
        self.mediation_acts += o.mediation_acts;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Trend {
    Usual,
    UnusualDrop,
    UnusualRise,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub period: NaiveDate,
    pub key: String,
    pub label: String,
    pub counts: Counts,
    pub last_year: Counts,
    /// Attendance against the six previous periods; None when it cannot be judged
    /// (the period is not over, too little history, or the split has no people count).
    pub trend: Option<Trend>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub totals: Counts,
    pub last_year_totals: Counts,
    pub rows: Vec<Row>,
    pub cached: bool,
}

const LOOKBACK: u32 = 6;
const CACHE_TTL_SECS: u64 = 600;
/// How old the union's statistics may be (see `invalidate`).
pub const NETWORK_TTL_SECS: u64 = 300;

/// Periods are whole: `from` and `to` are widened to the periods that contain them,
/// so that totals are the sum of the rows shown.
fn whole_periods(mut q: DashboardQuery) -> DashboardQuery {
    let g = q.granularity;
    q.from = g.start(q.from);
    q.to = g.next(g.start(q.to)) - Days::new(1);
    q
}

fn validate(q: &DashboardQuery) -> Result<(), Error> {
    if q.to < q.from {
        return Err(Error::validation("to", "before from"));
    }
    let span = (q.to - q.from).num_days();
    if span > 3 * 366 {
        return Err(Error::validation("to", "at most three years"));
    }
    if q.granularity == Granularity::Day && span > 400 {
        return Err(Error::validation(
            "granularity",
            "by day, at most 400 days; use WEEK or MONTH",
        ));
    }
    Ok(())
}

/// The statements the dashboard runs for a date range: one per rollup table that
/// applies. Public so that tests can EXPLAIN them under the application role.
pub fn statements(
    tenant: Option<Uuid>,
    q: &DashboardQuery,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<(&'static str, String, Vec<Value>)> {
    let d = q.dimension;
    // By month over whole months, split by nothing finer than the site, each site's
    // month holds the same sums in one row (migration 0021: a network year by region
    // read every site's days, and every channel, theme and partner of them).
    let monthly = q.granularity == Granularity::Month
        && matches!(
            d,
            Dimension::None | Dimension::Site | Dimension::Tenant | Dimension::Region
        )
        && from.day() == 1
        && (to + Days::new(1)).day() == 1;
    let pick = |daily: DynIden| {
        if monthly {
            activity_monthly::Entity.into_iden()
        } else {
            daily
        }
    };
    let period = if monthly { "month" } else { "day" };
    let sources = [
        (
            "visit",
            d.people_apply(),
            pick(visit_daily::Entity.into_iden()),
            vec![
                visit_daily::Column::Visits.into_iden(),
                visit_daily::Column::Minutes.into_iden(),
                visit_daily::Column::DuringClosure.into_iden(),
                visit_daily::Column::OutsideHours.into_iden(),
            ],
        ),
        (
            "request",
            true,
            pick(request_daily::Entity.into_iden()),
            vec![
                request_daily::Column::Requests.into_iden(),
                request_daily::Column::MediationActs.into_iden(),
            ],
        ),
        (
            "workshop",
            d.workshops_apply(),
            pick(workshop_daily::Entity.into_iden()),
            vec![
                workshop_daily::Column::Workshops.into_iden(),
                workshop_daily::Column::Attendees.into_iden(),
            ],
        ),
    ];
    sources
        .into_iter()
        .filter(|(_, applies, _, _)| *applies)
        .map(|(source, _, table, sums)| {
            let (sql, values) = rollup_statement(tenant, q, from, to, table, period, sums);
            (source, sql, values)
        })
        .collect()
}

/// One rollup's sums by period and key, each sum under its column's name.
fn rollup_statement(
    tenant: Option<Uuid>,
    q: &DashboardQuery,
    from: NaiveDate,
    to: NaiveDate,
    table: DynIden,
    period: &'static str,
    sums: Vec<DynIden>,
) -> (String, Vec<Value>) {
    let mut s = Query::select();
    s.expr_as(
        Func::cust("date_trunc")
            .arg(q.granularity.trunc())
            .arg(Expr::col((X, period)))
            .cast_as("date"),
        "period",
    )
    .expr_as(q.dimension.key(), "key");
    for sum in sums {
        s.expr_as(
            Func::sum(Expr::col((X, sum.clone()))).cast_as("bigint"),
            sum,
        );
    }
    s.from_as(table, X);
    if q.dimension == Dimension::Region {
        s.join_as(
            JoinType::InnerJoin,
            "sites",
            "s",
            Expr::col(("s", "tenant_id"))
                .equals((X, "tenant_id"))
                .and(Expr::col(("s", "id")).equals((X, "site_id"))),
        )
        .join_as(
            JoinType::LeftJoin,
            department::Entity,
            "d",
            Expr::col(("d", department::Column::Code)).equals(("s", "department")),
        );
    }
    s.and_where(Expr::col((X, period)).between(from, to));
    // Only the filters that apply are written, each as a plain equality: an
    // optional filter (`$2 is null or x.tenant_id = $2`) cannot use an index in
    // the generic plan PostgreSQL settles on for a prepared statement, and the
    // row-level security policy (an OR) cannot either, so the dashboard scanned
    // every association's rollups (bench/README.md, W2).
    for (column, id) in [
        ("tenant_id", tenant),
        ("site_id", q.site_id),
        ("tenant_id", q.tenant_id),
    ] {
        if let Some(id) = id {
            s.and_where(Expr::col((X, column)).eq(id));
        }
    }
    s.group_by_col("period").group_by_col("key");
    let (sql, values) = s.build(PostgresQueryBuilder);
    (sql, values.0)
}

/// What `visit_daily` adds up to in a period, for a key.
#[derive(FromQueryResult)]
struct VisitSums {
    period: NaiveDate,
    key: String,
    visits: i64,
    minutes: i64,
    during_closure: i64,
    outside_hours: i64,
}

#[derive(FromQueryResult)]
struct RequestSums {
    period: NaiveDate,
    key: String,
    requests: i64,
    mediation_acts: i64,
}

#[derive(FromQueryResult)]
struct WorkshopSums {
    period: NaiveDate,
    key: String,
    workshops: i64,
    attendees: i64,
}

type Series = BTreeMap<(NaiveDate, String), Counts>;

async fn fetch(
    tx: &db::Scoped,
    tenant: Option<Uuid>,
    q: &DashboardQuery,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Series, Error> {
    let mut series = Series::new();
    let d = q.dimension;
    for (source, sql, values) in statements(tenant, q, from, to) {
        match source {
            "visit" => {
                for r in repo::rows::<VisitSums>(tx, &sql, values).await? {
                    let c = cell(&mut series, d, r.period, r.key);
                    c.people = Some(r.visits);
                    c.minutes = Some(r.minutes);
                    c.visits_during_closure = Some(r.during_closure);
                    c.visits_outside_hours = Some(r.outside_hours);
                }
            }
            "request" => {
                for r in repo::rows::<RequestSums>(tx, &sql, values).await? {
                    let c = cell(&mut series, d, r.period, r.key);
                    c.requests = r.requests;
                    c.mediation_acts = r.mediation_acts;
                }
            }
            _ => {
                for r in repo::rows::<WorkshopSums>(tx, &sql, values).await? {
                    let c = cell(&mut series, d, r.period, r.key);
                    c.workshops = Some(r.workshops);
                    c.attendees = Some(r.attendees);
                }
            }
        }
    }
    Ok(series)
}

fn cell(series: &mut Series, d: Dimension, period: NaiveDate, key: String) -> &mut Counts {
    series
        .entry((period, key))
        .or_insert_with(|| Counts::empty(d))
}

/// A key and its label, as `labels` reads them.
#[derive(FromQueryResult)]
struct Label {
    key: String,
    label: String,
}

async fn labels(
    tx: &db::Scoped,
    d: Dimension,
    tenant: Option<Uuid>,
    keys: &[String],
) -> Result<HashMap<String, String>, Error> {
    let mut out = HashMap::new();
    let ids: Vec<Uuid> = keys
        .iter()
        .filter_map(|k| Uuid::parse_str(k).ok())
        .collect();
    let table = match d {
        Dimension::None => {
            out.insert(String::new(), "Total".to_owned());
            return Ok(out);
        }
        Dimension::Channel => {
            for c in Channel::ALL {
                out.insert(c.as_str().to_owned(), c.label_fr().to_owned());
            }
            return Ok(out);
        }
        Dimension::Kind => {
            for k in RequestKind::ALL {
                out.insert(k.as_str().to_owned(), k.label_fr().to_owned());
            }
            return Ok(out);
        }
        Dimension::Theme => {
            "select code as key, label_fr as label from request_themes where code = any($1)"
        }
        // The sites' key is (tenant_id, id): without the association each id is an
        // index scan of its own (34 ms for 450 sites on dataset M, bench/README.md).
        Dimension::Site if tenant.is_some() => {
            "select id::text as key, name as label from sites where tenant_id = $3 and id = any($2)"
        }
        Dimension::Site => "select id::text as key, name as label from sites where id = any($2)",
        Dimension::Partner => {
            "select id::text as key, name as label from partner_organisations where id = any($2)"
        }
        Dimension::Tenant => {
            "select id::text as key, name as label from tenants where id = any($2)"
        }
        Dimension::Region => "select code as key, name as label from regions where code = any($1)",
    };
    let rows: Vec<Label> = repo::rows(
        tx,
        table,
        vec![keys.to_vec().into(), ids.into(), tenant.into()],
    )
    .await?;
    out.extend(rows.into_iter().map(|l| (l.key, l.label)));
    if d == Dimension::Partner {
        out.insert(
            Uuid::nil().to_string(),
            "Sans partenaire (accueil généraliste)".to_owned(),
        );
    }
    Ok(out)
}

fn trend(history: &[i64], x: i64) -> Option<Trend> {
    if history.len() < LOOKBACK as usize {
        return None;
    }
    let mean = history.iter().sum::<i64>() as f64 / history.len() as f64;
    if mean < 10.0 {
        return None;
    }
    let x = x as f64;
    Some(if x < 0.6 * mean {
        Trend::UnusualDrop
    } else if x > 1.5 * mean {
        Trend::UnusualRise
    } else {
        Trend::Usual
    })
}

/// The keys either series has, each once, in order.
fn keys_of(current: &Series, last_year: &Series) -> Vec<String> {
    let mut keys: Vec<String> = current
        .keys()
        .chain(last_year.keys())
        .map(|(_, k)| k.clone())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn assemble(
    q: &DashboardQuery,
    current: Series,
    last_year: Series,
    labels: HashMap<String, String>,
    today: NaiveDate,
) -> Dashboard {
    let g = q.granularity;
    let first = g.start(q.from);
    let mut keys = keys_of(&current, &last_year);
    if keys.is_empty() && q.dimension == Dimension::None {
        keys.push(String::new());
    }
    let mut rows = Vec::new();
    let mut totals = Counts::empty(q.dimension);
    let mut ly_totals = Counts::empty(q.dimension);
    for key in keys {
        let mut history: Vec<i64> = Vec::new();
        let mut p = g.back(first, LOOKBACK);
        while p <= q.to {
            let c = current
                .get(&(p, key.clone()))
                .cloned()
                .unwrap_or_else(|| Counts::empty(q.dimension));
            if p >= first {
                let ly = last_year
                    .get(&(g.last_year(p), key.clone()))
                    .cloned()
                    .unwrap_or_else(|| Counts::empty(q.dimension));
                let over = g.next(p) <= today;
                let t = match (c.people, over) {
                    (Some(x), true) => trend(
                        &history[history.len().saturating_sub(LOOKBACK as usize)..],
                        x,
                    ),
                    _ => None,
                };
                totals.add(&c);
                ly_totals.add(&ly);
                rows.push(Row {
                    period: p,
                    key: key.clone(),
                    label: labels.get(&key).cloned().unwrap_or_else(|| key.clone()),
                    counts: c.clone(),
                    last_year: ly,
                    trend: t,
                });
            }
            // Periods before a series' first activity are no history, not zero attendance.
            let people = c.people.unwrap_or(0);
            if people > 0 || !history.is_empty() {
                history.push(people);
            }
            p = g.next(p);
        }
    }
    rows.sort_by(|a, b| (a.period, &a.label).cmp(&(b.period, &b.label)));
    Dashboard {
        totals,
        last_year_totals: ly_totals,
        rows,
        cached: false,
    }
}

/// The association's dashboard version, as the reader's scope sees it (0 before its
/// first write): one statement, read before the rollups (migration 0009).
const VERSION_SQL: &str = "select coalesce((select version from dashboard_versions \
     where tenant_id = (select app.tenant_id())), 0)::bigint";

/// How many network computations run at once in a process (each can take seconds
/// on a large network); other views wait for a permit, identical views for the
/// one in flight.
pub const NETWORK_COMPUTATIONS: usize = 2;

/// The view's part of a cache key (under the deployment's prefix and the
/// association, or `network`).
fn view_key(q: &DashboardQuery, n: Needs) -> String {
    // What the view holds first: the association (or the site) stays last, where
    // operators look for it.
    format!(
        "dash:{}{}{}:{}:{}:{:?}:{:?}:{}:{}",
        u8::from(n.last_year),
        u8::from(n.trend),
        u8::from(n.empty_rows),
        q.from,
        q.to,
        q.granularity,
        q.dimension,
        q.site_id.map(|s| s.to_string()).unwrap_or_default(),
        q.tenant_id.map(|s| s.to_string()).unwrap_or_default(),
    )
}

async fn cache_get(pool: &RedisPool, key: &str) -> Option<Dashboard> {
    let mut get = redis::cmd("GET");
    get.arg(key);
    let body: Option<String> = pool.query(&get).await.flatten();
    body.and_then(|s| serde_json::from_str::<Dashboard>(&s).ok())
}

async fn cache_put(pool: &RedisPool, key: &str, d: &Dashboard, ttl_secs: u64) {
    let Ok(body) = serde_json::to_string(d) else {
        return;
    };
    let mut set = redis::cmd("SET");
    set.arg(key).arg(body).arg("EX").arg(ttl_secs);
    // Not written is only not cached: the next reader computes it.
    let _ = pool.query::<()>(&set).await;
}

/// What a network computation left for the requests that waited for it.
type Outcome = Option<Result<Dashboard, Shared>>;

/// An error shared with the requests that waited for the same computation.
#[derive(Clone, Debug)]
enum Shared {
    Validation { field: String, reason: String },
    Forbidden(&'static str),
    Other,
}

impl Shared {
    fn of(e: &Error) -> Self {
        match e {
            Error::Validation { field, reason } => Shared::Validation {
                field: field.clone(),
                reason: reason.clone(),
            },
            Error::Forbidden(r) => Shared::Forbidden(r),
            _ => Shared::Other,
        }
    }
    fn error(&self) -> Error {
        match self {
            Shared::Validation { field, reason } => Error::validation(field, reason),
            Shared::Forbidden(r) => Error::Forbidden(r),
            Shared::Other => Error::internal_msg("network dashboard computation failed"),
        }
    }
}

/// Network computations in flight, one per view (single flight), bounded by a
/// semaphore. A computation runs in its own task: a request that gives up (its
/// client, the 30 s timeout) does not waste it for the others waiting, and the
/// result lands in the cache for the next ones.
#[derive(Clone)]
pub(crate) struct Flights {
    inflight: Arc<Mutex<HashMap<String, watch::Receiver<Outcome>>>>,
    permits: Arc<Semaphore>,
}

impl Default for Flights {
    fn default() -> Self {
        Self {
            inflight: Default::default(),
            permits: Arc::new(Semaphore::new(NETWORK_COMPUTATIONS)),
        }
    }
}

impl Flights {
    /// The flight for `key`: an existing one to wait for, or a new one that the
    /// caller must run (the sender).
    fn board(&self, key: &str) -> (watch::Receiver<Outcome>, Option<watch::Sender<Outcome>>) {
        let mut map = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(rx) = map.get(key) {
            return (rx.clone(), None);
        }
        let (tx, rx) = watch::channel(None);
        map.insert(key.to_owned(), rx.clone());
        (rx, Some(tx))
    }
}

/// Removes a flight from the map when its task ends, however it ends.
struct Landing {
    flights: Flights,
    key: String,
}

impl Drop for Landing {
    fn drop(&mut self) {
        let mut map = self
            .flights
            .inflight
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        map.remove(&self.key);
    }
}

impl Journal {
    async fn compute(
        &self,
        ctx: &Ctx,
        tenant: Option<Uuid>,
        q: &DashboardQuery,
        n: Needs,
    ) -> Result<Dashboard, Error> {
        let tx = self.db.scoped(ctx).await?;
        if tenant.is_none() {
            // The pool's connections use generic plans (crates/db), which estimate a
            // date range at a fraction of a percent of the rows: right for one
            // association's month, wrong for the network's year, where the plan
            // must know that most of the rollups are read. One statement more for a
            // computation of seconds.
            tx.execute_unprepared("set local plan_cache_mode = force_custom_plan")
                .await
                .map_err(repo::map_err)?;
        }
        if let (Some(t), Some(site)) = (tenant.or(q.tenant_id), q.site_id)
            && !repo::known_site(&tx, t, site).await?
        {
            return Err(Error::validation("siteId", "unknown site"));
        }
        let g = q.granularity;
        let first = g.start(q.from);
        let since = if n.trend {
            g.back(first, LOOKBACK)
        } else {
            first
        };
        let current = fetch(&tx, tenant, q, since, q.to).await?;
        let last_year = if n.last_year {
            fetch(&tx, tenant, q, g.last_year(first), g.last_year(q.to)).await?
        } else {
            Series::new()
        };
        let labels = labels(
            &tx,
            q.dimension,
            tenant.or(q.tenant_id),
            &keys_of(&current, &last_year),
        )
        .await?;
        tx.commit().await?;
        let mut d = assemble(q, current, last_year, labels, kernel::time::today());
        if !n.trend {
            d.rows.iter_mut().for_each(|r| r.trend = None);
        }
        if !n.empty_rows {
            d.rows
                .retain(|r| !(r.counts.is_zero() && r.last_year.is_zero()));
        }
        Ok(d)
    }

    /// The Redis pool when the cache is on and Redis answers (breaker closed).
    fn cache(&self) -> Option<&RedisPool> {
        self.redis
            .as_ref()
            .filter(|p| p.breaker_state() == db::BreakerState::Closed)
    }

    /// The active association's dashboard (every staff role, viewers included).
    ///
    /// Cached under the association's version in PostgreSQL, read first (one
    /// statement): a write bumps it in its own transaction, so a view cached before
    /// the write is never read again, whatever Redis holds. The rollups are read
    /// after the version, so a view is never older than its key.
    pub async fn dashboard(&self, ctx: &Ctx, q: DashboardQuery) -> Result<Dashboard, Error> {
        self.dashboard_for(ctx, q, Needs::ALL).await
    }

    /// `dashboard`, computing only what `n` says the caller reads.
    pub async fn dashboard_for(
        &self,
        ctx: &Ctx,
        q: DashboardQuery,
        n: Needs,
    ) -> Result<Dashboard, Error> {
        let scope = ctx.require_tenant()?;
        validate(&q)?;
        let q = whole_periods(q);
        if q.dimension == Dimension::Tenant || q.tenant_id.is_some() {
            return Err(Error::validation(
                "dimension",
                "by association is for the network dashboard",
            ));
        }
        let tenant = scope.tenant_id;
        let key = match self.cache() {
            Some(pool) => {
                let version = self.db.scoped_scalar(ctx, VERSION_SQL).await?;
                let key = pool.tenant_key(tenant, &[&format!("v{version}"), &view_key(&q, n)]);
                if let Some(mut d) = cache_get(pool, &key).await {
                    d.cached = true;
                    db::telemetry::dashboard_cache(true, "tenant");
                    return Ok(d);
                }
                Some((pool, key))
            }
            None => None,
        };
        db::telemetry::dashboard_cache(false, "tenant");
        let d = self.compute(ctx, Some(tenant.0), &q, n).await?;
        if let Some((pool, key)) = key {
            cache_put(pool, &key, &d, CACHE_TTL_SECS).await;
        }
        Ok(d)
    }

    /// The network's dashboard (union staff): aggregates only, across associations.
    /// Cached NETWORK_TTL_SECS (see `NETWORK_TTL_SECS`); one computation per view at
    /// a time in this process, at most NETWORK_COMPUTATIONS at once.
    pub async fn network_dashboard(
        &self,
        ctx: &Ctx,
        q: DashboardQuery,
    ) -> Result<Dashboard, Error> {
        self.network_dashboard_for(ctx, q, Needs::ALL).await
    }

    /// `network_dashboard`, computing only what `n` says the caller reads.
    pub async fn network_dashboard_for(
        &self,
        ctx: &Ctx,
        q: DashboardQuery,
        n: Needs,
    ) -> Result<Dashboard, Error> {
        ctx.require_union_role(&UnionRole::ALL)?;
        validate(&q)?;
        let q = whole_periods(q);
        let view = view_key(&q, n);
        let cache = self.cache().cloned();
        let key = cache.as_ref().map(|p| p.key(&["network", &view]));
        if let (Some(pool), Some(key)) = (&cache, &key)
            && let Some(mut d) = cache_get(pool, key).await
        {
            d.cached = true;
            db::telemetry::dashboard_cache(true, "network");
            return Ok(d);
        }
        let (mut rx, lead) = self.flights.board(&view);
        if let Some(tx) = lead {
            let this = self.clone();
            let ctx = ctx.clone();
            let landing = Landing {
                flights: self.flights.clone(),
                key: view,
            };
            tokio::spawn(async move {
                let _landing = landing;
                let out = async {
                    let _permit = this
                        .flights
                        .permits
                        .acquire()
                        .await
                        .map_err(Error::internal)?;
                    // Filled meanwhile by another server, or by the flight before?
                    if let (Some(pool), Some(key)) = (&cache, &key)
                        && let Some(mut d) = cache_get(pool, key).await
                    {
                        d.cached = true;
                        db::telemetry::dashboard_cache(true, "network");
                        return Ok(d);
                    }
                    db::telemetry::dashboard_cache(false, "network");
                    let d = this.compute(&ctx, None, &q, n).await?;
                    if let (Some(pool), Some(key)) = (&cache, &key) {
                        cache_put(pool, key, &d, NETWORK_TTL_SECS).await;
                    }
                    Ok::<_, Error>(d)
                }
                .await;
                let _ = tx.send(Some(out.map_err(|e| {
                    if e.code() == kernel::ErrorCode::Internal {
                        tracing::error!(error = ?e, "network dashboard computation failed");
                    }
                    Shared::of(&e)
                })));
            });
        }
        let landed = rx
            .wait_for(Option::is_some)
            .await
            .map_err(Error::internal)?;
        match &*landed {
            Some(Ok(d)) => Ok(d.clone()),
            Some(Err(e)) => Err(e.error()),
            None => Err(Error::internal_msg(
                "network dashboard flight without outcome",
            )),
        }
    }
}

fn opt(n: Option<i64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

/// CSV as French spreadsheets open it: semicolon-separated, UTF-8 with a BOM.
pub fn to_csv(d: &Dashboard) -> String {
    let mut out = String::from(
        "\u{feff}période;clé;libellé;personnes reçues;durée (min);demandes;actes de médiation;ateliers;participants;personnes reçues N-1;demandes N-1;actes de médiation N-1;ateliers N-1;participants N-1;tendance;passages pendant une fermeture;passages sur site hors horaires\r\n",
    );
    for r in &d.rows {
        let trend = match r.trend {
            Some(Trend::UnusualDrop) => "baisse inhabituelle",
            Some(Trend::UnusualRise) => "hausse inhabituelle",
            Some(Trend::Usual) => "habituelle",
            None => "",
        };
        let cells = [
            r.period.to_string(),
            kernel::csv::field(&r.key),
            kernel::csv::field(&r.label),
            opt(r.counts.people),
            opt(r.counts.minutes),
            r.counts.requests.to_string(),
            r.counts.mediation_acts.to_string(),
            opt(r.counts.workshops),
            opt(r.counts.attendees),
            opt(r.last_year.people),
            r.last_year.requests.to_string(),
            r.last_year.mediation_acts.to_string(),
            opt(r.last_year.workshops),
            opt(r.last_year.attendees),
            trend.to_owned(),
            opt(r.counts.visits_during_closure),
            opt(r.counts.visits_outside_hours),
        ];
        out.push_str(&cells.join(";"));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn only_the_filters_given_are_written() {
        let q = first_quarter();
        let all = statements(None, &q, q.from, q.to);
        assert_eq!(all.len(), 3, "one statement per rollup");
        for (source, sql, _) in all {
            assert!(
                !sql.contains("tenant_id\" =") && !sql.contains("site_id\" ="),
                "{source}: {sql}"
            );
        }
        let q = DashboardQuery {
            site_id: Some(Uuid::now_v7()),
            ..first_quarter()
        };
        for (source, sql, values) in statements(Some(Uuid::now_v7()), &q, q.from, q.to) {
            assert!(
                sql.contains("\"x\".\"tenant_id\" = $") && sql.contains("\"x\".\"site_id\" = $"),
                "{source}: {sql}"
            );
            assert!(!sql.to_lowercase().contains(" or "), "{source}: {sql}");
            assert!(values.contains(&Value::from(q.site_id)), "{source}: bound");
        }
    }

    #[test]
    fn whole_months_read_the_monthly_rollups() {
        let q = DashboardQuery {
            dimension: Dimension::Region,
            ..first_quarter()
        };
        for (_, sql, _) in statements(None, &q, q.from, q.to) {
            assert!(
                sql.contains("\"activity_monthly\" AS \"x\"") && sql.contains("\"x\".\"month\""),
                "{sql}"
            );
        }
        // A range that does not end a month, a split by day, or a split finer than
        // the site reads the days.
        let by_day = DashboardQuery {
            granularity: Granularity::Day,
            ..q.clone()
        };
        let by_theme = DashboardQuery {
            dimension: Dimension::Theme,
            ..q.clone()
        };
        for (q, to) in [(&q, d(2026, 3, 30)), (&by_day, q.to), (&by_theme, q.to)] {
            for (_, sql, _) in statements(None, q, q.from, to) {
                assert!(sql.contains("_daily\" AS \"x\""), "{sql}");
            }
        }
    }

    #[test]
    fn periods() {
        assert_eq!(Granularity::Week.start(d(2026, 11, 26)), d(2026, 11, 23));
        assert_eq!(Granularity::Month.start(d(2026, 11, 26)), d(2026, 11, 1));
        assert_eq!(Granularity::Month.last_year(d(2026, 3, 1)), d(2025, 3, 1));
        assert_eq!(
            Granularity::Week.last_year(d(2026, 11, 23)).weekday(),
            d(2026, 11, 23).weekday()
        );
    }

    #[test]
    fn periods_are_whole() {
        let q = whole_periods(DashboardQuery {
            from: d(2026, 1, 15),
            to: d(2026, 3, 3),
            granularity: Granularity::Month,
            dimension: Dimension::None,
            site_id: None,
            tenant_id: None,
        });
        assert_eq!((q.from, q.to), (d(2026, 1, 1), d(2026, 3, 31)));
    }

    /// January to March 2026 by month, network-wide, unsplit.
    fn first_quarter() -> DashboardQuery {
        DashboardQuery {
            from: d(2026, 1, 1),
            to: d(2026, 3, 31),
            granularity: Granularity::Month,
            dimension: Dimension::None,
            site_id: None,
            tenant_id: None,
        }
    }

    #[test]
    fn trends_need_history_and_volume() {
        assert_eq!(trend(&[20, 20, 20, 20, 20], 5), None, "too little history");
        assert_eq!(trend(&[2, 2, 2, 2, 2, 2], 0), None, "too small to judge");
        assert_eq!(trend(&[20; 6], 5), Some(Trend::UnusualDrop));
        assert_eq!(trend(&[20; 6], 40), Some(Trend::UnusualRise));
        assert_eq!(trend(&[20; 6], 18), Some(Trend::Usual));
    }

    #[test]
    fn assembled_rows_are_dense_and_totals_add_up() {
        let q = first_quarter();
        let mut cur = Series::new();
        cur.insert(
            (d(2026, 2, 1), String::new()),
            Counts {
                people: Some(7),
                requests: 9,
                ..Counts::empty(Dimension::None)
            },
        );
        let mut ly = Series::new();
        ly.insert(
            (d(2025, 2, 1), String::new()),
            Counts {
                people: Some(3),
                ..Counts::empty(Dimension::None)
            },
        );
        let dash = assemble(&q, cur, ly, HashMap::new(), d(2026, 11, 23));
        assert_eq!(
            dash.rows.len(),
            3,
            "January to March, empty months included"
        );
        assert_eq!(dash.totals.people, Some(7));
        assert_eq!(dash.totals.requests, 9);
        assert_eq!(dash.last_year_totals.people, Some(3));
        assert_eq!(dash.rows[1].last_year.people, Some(3));
    }

    #[test]
    fn a_new_series_is_not_an_unusual_rise() {
        let q = first_quarter();
        let mut cur = Series::new();
        for m in 1..=3 {
            cur.insert(
                (d(2026, m, 1), String::new()),
                Counts {
                    people: Some(900),
                    ..Counts::empty(Dimension::None)
                },
            );
        }
        let dash = assemble(&q, cur, Series::new(), HashMap::new(), d(2026, 11, 23));
        assert!(
            dash.rows.iter().all(|r| r.trend.is_none()),
            "no history before January: no judgement"
        );
    }

    #[test]
    fn the_csv_quotes_what_a_spreadsheet_would_run_or_split() {
        let row = |key: &str, label: &str| Row {
            period: d(2026, 1, 1),
            key: key.into(),
            label: label.into(),
            counts: Counts::empty(Dimension::Site),
            last_year: Counts::empty(Dimension::Site),
            trend: None,
        };
        let dash = Dashboard {
            totals: Counts::default(),
            last_year_totals: Counts::default(),
            rows: vec![row("a;b", "=HYPERLINK(\"x\")"), row("vaise", "Lyon-Vaise")],
            cached: false,
        };
        let csv = to_csv(&dash);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert!(lines[0].starts_with("\u{feff}période;clé;libellé;"));
        assert!(
            lines[1].starts_with("2026-01-01;\"a;b\";\"'=HYPERLINK(\"\"x\"\")\";0;0;0;0;0;0;"),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].starts_with("2026-01-01;vaise;Lyon-Vaise;"),
            "{}",
            lines[2]
        );
    }
}
