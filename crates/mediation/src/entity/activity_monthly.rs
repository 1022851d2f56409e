//! `activity_monthly`: each site's month, every daily rollup folded into one row (kept
//! by triggers on them, migration 0021); what a dashboard by month and by site,
//! association or region reads.

use chrono::NaiveDate;
use sea_orm::entity::prelude::*;

db::entity! { "activity_monthly", key { tenant_id: Uuid, site_id: Uuid, month: NaiveDate }
    pub visits: i32,
    pub minutes: i64,
    pub during_closure: i32,
    pub outside_hours: i32,
    pub requests: i32,
    pub mediation_acts: i32,
    pub workshops: i32,
    pub attendees: i32,
}
