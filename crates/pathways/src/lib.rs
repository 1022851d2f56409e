//! HR pathways: the association as an employer with a social aim. Its employees
//! (mostly agents médiateurs) are hired on subsidised contracts for a qualification
//! pathway of eight months to three years; 9 % of their working time goes to training
//! and their professional project (the ledger); the network measures itself by their
//! exits to lasting jobs, and again six months later.
//!
//! Who may do what: the director manages the association's HR records, and its
//! coordinators when the director has granted it (`hr_settings`); an employee with an
//! account reads their own record, contracts and ledger; nobody else in the
//! association reads any. The union gets aggregates only (`stats`), small counts
//! hidden; partners nothing. Row-level security says the same underneath.
//!
//! HR records are personal data: nothing here logs a name, a birth year or a record;
//! five years after an exit the record is reduced to its statistics (`retention`).

pub mod entity;
pub mod ledger;
mod model;
mod reminders;
mod repo;
pub mod retention;
mod rules;
pub mod stats;

pub use ledger::{Ledger, LedgerMonth};
pub use model::*;
pub use reminders::SUBSIDY_NOTICE_DAYS;
pub use rules::{
    FOLLOWUP_MONTHS, PATHWAY_MAX_MONTHS, PATHWAY_MIN_MONTHS, followup_from, pathway_warning,
};

use chrono::{Days, NaiveDate};
use db::{Db, Scoped};
use entity::contract_site;
use kernel::{Ctx, Error, Page, PageRequest, TenantRole, TenantScope};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};
use std::collections::HashMap;
use uuid::Uuid;

/// How far ahead the calendar looks by default.
pub const CALENDAR_DAYS: u32 = 60;

#[derive(Clone, Debug)]
pub struct Pathways {
    db: Db,
}

/// A newly hired employee with their first contract and its subsidy.
#[derive(Clone, Debug)]
pub struct Hired {
    pub employee: Employee,
    pub contract: Contract,
    pub subsidy: Option<Subsidy>,
    pub warnings: Vec<Warning>,
}

/// A contract written (hire, renewal) with its subsidy and the pathway's warnings.
#[derive(Clone, Debug)]
pub struct ContractWritten {
    pub contract: Contract,
    pub subsidy: Option<Subsidy>,
    pub warnings: Vec<Warning>,
}

/// An employee's whole pathway as the ledger needs it.
pub(crate) struct Record {
    pub(crate) contracts: Vec<Contract>,
    pub(crate) absences: Vec<Absence>,
    entries: Vec<TrainingEntry>,
    exit: Option<EmployeeExit>,
}

impl Record {
    /// The ledger runs to today, or to the exit when earlier.
    pub(crate) fn ledger(&self, today: NaiveDate) -> Ledger {
        let until = self.exit.as_ref().map_or(today, |x| x.exit_on.min(today));
        ledger::ledger(&self.contracts, &self.absences, &self.entries, until)
    }
}

impl Pathways {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The acting person may manage the association's HR records: its director, or a
    /// coordinator when the director has granted it.
    async fn manager(&self, tx: &Scoped, ctx: &Ctx) -> Result<TenantScope, Error> {
        let scope = ctx.require_tenant()?;
        let allowed = match scope.role {
            TenantRole::Director => true,
            TenantRole::Coordinator => {
                repo::settings(tx, scope.tenant_id.0)
                    .await?
                    .coordinators_manage_hr
            }
            TenantRole::Mediator | TenantRole::Viewer => false,
        };
        if allowed {
            Ok(scope)
        } else {
            Err(Error::Forbidden(
                "reserved to the director, and to coordinators when the director allows it",
            ))
        }
    }

    async fn is_manager(&self, tx: &Scoped, ctx: &Ctx) -> Result<bool, Error> {
        match self.manager(tx, ctx).await {
            Ok(_) => Ok(true),
            Err(Error::Forbidden(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub async fn settings(&self, ctx: &Ctx) -> Result<Settings, Error> {
        let scope = ctx.require_tenant_role(&[TenantRole::Director, TenantRole::Coordinator])?;
        let tx = self.db.scoped(ctx).await?;
        let s = repo::settings(&tx, scope.tenant_id.0).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Whether coordinators manage HR records too (the director decides).
    pub async fn set_settings(&self, ctx: &Ctx, s: Settings) -> Result<Settings, Error> {
        let scope = ctx.require_tenant_role(&[TenantRole::Director])?;
        let tx = self.db.scoped(ctx).await?;
        repo::set_settings(&tx, scope.tenant_id.0, s).await?;
        tx.commit().await?;
        Ok(s)
    }

    pub async fn organisations(&self, ctx: &Ctx) -> Result<Vec<Organisation>, Error> {
        let tx = self.db.scoped(ctx).await?;
        let scope = self.manager(&tx, ctx).await?;
        let rows = repo::organisations(&tx, Some(scope.tenant_id.0), None).await?;
        tx.commit().await?;
        Ok(rows)
    }

    pub async fn organisations_by_ids(
        &self,
        ctx: &Ctx,
        ids: &[Uuid],
    ) -> Result<Vec<Organisation>, Error> {
        let scope = ctx.require_tenant()?;
        let tx = self.db.scoped(ctx).await?;
        let rows = repo::organisations(&tx, Some(scope.tenant_id.0), Some(ids)).await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// A prescriber or referent (France Travail, mission locale...).
    pub async fn create_organisation(
        &self,
        ctx: &Ctx,
        name: &str,
        kind: OrganisationKind,
    ) -> Result<Organisation, Error> {
        let name = kernel::input::text("name", name, 2, 200)?;
        let tx = self.db.scoped(ctx).await?;
        let scope = self.manager(&tx, ctx).await?;
        let o = repo::insert_organisation(&tx, scope.tenant_id.0, name, kind).await?;
        tx.commit().await?;
        Ok(o)
    }

    /// Hires a person: their record, first contract (with its sites) and its subsidy.
    pub async fn hire(&self, ctx: &Ctx, h: Hire) -> Result<Hired, Error> {
        let h = rules::check_hire(h, kernel::time::today())?;
        let tx = self.db.scoped(ctx).await?;
        let scope = self.manager(&tx, ctx).await?;
        let tenant = scope.tenant_id.0;
        let user_id = match h.membership_id {
            None => None,
            Some(m) => Some(
                ::entity::membership::Entity::find_by_id((tenant, m))
                    .one(&*tx)
                    .await
                    .map_err(repo::map_err)?
                    .ok_or_else(|| Error::validation("membershipId", "membre inconnu"))?
                    .user_id,
            ),
        };
        let employee = repo::insert_employee(&tx, tenant, user_id, &h).await?;
        let contract = repo::insert_contract(&tx, tenant, employee.id, None, &h.contract).await?;
        let subsidy = match &h.subsidy {
            Some(s) => Some(repo::insert_subsidy(&tx, tenant, contract.id, s).await?),
            None => None,
        };
        tx.commit().await?;
        let warnings = rules::pathway_warning(std::slice::from_ref(&contract))
            .into_iter()
            .collect();
        Ok(Hired {
            employee,
            contract,
            subsidy,
            warnings,
        })
    }

    /// The next contract of the pathway, from the day after the renewed one ends.
    pub async fn renew(&self, ctx: &Ctx, r: Renewal) -> Result<ContractWritten, Error> {
        let tx = self.db.scoped(ctx).await?;
        let scope = self.manager(&tx, ctx).await?;
        let tenant = scope.tenant_id.0;
        let prev = repo::contract(&tx, tenant, r.contract_id)
            .await?
            .ok_or(Error::NotFound)?;
        if !repo::exits_of(&tx, Some(tenant), &[prev.employee_id])
            .await?
            .is_empty()
        {
            return Err(Error::validation(
                "contractId",
                "la personne a quitté l'association",
            ));
        }
        let Some(last) = prev.last_day() else {
            return Err(Error::validation(
                "contractId",
                "un contrat sans fin prévue ne se renouvelle pas",
            ));
        };
        if prev.ended_on.is_some() {
            return Err(Error::validation(
                "contractId",
                "ce contrat a pris fin avant son terme",
            ));
        }
        let sites = match r.site_ids {
            Some(s) => s,
            None => repo::sites_of(&tx, Some(tenant), &[prev.id])
                .await?
                .into_iter()
                .map(|s| s.site_id)
                .collect(),
        };
        let next = rules::check_contract(
            "",
            NewContract {
                kind: r.kind.unwrap_or(prev.kind),
                starts_on: last + Days::new(1),
                planned_end_on: r.planned_end_on,
                weekly_hours: r.weekly_hours.unwrap_or(prev.weekly_hours),
                job_title: r.job_title.unwrap_or_else(|| prev.job_title.clone()),
                site_ids: sites,
            },
        )?;
        let subsidy = r
            .subsidy
            .map(|s| rules::check_subsidy("subsidy", s))
            .transpose()?;
        let contract =
            repo::insert_contract(&tx, tenant, prev.employee_id, Some(prev.id), &next).await?;
        let subsidy = match &subsidy {
            Some(s) => Some(repo::insert_subsidy(&tx, tenant, contract.id, s).await?),
            None => None,
        };
        let all = repo::contracts_of(&tx, Some(tenant), &[prev.employee_id]).await?;
        tx.commit().await?;
        Ok(ContractWritten {
            contract,
            subsidy,
            warnings: rules::pathway_warning(&all).into_iter().collect(),
        })
    }

    /// Ends a contract before its planned end, with the reason.
    pub async fn end_early(
        &self,
        ctx: &Ctx,
        contract_id: Uuid,
        ended_on: NaiveDate,
        reason: &str,
    ) -> Result<Contract, Error> {
        let tx = self.db.scoped(ctx).await?;
        let scope = self.manager(&tx, ctx).await?;
        let c = repo::contract(&tx, scope.tenant_id.0, contract_id)
            .await?
            .ok_or(Error::NotFound)?;
        let reason = rules::check_early_end(&c, ended_on, reason)?;
        let c = repo::end_contract(&tx, scope.tenant_id.0, c.id, ended_on, reason).await?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn add_subsidy(
        &self,
        ctx: &Ctx,
        contract_id: Uuid,
        s: NewSubsidy,
    ) -> Result<Subsidy, Error> {
        let s = rules::check_subsidy("", s)?;
        let tx = self.db.scoped(ctx).await?;
        let scope = self.manager(&tx, ctx).await?;
        repo::contract(&tx, scope.tenant_id.0, contract_id)
            .await?
            .ok_or(Error::NotFound)?;
        let s = repo::insert_subsidy(&tx, scope.tenant_id.0, contract_id, &s).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// The employee's row, for a write: NOT_FOUND when not in the association.
    async fn employee_for_write(
        &self,
        tx: &Scoped,
        tenant: Uuid,
        id: Uuid,
    ) -> Result<(Employee, Vec<Contract>), Error> {
        let e = repo::employee(tx, tenant, id)
            .await?
            .ok_or(Error::NotFound)?;
        if e.anonymised_at.is_some() {
            return Err(Error::validation(
                "employeeId",
                "fiche anonymisée : plus rien ne s'y ajoute",
            ));
        }
        let contracts = repo::contracts_of(tx, Some(tenant), &[id]).await?;
        Ok((e, contracts))
    }

    /// A training session or professional-project time in the ledger.
    pub async fn record_entry(&self, ctx: &Ctx, e: NewEntry) -> Result<TrainingEntry, Error> {
        let tx = self.db.scoped(ctx).await?;
        let scope = self.manager(&tx, ctx).await?;
        let (_, contracts) = self
            .employee_for_write(&tx, scope.tenant_id.0, e.employee_id)
            .await?;
        let e = rules::check_entry(e, &contracts)?;
        let row = repo::insert_entry(&tx, scope.tenant_id.0, &e).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// A declared absence (dates only): it lowers the hours worked, hence due.
    pub async fn record_absence(
        &self,
        ctx: &Ctx,
        employee_id: Uuid,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
    ) -> Result<Absence, Error> {
        let tx = self.db.scoped(ctx).await?;
        let scope = self.manager(&tx, ctx).await?;
        let (_, contracts) = self
            .employee_for_write(&tx, scope.tenant_id.0, employee_id)
            .await?;
        rules::check_absence(starts_on, ends_on, &contracts)?;
        let row =
            repo::insert_absence(&tx, scope.tenant_id.0, employee_id, starts_on, ends_on).await?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn record_qualification(
        &self,
        ctx: &Ctx,
        employee_id: Uuid,
        title: &str,
        obtained_on: NaiveDate,
    ) -> Result<Qualification, Error> {
        let title = kernel::input::text("title", title, 2, 200)?;
        if obtained_on > kernel::time::today() {
            return Err(Error::validation("obtainedOn", "une date à venir"));
        }
        let tx = self.db.scoped(ctx).await?;
        let scope = self.manager(&tx, ctx).await?;
        self.employee_for_write(&tx, scope.tenant_id.0, employee_id)
            .await?;
        let row =
            repo::insert_qualification(&tx, scope.tenant_id.0, employee_id, title, obtained_on)
                .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// The exit and its outcome. Contracts still running after the exit end with it.
    pub async fn record_exit(&self, ctx: &Ctx, x: NewExit) -> Result<EmployeeExit, Error> {
        let tx = self.db.scoped(ctx).await?;
        let scope = self.manager(&tx, ctx).await?;
        let tenant = scope.tenant_id.0;
        let (_, contracts) = self.employee_for_write(&tx, tenant, x.employee_id).await?;
        rules::check_exit(&x, &contracts)?;
        let row = repo::insert_exit(&tx, tenant, &x).await?;
        for c in contracts.iter().filter(|c| c.starts_on <= x.exit_on) {
            if c.last_day().is_none_or(|d| d > x.exit_on) {
                let reason = format!("Sortie : {}", x.reason.label_fr());
                repo::end_contract(&tx, tenant, c.id, x.exit_on, reason).await?;
            }
        }
        tx.commit().await?;
        Ok(row)
    }

    /// The situation six months after the exit.
    pub async fn record_followup(
        &self,
        ctx: &Ctx,
        exit_id: Uuid,
        on: NaiveDate,
        outcome: ExitOutcome,
    ) -> Result<EmployeeExit, Error> {
        let tx = self.db.scoped(ctx).await?;
        let scope = self.manager(&tx, ctx).await?;
        let x = repo::exit(&tx, scope.tenant_id.0, exit_id)
            .await?
            .ok_or(Error::NotFound)?;
        rules::check_followup(&x, on, kernel::time::today())?;
        let x = repo::set_followup(&tx, scope.tenant_id.0, x.id, on, outcome).await?;
        tx.commit().await?;
        Ok(x)
    }

    /// The association's employees (HR managers), or the acting person's own record
    /// (anyone else in the association: at most one row).
    pub async fn list(
        &self,
        ctx: &Ctx,
        page: PageRequest,
        include_exited: bool,
    ) -> Result<Page<Employee>, Error> {
        use entity::employee::Column as C;
        let scope = ctx.require_tenant()?;
        let tx = self.db.scoped(ctx).await?;
        let own = (!self.is_manager(&tx, ctx).await?)
            .then(|| ctx.user_id())
            .flatten();
        let exited = entity::employee_exit::Entity::find()
            .select_only()
            .column(entity::employee_exit::Column::EmployeeId)
            .filter(entity::employee_exit::Column::TenantId.eq(scope.tenant_id.0))
            .into_query();
        let rows = entity::employee::Entity::find()
            .filter(C::TenantId.eq(scope.tenant_id.0))
            .apply_if(own, |q, u| q.filter(C::UserId.eq(u.0)))
            .apply_if(page.after, |q, a| q.filter(C::Id.gt(a)))
            .apply_if((!include_exited).then_some(()), |q, ()| {
                q.filter(C::Id.not_in_subquery(exited.clone()))
            })
            .order_by_asc(C::Id)
            .limit(page.fetch())
            .all(&*tx)
            .await
            .map_err(repo::map_err)?;
        tx.commit().await?;
        Ok(Page::from_rows(rows, &page))
    }

    /// The acting person's own employee record in the association, if any.
    pub async fn own_record(&self, ctx: &Ctx) -> Result<Option<Employee>, Error> {
        use entity::employee::Column as C;
        let scope = ctx.require_tenant()?;
        let user = ctx.require_user()?;
        let tx = self.db.scoped(ctx).await?;
        let row = entity::employee::Entity::find()
            .filter(C::TenantId.eq(scope.tenant_id.0))
            .filter(C::UserId.eq(user.0))
            .one(&*tx)
            .await
            .map_err(repo::map_err)?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Employee>, Error> {
        let Some(scope) = ctx.tenant() else {
            return Ok(Vec::new());
        };
        let tx = self.db.scoped(ctx).await?;
        let rows = repo::employees(&tx, Some(scope.tenant_id.0), ids).await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// The association's tenant, or nothing for anyone else (no row would show).
    fn tenant_of(ctx: &Ctx) -> Option<Uuid> {
        ctx.tenant().map(|t| t.tenant_id.0)
    }

    pub async fn contracts_of(
        &self,
        ctx: &Ctx,
        employees: &[Uuid],
    ) -> Result<Vec<Contract>, Error> {
        let Some(t) = Self::tenant_of(ctx) else {
            return Ok(Vec::new());
        };
        let tx = self.db.scoped(ctx).await?;
        let rows = repo::contracts_of(&tx, Some(t), employees).await?;
        tx.commit().await?;
        Ok(rows)
    }

    pub async fn contracts_by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Contract>, Error> {
        use entity::employment_contract::Column as C;
        let Some(t) = Self::tenant_of(ctx) else {
            return Ok(Vec::new());
        };
        let select = entity::employment_contract::Entity::find()
            .filter(C::TenantId.eq(t))
            .filter(C::Id.is_in(ids.iter().copied()));
        self.db.select_all(ctx, select, repo::map_err).await
    }

    /// (contract, site) pairs of these contracts.
    pub async fn contract_sites(
        &self,
        ctx: &Ctx,
        contracts: &[Uuid],
    ) -> Result<Vec<(Uuid, Uuid)>, Error> {
        let Some(t) = Self::tenant_of(ctx) else {
            return Ok(Vec::new());
        };
        let tx = self.db.scoped(ctx).await?;
        let rows = repo::sites_of(&tx, Some(t), contracts).await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r: contract_site::Model| (r.contract_id, r.site_id))
            .collect())
    }

    pub async fn subsidies_of(&self, ctx: &Ctx, contracts: &[Uuid]) -> Result<Vec<Subsidy>, Error> {
        let Some(t) = Self::tenant_of(ctx) else {
            return Ok(Vec::new());
        };
        let tx = self.db.scoped(ctx).await?;
        let rows = repo::subsidies_of(&tx, Some(t), contracts).await?;
        tx.commit().await?;
        Ok(rows)
    }

    pub async fn entries_of(
        &self,
        ctx: &Ctx,
        employees: &[Uuid],
    ) -> Result<Vec<TrainingEntry>, Error> {
        let Some(t) = Self::tenant_of(ctx) else {
            return Ok(Vec::new());
        };
        let tx = self.db.scoped(ctx).await?;
        let rows = repo::entries_of(&tx, Some(t), employees).await?;
        tx.commit().await?;
        Ok(rows)
    }

    pub async fn absences_of(&self, ctx: &Ctx, employees: &[Uuid]) -> Result<Vec<Absence>, Error> {
        let Some(t) = Self::tenant_of(ctx) else {
            return Ok(Vec::new());
        };
        let tx = self.db.scoped(ctx).await?;
        let rows = repo::absences_of(&tx, Some(t), employees).await?;
        tx.commit().await?;
        Ok(rows)
    }

    pub async fn qualifications_of(
        &self,
        ctx: &Ctx,
        employees: &[Uuid],
    ) -> Result<Vec<Qualification>, Error> {
        let Some(t) = Self::tenant_of(ctx) else {
            return Ok(Vec::new());
        };
        let tx = self.db.scoped(ctx).await?;
        let rows = repo::qualifications_of(&tx, Some(t), employees).await?;
        tx.commit().await?;
        Ok(rows)
    }

    pub async fn exits_of(
        &self,
        ctx: &Ctx,
        employees: &[Uuid],
    ) -> Result<Vec<EmployeeExit>, Error> {
        let Some(t) = Self::tenant_of(ctx) else {
            return Ok(Vec::new());
        };
        let tx = self.db.scoped(ctx).await?;
        let rows = repo::exits_of(&tx, Some(t), employees).await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Each employee's ledger, to today or their exit.
    pub async fn ledgers(
        &self,
        ctx: &Ctx,
        employees: &[Uuid],
    ) -> Result<Vec<(Uuid, Ledger)>, Error> {
        let Some(t) = Self::tenant_of(ctx) else {
            return Ok(Vec::new());
        };
        let tx = self.db.scoped(ctx).await?;
        let records = load_records(&tx, Some(t), employees).await?;
        tx.commit().await?;
        let today = kernel::time::today();
        Ok(employees
            .iter()
            .filter_map(|id| records.iter().find(|(e, _)| e == id))
            .map(|(id, r)| (*id, r.ledger(today)))
            .collect())
    }

    /// Contracts and subsidies ending, and subsidies to renew, within `days` days
    /// (today included), soonest first. A contract already renewed, or of someone who
    /// has left, is not a deadline any more.
    pub async fn calendar(&self, ctx: &Ctx, days: u32) -> Result<Vec<Deadline>, Error> {
        if days > 366 {
            return Err(Error::validation("withinDays", "au plus 366 jours"));
        }
        let tx = self.db.scoped(ctx).await?;
        let scope = self.manager(&tx, ctx).await?;
        let tenant = scope.tenant_id.0;
        let today = kernel::time::today();
        let horizon = today + Days::new(u64::from(days));
        let contracts = entity::employment_contract::Entity::find()
            .filter(entity::employment_contract::Column::TenantId.eq(tenant))
            .all(&*tx)
            .await
            .map_err(repo::map_err)?;
        let left: Vec<Uuid> = entity::employee_exit::Entity::find()
            .filter(entity::employee_exit::Column::TenantId.eq(tenant))
            .all(&*tx)
            .await
            .map_err(repo::map_err)?
            .into_iter()
            .map(|x| x.employee_id)
            .collect();
        let live: Vec<&Contract> = contracts
            .iter()
            .filter(|c| !left.contains(&c.employee_id))
            .collect();
        let ids: Vec<Uuid> = live.iter().map(|c| c.id).collect();
        let subsidies = repo::subsidies_of(&tx, Some(tenant), &ids).await?;
        tx.commit().await?;
        let within = |d: NaiveDate| today <= d && d <= horizon;
        let mut out = Vec::new();
        for c in &live {
            let renewed = contracts.iter().any(|n| n.renews_id == Some(c.id));
            if let Some(end) = c.last_day().filter(|d| within(*d) && !renewed) {
                out.push(Deadline {
                    on: end,
                    kind: DeadlineKind::ContractEnd,
                    employee_id: c.employee_id,
                    contract_id: c.id,
                    subsidy_id: None,
                });
            }
        }
        for s in &subsidies {
            let Some(c) = live.iter().find(|c| c.id == s.contract_id) else {
                continue;
            };
            if within(s.ends_on) {
                out.push(Deadline {
                    on: s.ends_on,
                    kind: DeadlineKind::SubsidyEnd,
                    employee_id: c.employee_id,
                    contract_id: c.id,
                    subsidy_id: Some(s.id),
                });
            }
            if let Some(d) = s.renewal_deadline.filter(|d| within(*d)) {
                out.push(Deadline {
                    on: d,
                    kind: DeadlineKind::SubsidyRenewal,
                    employee_id: c.employee_id,
                    contract_id: c.id,
                    subsidy_id: Some(s.id),
                });
            }
        }
        out.sort_by_key(|d| (d.on, d.kind.as_str(), d.contract_id));
        Ok(out)
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// Contracts, absences, entries and exit of each employee, in four statements.
pub(crate) async fn load_records(
    tx: &Scoped,
    tenant: Option<Uuid>,
    employees: &[Uuid],
) -> Result<Vec<(Uuid, Record)>, Error> {
    let mut by_employee: HashMap<Uuid, Record> = employees
        .iter()
        .map(|id| {
            let r = Record {
                contracts: Vec::new(),
                absences: Vec::new(),
                entries: Vec::new(),
                exit: None,
            };
            (*id, r)
        })
        .collect();
    for c in repo::contracts_of(tx, tenant, employees).await? {
        if let Some(r) = by_employee.get_mut(&c.employee_id) {
            r.contracts.push(c);
        }
    }
    for a in repo::absences_of(tx, tenant, employees).await? {
        if let Some(r) = by_employee.get_mut(&a.employee_id) {
            r.absences.push(a);
        }
    }
    for e in repo::entries_of(tx, tenant, employees).await? {
        if let Some(r) = by_employee.get_mut(&e.employee_id) {
            r.entries.push(e);
        }
    }
    for x in repo::exits_of(tx, tenant, employees).await? {
        if let Some(r) = by_employee.get_mut(&x.employee_id) {
            r.exit = Some(x);
        }
    }
    Ok(by_employee.into_iter().collect())
}
