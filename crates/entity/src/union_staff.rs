use sea_orm::entity::prelude::*;

db::entity! { "union_staff", derive(Eq), key { user_id: Uuid }
    pub role: String,
    pub granted_at: DateTimeWithTimeZone,
}
