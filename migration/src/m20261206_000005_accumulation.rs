//! Cumulative and rolling measures (issue 27, item 4): a measure's values
//! stand alone (PERIOD, every measure so far), run year to date or roll,
//! and a cumulative measure may profile its annual target over the year.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000005_accumulation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column a statement.
        for mut col in [
            string_len("accumulation", 32).default("PERIOD").take(),
            string_len_null("target_profile", 400),
        ] {
            m.alter_table(Table::alter().table("measures").add_column(&mut col).take())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in ["target_profile", "accumulation"] {
            m.alter_table(Table::alter().table("measures").drop_column(col).take())
                .await?;
        }
        Ok(())
    }
}
