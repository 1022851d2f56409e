//! Outbound mediation (médiation sortante): campaigns an association opens under an
//! agreement, cases the partner hands over, attempts and outcomes, the campaign
//! dashboard. Contact data reaches only the association's staff who work cases;
//! the partner reads statuses and outcomes of its own cases.

pub(crate) mod loaders;
mod mutations;
mod queries;
pub(crate) mod types;

pub use mutations::OutreachMutation;
pub use queries::OutreachQuery;
