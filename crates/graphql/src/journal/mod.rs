//! The mediation journal: visits and requests, beneficiaries and consents, workshops,
//! satisfaction surveys, and the dashboard.

mod dashboard;
pub(crate) mod loaders;
mod mutations;
mod queries;
pub(crate) mod types;

pub use mutations::JournalMutation;
pub use queries::JournalQuery;
