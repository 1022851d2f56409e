//! HR pathways: employees, contracts, subsidies, the training ledger, exits and
//! follow-ups; the association's calendar and figures, the network's aggregates.

pub(crate) mod loaders;
mod mutations;
mod queries;
pub(crate) mod types;

pub use mutations::PathwaysMutation;
pub use queries::PathwaysQuery;
