//! Partner agreements (conventions): terms, amendments, workflow, funding and
//! payments, partner contacts; coding journal entries to agreements; the coded
//! activity and the agreement report. Roles are enforced by the partners and
//! mediation services (and row-level security underneath), never here.

pub(crate) mod loaders;
mod mutations;
mod queries;
mod report;
pub(crate) mod types;

pub use mutations::PartnersMutation;
pub use queries::PartnersQuery;
