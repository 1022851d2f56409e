//! Partner API clients: machines of a partner firm that obtain tokens at
//! /oauth/token (client credentials). The union admin registers, rotates and revokes
//! them; a partner's people list their own. A secret appears once, in the payload of
//! the mutation that made it. They have no loader: nothing refers to one.

mod mutations;
mod queries;
pub(crate) mod types;

pub use mutations::ClientsMutation;
pub use queries::ClientsQuery;
