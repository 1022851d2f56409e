//! Tenancy: member associations (tenants), the people who work in them
//! (memberships, invitations), union staff, partner organisations' users, and how a
//! signed-in identity becomes a Passerelle principal.
//!
//! Every function takes `&Ctx` first and works in `db.scoped(ctx)`: row-level
//! security bounds what it can see; role rules are checked here as well, and
//! constraint names (not check-then-insert) decide conflicts.

mod audit;
mod errors;
pub mod members;
pub mod partners;
mod principal;
mod read;
pub mod tenants;
mod union_staff;
pub mod validate;

pub use principal::{
    ACT_AS_HEADER, ActAs, LoginIdentity, Principal, PrincipalMembership, TENANT_HEADER,
};

use db::Db;

/// The tenancy service. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Tenancy {
    db: Db,
}

impl Tenancy {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// Invitations are valid this long.
pub const INVITATION_TTL_DAYS: i64 = 14;

pub use members::MemberChange;
pub use tenants::{NewTenant, TenantStatus};
