use crate::agreements::{AgreementStatus, ReportingFrequency};
use sea_orm::entity::prelude::*;

db::entity! { "agreements", key { id: Uuid }
    pub partner_id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub reference: String,
    pub title: String,
    pub starts_on: Date,
    pub ends_on: Date,
    pub status: AgreementStatus,
    /// `Service` codes.
    pub services: Vec<String>,
    pub themes: Vec<String>,
    pub workshop_themes: Vec<String>,
    pub funding_cents: i64,
    pub reporting_frequency: ReportingFrequency,
    pub revision: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}
