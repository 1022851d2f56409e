//! Test support shared by every crate's integration tests: one migrated database per
//! test run (real PostgreSQL, reached as the real application role), fresh tenants
//! per test, a local OIDC issuer with its own keys, and a small GraphQL client.
//! Nothing here is mocked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod fixtures;
pub mod gql;
pub mod issuer;
pub mod testdb;

pub use fixtures::{TestTenant, TestUser};
pub use gql::Gql;
pub use issuer::Issuer;
pub use testdb::{TestDb, test_db};

/// The audience tests configure the server with.
pub const AUDIENCE: &str = "passerelle-test";

/// A short random lowercase suffix for unique slugs and emails.
pub fn suffix() -> String {
    uuid::Uuid::now_v7().simple().to_string()[20..].to_owned()
}
