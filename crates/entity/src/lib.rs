//! sea-orm entities, one module per table. Machine-shaped, no behaviour: rules live
//! in the domain crates, policies in the migrations.

pub mod invitation;
pub mod membership;
pub mod partner_organisation;
pub mod partner_user;
pub mod tenant;
pub mod tenant_audit_log;
pub mod union_audit_log;
pub mod union_invitation;
pub mod union_staff;
pub mod user;
pub mod user_identity;
