use sea_orm::entity::prelude::*;

db::entity! { "compliance_answers", derive(Eq), key { tenant_id: Uuid, id: Uuid }
    pub audit_id: Uuid,
    pub criterion_id: Uuid,
    pub declaration: Option<String>,
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTimeWithTimeZone,
}
