//! The vocabulary every Passerelle crate shares: who is acting (`Ctx`), typed ids,
//! roles, and the error every layer speaks. No IO here, no web, no ORM: domain
//! crates and the gateway both depend on it, so it must stay small and cheap to build.

pub mod ctx;
pub mod error;
pub mod gid;
pub mod id;
pub mod page;
pub mod role;

pub use ctx::{Actor, Ctx, RequestId, Scope, TenantScope};
pub use error::{Error, ErrorCode, Result};
pub use id::{ApiClientId, InvitationId, MembershipId, PartnerId, TenantId, UserId};
pub use page::{Page, PageRequest};
pub use role::{PartnerScope, TenantRole, UnionRole};
