use kernel::UnionRole;
use sea_orm::entity::prelude::*;

db::entity! { "union_invitations", derive(Eq), key { id: Uuid }
    pub email: String,
    pub role: UnionRole,
    pub created_at: DateTimeWithTimeZone,
    pub accepted_at: Option<DateTimeWithTimeZone>,
}
