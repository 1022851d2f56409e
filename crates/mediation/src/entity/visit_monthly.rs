//! `visit_monthly`: `visit_daily` folded by Paris calendar month (kept by a trigger on
//! it, migration 0019); what a dashboard by month reads.

use crate::model::Channel;
use chrono::NaiveDate;
use sea_orm::entity::prelude::*;

db::entity! { "visit_monthly", key { tenant_id: Uuid, site_id: Uuid, month: NaiveDate, channel: Channel }
    pub visits: i32,
    pub minutes: i64,
    pub during_closure: i32,
    pub outside_hours: i32,
}
