//! Franchise compliance: the standards catalogue, contracts, campaigns and audits,
//! sanctions, the union's dashboard; evidence files over HTTP (`http`).

pub mod http;
pub(crate) mod loaders;
mod mutations;
mod queries;
pub(crate) mod types;

pub use mutations::ComplianceMutation;
pub use queries::ComplianceQuery;
