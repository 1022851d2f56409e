use sea_orm::entity::prelude::*;

db::entity! { "partner_contacts", key { id: Uuid }
    pub partner_id: Uuid,
    pub full_name: String,
    pub job_title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub created_at: DateTimeWithTimeZone,
}
