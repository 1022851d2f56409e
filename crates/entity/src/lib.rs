//! sea-orm entities, one module per table. Machine-shaped, no behaviour: rules live
//! in the domain crates, policies in the migrations.
//!
//! Code columns (roles, statuses, sectors) are typed: kernel's roles and this crate's
//! `code_enum!`s, stored as their codes.

pub mod invitation;
pub mod membership;
pub mod partner_invitation;
pub mod partner_organisation;
pub mod partner_user;
pub mod tenant;
pub mod tenant_audit_log;
pub mod union_audit_log;
pub mod union_invitation;
pub mod union_staff;
pub mod user;
pub mod user_identity;

use db::shape::{TableShape, shape_of};

/// What these entities say their tables look like, for the drift check against
/// PostgreSQL's catalog.
pub fn tables() -> Vec<TableShape> {
    vec![
        shape_of::<invitation::Entity>(),
        shape_of::<membership::Entity>(),
        shape_of::<partner_invitation::Entity>(),
        shape_of::<partner_organisation::Entity>(),
        shape_of::<partner_user::Entity>(),
        shape_of::<tenant::Entity>(),
        shape_of::<tenant_audit_log::Entity>(),
        shape_of::<union_audit_log::Entity>(),
        shape_of::<union_invitation::Entity>(),
        shape_of::<union_staff::Entity>(),
        shape_of::<user::Entity>(),
        shape_of::<user_identity::Entity>(),
    ]
}
