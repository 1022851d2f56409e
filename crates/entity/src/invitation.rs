use kernel::{TenantRole, code_enum};
use sea_orm::entity::prelude::*;

code_enum!(
    /// pending -> accepted (at the invitee's first login) or revoked.
    stored InvitationStatus {
        Pending = "pending" / "En attente",
        Accepted = "accepted" / "Acceptée",
        Revoked = "revoked" / "Révoquée",
    }
);

db::entity! { "invitations", derive(Eq), key { tenant_id: Uuid, id: Uuid }
    pub email: String,
    pub role: TenantRole,
    pub status: InvitationStatus,
    pub invited_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
    pub expires_at: DateTimeWithTimeZone,
    pub accepted_at: Option<DateTimeWithTimeZone>,
    pub accepted_by: Option<Uuid>,
}
