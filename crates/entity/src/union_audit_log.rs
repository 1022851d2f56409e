use sea_orm::entity::prelude::*;

db::entity! { "union_audit_log", derive(Eq), key { id: Uuid }
    pub target_tenant_id: Option<Uuid>,
    pub actor_user_id: Option<Uuid>,
    pub actor_kind: String,
    pub action: String,
    pub subject_id: Option<Uuid>,
    pub request_id: Option<Uuid>,
    pub at: DateTimeWithTimeZone,
}
