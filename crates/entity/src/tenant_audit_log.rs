use sea_orm::entity::prelude::*;

db::entity! { "tenant_audit_log", derive(Eq), key { tenant_id: Uuid, id: Uuid }
    pub actor_user_id: Option<Uuid>,
    pub actor_kind: String,
    pub action: String,
    pub subject_id: Option<Uuid>,
    pub request_id: Option<Uuid>,
    pub at: DateTimeWithTimeZone,
}
