//! Associations, members, invitations, union staff and partner organisations.

pub(crate) mod loaders;
mod mutations;
mod queries;
pub(crate) mod types;

pub use mutations::TenancyMutation;
pub use queries::TenancyQuery;
