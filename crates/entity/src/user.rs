use sea_orm::entity::prelude::*;

db::entity! { "users", derive(Eq), key { id: Uuid }
    pub email: String,
    pub display_name: String,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}
