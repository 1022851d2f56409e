//! `visit_daily`: visits per site, Paris day and channel (the dashboard's source).

use crate::model::Channel;
use chrono::NaiveDate;
use sea_orm::entity::prelude::*;

db::entity! { "visit_daily", key { tenant_id: Uuid, site_id: Uuid, day: NaiveDate, channel: Channel }
    pub visits: i32,
    pub minutes: i64,
    pub during_closure: i32,
    pub outside_hours: i32,
}
