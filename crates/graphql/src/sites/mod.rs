//! Sites: reception points, permanences, mobile units; hours, closures, labels.

pub(crate) mod loaders;
mod mutations;
mod queries;
pub(crate) mod types;

pub use mutations::SitesMutation;
pub use queries::SitesQuery;
