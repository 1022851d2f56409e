use sea_orm::entity::prelude::*;

db::entity! { "memberships", derive(Eq), key { tenant_id: Uuid, id: Uuid }
    pub user_id: Uuid,
    pub role: String,
    pub status: String,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
    pub deactivated_at: Option<DateTimeWithTimeZone>,
}
