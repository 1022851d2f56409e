//! `visits`: one person received, phoned, visited at home or helped remotely.

use crate::model::{AgeBand, Channel, Sex, VisitStatus};
use chrono::{DateTime, FixedOffset};
use sea_orm::entity::prelude::*;

db::entity! { "visits", key { tenant_id: Uuid, id: Uuid }
    pub site_id: Uuid,
    pub mediator_id: Uuid,
    pub occurred_at: DateTime<FixedOffset>,
    pub channel: Channel,
    pub duration_minutes: i32,
    pub language: Option<String>,
    pub age_band: Option<AgeBand>,
    pub sex: Option<Sex>,
    pub neighbourhood: Option<String>,
    pub beneficiary_id: Option<Uuid>,
    pub client_key: String,
    pub status: VisitStatus,
    pub revision: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    pub voided_at: Option<DateTime<FixedOffset>>,
    pub client_fingerprint: Option<String>,
    pub during_closure: bool,
    pub outside_hours: bool,
}
