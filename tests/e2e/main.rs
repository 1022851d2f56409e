//! End-to-end tests: the real server (same builder as production) on port 0,
//! against real PostgreSQL and Redis, with tokens from a local JWKS issuer or a
//! real OIDC provider. One binary, a module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod access_log;
mod agreements;
mod auth;
mod catalog;
mod compliance;
mod compliance_events;
mod compliance_s3;
mod consent_migration;
mod console;
mod dashboard;
mod entities;
mod events;
mod faults_pg;
mod graphiql;
mod hardening;
mod isolation;
mod journal;
mod journal_integrity;
mod limits;
mod oidc;
mod ops;
mod outreach;
mod partners;
mod pathways;
mod read_unit;
mod redis_faults;
mod retention;
mod rights;
mod schema;
mod sites;
mod telemetry;
mod tenancy;
