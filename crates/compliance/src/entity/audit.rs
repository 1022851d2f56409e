use crate::model::{AuditStatus, Grade, Selection};
use sea_orm::entity::prelude::*;

db::entity! { "compliance_audits", key { tenant_id: Uuid, id: Uuid }
    pub campaign_id: Uuid,
    pub auditor_id: Option<Uuid>,
    pub selection: Selection,
    pub status: AuditStatus,
    pub submitted_at: Option<DateTimeWithTimeZone>,
    pub submitted_by: Option<Uuid>,
    pub draft_sent_at: Option<DateTimeWithTimeZone>,
    pub replies_due_on: Option<Date>,
    pub finalised_at: Option<DateTimeWithTimeZone>,
    pub score: Option<f64>,
    pub grade: Option<Grade>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}
