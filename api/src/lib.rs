//! The councilperf server and CLI: configuration, the actix-web server, the
//! GraphQL-over-HTTP handler, health and metrics, demo data and import.

pub mod auth;
pub mod cache;
pub mod config;
pub mod db;
pub mod document;
pub mod export;
pub mod feeds;
pub mod graphql;
pub mod import;
pub mod live;
pub mod metrics;
pub mod pages;
pub mod persisted;
pub mod server;
pub mod sheets;
pub mod state;
pub mod ws;

pub use config::Config;
pub use server::{Application, Shutdown};

/// Logs as text, or JSON when `LOG_FORMAT=json`; level from `RUST_LOG`.
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if std::env::var("LOG_FORMAT").is_ok_and(|v| v == "json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
