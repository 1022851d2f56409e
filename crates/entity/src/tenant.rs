use sea_orm::entity::prelude::*;

db::entity! { "tenants", derive(Eq), key { id: Uuid }
    pub slug: String,
    pub name: String,
    pub status: String,
    pub suspended_reason: Option<String>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}
