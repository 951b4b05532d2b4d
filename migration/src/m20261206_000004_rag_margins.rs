//! Margins a council states in units or beyond the target (issue 27): an
//! amber tolerance in units (or percentage points) and a blue margin, as a
//! percentage of the target or in units, on plans and on a measure's own
//! rule. Null keeps a rule rating as before.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000004_rag_margins"
    }
}

const COLUMNS: [&str; 3] = [
    "amber_tolerance_units",
    "blue_margin_percent",
    "blue_margin_units",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Decimals are stored as exact text, as in the first migration; SQLite
        // adds one column a statement.
        for table in ["plans", "measures"] {
            for col in COLUMNS {
                m.alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(&mut string_len_null(col, 64))
                        .take(),
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["plans", "measures"] {
            for col in COLUMNS {
                m.alter_table(Table::alter().table(table).drop_column(col).take())
                    .await?;
            }
        }
        Ok(())
    }
}
