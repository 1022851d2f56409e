use crate::model::FindingOutcome;
use sea_orm::entity::prelude::*;

db::entity! { "compliance_findings", derive(Eq), key { tenant_id: Uuid, id: Uuid }
    pub audit_id: Uuid,
    pub criterion_id: Uuid,
    pub body: String,
    pub outcome: Option<FindingOutcome>,
    pub outcome_note: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
}
