use sea_orm::entity::prelude::*;

db::entity! { "compliance_replies", derive(Eq), key { tenant_id: Uuid, id: Uuid }
    pub finding_id: Uuid,
    pub body: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
}
