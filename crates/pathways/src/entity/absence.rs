use sea_orm::entity::prelude::*;

db::entity! { "absences", key { tenant_id: Uuid, id: Uuid }
    pub employee_id: Uuid,
    pub starts_on: Date,
    pub ends_on: Date,
    pub created_at: DateTimeWithTimeZone,
}
