//! Live events a subscriber can resume (issue 25): every authority's events
//! are numbered in the order they commit, and the recent ones are kept in
//! the database, so a client that reconnects to any replica can ask for what
//! it missed since a position.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000003_live_positions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One row per authority: the position of its last event. A write
        // that raises events locks its authority's row until it commits,
        // so positions commit in the order they are given.
        m.create_table(
            Table::create()
                .table("event_positions")
                .col(big_integer("authority_id").primary_key())
                .col(big_integer("position"))
                .foreign_key(
                    ForeignKey::create()
                        .from("event_positions", "authority_id")
                        .to("authorities", "id"),
                )
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("live_events")
                .col(big_integer("authority_id"))
                .col(big_integer("position"))
                // The event as the live channel carries it (JSON).
                .col(text("event"))
                .col(timestamp_with_time_zone("at"))
                .primary_key(Index::create().col("authority_id").col("position"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("live_events_age")
                .table("live_events")
                .col("authority_id")
                .col("at")
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["live_events", "event_positions"] {
            m.drop_table(Table::drop().table(t).take()).await?;
        }
        Ok(())
    }
}
