//! `request_daily`: requests per site, Paris day, channel, theme, kind and partner
//! (nil: none).

use crate::model::{Channel, RequestKind};
use chrono::NaiveDate;
use sea_orm::entity::prelude::*;

db::entity! {
    "request_daily",
    key {
        tenant_id: Uuid,
        site_id: Uuid,
        day: NaiveDate,
        channel: Channel,
        theme: String,
        kind: RequestKind,
        partner_key: Uuid,
    }
    pub requests: i32,
    pub mediation_acts: i32,
}
