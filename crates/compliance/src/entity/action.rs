use crate::model::ActionStatus;
use sea_orm::entity::prelude::*;

db::entity! { "compliance_actions", derive(Eq), key { tenant_id: Uuid, id: Uuid }
    pub audit_id: Uuid,
    pub criterion_id: Uuid,
    pub title: String,
    pub owner_membership_id: Uuid,
    pub due_on: Date,
    pub status: ActionStatus,
    pub completion_note: Option<String>,
    pub overdue_since: Option<Date>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}
