//! Deadlines: when a plan's results for a period are due (issue 14).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000001_deadlines"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("deadlines")
                .col(big_pk_auto("id"))
                // Every tenant table carries its authority, as in the first migration.
                .col(big_integer("authority_id"))
                .col(big_integer("plan_id"))
                .col(string_len("period", 16))
                .col(date("due_on"))
                .foreign_key(
                    ForeignKey::create()
                        .from("deadlines", "authority_id")
                        .to("authorities", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("deadlines", "plan_id")
                        .to("plans", "id"),
                )
                .take(),
        )
        .await?;
        // One deadline per plan and period; setting it again replaces it.
        m.create_index(
            Index::create()
                .name("deadlines_plan_id_period_key")
                .table("deadlines")
                .col("plan_id")
                .col("period")
                .unique()
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("deadlines").take()).await
    }
}
