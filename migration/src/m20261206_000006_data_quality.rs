//! A result's data quality (issue 27): `PROVISIONAL`, `FINAL`, `REVISED` or
//! `ESTIMATED`, with the date the figure was true at, on results and on the
//! versions they replaced; and whether a rule rates provisional results.
//! Every stored result was taken as final.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000006_data_quality"
    }
}

fn columns() -> Vec<(&'static str, ColumnDef)> {
    let mut out = Vec::new();
    for table in ["results", "result_history"] {
        out.push((table, string_len("quality", 32).default("FINAL").take()));
        out.push((table, date_null("as_at")));
    }
    for table in ["plans", "measures"] {
        out.push((table, boolean_null("rate_provisional")));
    }
    out
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column a statement.
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
