//! `survey_campaigns`: a satisfaction survey at one site over a period.

use chrono::{DateTime, FixedOffset, NaiveDate};
use sea_orm::entity::prelude::*;

db::entity! { "survey_campaigns", key { tenant_id: Uuid, id: Uuid }
    pub site_id: Uuid,
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub created_at: DateTime<FixedOffset>,
}
