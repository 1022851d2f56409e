//! Aggregates: for an association (its HR managers, exact) and for the union (by
//! association, region and network, counts from 1 to 4 shown as "<5", never a name
//! nor a record). The union reads no HR row (row-level security): the platform counts
//! for it, after the union's role is checked, and only counts leave this module.
//!
//! The figures for a year: employees in post on its last day (today for the current
//! year), women among them, those on track with the 9 % rule then, training hours
//! recorded in the year; exits in the year with their outcomes, and their follow-ups
//! six months later. An employee's region is that of the first site of their latest
//! contract.

use crate::{Pathways, Record, load_records};
use chrono::{Datelike, NaiveDate};
use db::Scoped;
use kernel::{Ctx, Error, UnionRole};
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, QueryTrait};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// How a suppressed count reads (as in the partners' reports).
pub const SUPPRESSED: &str = "<5";

/// A count as the reader may see it: `value` is None when suppressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Count {
    pub value: Option<i64>,
    pub text: String,
}

impl Count {
    pub fn new(n: i64, suppress: bool) -> Self {
        if suppress && (1..=4).contains(&n) {
            Count {
                value: None,
                text: SUPPRESSED.to_owned(),
            }
        } else {
            Count {
                value: Some(n),
                text: n.to_string(),
            }
        }
    }
}

/// A rate over its counts; None when there is nothing to divide, or when either
/// count is hidden (the rate would give it away).
fn rate(part: i64, whole: i64, suppress: bool) -> Option<f64> {
    let hidden = |n: i64| suppress && (1..=4).contains(&n);
    (whole > 0 && !hidden(part) && !hidden(whole))
        .then(|| (part as f64 / whole as f64 * 1000.0).round() / 1000.0)
}

/// What is counted for one employee.
#[derive(Clone, Debug, Default)]
struct Tally {
    employed: i64,
    women: i64,
    on_track: i64,
    training_hours: f64,
    exits: i64,
    positive: i64,
    lasting: i64,
    followed_up: i64,
    positive_6m: i64,
    lasting_6m: i64,
}

impl Tally {
    fn add(&mut self, o: &Tally) {
        self.employed += o.employed;
        self.women += o.women;
        self.on_track += o.on_track;
        self.training_hours += o.training_hours;
        self.exits += o.exits;
        self.positive += o.positive;
        self.lasting += o.lasting;
        self.followed_up += o.followed_up;
        self.positive_6m += o.positive_6m;
        self.lasting_6m += o.lasting_6m;
    }
}

/// The figures of one cell (an association, a region, the network).
#[derive(Clone, Debug, PartialEq)]
pub struct Figures {
    pub employed: Count,
    pub women: Count,
    pub share_of_women: Option<f64>,
    pub on_track: Count,
    pub share_on_track: Option<f64>,
    pub training_hours: f64,
    pub exits: Count,
    pub positive_exits: Count,
    pub positive_exit_rate: Option<f64>,
    pub lasting_job_exits: Count,
    pub lasting_job_rate: Option<f64>,
    pub followed_up: Count,
    pub positive_at_six_months: Count,
    pub positive_rate_at_six_months: Option<f64>,
    pub lasting_job_at_six_months: Count,
    pub lasting_job_rate_at_six_months: Option<f64>,
}

impl Figures {
    fn of(t: &Tally, suppress: bool) -> Self {
        let c = |n| Count::new(n, suppress);
        Figures {
            employed: c(t.employed),
            women: c(t.women),
            share_of_women: rate(t.women, t.employed, suppress),
            on_track: c(t.on_track),
            share_on_track: rate(t.on_track, t.employed, suppress),
            training_hours: (t.training_hours * 10.0).round() / 10.0,
            exits: c(t.exits),
            positive_exits: c(t.positive),
            positive_exit_rate: rate(t.positive, t.exits, suppress),
            lasting_job_exits: c(t.lasting),
            lasting_job_rate: rate(t.lasting, t.exits, suppress),
            followed_up: c(t.followed_up),
            positive_at_six_months: c(t.positive_6m),
            positive_rate_at_six_months: rate(t.positive_6m, t.followed_up, suppress),
            lasting_job_at_six_months: c(t.lasting_6m),
            lasting_job_rate_at_six_months: rate(t.lasting_6m, t.followed_up, suppress),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct AssociationFigures {
    pub tenant_id: Uuid,
    pub name: String,
    pub figures: Figures,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RegionFigures {
    /// INSEE region code; None for employees whose sites have no known region.
    pub code: Option<String>,
    pub name: String,
    pub figures: Figures,
}

/// The year's figures for the network, each region and each association.
#[derive(Clone, Debug, PartialEq)]
pub struct Statistics {
    pub year: i32,
    /// The day head counts are taken: the year's last, or today for this year.
    pub as_of: NaiveDate,
    pub suppressed: bool,
    pub network: Figures,
    pub regions: Vec<RegionFigures>,
    pub associations: Vec<AssociationFigures>,
}

/// Rates by year of exit, for the network.
#[derive(Clone, Debug, PartialEq)]
pub struct ExitYear {
    pub year: i32,
    pub figures: Figures,
}

#[derive(FromQueryResult)]
struct EmployeeRow {
    tenant_id: Uuid,
    id: Uuid,
    sex: crate::Sex,
}

#[derive(FromQueryResult)]
struct SiteRegion {
    contract_id: Uuid,
    code: String,
    name: String,
}

/// Training hours recorded in `year` (training and professional project alike).
fn hours_in(r: &Record, year: i32) -> f64 {
    r.entries
        .iter()
        .filter(|e| e.ends_on.year() == year)
        .map(|e| e.hours)
        .sum()
}

fn tally(r: &Record, woman: bool, year: i32, as_of: NaiveDate) -> Tally {
    let in_post = r.exit.as_ref().is_none_or(|x| x.exit_on >= as_of)
        && r.contracts
            .iter()
            .any(|c| c.starts_on <= as_of && c.last_day().is_none_or(|e| e >= as_of));
    let mut t = Tally {
        training_hours: hours_in(r, year),
        ..Tally::default()
    };
    if in_post {
        t.employed = 1;
        t.women = i64::from(woman);
        t.on_track = i64::from(!r.ledger(as_of).behind());
    }
    if let Some(x) = r.exit.as_ref().filter(|x| x.exit_on.year() == year) {
        t.exits = 1;
        t.positive = i64::from(x.outcome.is_positive());
        t.lasting = i64::from(x.outcome == crate::ExitOutcome::LastingJob);
        if let Some(f) = x.followup_outcome {
            t.followed_up = 1;
            t.positive_6m = i64::from(f.is_positive());
            t.lasting_6m = i64::from(f == crate::ExitOutcome::LastingJob);
        }
    }
    t
}

struct Loaded {
    employees: Vec<EmployeeRow>,
    records: HashMap<Uuid, Record>,
    regions: HashMap<Uuid, (String, String)>,
}

/// Every employee of `tenant` (or of every association) with their records, and the
/// region of each one's latest contract.
async fn load(tx: &Scoped, tenant: Option<Uuid>) -> Result<Loaded, Error> {
    use crate::entity::employee::{Column as C, Entity};
    let employees = Entity::find()
        .select_only()
        .columns([C::TenantId, C::Id, C::Sex])
        .apply_if(tenant, |q, t| q.filter(C::TenantId.eq(t)))
        .into_model::<EmployeeRow>()
        .all(&**tx)
        .await
        .map_err(crate::repo::map_err)?;
    let ids: Vec<Uuid> = employees.iter().map(|e| e.id).collect();
    let records: HashMap<Uuid, Record> =
        load_records(tx, tenant, &ids).await?.into_iter().collect();
    let latest: Vec<Uuid> = records
        .values()
        .filter_map(|r| r.contracts.iter().max_by_key(|c| c.starts_on).map(|c| c.id))
        .collect();
    let rows = SiteRegion::find_by_statement(db::stmt(
        "select distinct on (cs.contract_id) cs.contract_id, r.code, r.name \
         from contract_sites cs \
         join sites s on s.tenant_id = cs.tenant_id and s.id = cs.site_id \
         join departments d on d.code = s.department \
         join regions r on r.code = d.region_code \
         where cs.contract_id = any($1) order by cs.contract_id, cs.site_id",
        vec![latest.into()],
    ))
    .all(&**tx)
    .await
    .map_err(crate::repo::map_err)?;
    let by_contract: HashMap<Uuid, (String, String)> = rows
        .into_iter()
        .map(|r| (r.contract_id, (r.code, r.name)))
        .collect();
    let regions = records
        .iter()
        .filter_map(|(id, r)| {
            let c = r.contracts.iter().max_by_key(|c| c.starts_on)?;
            by_contract.get(&c.id).map(|x| (*id, x.clone()))
        })
        .collect();
    Ok(Loaded {
        employees,
        records,
        regions,
    })
}

fn as_of(year: i32, today: NaiveDate) -> Result<NaiveDate, Error> {
    if !(2000..=today.year()).contains(&year) {
        return Err(Error::validation(
            "year",
            format!("une année entre 2000 et {}", today.year()),
        ));
    }
    let end = NaiveDate::from_ymd_opt(year, 12, 31)
        .ok_or_else(|| Error::validation("year", "année invalide"))?;
    Ok(end.min(today))
}

fn statistics(
    l: &Loaded,
    names: &HashMap<Uuid, String>,
    year: i32,
    as_of: NaiveDate,
    suppress: bool,
) -> Statistics {
    let mut network = Tally::default();
    let mut by_tenant: BTreeMap<Uuid, Tally> = BTreeMap::new();
    let mut by_region: BTreeMap<Option<(String, String)>, Tally> = BTreeMap::new();
    for e in &l.employees {
        let Some(r) = l.records.get(&e.id) else {
            continue;
        };
        let t = tally(r, e.sex == crate::Sex::Female, year, as_of);
        network.add(&t);
        by_tenant.entry(e.tenant_id).or_default().add(&t);
        by_region
            .entry(l.regions.get(&e.id).cloned())
            .or_default()
            .add(&t);
    }
    let mut associations: Vec<AssociationFigures> = by_tenant
        .iter()
        .map(|(id, t)| AssociationFigures {
            tenant_id: *id,
            name: names.get(id).cloned().unwrap_or_default(),
            figures: Figures::of(t, suppress),
        })
        .collect();
    associations.sort_by(|a, b| a.name.cmp(&b.name));
    let regions = by_region
        .iter()
        .map(|(k, t)| RegionFigures {
            code: k.as_ref().map(|(c, _)| c.clone()),
            name: k
                .as_ref()
                .map_or_else(|| "Région inconnue".to_owned(), |(_, n)| n.clone()),
            figures: Figures::of(t, suppress),
        })
        .collect();
    Statistics {
        year,
        as_of,
        suppressed: suppress,
        network: Figures::of(&network, suppress),
        regions,
        associations,
    }
}

async fn tenant_names(tx: &Scoped, ids: Vec<Uuid>) -> Result<HashMap<Uuid, String>, Error> {
    use ::entity::tenant::{Column, Entity};
    Ok(Entity::find()
        .filter(Column::Id.is_in(ids))
        .all(&**tx)
        .await
        .map_err(crate::repo::map_err)?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect())
}

impl Pathways {
    /// The association's own figures for a year (its HR managers): exact counts.
    pub async fn overview(&self, ctx: &Ctx, year: i32) -> Result<Statistics, Error> {
        let as_of = as_of(year, kernel::time::today())?;
        let tx = self.db.scoped(ctx).await?;
        let scope = self.manager(&tx, ctx).await?;
        let tenant = scope.tenant_id.0;
        let l = load(&tx, Some(tenant)).await?;
        let names = tenant_names(&tx, vec![tenant]).await?;
        tx.commit().await?;
        Ok(statistics(&l, &names, year, as_of, false))
    }

    /// The network's figures for a year, by association and region (union staff):
    /// counts from 1 to 4 shown as "<5", and the rates built on them withheld.
    pub async fn network_statistics(&self, ctx: &Ctx, year: i32) -> Result<Statistics, Error> {
        ctx.require_union_role(&UnionRole::ALL)?;
        let as_of = as_of(year, kernel::time::today())?;
        // The union reads no HR row; the platform counts for it (see the module doc).
        let sys = Ctx::system("HR statistics for the union: counts only");
        let tx = self.db.scoped(&sys).await?;
        let l = load(&tx, None).await?;
        let names = tenant_names(&tx, l.employees.iter().map(|e| e.tenant_id).collect()).await?;
        tx.commit().await?;
        Ok(statistics(&l, &names, year, as_of, true))
    }

    /// The network's exit rates for each year of exit from `from` to `to` (union).
    pub async fn network_exit_years(
        &self,
        ctx: &Ctx,
        from: i32,
        to: i32,
    ) -> Result<Vec<ExitYear>, Error> {
        ctx.require_union_role(&UnionRole::ALL)?;
        let today = kernel::time::today();
        as_of(from, today)?;
        as_of(to, today)?;
        if to < from || to - from > 20 {
            return Err(Error::validation("toYear", "de 0 à 20 ans après fromYear"));
        }
        let sys = Ctx::system("HR exit rates for the union: counts only");
        let tx = self.db.scoped(&sys).await?;
        let l = load(&tx, None).await?;
        tx.commit().await?;
        let names = HashMap::new();
        Ok((from..=to)
            .filter_map(|y| {
                let s = statistics(&l, &names, y, as_of(y, today).ok()?, true);
                Some(ExitYear {
                    year: y,
                    figures: s.network,
                })
            })
            .collect())
    }

    /// For the compliance domain's indicators: over `[from, to]`, an association's
    /// training hours done (entries counting toward the 9 %, ended in the period) and
    /// due (9 % of the hours worked then), and its team size per site (employees with
    /// a contract in force on `to` at that site). As the platform (`Ctx::system`), or
    /// as the association's HR manager.
    pub async fn training_and_team(
        &self,
        ctx: &Ctx,
        tenant: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<TrainingAndTeam, Error> {
        if to < from {
            return Err(Error::validation("to", "la fin précède le début"));
        }
        let tx = self.db.scoped(ctx).await?;
        if !ctx.is_system() {
            let scope = self.manager(&tx, ctx).await?;
            if scope.tenant_id.0 != tenant {
                return Err(Error::NotFound);
            }
        }
        let l = load(&tx, Some(tenant)).await?;
        let in_force: Vec<Uuid> = l
            .records
            .values()
            .flat_map(|r| {
                r.contracts.iter().filter(|c| {
                    c.starts_on <= to
                        && c.last_day().is_none_or(|e| e >= to)
                        && r.exit.as_ref().is_none_or(|x| x.exit_on >= to)
                })
            })
            .map(|c| c.id)
            .collect();
        let sites = crate::repo::sites_of(&tx, Some(tenant), &in_force).await?;
        tx.commit().await?;
        let (mut done, mut due) = (0.0, 0.0);
        for r in l.records.values() {
            due += crate::ledger::worked_hours_between(&r.contracts, &r.absences, from, to)
                * crate::ledger::QUOTA;
            done += r
                .entries
                .iter()
                .filter(|e| e.counts_toward_quota && from <= e.ends_on && e.ends_on <= to)
                .map(|e| e.hours)
                .sum::<f64>();
        }
        let mut team: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
        for s in sites {
            let people = team.entry(s.site_id).or_default();
            if !people.contains(&s.employee_id) {
                people.push(s.employee_id);
            }
        }
        Ok(TrainingAndTeam {
            hours_done: (done * 100.0).round() / 100.0,
            hours_due: (due * 100.0).round() / 100.0,
            team_by_site: team
                .into_iter()
                .map(|(site, people)| (site, people.len() as i64))
                .collect(),
        })
    }
}

/// What `training_and_team` gives the compliance domain.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingAndTeam {
    pub hours_done: f64,
    pub hours_due: f64,
    /// (site, employees with a contract in force there at the period's end).
    pub team_by_site: Vec<(Uuid, i64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_and_the_rates_built_on_them_are_hidden() {
        assert_eq!(Count::new(3, true).text, "<5");
        assert_eq!(Count::new(3, true).value, None);
        assert_eq!(Count::new(0, true).text, "0");
        assert_eq!(Count::new(5, true).value, Some(5));
        assert_eq!(Count::new(3, false).value, Some(3));
        assert_eq!(rate(3, 10, true), None);
        assert_eq!(rate(6, 10, true), Some(0.6));
        assert_eq!(rate(4, 4, true), None);
        assert_eq!(rate(4, 4, false), Some(1.0));
        assert_eq!(rate(0, 0, false), None);
    }
}
