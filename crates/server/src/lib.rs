//! The `passerelle` binary's library half: configuration, the application builder
//! (shared by production and tests), migrations with roles, the demo seed, telemetry.

pub mod app;
pub mod config;
mod oauth;
pub mod principals;
pub mod ratelimit;
pub mod seed;
pub mod seed_bench;
mod seed_journal;
mod seed_partners;
mod seed_sites;
pub mod telemetry;

pub use app::{App, AppState, build, serve, serve_until};
pub use config::Config;
