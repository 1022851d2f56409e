//! `workshops`: collective sessions (animations collectives).

use crate::model::WorkshopStatus;
use chrono::{DateTime, FixedOffset, NaiveDate};
use sea_orm::entity::prelude::*;

db::entity! { "workshops", key { tenant_id: Uuid, id: Uuid }
    pub site_id: Uuid,
    pub theme: String,
    pub title: String,
    pub held_on: NaiveDate,
    pub duration_minutes: i32,
    pub facilitator_id: Uuid,
    pub funding_partner_id: Option<Uuid>,
    pub attendees: i32,
    pub client_key: String,
    pub status: WorkshopStatus,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    pub agreement_id: Option<Uuid>,
    pub client_fingerprint: Option<String>,
}
