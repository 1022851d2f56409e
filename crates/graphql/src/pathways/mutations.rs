use super::types::{
    Absence, ContractKind, Employee, EmployeeExit, EmployeeSex, EmployerSector, EmploymentContract,
    ExitOutcome, ExitReason, HrOrganisation, HrOrganisationKind, HrSettings, PathwayWarning,
    Qualification, Subsidy, SubsidyFunder, SubsidyProgramme, TrainingEntry, TrainingEntryKind,
    warnings,
};
use crate::context::{ctx, services};
use crate::error::Gql;
use crate::node::{decode_id, decode_opt, id_arg};
use crate::privacy::log_reads;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;
use kernel::Error;
use uuid::Uuid;

#[derive(InputObject)]
pub struct SetHrSettingsInput {
    coordinators_manage_hr: bool,
}

#[derive(InputObject)]
pub struct CreateHrOrganisationInput {
    name: String,
    kind: HrOrganisationKind,
}

#[derive(InputObject)]
pub struct ContractInput {
    kind: ContractKind,
    starts_on: NaiveDate,
    /// Required but for a CDI.
    planned_end_on: Option<NaiveDate>,
    weekly_hours: f64,
    job_title: String,
    /// The site(s) worked at: at least one.
    site_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct SubsidyInput {
    programme: SubsidyProgramme,
    funder: SubsidyFunder,
    agreement_reference: Option<String>,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    /// An amount (euro cents) or a rate, or both.
    amount_cents: Option<i64>,
    rate_percent: Option<f64>,
    renewal_deadline: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct HireEmployeeInput {
    full_name: String,
    /// The person's membership in the association, when they have an account: they
    /// then read their own record.
    membership_id: Option<ID>,
    birth_year: i32,
    sex: EmployeeSex,
    prescriber_id: Option<ID>,
    referent_id: Option<ID>,
    contract: ContractInput,
    subsidy: Option<SubsidyInput>,
}

#[derive(InputObject)]
pub struct RenewContractInput {
    /// The contract renewed: the new one starts the day after it ends.
    contract_id: ID,
    /// Unchanged when absent.
    kind: Option<ContractKind>,
    planned_end_on: Option<NaiveDate>,
    weekly_hours: Option<f64>,
    job_title: Option<String>,
    /// The same sites when absent.
    site_ids: Option<Vec<ID>>,
    subsidy: Option<SubsidyInput>,
}

#[derive(InputObject)]
pub struct EndContractEarlyInput {
    contract_id: ID,
    ended_on: NaiveDate,
    reason: String,
}

#[derive(InputObject)]
pub struct AddSubsidyInput {
    contract_id: ID,
    subsidy: SubsidyInput,
}

#[derive(InputObject)]
pub struct RecordTrainingEntryInput {
    employee_id: ID,
    kind: TrainingEntryKind,
    title: String,
    provider: Option<String>,
    /// The certification sought (e.g. the titre professionnel médiateur social accès
    /// aux droits et services, a CQP).
    certification: Option<String>,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    hours: f64,
    #[graphql(default = true)]
    counts_toward_quota: bool,
}

#[derive(InputObject)]
pub struct RecordAbsenceInput {
    employee_id: ID,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
}

#[derive(InputObject)]
pub struct RecordQualificationInput {
    employee_id: ID,
    title: String,
    obtained_on: NaiveDate,
}

#[derive(InputObject)]
pub struct RecordEmployeeExitInput {
    employee_id: ID,
    exit_on: NaiveDate,
    reason: ExitReason,
    outcome: ExitOutcome,
    employer_sector: Option<EmployerSector>,
    /// The new employer, when it is a partner firm.
    employer_partner_id: Option<ID>,
}

#[derive(InputObject)]
pub struct RecordExitFollowUpInput {
    exit_id: ID,
    /// Six months after the exit at the earliest.
    followed_up_on: NaiveDate,
    outcome: ExitOutcome,
}

payloads! {
    HrSettingsPayload { settings: HrSettings }
    HrOrganisationPayload { organisation: HrOrganisation }
    EndContractEarlyPayload { contract: EmploymentContract }
    SubsidyPayload { subsidy: Subsidy }
    TrainingEntryPayload { entry: TrainingEntry }
    AbsencePayload { absence: Absence }
    QualificationPayload { qualification: Qualification }
    EmployeeExitPayload { exit: EmployeeExit }
}

#[derive(SimpleObject)]
pub struct HireEmployeePayload {
    employee: Employee,
    contract: EmploymentContract,
    subsidy: Option<Subsidy>,
    /// The pathway outside eight months to three years: recorded all the same.
    warnings: Vec<PathwayWarning>,
}

#[derive(SimpleObject)]
pub struct RenewContractPayload {
    contract: EmploymentContract,
    subsidy: Option<Subsidy>,
    warnings: Vec<PathwayWarning>,
}

fn site_ids(field: &str, ids: &[ID]) -> Result<Vec<Uuid>, Error> {
    ids.iter().map(|i| decode_id(field, i, "Site")).collect()
}

fn contract(field: &str, c: ContractInput) -> Result<pathways::NewContract, Error> {
    Ok(pathways::NewContract {
        kind: c.kind.into(),
        starts_on: c.starts_on,
        planned_end_on: c.planned_end_on,
        weekly_hours: c.weekly_hours,
        job_title: c.job_title,
        site_ids: site_ids(&format!("{field}.siteIds"), &c.site_ids)?,
    })
}

fn subsidy(s: SubsidyInput) -> pathways::NewSubsidy {
    pathways::NewSubsidy {
        programme: s.programme.into(),
        funder: s.funder.into(),
        agreement_reference: s.agreement_reference,
        starts_on: s.starts_on,
        ends_on: s.ends_on,
        amount_cents: s.amount_cents,
        rate_percent: s.rate_percent,
        renewal_deadline: s.renewal_deadline,
    }
}

fn employee_id(id: &ID) -> Result<Uuid> {
    id_arg("employeeId", id, "Employee")
}

fn contract_id(id: &ID) -> Result<Uuid> {
    id_arg("contractId", id, "EmploymentContract")
}

#[derive(Default)]
pub struct PathwaysMutation;

#[Object]
impl PathwaysMutation {
    /// Lets the association's coordinators manage HR records too, or not (director).
    async fn set_hr_settings(
        &self,
        c: &Context<'_>,
        input: SetHrSettingsInput,
    ) -> Result<HrSettingsPayload> {
        let s = services(c)?
            .pathways
            .set_settings(
                ctx(c)?,
                pathways::Settings {
                    coordinators_manage_hr: input.coordinators_manage_hr,
                },
            )
            .await
            .gql()?;
        Ok(HrSettingsPayload {
            settings: HrSettings {
                coordinators_manage_hr: s.coordinators_manage_hr,
            },
        })
    }

    /// Records a prescriber or referent organisation (France Travail, mission locale...).
    async fn create_hr_organisation(
        &self,
        c: &Context<'_>,
        input: CreateHrOrganisationInput,
    ) -> Result<HrOrganisationPayload> {
        let o = services(c)?
            .pathways
            .create_organisation(ctx(c)?, &input.name, input.kind.into())
            .await
            .gql()?;
        Ok(HrOrganisationPayload {
            organisation: HrOrganisation(o),
        })
    }

    /// Hires a person: their record, first contract and its subsidy. A pathway
    /// outside eight months to three years is recorded with a warning.
    async fn hire_employee(
        &self,
        c: &Context<'_>,
        input: HireEmployeeInput,
    ) -> Result<HireEmployeePayload> {
        let hire = pathways::Hire {
            full_name: input.full_name,
            membership_id: decode_opt("membershipId", input.membership_id.as_ref(), "Membership")
                .gql()?,
            birth_year: input.birth_year,
            sex: input.sex.into(),
            prescriber_id: decode_opt(
                "prescriberId",
                input.prescriber_id.as_ref(),
                "HrOrganisation",
            )
            .gql()?,
            referent_id: decode_opt("referentId", input.referent_id.as_ref(), "HrOrganisation")
                .gql()?,
            contract: contract("contract", input.contract).gql()?,
            subsidy: input.subsidy.map(subsidy),
        };
        let h = services(c)?.pathways.hire(ctx(c)?, hire).await.gql()?;
        log_reads(c, "Employee", [h.employee.id]).await?;
        log_reads(c, "EmploymentContract", [h.contract.id]).await?;
        log_reads(c, "Subsidy", h.subsidy.iter().map(|s| s.id)).await?;
        Ok(HireEmployeePayload {
            employee: Employee(h.employee),
            contract: EmploymentContract(h.contract),
            subsidy: h.subsidy.map(Subsidy),
            warnings: warnings(h.warnings),
        })
    }

    /// The next contract of the pathway, from the day after the renewed one ends.
    async fn renew_contract(
        &self,
        c: &Context<'_>,
        input: RenewContractInput,
    ) -> Result<RenewContractPayload> {
        let renewal = pathways::Renewal {
            contract_id: contract_id(&input.contract_id)?,
            kind: input.kind.map(Into::into),
            planned_end_on: input.planned_end_on,
            weekly_hours: input.weekly_hours,
            job_title: input.job_title,
            site_ids: input
                .site_ids
                .as_deref()
                .map(|ids| site_ids("siteIds", ids))
                .transpose()
                .gql()?,
            subsidy: input.subsidy.map(subsidy),
        };
        let w = services(c)?.pathways.renew(ctx(c)?, renewal).await.gql()?;
        log_reads(c, "EmploymentContract", [w.contract.id]).await?;
        log_reads(c, "Subsidy", w.subsidy.iter().map(|s| s.id)).await?;
        Ok(RenewContractPayload {
            contract: EmploymentContract(w.contract),
            subsidy: w.subsidy.map(Subsidy),
            warnings: warnings(w.warnings),
        })
    }

    /// Ends a contract before its planned end, with the reason.
    async fn end_contract_early(
        &self,
        c: &Context<'_>,
        input: EndContractEarlyInput,
    ) -> Result<EndContractEarlyPayload> {
        let k = services(c)?
            .pathways
            .end_early(
                ctx(c)?,
                contract_id(&input.contract_id)?,
                input.ended_on,
                &input.reason,
            )
            .await
            .gql()?;
        log_reads(c, "EmploymentContract", [k.id]).await?;
        Ok(EndContractEarlyPayload {
            contract: EmploymentContract(k),
        })
    }

    /// Adds a subsidy to a contract.
    async fn add_subsidy(&self, c: &Context<'_>, input: AddSubsidyInput) -> Result<SubsidyPayload> {
        let s = services(c)?
            .pathways
            .add_subsidy(
                ctx(c)?,
                contract_id(&input.contract_id)?,
                subsidy(input.subsidy),
            )
            .await
            .gql()?;
        log_reads(c, "Subsidy", [s.id]).await?;
        Ok(SubsidyPayload {
            subsidy: Subsidy(s),
        })
    }

    /// A training session or professional-project time in the ledger. Its hours may
    /// not exceed what the contract provides for over its dates.
    async fn record_training_entry(
        &self,
        c: &Context<'_>,
        input: RecordTrainingEntryInput,
    ) -> Result<TrainingEntryPayload> {
        let e = pathways::NewEntry {
            employee_id: employee_id(&input.employee_id)?,
            kind: input.kind.into(),
            title: input.title,
            provider: input.provider,
            certification: input.certification,
            starts_on: input.starts_on,
            ends_on: input.ends_on,
            hours: input.hours,
            counts_toward_quota: input.counts_toward_quota,
        };
        let e = services(c)?.pathways.record_entry(ctx(c)?, e).await.gql()?;
        log_reads(c, "TrainingEntry", [e.id]).await?;
        Ok(TrainingEntryPayload {
            entry: TrainingEntry(e),
        })
    }

    /// A declared absence (dates only): it lowers the hours worked, hence due.
    async fn record_absence(
        &self,
        c: &Context<'_>,
        input: RecordAbsenceInput,
    ) -> Result<AbsencePayload> {
        let a = services(c)?
            .pathways
            .record_absence(
                ctx(c)?,
                employee_id(&input.employee_id)?,
                input.starts_on,
                input.ends_on,
            )
            .await
            .gql()?;
        log_reads(c, "Absence", [a.id]).await?;
        Ok(AbsencePayload {
            absence: Absence {
                id: crate::node::encode_id("Absence", a.id),
                starts_on: a.starts_on,
                ends_on: a.ends_on,
            },
        })
    }

    /// A qualification obtained (title, date).
    async fn record_qualification(
        &self,
        c: &Context<'_>,
        input: RecordQualificationInput,
    ) -> Result<QualificationPayload> {
        let q = services(c)?
            .pathways
            .record_qualification(
                ctx(c)?,
                employee_id(&input.employee_id)?,
                &input.title,
                input.obtained_on,
            )
            .await
            .gql()?;
        log_reads(c, "Qualification", [q.id]).await?;
        Ok(QualificationPayload {
            qualification: Qualification {
                id: crate::node::encode_id("Qualification", q.id),
                title: q.title,
                obtained_on: q.obtained_on,
            },
        })
    }

    /// An employee's exit and where they went; contracts still running end with it.
    async fn record_employee_exit(
        &self,
        c: &Context<'_>,
        input: RecordEmployeeExitInput,
    ) -> Result<EmployeeExitPayload> {
        let x = pathways::NewExit {
            employee_id: employee_id(&input.employee_id)?,
            exit_on: input.exit_on,
            reason: input.reason.into(),
            outcome: input.outcome.into(),
            employer_sector: input.employer_sector.map(Into::into),
            employer_partner_id: decode_opt(
                "employerPartnerId",
                input.employer_partner_id.as_ref(),
                "PartnerOrganisation",
            )
            .gql()?,
        };
        let x = services(c)?.pathways.record_exit(ctx(c)?, x).await.gql()?;
        log_reads(c, "EmployeeExit", [x.id]).await?;
        Ok(EmployeeExitPayload {
            exit: EmployeeExit(x),
        })
    }

    /// The situation six months after the exit (not before).
    async fn record_exit_follow_up(
        &self,
        c: &Context<'_>,
        input: RecordExitFollowUpInput,
    ) -> Result<EmployeeExitPayload> {
        let x = services(c)?
            .pathways
            .record_followup(
                ctx(c)?,
                id_arg("exitId", &input.exit_id, "EmployeeExit")?,
                input.followed_up_on,
                input.outcome.into(),
            )
            .await
            .gql()?;
        log_reads(c, "EmployeeExit", [x.id]).await?;
        Ok(EmployeeExitPayload {
            exit: EmployeeExit(x),
        })
    }
}
