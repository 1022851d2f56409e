use sea_orm::entity::prelude::*;

db::entity! { "user_identities", derive(Eq), key { id: Uuid }
    pub user_id: Uuid,
    pub issuer: String,
    pub subject: String,
    pub created_at: DateTimeWithTimeZone,
    pub last_login_at: DateTimeWithTimeZone,
}
