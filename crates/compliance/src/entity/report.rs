use crate::model::{Grade, ReportKind};
use sea_orm::entity::prelude::*;

db::entity! { "compliance_reports", key { tenant_id: Uuid, id: Uuid }
    pub audit_id: Uuid,
    pub kind: ReportKind,
    pub summary: String,
    pub score: Option<f64>,
    pub grade: Option<Grade>,
    pub issued_by: Option<Uuid>,
    pub issued_at: DateTimeWithTimeZone,
}
