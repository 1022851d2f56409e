use sea_orm::entity::prelude::*;

db::entity! { "partner_users", derive(Eq), key { user_id: Uuid }
    pub partner_id: Uuid,
    pub created_at: DateTimeWithTimeZone,
}
