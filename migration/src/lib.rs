//! Database migrations: one code path for SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_init;
mod m20261126_000001_deadlines;
mod m20261126_000002_benchmarks;
mod m20261126_000003_data_version;
mod m20261206_000001_idempotency;
mod m20261206_000002_identity;
mod m20261206_000003_live_positions;
mod m20261206_000004_rag_margins;
mod m20261206_000005_accumulation;
mod m20261206_000006_data_quality;
mod m20261206_000007_forecasts;
mod m20261206_000008_definitions;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_init::Migration),
            Box::new(m20261126_000001_deadlines::Migration),
            Box::new(m20261126_000002_benchmarks::Migration),
            Box::new(m20261126_000003_data_version::Migration),
            Box::new(m20261206_000001_idempotency::Migration),
            Box::new(m20261206_000002_identity::Migration),
            Box::new(m20261206_000003_live_positions::Migration),
            Box::new(m20261206_000004_rag_margins::Migration),
            Box::new(m20261206_000005_accumulation::Migration),
            Box::new(m20261206_000006_data_quality::Migration),
            Box::new(m20261206_000007_forecasts::Migration),
            Box::new(m20261206_000008_definitions::Migration),
        ]
    }
}
