use sea_orm::entity::prelude::*;

db::entity! { "compliance_observations", derive(Eq), key { tenant_id: Uuid, id: Uuid }
    pub audit_id: Uuid,
    pub criterion_id: Uuid,
    pub site_id: Option<Uuid>,
    pub observed_on: Date,
    pub body: String,
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
}
