//! Events: a partner's webhook endpoints (the secret appears once, in the payload of
//! the mutation that made it), their deliveries and replays; each person's reminder
//! choice. No loaders: endpoints and deliveries are read by their partner's people
//! through these fields and `node`.

mod mutations;
mod queries;
pub(crate) mod types;

pub use mutations::EventsMutation;
pub use queries::EventsQuery;
