//! Retention: five years after an exit, an employee's record is reduced to the
//! anonymous fields the network's statistics need (birth year, sex, contracts' kinds,
//! dates and hours, hours of training, the exit's outcome and follow-up). The name
//! and the link to the person's account go, and so do the free texts that could name
//! or describe them: training titles, providers and certifications, subsidy
//! agreement references. Run hourly by `serve` and by `passerelle purge`.

use crate::Pathways;
use crate::repo::map_err;
use chrono::{Datelike, NaiveDate};
use kernel::{Ctx, Error};
use sea_orm::ConnectionTrait;

/// Years an employee's record is kept in full after their exit.
pub const RETENTION_YEARS: i32 = 5;

/// What one run reduced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Anonymised {
    pub employees: u64,
    pub training_entries: u64,
    pub subsidies: u64,
}

/// The last exit day whose records are due on `today`: five years before it.
pub fn exits_due_by(today: NaiveDate) -> NaiveDate {
    let year = today.year() - RETENTION_YEARS;
    // 29 February five years on is the 28th.
    today
        .with_year(year)
        .or_else(|| NaiveDate::from_ymd_opt(year, today.month(), 28))
        .unwrap_or(today)
}

impl Pathways {
    /// Reduces every record whose exit is five years old or more, across associations,
    /// in one transaction. Idempotent: an anonymised record is left alone.
    pub async fn anonymise_expired(&self) -> Result<Anonymised, Error> {
        self.anonymise_exits_until(exits_due_by(kernel::time::today()))
            .await
    }

    /// `anonymise_expired` for exits on or before `due`.
    pub async fn anonymise_exits_until(&self, due: NaiveDate) -> Result<Anonymised, Error> {
        let ctx = Ctx::system("HR records retention");
        let tx = self.db.scoped(&ctx).await?;
        let due_rows = "select e.tenant_id, e.id from employees e join employee_exits x \
               on x.tenant_id = e.tenant_id and x.employee_id = e.id \
             where e.anonymised_at is null and x.exit_on <= $1";
        let training_entries = tx
            .execute_raw(db::stmt(
                &format!(
                    "update training_entries t set title = null, provider = null, certification = null \
                     from ({due_rows}) d where t.tenant_id = d.tenant_id and t.employee_id = d.id"
                ),
                vec![due.into()],
            ))
            .await
            .map_err(map_err)?
            .rows_affected();
        let subsidies = tx
            .execute_raw(db::stmt(
                &format!(
                    "update subsidies s set agreement_reference = null \
                     from ({due_rows}) d, employment_contracts c \
                     where c.tenant_id = d.tenant_id and c.employee_id = d.id \
                       and s.tenant_id = c.tenant_id and s.contract_id = c.id \
                       and s.agreement_reference is not null"
                ),
                vec![due.into()],
            ))
            .await
            .map_err(map_err)?
            .rows_affected();
        let employees = tx
            .execute_raw(db::stmt(
                &format!(
                    "update employees e set full_name = null, user_id = null, anonymised_at = now(), updated_at = now() \
                     from ({due_rows}) d where e.tenant_id = d.tenant_id and e.id = d.id"
                ),
                vec![due.into()],
            ))
            .await
            .map_err(map_err)?
            .rows_affected();
        tx.commit().await?;
        // Counts only: nothing that names anyone.
        tracing::info!(
            employees,
            training_entries,
            subsidies,
            "HR records retention"
        );
        Ok(Anonymised {
            employees,
            training_entries,
            subsidies,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_years_back_even_from_a_leap_day() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(exits_due_by(d("2026-12-04")), d("2021-12-04"));
        assert_eq!(exits_due_by(d("2028-02-29")), d("2023-02-28"));
    }
}
