//! End-to-end tests: the real server on a random port, spoken to over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod abuse;
mod analytics;
mod auth;
mod benchmarks;
mod cache;
mod dashboard;
mod demo;
mod escalation;
mod fixtures;
mod hardening;
mod harness;
mod hostile_sheets;
mod http;
mod import;
mod jwks;
mod live;
mod matrix;
mod operations;
mod persisted;
mod reads;
mod schema_file;
mod sheet_memory;
mod sheets;
mod statements;
mod writes;
