use crate::model::Sex;
use sea_orm::entity::prelude::*;

db::entity! { "employees", key { tenant_id: Uuid, id: Uuid }
    pub user_id: Option<Uuid>,
    /// None once the record is reduced to its statistics (`anonymised_at`).
    pub full_name: Option<String>,
    pub birth_year: i16,
    pub sex: Sex,
    pub prescriber_id: Option<Uuid>,
    pub referent_id: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
    pub anonymised_at: Option<DateTimeWithTimeZone>,
}
