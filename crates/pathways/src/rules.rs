//! Checks of input, pure: each failure names the GraphQL field (inputs nested in
//! another are named with their path, `contract.plannedEndOn`) with a French reason.
//! The pathway's length is a warning, never a refusal.

use crate::ledger::contract_hours_between;
use crate::model::*;
use chrono::{Datelike, Months, NaiveDate};
use kernel::{Error, input};

/// A pathway lasts from eight months to three years.
pub const PATHWAY_MIN_MONTHS: u32 = 8;
pub const PATHWAY_MAX_MONTHS: u32 = 36;
/// The follow-up comes six months after the exit.
pub const FOLLOWUP_MONTHS: u32 = 6;
const MAX_WEEKLY_HOURS: f64 = 48.0;

fn at(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

pub fn check_contract(prefix: &str, c: NewContract) -> Result<NewContract, Error> {
    let job_title = input::text(&at(prefix, "jobTitle"), &c.job_title, 2, 200)?;
    if !(c.weekly_hours > 0.0 && c.weekly_hours <= MAX_WEEKLY_HOURS) {
        return Err(Error::validation(
            at(prefix, "weeklyHours"),
            "entre 0 et 48 heures par semaine",
        ));
    }
    match c.planned_end_on {
        Some(end) if end < c.starts_on => {
            return Err(Error::validation(
                at(prefix, "plannedEndOn"),
                "la fin prévue précède le début du contrat",
            ));
        }
        None if c.kind != ContractKind::Cdi => {
            return Err(Error::validation(
                at(prefix, "plannedEndOn"),
                "obligatoire, sauf pour un CDI",
            ));
        }
        _ => {}
    }
    if c.site_ids.is_empty() {
        return Err(Error::validation(
            at(prefix, "siteIds"),
            "au moins un site de travail",
        ));
    }
    Ok(NewContract { job_title, ..c })
}

pub fn check_subsidy(prefix: &str, s: NewSubsidy) -> Result<NewSubsidy, Error> {
    if s.ends_on < s.starts_on {
        return Err(Error::validation(
            at(prefix, "endsOn"),
            "la fin de l'aide précède son début",
        ));
    }
    if s.amount_cents.is_none() && s.rate_percent.is_none() {
        return Err(Error::validation(
            at(prefix, "amountCents"),
            "un montant ou un taux de prise en charge est requis",
        ));
    }
    if s.amount_cents.is_some_and(|a| a < 0) {
        return Err(Error::validation(
            at(prefix, "amountCents"),
            "un montant positif",
        ));
    }
    if s.rate_percent.is_some_and(|r| !(r > 0.0 && r <= 100.0)) {
        return Err(Error::validation(
            at(prefix, "ratePercent"),
            "un taux entre 0 et 100 %",
        ));
    }
    if s.renewal_deadline.is_some_and(|d| d > s.ends_on) {
        return Err(Error::validation(
            at(prefix, "renewalDeadline"),
            "la date limite de renouvellement suit la fin de l'aide",
        ));
    }
    let agreement_reference = input::opt_text(
        &at(prefix, "agreementReference"),
        s.agreement_reference,
        100,
    )?;
    Ok(NewSubsidy {
        agreement_reference,
        ..s
    })
}

pub fn check_hire(h: Hire, today: NaiveDate) -> Result<Hire, Error> {
    let full_name = input::text("fullName", &h.full_name, 2, 200)?;
    let youngest = today.year() - 15;
    if !(1930..=youngest).contains(&h.birth_year) {
        return Err(Error::validation(
            "birthYear",
            format!("une année entre 1930 et {youngest}"),
        ));
    }
    let contract = check_contract("contract", h.contract)?;
    let subsidy = h.subsidy.map(|s| check_subsidy("subsidy", s)).transpose()?;
    Ok(Hire {
        full_name,
        contract,
        subsidy,
        ..h
    })
}

/// The warning when the pathway (first start to last planned end) falls outside
/// eight months to three years; none for an open-ended one.
pub fn pathway_warning(contracts: &[Contract]) -> Option<Warning> {
    let start = contracts.iter().map(|c| c.starts_on).min()?;
    if contracts.iter().any(|c| c.last_day().is_none()) {
        return None;
    }
    let end = contracts.iter().filter_map(Contract::last_day).max()?;
    let short = start + Months::new(PATHWAY_MIN_MONTHS) > end + chrono::Days::new(1);
    let long = start + Months::new(PATHWAY_MAX_MONTHS) < end;
    (short || long).then(|| Warning {
        code: if short {
            "PATHWAY_TOO_SHORT"
        } else {
            "PATHWAY_TOO_LONG"
        },
        message: format!(
            "Le parcours va du {} au {} : hors du cadre de huit mois à trois ans.",
            start.format("%d/%m/%Y"),
            end.format("%d/%m/%Y")
        ),
        field: Some("plannedEndOn".to_owned()),
    })
}

pub fn check_entry(e: NewEntry, contracts: &[Contract]) -> Result<NewEntry, Error> {
    let title = input::text("title", &e.title, 2, 200)?;
    let provider = input::opt_text("provider", e.provider, 200)?;
    let certification = input::opt_text("certification", e.certification, 200)?;
    if e.ends_on < e.starts_on {
        return Err(Error::validation("endsOn", "la fin précède le début"));
    }
    if e.hours.is_nan() || e.hours <= 0.0 {
        return Err(Error::validation("hours", "un nombre d'heures positif"));
    }
    let available = contract_hours_between(contracts, e.starts_on, e.ends_on);
    if available <= 0.0 {
        return Err(Error::validation(
            "startsOn",
            "aucun contrat de la personne ne couvre ces dates",
        ));
    }
    if e.hours > available + 1e-9 {
        return Err(Error::validation(
            "hours",
            format!(
                "plus d'heures que le contrat n'en prévoit sur ces dates ({available} h au plus)"
            ),
        ));
    }
    Ok(NewEntry {
        title,
        provider,
        certification,
        ..e
    })
}

pub fn check_absence(
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    contracts: &[Contract],
) -> Result<(), Error> {
    if ends_on < starts_on {
        return Err(Error::validation("endsOn", "la fin précède le début"));
    }
    if contract_hours_between(contracts, starts_on, ends_on) <= 0.0 {
        return Err(Error::validation(
            "startsOn",
            "aucun contrat de la personne ne couvre ces dates",
        ));
    }
    Ok(())
}

pub fn check_early_end(c: &Contract, ended_on: NaiveDate, reason: &str) -> Result<String, Error> {
    let reason = input::text("reason", reason, 2, 500)?;
    if c.ended_on.is_some() {
        return Err(Error::validation(
            "contractId",
            "ce contrat a déjà pris fin",
        ));
    }
    if ended_on < c.starts_on {
        return Err(Error::validation(
            "endedOn",
            "la fin précède le début du contrat",
        ));
    }
    if c.planned_end_on.is_some_and(|p| ended_on >= p) {
        return Err(Error::validation(
            "endedOn",
            "une fin anticipée précède la fin prévue",
        ));
    }
    Ok(reason)
}

pub fn check_exit(e: &NewExit, contracts: &[Contract]) -> Result<(), Error> {
    let Some(start) = contracts.iter().map(|c| c.starts_on).min() else {
        return Err(Error::validation("employeeId", "aucun contrat enregistré"));
    };
    if e.exit_on < start {
        return Err(Error::validation(
            "exitOn",
            "la sortie précède le début du contrat",
        ));
    }
    if e.employer_partner_id.is_some()
        && !matches!(e.outcome, ExitOutcome::LastingJob | ExitOutcome::OtherJob)
    {
        return Err(Error::validation(
            "employerPartnerId",
            "un employeur seulement pour une sortie vers un emploi",
        ));
    }
    Ok(())
}

/// The first day a follow-up may be recorded: six months after the exit.
pub fn followup_from(exit_on: NaiveDate) -> NaiveDate {
    exit_on + Months::new(FOLLOWUP_MONTHS)
}

pub fn check_followup(x: &EmployeeExit, on: NaiveDate, today: NaiveDate) -> Result<(), Error> {
    let from = followup_from(x.exit_on);
    if on < from {
        return Err(Error::validation(
            "followedUpOn",
            format!(
                "le suivi a lieu six mois après la sortie, au plus tôt le {}",
                from.format("%d/%m/%Y")
            ),
        ));
    }
    if on > today {
        return Err(Error::validation("followedUpOn", "une date à venir"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn contract(start: &str, end: Option<&str>) -> Contract {
        Contract {
            tenant_id: Uuid::nil(),
            id: Uuid::now_v7(),
            employee_id: Uuid::nil(),
            kind: ContractKind::AdulteRelais,
            starts_on: d(start),
            planned_end_on: end.map(d),
            ended_on: None,
            end_reason: None,
            weekly_hours: 35.0,
            job_title: "Agent médiateur".into(),
            renews_id: None,
            created_at: chrono::Utc::now().fixed_offset(),
        }
    }

    #[test]
    fn pathway_length_warns_outside_eight_months_to_three_years() {
        assert_eq!(
            pathway_warning(&[contract("2026-01-01", Some("2026-08-31"))]),
            None
        );
        assert_eq!(
            pathway_warning(&[contract("2026-01-01", Some("2026-06-30"))]).map(|w| w.code),
            Some("PATHWAY_TOO_SHORT")
        );
        assert_eq!(
            pathway_warning(&[
                contract("2026-01-01", Some("2027-12-31")),
                contract("2028-01-01", Some("2029-06-30"))
            ])
            .map(|w| w.code),
            Some("PATHWAY_TOO_LONG")
        );
        assert_eq!(pathway_warning(&[contract("2026-01-01", None)]), None);
    }

    #[test]
    fn a_contract_ending_before_it_starts_is_refused() {
        let c = NewContract {
            kind: ContractKind::AdulteRelais,
            starts_on: d("2026-03-01"),
            planned_end_on: Some(d("2026-02-01")),
            weekly_hours: 35.0,
            job_title: "Agent médiateur".into(),
            site_ids: vec![Uuid::nil()],
        };
        match check_contract("contract", c) {
            Err(Error::Validation { field, .. }) => assert_eq!(field, "contract.plannedEndOn"),
            other => panic!("expected VALIDATION, got {other:?}"),
        }
    }

    #[test]
    fn follow_up_comes_six_months_after_the_exit() {
        assert_eq!(followup_from(d("2026-08-31")), d("2027-02-28"));
        assert_eq!(followup_from(d("2026-01-15")), d("2026-07-15"));
    }
}
