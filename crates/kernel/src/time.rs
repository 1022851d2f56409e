//! The calendar the network lives by. Journal days, agreement periods and rollups are
//! days in Paris (the SQL says `at time zone 'Europe/Paris'`); Rust code that needs
//! "today" must agree with it, or a visit recorded at 00:30 falls on yesterday.
//!
//! The offset is computed with the European Union's summer-time rule (from 01:00 UTC
//! on the last Sunday of March to 01:00 UTC on the last Sunday of October, in force
//! since 1996) rather than a time-zone database, to keep this crate free of one.

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, Offset, TimeZone, Utc};

/// The months' French names, January first: how reports and the demo's survey
/// campaigns name a month.
pub const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .unwrap_or(NaiveDate::MAX);
    let last = first_of_next - Days::new(1);
    let back = last.weekday().num_days_from_sunday();
    last - Days::new(u64::from(back))
}

/// The offset of Paris from UTC at an instant: +2 h in summer time, +1 h otherwise.
pub fn paris_offset(at: DateTime<Utc>) -> FixedOffset {
    let year = at.year();
    let switch = |month| {
        last_sunday(year, month)
            .and_hms_opt(1, 0, 0)
            .map(|t| Utc.from_utc_datetime(&t))
    };
    let summer = match (switch(3), switch(10)) {
        (Some(start), Some(end)) => at >= start && at < end,
        _ => false,
    };
    let hours = if summer { 2 } else { 1 };
    // Both offsets are within a day, so east_opt cannot refuse them.
    FixedOffset::east_opt(hours * 3600).unwrap_or(Utc.fix())
}

/// The day an instant falls on in Paris.
pub fn paris_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&paris_offset(at)).date_naive()
}

/// Today in Paris: the day the journal files a visit recorded now under.
pub fn today() -> NaiveDate {
    paris_date(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn winter_and_summer_offsets_and_their_switches() {
        assert_eq!(
            last_sunday(2026, 3),
            NaiveDate::from_ymd_opt(2026, 3, 29).unwrap()
        );
        assert_eq!(
            last_sunday(2026, 10),
            NaiveDate::from_ymd_opt(2026, 10, 25).unwrap()
        );
        assert_eq!(
            last_sunday(2026, 12),
            NaiveDate::from_ymd_opt(2026, 12, 27).unwrap()
        );
        let h = |s| paris_offset(utc(s)).local_minus_utc() / 3600;
        assert_eq!(h("2026-01-15T12:00:00Z"), 1);
        assert_eq!(h("2026-03-29T00:59:59Z"), 1);
        assert_eq!(h("2026-03-29T01:00:00Z"), 2);
        assert_eq!(h("2026-10-25T00:59:59Z"), 2);
        assert_eq!(h("2026-10-25T01:00:00Z"), 1);
    }

    #[test]
    fn late_evening_utc_is_already_tomorrow_in_paris() {
        let d = |s| paris_date(utc(s)).to_string();
        assert_eq!(d("2026-12-03T23:49:41Z"), "2026-12-04");
        assert_eq!(d("2026-12-03T22:59:59Z"), "2026-12-03");
        assert_eq!(d("2026-07-14T22:00:00Z"), "2026-07-15");
        assert_eq!(d("2026-07-14T21:59:59Z"), "2026-07-14");
    }
}
