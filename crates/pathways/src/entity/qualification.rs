use sea_orm::entity::prelude::*;

db::entity! { "qualifications", key { tenant_id: Uuid, id: Uuid }
    pub employee_id: Uuid,
    pub title: String,
    pub obtained_on: Date,
    pub created_at: DateTimeWithTimeZone,
}
