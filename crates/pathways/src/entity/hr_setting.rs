use sea_orm::entity::prelude::*;

db::entity! { "hr_settings", key { tenant_id: Uuid }
    pub coordinators_manage_hr: bool,
    pub updated_at: DateTimeWithTimeZone,
}
