use crate::model::EntryKind;
use sea_orm::entity::prelude::*;

db::entity! { "training_entries", key { tenant_id: Uuid, id: Uuid }
    pub employee_id: Uuid,
    pub kind: EntryKind,
    /// Title, provider and certification: None once the record is anonymised.
    pub title: Option<String>,
    pub provider: Option<String>,
    pub certification: Option<String>,
    pub starts_on: Date,
    pub ends_on: Date,
    pub hours: f64,
    pub counts_toward_quota: bool,
    pub created_at: DateTimeWithTimeZone,
}
