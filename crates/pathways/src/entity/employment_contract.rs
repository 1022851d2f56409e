use crate::model::ContractKind;
use sea_orm::entity::prelude::*;

db::entity! { "employment_contracts", key { tenant_id: Uuid, id: Uuid }
    pub employee_id: Uuid,
    pub kind: ContractKind,
    pub starts_on: Date,
    /// None for an open-ended contract (CDI).
    pub planned_end_on: Option<Date>,
    /// Set when it ended before its planned end.
    pub ended_on: Option<Date>,
    pub end_reason: Option<String>,
    pub weekly_hours: f64,
    pub job_title: String,
    pub renews_id: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
}
