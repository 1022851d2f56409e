use kernel::{TenantRole, code_enum};
use sea_orm::entity::prelude::*;

code_enum!(
    /// Whether a membership counts: a deactivated one is kept for the history.
    stored MembershipStatus {
        Active = "active" / "Actif",
        Deactivated = "deactivated" / "Désactivé",
    }
);

db::entity! { "memberships", derive(Eq), key { tenant_id: Uuid, id: Uuid }
    pub user_id: Uuid,
    pub role: TenantRole,
    pub status: MembershipStatus,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
    pub deactivated_at: Option<DateTimeWithTimeZone>,
}
