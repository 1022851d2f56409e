//! The built-in indicators, computed for an association and a period from data the
//! platform already holds. Each one's statement is here, documented; all read the
//! rollups or small tables, never the journal's rows. They run as the platform
//! (`Ctx::system`) once the caller's right to the audit has been checked, because the
//! union may not read some sources (survey answers), and only counts leave them.
//!
//! | indicator | source | value |
//! | --- | --- | --- |
//! | weekly opening hours | `site_opening_hours` of the sites (kind site) open on the period | the lowest site's weekly hours (a fortnightly slot counts half, a monthly one 12/52) |
//! | sites open | `sites` | sites (all kinds) open at some point of the period |
//! | people received per site | `visit_daily` | the mean over the sites open on the period (each site's figure given too) |
//! | mediation acts per site | `request_daily.mediation_acts` | the same mean |
//! | partner share | `request_daily` | partner requests as a % of all requests |
//! | workshops held | `workshop_daily` | workshops on the period |
//! | satisfaction share | `survey_answers` | answers 3 (satisfied) or 4 (very satisfied) as a % of answers |
//! | agreements in force | `agreements`, `agreement_sites` | active agreements overlapping the period, local or covering one of its sites |
//! | agreement deliverables | `agreements` (local, active or ended, overlapping the period), `agreement_targets`, `agreement_activity_monthly` | the share of target lines (partner requests, mediation acts, workshops, attendees) reached, each target pro-rated to the days of the period the agreement covers |
//! | team size per site | the HR pathways (`Pathways::training_and_team`) | the smallest team among the sites open on the period (employees with a contract in force there at its end) |
//! | training time | the HR pathways | training hours done (counting toward the 9 %, ended in the period) as a % of the hours worked |
//!
//! An association with no employee in the HR pathways has neither of the last two:
//! they say so (not available), never 0.

use crate::model::{Indicator, IndicatorValue};
use chrono::NaiveDate;
use db::Scoped;
use kernel::Error;
use sea_orm::FromQueryResult;
use uuid::Uuid;

#[derive(FromQueryResult)]
struct PerSite {
    id: Uuid,
    name: String,
    value: f64,
}

#[derive(FromQueryResult)]
struct Scalar {
    value: Option<f64>,
}

const HOURS: &str = "select s.id, s.name, coalesce(sum(extract(epoch from (h.closes - h.opens)) / 3600.0 \
      / h.every_n_weeks * case when h.week_of_month is null then 1.0 else 12.0 / 52.0 end), 0)::float8 as value \
    from sites s left join site_opening_hours h on h.tenant_id = s.tenant_id and h.site_id = s.id \
    where s.tenant_id = $1 and s.kind = 'site' and s.opened_on <= $3 and (s.closed_on is null or s.closed_on >= $2) \
    group by s.id, s.name order by s.name";

const PEOPLE: &str = "select s.id, s.name, coalesce((select sum(v.visits) from visit_daily v \
      where v.tenant_id = s.tenant_id and v.site_id = s.id and v.day between $2 and $3), 0)::float8 as value \
    from sites s where s.tenant_id = $1 and s.opened_on <= $3 and (s.closed_on is null or s.closed_on >= $2) \
    order by s.name";

const ACTS: &str = "select s.id, s.name, coalesce((select sum(r.mediation_acts) from request_daily r \
      where r.tenant_id = s.tenant_id and r.site_id = s.id and r.day between $2 and $3), 0)::float8 as value \
    from sites s where s.tenant_id = $1 and s.opened_on <= $3 and (s.closed_on is null or s.closed_on >= $2) \
    order by s.name";

const PARTNER_SHARE: &str = "select (sum(requests) filter (where kind = 'partner'))::float8 * 100.0 \
      / nullif(sum(requests), 0) as value \
    from request_daily where tenant_id = $1 and day between $2 and $3";

const WORKSHOPS: &str = "select coalesce(sum(workshops), 0)::float8 as value \
    from workshop_daily where tenant_id = $1 and day between $2 and $3";

const SATISFACTION: &str = "select (count(*) filter (where score >= 3))::float8 * 100.0 / nullif(count(*), 0) as value \
    from survey_answers where tenant_id = $1 and answered_on between $2 and $3";

const AGREEMENTS: &str = "select count(*)::float8 as value from agreements a \
    where a.status = 'active' and a.starts_on <= $3 and a.ends_on >= $2 \
      and (a.tenant_id = $1 or exists (select 1 from agreement_sites x where x.agreement_id = a.id and x.tenant_id = $1))";

const DELIVERABLES: &str = "with t as ( \
      select a.id, g.indicator, g.annual_target::float8 * ((least(a.ends_on, $3) - greatest(a.starts_on, $2)) + 1) / 365.0 as due \
      from agreements a join agreement_targets g on g.agreement_id = a.id \
      where a.tenant_id = $1 and a.status in ('active', 'ended') and a.starts_on <= $3 and a.ends_on >= $2 \
        and g.indicator in ('partner_requests', 'mediation_acts', 'workshops', 'workshop_attendees')) \
    select (count(*) filter (where done >= due))::float8 * 100.0 / nullif(count(*), 0) as value from ( \
      select t.due, coalesce((select sum(case \
          when t.indicator = 'partner_requests' and m.activity = 'request' then m.count \
          when t.indicator = 'mediation_acts' and m.activity = 'request' then m.mediation_acts \
          when t.indicator = 'workshops' and m.activity = 'workshop' then m.count \
          when t.indicator = 'workshop_attendees' and m.activity = 'workshop' then m.attendees \
          else 0 end) \
        from agreement_activity_monthly m where m.agreement_id = t.id and m.tenant_id = $1 \
          and m.month between date_trunc('month', $2::date)::date and $3), 0) as done \
      from t) x";

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

async fn per_site(
    tx: &Scoped,
    sql: &str,
    t: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(Uuid, String, f64)>, Error> {
    let rows = PerSite::find_by_statement(db::stmt(sql, vec![t.into(), from.into(), to.into()]))
        .all(&**tx)
        .await
        .map_err(crate::map_err)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.name, round1(r.value)))
        .collect())
}

async fn scalar(
    tx: &Scoped,
    sql: &str,
    t: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Option<f64>, Error> {
    let row = Scalar::find_by_statement(db::stmt(sql, vec![t.into(), from.into(), to.into()]))
        .one(&**tx)
        .await
        .map_err(crate::map_err)?;
    Ok(row.and_then(|r| r.value).map(round1))
}

fn mean(v: &[(Uuid, String, f64)]) -> Option<f64> {
    (!v.is_empty()).then(|| round1(v.iter().map(|s| s.2).sum::<f64>() / v.len() as f64))
}

/// Every indicator of `tenant` over `from..=to`; `threshold` gives each one's
/// threshold (the catalogue's), met when the value reaches it.
pub(crate) async fn compute(
    tx: &Scoped,
    tenant: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    hr: &pathways::stats::TrainingAndTeam,
    threshold: impl Fn(Indicator) -> Option<f64>,
) -> Result<Vec<IndicatorValue>, Error> {
    const NO_HR: &str =
        "non disponible : aucun salarié enregistré dans les parcours RH de l'association";
    let no_hr = hr.hours_due <= 0.0 && hr.team_by_site.is_empty();
    let mut out = Vec::new();
    for i in Indicator::ALL.iter().copied() {
        let mut per = Vec::new();
        let mut unavailable = None;
        let value = match i {
            Indicator::WeeklyOpeningHours => {
                per = per_site(tx, HOURS, tenant, from, to).await?;
                per.iter().map(|s| s.2).reduce(f64::min)
            }
            Indicator::SitesOpen => {
                per = per_site(tx, PEOPLE, tenant, from, to).await?;
                Some(per.len() as f64)
            }
            Indicator::PeopleReceivedPerSite => {
                per = per_site(tx, PEOPLE, tenant, from, to).await?;
                mean(&per)
            }
            Indicator::MediationActsPerSite => {
                per = per_site(tx, ACTS, tenant, from, to).await?;
                mean(&per)
            }
            Indicator::PartnerShare => scalar(tx, PARTNER_SHARE, tenant, from, to).await?,
            Indicator::WorkshopsHeld => scalar(tx, WORKSHOPS, tenant, from, to).await?,
            Indicator::SatisfactionShare => scalar(tx, SATISFACTION, tenant, from, to).await?,
            Indicator::AgreementsInForce => scalar(tx, AGREEMENTS, tenant, from, to).await?,
            Indicator::AgreementDeliverables => scalar(tx, DELIVERABLES, tenant, from, to).await?,
            Indicator::TeamSizePerSite if no_hr => {
                unavailable = Some(NO_HR);
                None
            }
            Indicator::TeamSizePerSite => {
                per = per_site(tx, PEOPLE, tenant, from, to)
                    .await?
                    .into_iter()
                    .map(|(id, name, _)| {
                        let n = hr
                            .team_by_site
                            .iter()
                            .find(|(s, _)| *s == id)
                            .map_or(0, |(_, n)| *n);
                        (id, name, n as f64)
                    })
                    .collect();
                per.iter().map(|s| s.2).reduce(f64::min)
            }
            Indicator::TrainingTimeShare if hr.hours_due <= 0.0 => {
                unavailable = Some(NO_HR);
                None
            }
            // Due is 9 % of the hours worked: done / worked = done / due * 9 %.
            Indicator::TrainingTimeShare => Some(round1(hr.hours_done / hr.hours_due * 9.0)),
        };
        if value.is_none() && unavailable.is_none() {
            unavailable = Some("non disponible : aucune donnée sur la période");
        }
        let t = threshold(i);
        out.push(IndicatorValue {
            indicator: i,
            value,
            threshold: t,
            met: value.zip(t).map(|(v, t)| v >= t),
            per_site: per,
            unavailable_reason: unavailable,
        });
    }
    Ok(out)
}
