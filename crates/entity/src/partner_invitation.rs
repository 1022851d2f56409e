use sea_orm::entity::prelude::*;

db::entity! { "partner_invitations", derive(Eq), key { id: Uuid }
    pub partner_id: Uuid,
    pub email: String,
    pub invited_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
    pub accepted_at: Option<DateTimeWithTimeZone>,
}
