use sea_orm::entity::prelude::*;

db::entity! { "invitations", derive(Eq), key { tenant_id: Uuid, id: Uuid }
    pub email: String,
    pub role: String,
    pub status: String,
    pub invited_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
    pub expires_at: DateTimeWithTimeZone,
    pub accepted_at: Option<DateTimeWithTimeZone>,
    pub accepted_by: Option<Uuid>,
}
