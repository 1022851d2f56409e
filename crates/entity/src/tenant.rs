use kernel::code_enum;
use sea_orm::entity::prelude::*;

code_enum!(
    /// An association's standing on the platform.
    stored TenantStatus {
        Active = "active" / "Active",
        Suspended = "suspended" / "Suspendue",
    }
);

db::entity! { "tenants", derive(Eq), key { id: Uuid }
    pub slug: String,
    pub name: String,
    pub status: TenantStatus,
    pub suspended_reason: Option<String>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}
