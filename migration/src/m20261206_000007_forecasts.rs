//! Year-end forecasts (issue 27): how a measure's forecast is made, and the
//! forecast an officer enters with a result (kept with each version).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000007_forecasts"
    }
}

fn columns() -> [(&'static str, ColumnDef); 3] {
    // Decimals as exact text, as in the first migration.
    [
        ("measures", string_len_null("forecast_method", 32)),
        ("results", string_len_null("forecast", 64)),
        ("result_history", string_len_null("forecast", 64)),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, mut col) in columns() {
            m.alter_table(Table::alter().table(table).add_column(&mut col).take())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, col) in columns() {
            let name = col.get_column_name();
            m.alter_table(Table::alter().table(table).drop_column(Alias::new(name)).take())
                .await?;
        }
        Ok(())
    }
}
