//! `workshop_daily`: workshops and attendees per site, day and theme.

use chrono::NaiveDate;
use sea_orm::entity::prelude::*;

db::entity! { "workshop_daily", key { tenant_id: Uuid, site_id: Uuid, day: NaiveDate, theme: String }
    pub workshops: i32,
    pub attendees: i32,
}
