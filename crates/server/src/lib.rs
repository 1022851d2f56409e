//! The `passerelle` binary's library half: configuration, the application builder
//! (shared by production and tests), telemetry. The datasets `seed` and `demo` load
//! are the `demo` crate's.

pub mod app;
pub mod config;
mod console_gate;
mod oauth;
pub mod principals;
pub mod ratelimit;
pub mod telemetry;

pub use app::{App, AppState, build, serve, serve_until};
pub use config::Config;
