//! The training ledger (the 9 % rule): per month, the hours worked under the
//! employee's contracts (weekly hours spread over the working days, Monday to Friday,
//! minus declared absences), the hours due (9 % of them), the hours done (entries
//! that count toward the quota, in the month they ended) and the running balance.
//! An employee is behind when, since the start of the pathway, the hours done fall
//! short of the hours due by more than 20 % of those due: the straight-line path.
//! Pure functions: the service loads the rows, this counts.

use crate::model::{Absence, Contract, TrainingEntry};
use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

/// Share of worked time owed to training and the professional project.
pub const QUOTA: f64 = 0.09;
/// How far below the straight line (as a share of the hours due) flags an employee.
pub const BEHIND_TOLERANCE: f64 = 0.20;

#[derive(Clone, Debug, PartialEq)]
pub struct LedgerMonth {
    /// The first day of the month.
    pub month: NaiveDate,
    pub worked_hours: f64,
    pub due_hours: f64,
    /// Entries counting toward the 9 %.
    pub done_hours: f64,
    /// Entries recorded that do not count toward the 9 %.
    pub other_hours: f64,
    pub cumulative_due: f64,
    pub cumulative_done: f64,
    /// Cumulative done minus cumulative due (negative: hours owed).
    pub balance: f64,
    pub behind: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ledger {
    /// From the month the pathway started to the month of `until`, oldest first.
    pub months: Vec<LedgerMonth>,
}

impl Ledger {
    pub fn due(&self) -> f64 {
        self.months.last().map_or(0.0, |m| m.cumulative_due)
    }
    pub fn done(&self) -> f64 {
        self.months.last().map_or(0.0, |m| m.cumulative_done)
    }
    pub fn balance(&self) -> f64 {
        self.done() - self.due()
    }
    /// Behind the straight line as of the last month.
    pub fn behind(&self) -> bool {
        self.months.last().is_some_and(|m| m.behind)
    }
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn is_working_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Hours worked on day `d` under the contracts in force (absences not deducted).
fn contract_hours_on(contracts: &[Contract], d: NaiveDate) -> f64 {
    if !is_working_day(d) {
        return 0.0;
    }
    contracts
        .iter()
        .filter(|c| c.starts_on <= d && c.last_day().is_none_or(|e| d <= e))
        .map(|c| c.weekly_hours / 5.0)
        .sum()
}

fn absent_on(absences: &[Absence], d: NaiveDate) -> bool {
    absences.iter().any(|a| a.starts_on <= d && d <= a.ends_on)
}

fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

/// Hours the contracts provide for between two days (inclusive), absences ignored:
/// the most a training entry over those days can hold.
pub fn contract_hours_between(contracts: &[Contract], from: NaiveDate, to: NaiveDate) -> f64 {
    days(from, to)
        .map(|d| contract_hours_on(contracts, d))
        .sum()
}

/// Hours actually worked between two days (inclusive): contracts minus absences.
pub fn worked_hours_between(
    contracts: &[Contract],
    absences: &[Absence],
    from: NaiveDate,
    to: NaiveDate,
) -> f64 {
    days(from, to)
        .filter(|d| !absent_on(absences, *d))
        .map(|d| contract_hours_on(contracts, d))
        .sum()
}

/// The ledger from the pathway's first month to the month of `until` (today, or
/// the exit when earlier). Hours are rounded to the hundredth.
pub fn ledger(
    contracts: &[Contract],
    absences: &[Absence],
    entries: &[TrainingEntry],
    until: NaiveDate,
) -> Ledger {
    let Some(start) = contracts.iter().map(|c| c.starts_on).min() else {
        return Ledger::default();
    };
    let mut months = Vec::new();
    let (mut cum_due, mut cum_done) = (0.0, 0.0);
    let mut month = first_of_month(start);
    while month <= until {
        let next = month + Months::new(1);
        let last = (next - Days::new(1)).min(until);
        let worked = worked_hours_between(contracts, absences, month.max(start), last);
        let in_month = |e: &&TrainingEntry| e.ends_on >= month && e.ends_on < next;
        let done: f64 = entries
            .iter()
            .filter(in_month)
            .filter(|e| e.counts_toward_quota)
            .map(|e| e.hours)
            .sum();
        let other: f64 = entries
            .iter()
            .filter(in_month)
            .filter(|e| !e.counts_toward_quota)
            .map(|e| e.hours)
            .sum();
        let due = worked * QUOTA;
        cum_due += due;
        cum_done += done;
        months.push(LedgerMonth {
            month,
            worked_hours: round(worked),
            due_hours: round(due),
            done_hours: round(done),
            other_hours: round(other),
            cumulative_due: round(cum_due),
            cumulative_done: round(cum_done),
            balance: round(cum_done - cum_due),
            behind: cum_due > 0.0 && cum_due - cum_done > BEHIND_TOLERANCE * cum_due,
        });
        month = next;
    }
    Ledger { months }
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ContractKind, EntryKind};
    use uuid::Uuid;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    pub(crate) fn contract(start: &str, end: &str, hours: f64) -> Contract {
        Contract {
            tenant_id: Uuid::nil(),
            id: Uuid::now_v7(),
            employee_id: Uuid::nil(),
            kind: ContractKind::AdulteRelais,
            starts_on: d(start),
            planned_end_on: Some(d(end)),
            ended_on: None,
            end_reason: None,
            weekly_hours: hours,
            job_title: "Agent médiateur".into(),
            renews_id: None,
            created_at: chrono::Utc::now().fixed_offset(),
        }
    }

    fn entry(end: &str, hours: f64, counts: bool) -> TrainingEntry {
        TrainingEntry {
            tenant_id: Uuid::nil(),
            id: Uuid::now_v7(),
            employee_id: Uuid::nil(),
            kind: EntryKind::Training,
            title: Some("Titre pro".into()),
            provider: None,
            certification: None,
            starts_on: d(end),
            ends_on: d(end),
            hours,
            counts_toward_quota: counts,
            created_at: chrono::Utc::now().fixed_offset(),
        }
    }

    #[test]
    fn worked_hours_follow_weekdays_and_absences() {
        // March 2027: 23 weekdays; 35 h a week is 7 h a day.
        let c = [contract("2027-03-01", "2028-02-29", 35.0)];
        assert_eq!(
            worked_hours_between(&c, &[], d("2027-03-01"), d("2027-03-31")),
            161.0
        );
        let a = [Absence {
            tenant_id: Uuid::nil(),
            id: Uuid::nil(),
            employee_id: Uuid::nil(),
            starts_on: d("2027-03-08"),
            ends_on: d("2027-03-14"),
            created_at: chrono::Utc::now().fixed_offset(),
        }];
        // Five weekdays absent.
        assert_eq!(
            worked_hours_between(&c, &a, d("2027-03-01"), d("2027-03-31")),
            126.0
        );
        // A contract starting mid-month is prorated.
        let c = [contract("2027-03-15", "2028-03-14", 35.0)];
        let l = ledger(&c, &[], &[], d("2027-03-31"));
        assert_eq!(l.months.len(), 1);
        assert_eq!(l.months[0].worked_hours, 91.0);
        assert_eq!(l.months[0].due_hours, 8.19);
    }

    #[test]
    fn behind_by_more_than_a_fifth_of_the_hours_due_is_flagged() {
        let c = [contract("2027-03-01", "2028-02-29", 35.0)];
        // Due in March: 161 h x 9 % = 14.49 h.
        let on_track = ledger(&c, &[], &[entry("2027-03-20", 12.0, true)], d("2027-03-31"));
        assert_eq!(on_track.months[0].due_hours, 14.49);
        assert!(!on_track.behind(), "12 h of 14.49 is within 20 %");
        let behind = ledger(
            &c,
            &[],
            &[
                entry("2027-03-20", 11.0, true),
                entry("2027-03-21", 20.0, false),
            ],
            d("2027-03-31"),
        );
        assert!(behind.behind(), "11 h of 14.49 is more than 20 % short");
        assert_eq!(behind.months[0].other_hours, 20.0);
        assert_eq!(behind.balance(), -3.49);
        // Catching up later clears the flag.
        let caught_up = ledger(
            &c,
            &[],
            &[
                entry("2027-03-20", 11.0, true),
                entry("2027-04-10", 20.0, true),
            ],
            d("2027-04-30"),
        );
        assert!(caught_up.months[0].behind);
        assert!(!caught_up.behind());
        assert_eq!(caught_up.months.len(), 2);
    }

    #[test]
    fn contract_hours_bound_an_entry() {
        let c = [contract("2027-03-01", "2028-02-29", 35.0)];
        // One week: 35 h at most.
        assert_eq!(
            contract_hours_between(&c, d("2027-03-01"), d("2027-03-07")),
            35.0
        );
        // Before the contract: nothing.
        assert_eq!(
            contract_hours_between(&c, d("2027-02-01"), d("2027-02-28")),
            0.0
        );
    }
}
