//! `request_monthly`: `request_daily` folded by Paris calendar month (kept by a trigger
//! on it, migration 0019).

use crate::model::{Channel, RequestKind};
use chrono::NaiveDate;
use sea_orm::entity::prelude::*;

db::entity! {
    "request_monthly",
    key {
        tenant_id: Uuid,
        site_id: Uuid,
        month: NaiveDate,
        channel: Channel,
        theme: String,
        kind: RequestKind,
        partner_key: Uuid,
    }
    pub requests: i32,
    pub mediation_acts: i32,
}
