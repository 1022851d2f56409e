//! SQL of the domain. Every statement filters on the association explicitly where
//! the actor has one, on top of row-level security.

use crate::entity::{
    absence, contract_site, employee, employee_exit, employment_contract, hr_organisation,
    hr_setting, qualification, subsidy, training_entry,
};
use crate::model::*;
use db::{DbError, Scoped};
use kernel::Error;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QueryTrait, Set};
use uuid::Uuid;

pub(crate) fn map_err(e: sea_orm::DbErr) -> Error {
    match DbError::from(e) {
        DbError::Constraint(c) => match c.as_str() {
            "employees_tenant_user_key" => Error::conflict_on(
                "membershipId",
                "cette personne a déjà une fiche salarié dans l'association",
            ),
            "employees_prescriber_fkey" => Error::validation("prescriberId", "organisme inconnu"),
            "employees_referent_fkey" => Error::validation("referentId", "organisme inconnu"),
            "contract_sites_site_fkey" => Error::validation("siteIds", "site inconnu"),
            "employment_contracts_renews_key" => {
                Error::conflict_on("contractId", "ce contrat a déjà été renouvelé")
            }
            "employee_exits_employee_key" => Error::conflict_on(
                "employeeId",
                "la sortie de cette personne est déjà enregistrée",
            ),
            "employee_exits_employer_partner_id_fkey" => {
                Error::validation("employerPartnerId", "entreprise partenaire inconnue")
            }
            "hr_organisations_tenant_name_key" => {
                Error::conflict_on("name", "un organisme de ce nom existe déjà")
            }
            _ => Error::from(DbError::Constraint(c)),
        },
        other => Error::from(other),
    }
}

pub(crate) async fn settings(tx: &Scoped, tenant: Uuid) -> Result<Settings, Error> {
    Ok(hr_setting::Entity::find_by_id(tenant)
        .one(&**tx)
        .await
        .map_err(map_err)?
        .map(|s| Settings {
            coordinators_manage_hr: s.coordinators_manage_hr,
        })
        .unwrap_or_default())
}

pub(crate) async fn set_settings(tx: &Scoped, tenant: Uuid, s: Settings) -> Result<(), Error> {
    hr_setting::Entity::insert(hr_setting::ActiveModel {
        tenant_id: Set(tenant),
        coordinators_manage_hr: Set(s.coordinators_manage_hr),
        updated_at: Set(chrono::Utc::now().fixed_offset()),
    })
    .on_conflict(
        OnConflict::column(hr_setting::Column::TenantId)
            .update_columns([
                hr_setting::Column::CoordinatorsManageHr,
                hr_setting::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&**tx)
    .await
    .map_err(map_err)?;
    Ok(())
}

pub(crate) async fn employee(
    tx: &Scoped,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<Employee>, Error> {
    employee::Entity::find_by_id((tenant, id))
        .one(&**tx)
        .await
        .map_err(map_err)
}

pub(crate) async fn employees(
    tx: &Scoped,
    tenant: Option<Uuid>,
    ids: &[Uuid],
) -> Result<Vec<Employee>, Error> {
    employee::Entity::find()
        .filter(employee::Column::Id.is_in(ids.iter().copied()))
        .apply_if(tenant, |q, t| q.filter(employee::Column::TenantId.eq(t)))
        .all(&**tx)
        .await
        .map_err(map_err)
}

pub(crate) async fn contract(
    tx: &Scoped,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<Contract>, Error> {
    employment_contract::Entity::find_by_id((tenant, id))
        .one(&**tx)
        .await
        .map_err(map_err)
}

/// The contracts of these employees, by start.
pub(crate) async fn contracts_of(
    tx: &Scoped,
    tenant: Option<Uuid>,
    employees: &[Uuid],
) -> Result<Vec<Contract>, Error> {
    use employment_contract::Column as C;
    employment_contract::Entity::find()
        .filter(C::EmployeeId.is_in(employees.iter().copied()))
        .apply_if(tenant, |q, t| q.filter(C::TenantId.eq(t)))
        .order_by_asc(C::StartsOn)
        .order_by_asc(C::Id)
        .all(&**tx)
        .await
        .map_err(map_err)
}

pub(crate) async fn sites_of(
    tx: &Scoped,
    tenant: Option<Uuid>,
    contracts: &[Uuid],
) -> Result<Vec<contract_site::Model>, Error> {
    use contract_site::Column as C;
    contract_site::Entity::find()
        .filter(C::ContractId.is_in(contracts.iter().copied()))
        .apply_if(tenant, |q, t| q.filter(C::TenantId.eq(t)))
        .order_by_asc(C::SiteId)
        .all(&**tx)
        .await
        .map_err(map_err)
}

pub(crate) async fn subsidies_of(
    tx: &Scoped,
    tenant: Option<Uuid>,
    contracts: &[Uuid],
) -> Result<Vec<Subsidy>, Error> {
    use subsidy::Column as C;
    subsidy::Entity::find()
        .filter(C::ContractId.is_in(contracts.iter().copied()))
        .apply_if(tenant, |q, t| q.filter(C::TenantId.eq(t)))
        .order_by_asc(C::StartsOn)
        .all(&**tx)
        .await
        .map_err(map_err)
}

pub(crate) async fn entries_of(
    tx: &Scoped,
    tenant: Option<Uuid>,
    employees: &[Uuid],
) -> Result<Vec<TrainingEntry>, Error> {
    use training_entry::Column as C;
    training_entry::Entity::find()
        .filter(C::EmployeeId.is_in(employees.iter().copied()))
        .apply_if(tenant, |q, t| q.filter(C::TenantId.eq(t)))
        .order_by_asc(C::EndsOn)
        .order_by_asc(C::Id)
        .all(&**tx)
        .await
        .map_err(map_err)
}

pub(crate) async fn absences_of(
    tx: &Scoped,
    tenant: Option<Uuid>,
    employees: &[Uuid],
) -> Result<Vec<Absence>, Error> {
    use absence::Column as C;
    absence::Entity::find()
        .filter(C::EmployeeId.is_in(employees.iter().copied()))
        .apply_if(tenant, |q, t| q.filter(C::TenantId.eq(t)))
        .order_by_asc(C::StartsOn)
        .all(&**tx)
        .await
        .map_err(map_err)
}

pub(crate) async fn qualifications_of(
    tx: &Scoped,
    tenant: Option<Uuid>,
    employees: &[Uuid],
) -> Result<Vec<Qualification>, Error> {
    use qualification::Column as C;
    qualification::Entity::find()
        .filter(C::EmployeeId.is_in(employees.iter().copied()))
        .apply_if(tenant, |q, t| q.filter(C::TenantId.eq(t)))
        .order_by_asc(C::ObtainedOn)
        .all(&**tx)
        .await
        .map_err(map_err)
}

pub(crate) async fn exits_of(
    tx: &Scoped,
    tenant: Option<Uuid>,
    employees: &[Uuid],
) -> Result<Vec<EmployeeExit>, Error> {
    use employee_exit::Column as C;
    employee_exit::Entity::find()
        .filter(C::EmployeeId.is_in(employees.iter().copied()))
        .apply_if(tenant, |q, t| q.filter(C::TenantId.eq(t)))
        .all(&**tx)
        .await
        .map_err(map_err)
}

pub(crate) async fn exit(
    tx: &Scoped,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<EmployeeExit>, Error> {
    employee_exit::Entity::find_by_id((tenant, id))
        .one(&**tx)
        .await
        .map_err(map_err)
}

pub(crate) async fn organisations(
    tx: &Scoped,
    tenant: Option<Uuid>,
    ids: Option<&[Uuid]>,
) -> Result<Vec<Organisation>, Error> {
    use hr_organisation::Column as C;
    hr_organisation::Entity::find()
        .apply_if(ids, |q, ids| q.filter(C::Id.is_in(ids.iter().copied())))
        .apply_if(tenant, |q, t| q.filter(C::TenantId.eq(t)))
        .order_by_asc(C::Name)
        .all(&**tx)
        .await
        .map_err(map_err)
}

pub(crate) async fn insert_organisation(
    tx: &Scoped,
    tenant: Uuid,
    name: String,
    kind: OrganisationKind,
) -> Result<Organisation, Error> {
    hr_organisation::Entity::insert(hr_organisation::ActiveModel {
        tenant_id: Set(tenant),
        id: Set(Uuid::now_v7()),
        name: Set(name),
        kind: Set(kind),
        ..Default::default()
    })
    .exec_with_returning(&**tx)
    .await
    .map_err(map_err)
}

pub(crate) async fn insert_employee(
    tx: &Scoped,
    tenant: Uuid,
    user_id: Option<Uuid>,
    h: &Hire,
) -> Result<Employee, Error> {
    let birth_year = i16::try_from(h.birth_year)
        .map_err(|_| Error::validation("birthYear", "année invalide"))?;
    employee::Entity::insert(employee::ActiveModel {
        tenant_id: Set(tenant),
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        full_name: Set(Some(h.full_name.clone())),
        birth_year: Set(birth_year),
        sex: Set(h.sex),
        prescriber_id: Set(h.prescriber_id),
        referent_id: Set(h.referent_id),
        ..Default::default()
    })
    .exec_with_returning(&**tx)
    .await
    .map_err(map_err)
}

pub(crate) async fn insert_contract(
    tx: &Scoped,
    tenant: Uuid,
    employee_id: Uuid,
    renews: Option<Uuid>,
    c: &NewContract,
) -> Result<Contract, Error> {
    let row = employment_contract::Entity::insert(employment_contract::ActiveModel {
        tenant_id: Set(tenant),
        id: Set(Uuid::now_v7()),
        employee_id: Set(employee_id),
        kind: Set(c.kind),
        starts_on: Set(c.starts_on),
        planned_end_on: Set(c.planned_end_on),
        ended_on: Set(None),
        end_reason: Set(None),
        weekly_hours: Set(c.weekly_hours),
        job_title: Set(c.job_title.clone()),
        renews_id: Set(renews),
        ..Default::default()
    })
    .exec_with_returning(&**tx)
    .await
    .map_err(map_err)?;
    let mut sites = c.site_ids.clone();
    sites.sort();
    sites.dedup();
    contract_site::Entity::insert_many(sites.into_iter().map(|site| contract_site::ActiveModel {
        tenant_id: Set(tenant),
        contract_id: Set(row.id),
        site_id: Set(site),
        employee_id: Set(employee_id),
    }))
    .exec_without_returning(&**tx)
    .await
    .map_err(map_err)?;
    Ok(row)
}

pub(crate) async fn insert_subsidy(
    tx: &Scoped,
    tenant: Uuid,
    contract_id: Uuid,
    s: &NewSubsidy,
) -> Result<Subsidy, Error> {
    subsidy::Entity::insert(subsidy::ActiveModel {
        tenant_id: Set(tenant),
        id: Set(Uuid::now_v7()),
        contract_id: Set(contract_id),
        programme: Set(s.programme),
        funder: Set(s.funder),
        agreement_reference: Set(s.agreement_reference.clone()),
        starts_on: Set(s.starts_on),
        ends_on: Set(s.ends_on),
        amount_cents: Set(s.amount_cents),
        rate_percent: Set(s.rate_percent),
        renewal_deadline: Set(s.renewal_deadline),
        ..Default::default()
    })
    .exec_with_returning(&**tx)
    .await
    .map_err(map_err)
}

pub(crate) async fn end_contract(
    tx: &Scoped,
    tenant: Uuid,
    id: Uuid,
    ended_on: chrono::NaiveDate,
    reason: String,
) -> Result<Contract, Error> {
    use employment_contract::Column as C;
    let update = employment_contract::Entity::update_many()
        .col_expr(C::EndedOn, Expr::value(ended_on))
        .col_expr(C::EndReason, Expr::value(reason))
        .filter(C::TenantId.eq(tenant))
        .filter(C::Id.eq(id));
    db::update_one(tx, update, map_err).await
}

pub(crate) async fn insert_entry(
    tx: &Scoped,
    tenant: Uuid,
    e: &NewEntry,
) -> Result<TrainingEntry, Error> {
    training_entry::Entity::insert(training_entry::ActiveModel {
        tenant_id: Set(tenant),
        id: Set(Uuid::now_v7()),
        employee_id: Set(e.employee_id),
        kind: Set(e.kind),
        title: Set(Some(e.title.clone())),
        provider: Set(e.provider.clone()),
        certification: Set(e.certification.clone()),
        starts_on: Set(e.starts_on),
        ends_on: Set(e.ends_on),
        hours: Set(e.hours),
        counts_toward_quota: Set(e.counts_toward_quota),
        ..Default::default()
    })
    .exec_with_returning(&**tx)
    .await
    .map_err(map_err)
}

pub(crate) async fn insert_absence(
    tx: &Scoped,
    tenant: Uuid,
    employee_id: Uuid,
    starts_on: chrono::NaiveDate,
    ends_on: chrono::NaiveDate,
) -> Result<Absence, Error> {
    absence::Entity::insert(absence::ActiveModel {
        tenant_id: Set(tenant),
        id: Set(Uuid::now_v7()),
        employee_id: Set(employee_id),
        starts_on: Set(starts_on),
        ends_on: Set(ends_on),
        ..Default::default()
    })
    .exec_with_returning(&**tx)
    .await
    .map_err(map_err)
}

pub(crate) async fn insert_qualification(
    tx: &Scoped,
    tenant: Uuid,
    employee_id: Uuid,
    title: String,
    obtained_on: chrono::NaiveDate,
) -> Result<Qualification, Error> {
    qualification::Entity::insert(qualification::ActiveModel {
        tenant_id: Set(tenant),
        id: Set(Uuid::now_v7()),
        employee_id: Set(employee_id),
        title: Set(title),
        obtained_on: Set(obtained_on),
        ..Default::default()
    })
    .exec_with_returning(&**tx)
    .await
    .map_err(map_err)
}

pub(crate) async fn insert_exit(
    tx: &Scoped,
    tenant: Uuid,
    e: &NewExit,
) -> Result<EmployeeExit, Error> {
    employee_exit::Entity::insert(employee_exit::ActiveModel {
        tenant_id: Set(tenant),
        id: Set(Uuid::now_v7()),
        employee_id: Set(e.employee_id),
        exit_on: Set(e.exit_on),
        reason: Set(e.reason),
        outcome: Set(e.outcome),
        employer_sector: Set(e.employer_sector),
        employer_partner_id: Set(e.employer_partner_id),
        followed_up_on: Set(None),
        followup_outcome: Set(None),
        ..Default::default()
    })
    .exec_with_returning(&**tx)
    .await
    .map_err(map_err)
}

pub(crate) async fn set_followup(
    tx: &Scoped,
    tenant: Uuid,
    id: Uuid,
    on: chrono::NaiveDate,
    outcome: ExitOutcome,
) -> Result<EmployeeExit, Error> {
    use employee_exit::Column as C;
    let update = employee_exit::Entity::update_many()
        .col_expr(C::FollowedUpOn, Expr::value(on))
        .col_expr(C::FollowupOutcome, Expr::value(outcome.as_str()))
        .col_expr(C::UpdatedAt, Expr::current_timestamp())
        .filter(C::TenantId.eq(tenant))
        .filter(C::Id.eq(id));
    db::update_one(tx, update, map_err).await
}
