use crate::model::ScoreResult;
use sea_orm::entity::prelude::*;

db::entity! { "compliance_scores", key { tenant_id: Uuid, id: Uuid }
    pub audit_id: Uuid,
    pub criterion_id: Uuid,
    pub result: ScoreResult,
    pub prefilled_result: Option<ScoreResult>,
    pub indicator_value: Option<f64>,
    pub override_reason: Option<String>,
    pub scored_by: Option<Uuid>,
    pub scored_at: DateTimeWithTimeZone,
}
