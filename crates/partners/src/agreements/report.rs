//! What was delivered under agreements: the coded activity per site, month and
//! theme (read from `agreement_activity_monthly`, kept exact by the journal in the
//! same transaction as each write), and the agreement report, deliverables against
//! targets per reporting period and per site, with its CSV export.
//!
//! A partner sees counts from 1 to 4 as "<5": it stands outside the associations,
//! and a small count at one site in one month may point at a person. Associations
//! and the union see exact counts.

use super::model::*;
use super::repo::{Reader, association_only, map_err, stmt};
use crate::Partners;
use crate::entity::agreement;
use crate::entity::agreement_activity_monthly::{self as monthly, Column as M};
use chrono::{Datelike, Days, Months, NaiveDate};
use db::Scoped;
use kernel::{Ctx, Error, PartnerScope};
use sea_orm::sea_query::{Expr, Func, JoinType};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    Select,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

/// How a suppressed count reads.
pub const SUPPRESSED: &str = "<5";
/// Rows one activity query may return: beyond, narrow the period.
pub const MAX_ACTIVITY_ROWS: usize = 5000;
/// Widest span of one activity query or report.
pub const MAX_YEARS: i32 = 10;

/// A count as the reader may see it: `value` is None when it is suppressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    pub value: Option<i64>,
    pub text: String,
}

impl Shown {
    pub fn new(n: i64, suppress: bool) -> Self {
        if suppress && (1..=4).contains(&n) {
            Shown {
                value: None,
                text: SUPPRESSED.to_owned(),
            }
        } else {
            Shown {
                value: Some(n),
                text: n.to_string(),
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityQuery {
    /// One agreement, or
    pub agreement_id: Option<Uuid>,
    /// every agreement of one partner (a partner's own by default).
    pub partner_id: Option<Uuid>,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Activity coded to one agreement, at one site, in one Paris month, on one theme.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityRow {
    pub agreement_id: Uuid,
    pub tenant_id: Uuid,
    pub site_id: Uuid,
    /// First day of the month.
    pub month: NaiveDate,
    pub activity: ActivityKind,
    pub theme: String,
    pub theme_label: String,
    /// Requests, or workshops.
    pub count: Shown,
    /// Requests only.
    pub mediation_acts: Option<Shown>,
    /// Workshops only.
    pub attendees: Option<Shown>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Activity {
    /// Whole months: `from` is a first day, `to` a last day.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Counts from 1 to 4 are hidden.
    pub suppressed: bool,
    pub rows: Vec<ActivityRow>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportQuery {
    pub agreement_id: Uuid,
    /// Default: the agreement's period. Widened to whole reporting periods.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// One indicator over a period: achieved against the target pro-rated to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Deliverable {
    pub indicator: Indicator,
    pub achieved: Shown,
    /// None when the agreement sets no target for the indicator.
    pub target: Option<f64>,
    /// achieved / target, when both are known.
    pub rate: Option<f64>,
}

/// What one site delivered in a period (outreach has no site: campaigns belong to
/// an association).
#[derive(Clone, Debug, PartialEq)]
pub struct SiteLine {
    pub tenant_id: Uuid,
    pub site_id: Uuid,
    pub site_name: String,
    pub tenant_name: String,
    pub achieved: Vec<(Indicator, Shown)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReportPeriod {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// E.g. "T1 2026", "janvier 2026", "S2 2026", "2026".
    pub label: String,
    pub deliverables: Vec<Deliverable>,
    pub sites: Vec<SiteLine>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub agreement: Agreement,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub suppressed: bool,
    /// An association reading a national framework: its own share only.
    pub partial: bool,
    pub periods: Vec<ReportPeriod>,
    /// Over the whole span.
    pub totals: Vec<Deliverable>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    partner_requests: i64,
    mediation_acts: i64,
    workshops: i64,
    attendees: i64,
    outreach_cases: i64,
    outreach_contacts: i64,
}

impl Counts {
    fn get(&self, i: Indicator) -> i64 {
        match i {
            Indicator::PartnerRequests => self.partner_requests,
            Indicator::MediationActs => self.mediation_acts,
            Indicator::Workshops => self.workshops,
            Indicator::WorkshopAttendees => self.attendees,
            Indicator::OutreachCases => self.outreach_cases,
            Indicator::OutreachContacts => self.outreach_contacts,
        }
    }
    fn add(&mut self, o: &Counts) {
        self.partner_requests += o.partner_requests;
        self.mediation_acts += o.mediation_acts;
        self.workshops += o.workshops;
        self.attendees += o.attendees;
        self.outreach_cases += o.outreach_cases;
        self.outreach_contacts += o.outreach_contacts;
    }
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// First day of the reporting period of `months` months (calendar-aligned) holding `d`.
fn period_start(d: NaiveDate, months: u32) -> NaiveDate {
    let m0 = (d.month0() / months) * months;
    NaiveDate::from_ymd_opt(d.year(), m0 + 1, 1).unwrap_or(d)
}

fn period_end(start: NaiveDate, months: u32) -> NaiveDate {
    start + Months::new(months) - Days::new(1)
}

use kernel::time::MONTHS_FR;

fn period_label(start: NaiveDate, f: ReportingFrequency) -> String {
    let y = start.year();
    let m0 = start.month0() as usize;
    match f {
        ReportingFrequency::Monthly => format!("{} {y}", MONTHS_FR[m0]),
        ReportingFrequency::Quarterly => format!("T{} {y}", m0 / 3 + 1),
        ReportingFrequency::Semiannual => format!("S{} {y}", m0 / 6 + 1),
        ReportingFrequency::Annual => y.to_string(),
    }
}

fn check_span(from: NaiveDate, to: NaiveDate) -> Result<(), Error> {
    if to < from {
        return Err(Error::validation("to", "before from"));
    }
    if from
        .checked_add_months(Months::new(12 * MAX_YEARS as u32))
        .is_none_or(|limit| to >= limit)
    {
        return Err(Error::validation(
            "to",
            format!("at most {MAX_YEARS} years"),
        ));
    }
    Ok(())
}

/// The yearly target's share for a period: the period's share of a year, times the
/// share of its days the agreement runs.
fn prorated(
    annual: i32,
    f: ReportingFrequency,
    start: NaiveDate,
    end: NaiveDate,
    a: &Agreement,
) -> f64 {
    let days = (end - start).num_days() + 1;
    let (s, e) = (start.max(a.starts_on), end.min(a.ends_on));
    let overlap = if e < s { 0 } else { (e - s).num_days() + 1 };
    let t = f64::from(annual) * f64::from(f.months()) / 12.0 * overlap as f64 / days as f64;
    (t * 10.0).round() / 10.0
}

fn deliverable(i: Indicator, achieved: i64, target: Option<f64>, suppress: bool) -> Deliverable {
    let shown = Shown::new(achieved, suppress);
    let rate = match (shown.value, target) {
        (Some(n), Some(t)) if t > 0.0 => Some(((n as f64 / t) * 1000.0).round() / 1000.0),
        _ => None,
    };
    Deliverable {
        indicator: i,
        achieved: shown,
        target,
        rate,
    }
}

/// Month by month, site by site (requests and workshops) or for the whole agreement
/// (outreach), what was delivered; the sites covered, and the names of all of them.
struct Delivered {
    by_site: BTreeMap<(NaiveDate, Uuid, Uuid), Counts>,
    outreach: BTreeMap<NaiveDate, Counts>,
    covered: Vec<CoveredSite>,
    names: HashMap<Uuid, (String, String)>,
}

/// Lays the months out in reporting periods.
fn assemble(
    a: &Agreement,
    targets: &[Target],
    d: &Delivered,
    from: NaiveDate,
    to: NaiveDate,
    suppress: bool,
) -> (Vec<ReportPeriod>, Vec<Deliverable>) {
    let f = a.reporting_frequency;
    let indicators: Vec<Indicator> = Indicator::ALL
        .iter()
        .copied()
        .filter(|i| a.services.contains(&i.service()) || targets.iter().any(|t| t.indicator == *i))
        .collect();
    let site_indicators: Vec<Indicator> = indicators
        .iter()
        .copied()
        .filter(|i| i.service() != Service::Outreach)
        .collect();
    let target_of = |i: Indicator| targets.iter().find(|t| t.indicator == i);
    let mut sites: BTreeSet<(Uuid, Uuid)> =
        d.covered.iter().map(|c| (c.tenant_id, c.site_id)).collect();
    sites.extend(d.by_site.keys().map(|(_, t, s)| (*t, *s)));
    let mut periods = Vec::new();
    let mut total = Counts::default();
    let mut total_targets: HashMap<Indicator, f64> = HashMap::new();
    let mut start = period_start(from, f.months());
    while start <= to {
        let end = period_end(start, f.months());
        let mut sum = Counts::default();
        let mut lines = Vec::new();
        for (t, s) in &sites {
            let mut c = Counts::default();
            for (_, v) in d
                .by_site
                .range((start, *t, *s)..=(end, *t, *s))
                .filter(|((_, t2, s2), _)| t2 == t && s2 == s)
            {
                c.add(v);
            }
            sum.add(&c);
            let (site_name, tenant_name) = d
                .names
                .get(s)
                .cloned()
                .unwrap_or_else(|| ("Site qui n'est plus couvert".to_owned(), String::new()));
            lines.push(SiteLine {
                tenant_id: *t,
                site_id: *s,
                site_name,
                tenant_name,
                achieved: site_indicators
                    .iter()
                    .map(|i| (*i, Shown::new(c.get(*i), suppress)))
                    .collect(),
            });
        }
        for (_, v) in d.outreach.range(start..=end) {
            sum.add(v);
        }
        lines.sort_by(|x, y| {
            (&x.tenant_name, &x.site_name, x.site_id).cmp(&(
                &y.tenant_name,
                &y.site_name,
                y.site_id,
            ))
        });
        let deliverables = indicators
            .iter()
            .map(|i| {
                let target = target_of(*i).map(|t| prorated(t.annual_target, f, start, end, a));
                if let Some(x) = target {
                    *total_targets.entry(*i).or_default() += x;
                }
                deliverable(*i, sum.get(*i), target, suppress)
            })
            .collect();
        total.add(&sum);
        periods.push(ReportPeriod {
            start,
            end,
            label: period_label(start, f),
            deliverables,
            sites: lines,
        });
        start = end + Days::new(1);
    }
    let totals = indicators
        .iter()
        .map(|i| {
            let target = total_targets.get(i).map(|x| (x * 10.0).round() / 10.0);
            deliverable(*i, total.get(*i), target, suppress)
        })
        .collect();
    (periods, totals)
}

/// A site's name and its association's.
#[derive(FromQueryResult)]
struct SiteName {
    id: Uuid,
    name: String,
    tenant_name: String,
}

async fn site_names(tx: &Scoped, ids: &[Uuid]) -> Result<HashMap<Uuid, (String, String)>, Error> {
    let rows = SiteName::find_by_statement(stmt(
        "select s.id, s.name, coalesce(t.name, '') as tenant_name \
         from sites s left join tenants t on t.id = s.tenant_id where s.id = any($1)",
        vec![ids.to_vec().into()],
    ))
    .all(&**tx)
    .await
    .map_err(map_err)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, (r.name, r.tenant_name)))
        .collect())
}

/// Outreach counted in one Paris month: `kind` is "cases" (submitted) or
/// "contacts" (closed with contact restored).
#[derive(FromQueryResult)]
struct OutreachMonth {
    month: NaiveDate,
    kind: String,
    n: i64,
}

/// Outreach cases submitted and contacts restored, by Paris month of submission and
/// of closing, for the campaigns run under `agreement`.
async fn outreach_monthly(
    tx: &Scoped,
    agreement: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<NaiveDate, Counts>, Error> {
    let rows = OutreachMonth::find_by_statement(stmt(
        "select date_trunc('month', c.submitted_at at time zone 'Europe/Paris')::date as month, \
           'cases'::text as kind, count(*) as n \
         from outreach_cases c join outreach_campaigns k on k.tenant_id = c.tenant_id and k.id = c.campaign_id \
         where k.agreement_id = $1 and c.submitted_at >= ($2::date::timestamp at time zone 'Europe/Paris') \
           and c.submitted_at < ($3::date::timestamp at time zone 'Europe/Paris') \
         group by 1 \
         union all \
         select date_trunc('month', c.closed_at at time zone 'Europe/Paris')::date, 'contacts'::text, count(*) \
         from outreach_cases c join outreach_campaigns k on k.tenant_id = c.tenant_id and k.id = c.campaign_id \
         where k.agreement_id = $1 and c.status = 'closed' \
           and c.outcome in ('contact_restored', 'payment_plan_agreed', 'referred_to_social_services') \
           and c.closed_at >= ($2::date::timestamp at time zone 'Europe/Paris') \
           and c.closed_at < ($3::date::timestamp at time zone 'Europe/Paris') \
         group by 1",
        vec![agreement.into(), from.into(), (to + Days::new(1)).into()],
    ))
    .all(&**tx)
    .await
    .map_err(map_err)?;
    let mut out: BTreeMap<NaiveDate, Counts> = BTreeMap::new();
    for r in rows {
        let c = out.entry(r.month).or_default();
        if r.kind == "cases" {
            c.outreach_cases += r.n;
        } else {
            c.outreach_contacts += r.n;
        }
    }
    Ok(out)
}

/// Agreement `id` when the reader reads it: a partner (`own`) its own only.
fn readable(id: Uuid, own: Option<Uuid>) -> Select<agreement::Entity> {
    agreement::Entity::find_by_id(id)
        .apply_if(own, |q, p| q.filter(agreement::Column::PartnerId.eq(p)))
}

/// A row of coded activity with its theme's label.
#[derive(FromQueryResult)]
struct LabelledActivity {
    #[sea_orm(nested)]
    m: monthly::Model,
    theme_label: String,
}

/// Totals of one agreement at one site in one month, for one kind of activity.
#[derive(FromQueryResult)]
struct MonthlyTotal {
    month: NaiveDate,
    tenant_id: Uuid,
    site_id: Uuid,
    activity: ActivityKind,
    count: i64,
    mediation_acts: i64,
    attendees: i64,
}

impl Partners {
    /// Activity coded to one agreement, or to all of a partner's, per site, month
    /// and theme (whole months). The union and associations (their own share) read
    /// exact counts; a partner (scope activity:read) its own agreements', with
    /// counts from 1 to 4 hidden.
    pub async fn agreement_activity(&self, ctx: &Ctx, q: ActivityQuery) -> Result<Activity, Error> {
        let reader = Reader::of(ctx, PartnerScope::ActivityRead)?;
        let from = month_start(q.from);
        let to = month_start(q.to) + Months::new(1) - Days::new(1);
        check_span(q.from, q.to)?;
        let partner = match (q.agreement_id, q.partner_id, reader) {
            (Some(_), Some(_), _) => {
                return Err(Error::validation(
                    "partnerId",
                    "give an agreement or a partner, not both",
                ));
            }
            (_, Some(p), Reader::Partner(own)) if p != own.0 => {
                return Err(Error::Forbidden("a partner reads its own agreements only"));
            }
            (None, None, Reader::Partner(own)) => Some(own.0),
            (None, None, _) => {
                return Err(Error::validation(
                    "agreementId",
                    "an agreement or a partner is required",
                ));
            }
            (_, p, _) => p,
        };
        let own = match reader {
            Reader::Partner(p) => Some(p.0),
            _ => None,
        };
        let tx = self.db.scoped(ctx).await?;
        if let Some(a) = q.agreement_id {
            let found = readable(a, own)
                .select_only()
                .column(agreement::Column::Id)
                .into_tuple::<Uuid>()
                .one(&*tx)
                .await
                .map_err(map_err)?;
            if found.is_none() {
                return Err(Error::NotFound);
            }
        }
        use sea_orm::sea_query::ExprTrait;
        let label = Func::coalesce([
            Expr::col(("rt", "label_fr")),
            Expr::col(("wt", "label_fr")),
            Expr::col((monthly::Entity, M::Theme)),
        ]);
        let mut select = monthly::Entity::find()
            .expr_as(label, "theme_label")
            .apply_if(q.agreement_id, |s, a| s.filter(M::AgreementId.eq(a)))
            .apply_if(partner, |s, p| s.filter(M::PartnerId.eq(p)))
            .apply_if(own, |s, p| s.filter(M::PartnerId.eq(p)))
            .filter(M::Month.between(from, to))
            .filter(M::Count.gt(0))
            .order_by_asc(M::Month)
            .order_by_asc(M::TenantId)
            .order_by_asc(M::SiteId)
            .order_by_asc(M::Activity)
            .order_by_asc(M::Theme)
            .order_by_asc(M::AgreementId)
            .limit(MAX_ACTIVITY_ROWS as u64 + 1);
        for (table, alias, kind) in [
            ("request_themes", "rt", ActivityKind::Request),
            ("workshop_themes", "wt", ActivityKind::Workshop),
        ] {
            QueryTrait::query(&mut select).join_as(
                JoinType::LeftJoin,
                table,
                alias,
                Expr::col((monthly::Entity, M::Activity))
                    .eq(kind)
                    .and(Expr::col((alias, "code")).equals((monthly::Entity, M::Theme))),
            );
        }
        let rows = select
            .into_model::<LabelledActivity>()
            .all(&*tx)
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        if rows.len() > MAX_ACTIVITY_ROWS {
            return Err(Error::validation(
                "to",
                format!(
                    "more than {MAX_ACTIVITY_ROWS} rows: narrow the period or choose one agreement"
                ),
            ));
        }
        let suppress = reader.suppresses();
        let rows = rows
            .into_iter()
            .map(|LabelledActivity { m, theme_label }| ActivityRow {
                agreement_id: m.agreement_id,
                tenant_id: m.tenant_id,
                site_id: m.site_id,
                month: m.month,
                activity: m.activity,
                theme: m.theme,
                theme_label,
                count: Shown::new(m.count.into(), suppress),
                mediation_acts: (m.activity == ActivityKind::Request)
                    .then(|| Shown::new(m.mediation_acts.into(), suppress)),
                attendees: (m.activity == ActivityKind::Workshop)
                    .then(|| Shown::new(m.attendees.into(), suppress)),
            })
            .collect();
        Ok(Activity {
            from,
            to,
            suppressed: suppress,
            rows,
        })
    }

    /// The agreement report: per reporting period (the agreement's frequency,
    /// calendar-aligned) and per site, partner requests, mediation acts, workshops and
    /// attendees coded to it, outreach cases submitted and contacts restored under
    /// it, against its yearly targets pro-rated to each period.
    pub async fn agreement_report(&self, ctx: &Ctx, q: ReportQuery) -> Result<Report, Error> {
        let reader = Reader::of(ctx, PartnerScope::ActivityRead)?;
        let own = match reader {
            Reader::Partner(p) => Some(p.0),
            _ => None,
        };
        let tx = self.db.scoped(ctx).await?;
        let m = readable(q.agreement_id, own)
            .one(&*tx)
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        let a = super::repo::agreement(ctx, m)?;
        let months = a.reporting_frequency.months();
        let (from, to) = (q.from.unwrap_or(a.starts_on), q.to.unwrap_or(a.ends_on));
        check_span(from, to)?;
        let from = period_start(from, months);
        let to = period_end(period_start(to, months), months);
        let d = super::details(&tx, &[a.id])
            .await?
            .into_iter()
            .next()
            .map(|(_, d)| d)
            .unwrap_or_default();
        let rows = MonthlyTotal::find_by_statement(stmt(
            "select month, tenant_id, site_id, activity, sum(count)::bigint as count, \
               sum(mediation_acts)::bigint as mediation_acts, sum(attendees)::bigint as attendees \
             from agreement_activity_monthly \
             where agreement_id = $1 and month between $2 and $3 group by 1, 2, 3, 4",
            vec![a.id.into(), from.into(), to.into()],
        ))
        .all(&*tx)
        .await
        .map_err(map_err)?;
        let mut by_site: BTreeMap<(NaiveDate, Uuid, Uuid), Counts> = BTreeMap::new();
        for r in rows {
            let c = by_site
                .entry((r.month, r.tenant_id, r.site_id))
                .or_default();
            if r.activity == ActivityKind::Request {
                c.partner_requests += r.count;
                c.mediation_acts += r.mediation_acts;
            } else {
                c.workshops += r.count;
                c.attendees += r.attendees;
            }
        }
        let mut ids: Vec<Uuid> = d.sites.iter().map(|s| s.site_id).collect();
        ids.extend(by_site.keys().map(|(_, _, s)| *s));
        let names = site_names(&tx, &ids).await?;
        let outreach = if matches!(reader, Reader::Union(_)) {
            tx.commit().await?;
            // The union reads no outreach case (row-level security), only these
            // counts: the platform counts for it, after the union's own scope has
            // shown it the agreement.
            let sys = self
                .db
                .scoped(&Ctx::system(
                    "agreement report: outreach counts for the union",
                ))
                .await?;
            let out = outreach_monthly(&sys, a.id, from, to).await?;
            sys.commit().await?;
            out
        } else {
            let out = outreach_monthly(&tx, a.id, from, to).await?;
            tx.commit().await?;
            out
        };
        let suppress = reader.suppresses();
        let delivered = Delivered {
            by_site,
            outreach,
            covered: d.sites,
            names,
        };
        let (periods, totals) = assemble(&a, &d.targets, &delivered, from, to, suppress);
        Ok(Report {
            partial: a.is_national() && association_only(ctx, a.partner_id),
            agreement: a,
            from,
            to,
            suppressed: suppress,
            periods,
            totals,
        })
    }
}

/// A decimal as French spreadsheets read it: one digit after a comma.
fn decimal(x: Option<f64>) -> String {
    x.map(|x| format!("{x:.1}").replace('.', ","))
        .unwrap_or_default()
}

/// CSV as French spreadsheets open it (semicolons, UTF-8 with a BOM, CRLF): for each
/// period, the agreement's deliverables ("Ensemble") then each site's; then the
/// totals over the whole span.
pub fn to_csv(r: &Report) -> String {
    let mut out = String::from(
        "\u{feff}période;début;fin;association;site;indicateur;réalisé;objectif;taux de réalisation (%)\r\n",
    );
    let mut line = |cells: [String; 9]| {
        out.push_str(&cells.join(";"));
        out.push_str("\r\n");
    };
    let whole = |label: &str, start: NaiveDate, end: NaiveDate, d: &Deliverable| {
        [
            kernel::csv::field(label),
            start.to_string(),
            end.to_string(),
            String::new(),
            "Ensemble".to_owned(),
            kernel::csv::field(d.indicator.label_fr()),
            d.achieved.text.clone(),
            decimal(d.target),
            decimal(d.rate.map(|x| x * 100.0)),
        ]
    };
    for p in &r.periods {
        for d in &p.deliverables {
            line(whole(&p.label, p.start, p.end, d));
        }
        for s in &p.sites {
            for (i, shown) in &s.achieved {
                line([
                    kernel::csv::field(&p.label),
                    p.start.to_string(),
                    p.end.to_string(),
                    kernel::csv::field(&s.tenant_name),
                    kernel::csv::field(&s.site_name),
                    kernel::csv::field(i.label_fr()),
                    shown.text.clone(),
                    String::new(),
                    String::new(),
                ]);
            }
        }
    }
    for d in &r.totals {
        line(whole("Total", r.from, r.to, d));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn agreement(f: ReportingFrequency) -> Agreement {
        Agreement {
            id: Uuid::now_v7(),
            partner_id: Uuid::now_v7(),
            tenant_id: Some(Uuid::now_v7()),
            reference: "EDF-2026".into(),
            title: "Convention".into(),
            starts_on: d(2026, 2, 1),
            ends_on: d(2026, 12, 31),
            status: AgreementStatus::Active,
            services: vec![Service::PartnerVisits],
            themes: vec!["energy".into()],
            workshop_themes: vec![],
            funding_cents: Some(0),
            reporting_frequency: f,
            revision: 1,
            created_at: chrono::Utc::now().into(),
            updated_at: chrono::Utc::now().into(),
        }
    }

    #[test]
    fn small_counts_are_hidden_from_partners_only() {
        assert_eq!(Shown::new(3, true).text, "<5");
        assert_eq!(Shown::new(3, true).value, None);
        assert_eq!(Shown::new(0, true).value, Some(0), "zero gives nobody away");
        assert_eq!(Shown::new(5, true).text, "5");
        assert_eq!(Shown::new(3, false).value, Some(3));
    }

    #[test]
    fn periods_are_calendar_aligned() {
        assert_eq!(period_start(d(2026, 5, 17), 3), d(2026, 4, 1));
        assert_eq!(period_end(d(2026, 4, 1), 3), d(2026, 6, 30));
        assert_eq!(period_start(d(2026, 8, 2), 6), d(2026, 7, 1));
        assert_eq!(period_start(d(2026, 8, 2), 12), d(2026, 1, 1));
        assert_eq!(
            period_label(d(2026, 4, 1), ReportingFrequency::Quarterly),
            "T2 2026"
        );
        assert_eq!(
            period_label(d(2026, 8, 1), ReportingFrequency::Monthly),
            "août 2026"
        );
        assert_eq!(
            period_label(d(2026, 7, 1), ReportingFrequency::Semiannual),
            "S2 2026"
        );
    }

    #[test]
    fn targets_are_prorated_to_the_days_the_agreement_runs() {
        let a = agreement(ReportingFrequency::Quarterly);
        // A whole quarter: a quarter of the yearly target.
        assert_eq!(
            prorated(
                1200,
                a.reporting_frequency,
                d(2026, 4, 1),
                d(2026, 6, 30),
                &a
            ),
            300.0
        );
        // The first quarter: the agreement runs from February 1st (59 of 90 days).
        assert_eq!(
            prorated(
                1200,
                a.reporting_frequency,
                d(2026, 1, 1),
                d(2026, 3, 31),
                &a
            ),
            196.7
        );
        assert_eq!(
            prorated(
                1200,
                a.reporting_frequency,
                d(2027, 1, 1),
                d(2027, 3, 31),
                &a
            ),
            0.0
        );
    }

    #[test]
    fn a_report_adds_up_by_period_and_site() {
        let a = agreement(ReportingFrequency::Quarterly);
        let (t, s1, s2) = (
            a.tenant_id.unwrap_or_default(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let mut by_site = BTreeMap::new();
        let c = |n, acts| Counts {
            partner_requests: n,
            mediation_acts: acts,
            ..Counts::default()
        };
        by_site.insert((d(2026, 4, 1), t, s1), c(10, 4));
        by_site.insert((d(2026, 5, 1), t, s1), c(2, 0));
        by_site.insert((d(2026, 5, 1), t, s2), c(3, 3));
        let delivered = Delivered {
            by_site,
            outreach: BTreeMap::new(),
            covered: vec![],
            names: HashMap::from([
                (s1, ("Vaise".to_owned(), "PIMMS Lyon".to_owned())),
                (s2, ("Duchère".to_owned(), "PIMMS Lyon".to_owned())),
            ]),
        };
        let targets = [Target {
            indicator: Indicator::PartnerRequests,
            annual_target: 100,
        }];
        let (periods, totals) = assemble(
            &a,
            &targets,
            &delivered,
            d(2026, 4, 1),
            d(2026, 9, 30),
            true,
        );
        assert_eq!(periods.len(), 2);
        let q2 = &periods[0];
        assert_eq!(q2.label, "T2 2026");
        assert_eq!(q2.deliverables[0].achieved.value, Some(15));
        assert_eq!(q2.deliverables[0].target, Some(25.0));
        assert_eq!(q2.deliverables[0].rate, Some(0.6));
        assert_eq!(q2.deliverables[1].indicator, Indicator::MediationActs);
        assert_eq!(q2.deliverables[1].achieved.value, Some(7));
        assert_eq!(q2.deliverables[1].target, None);
        // Duchère (3 requests) is hidden from a partner; Vaise (12) is not.
        assert_eq!(q2.sites[0].site_name, "Duchère");
        assert_eq!(q2.sites[0].achieved[0].1.text, "<5");
        assert_eq!(q2.sites[1].achieved[0].1.text, "12");
        assert_eq!(periods[1].deliverables[0].achieved.value, Some(0));
        assert_eq!(totals[0].achieved.value, Some(15));
        assert_eq!(totals[0].target, Some(50.0));
        let csv = to_csv(&Report {
            agreement: a.clone(),
            from: d(2026, 4, 1),
            to: d(2026, 9, 30),
            suppressed: true,
            partial: false,
            periods,
            totals,
        });
        assert!(csv.starts_with("\u{feff}période;début;fin;association;site;indicateur"));
        assert!(csv.contains(
            "T2 2026;2026-04-01;2026-06-30;;Ensemble;Demandes partenaire;15;25,0;60,0\r\n"
        ));
        assert!(csv.contains(
            "T2 2026;2026-04-01;2026-06-30;PIMMS Lyon;Duchère;Demandes partenaire;<5;;\r\n"
        ));
        assert!(csv.contains(
            "Total;2026-04-01;2026-09-30;;Ensemble;Demandes partenaire;15;50,0;30,0\r\n"
        ));
    }

    #[test]
    fn csv_is_safe_for_spreadsheets() {
        assert_eq!(
            kernel::csv::field("=HYPERLINK(\"x\")"),
            "\"'=HYPERLINK(\"\"x\"\")\""
        );
        assert_eq!(kernel::csv::field("a;b"), "\"a;b\"");
    }
}
