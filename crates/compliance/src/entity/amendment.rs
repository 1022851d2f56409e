use sea_orm::entity::prelude::*;

db::entity! { "compliance_amendments", derive(Eq), key { tenant_id: Uuid, id: Uuid }
    pub contract_id: Uuid,
    pub signed_on: Date,
    pub summary: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
}
