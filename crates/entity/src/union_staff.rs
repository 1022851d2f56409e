use kernel::UnionRole;
use sea_orm::entity::prelude::*;

db::entity! { "union_staff", derive(Eq), key { user_id: Uuid }
    pub role: UnionRole,
    pub granted_at: DateTimeWithTimeZone,
}
