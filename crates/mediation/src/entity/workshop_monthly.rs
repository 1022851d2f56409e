//! `workshop_monthly`: `workshop_daily` folded by Paris calendar month (kept by a
//! trigger on it, migration 0019).

use chrono::NaiveDate;
use sea_orm::entity::prelude::*;

db::entity! { "workshop_monthly", key { tenant_id: Uuid, site_id: Uuid, month: NaiveDate, theme: String }
    pub workshops: i32,
    pub attendees: i32,
}
