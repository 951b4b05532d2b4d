//! Benchmarking across councils (issue 15): national metrics, their
//! reference values, stored comparison groups; authorities gain a region
//! and an ONS code, measures a metric.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000002_benchmarks"
    }
}

fn references(table: &'static str, col: &'static str, target: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(table, col).to(target, "id").take()
}

fn index(
    name: &'static str,
    table: &'static str,
    cols: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(*c);
    }
    if unique {
        idx.unique();
    }
    idx.take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column a statement, and no foreign key to an
        // existing table: `measures.metric_id` is checked by the write path.
        for (table, col) in [
            ("authorities", string_len_null("region", 100)),
            ("authorities", string_len_null("ons_code", 16)),
            ("measures", big_integer_null("metric_id")),
        ] {
            let mut col = col;
            m.alter_table(Table::alter().table(table).add_column(&mut col).take())
                .await?;
        }
        m.create_table(
            Table::create()
                .table("metrics")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("code", 32))
                .col(string_len("title", 300))
                .col(string_len("unit", 32))
                .col(string_len("polarity", 32))
                .col(string_len("frequency", 32))
                .col(text_null("source"))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("metric_values")
                .col(big_pk_auto("id"))
                .col(big_integer("metric_id"))
                .col(big_integer("authority_id"))
                .col(string_len("period", 16))
                .col(string_len("value", 64))
                .col(string_len("set_by", 200))
                .col(timestamp_with_time_zone("set_at"))
                .foreign_key(&mut references("metric_values", "metric_id", "metrics"))
                .foreign_key(&mut references("metric_values", "authority_id", "authorities"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("comparison_groups")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("slug", 64))
                .col(string_len("name", 200))
                .col(string_len("kind", 32))
                .col(big_integer_null("owner_id"))
                .col(string_len("created_by", 200))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut references("comparison_groups", "owner_id", "authorities"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("comparison_group_members")
                .col(big_pk_auto("id"))
                .col(big_integer("group_id"))
                .col(big_integer("authority_id"))
                .foreign_key(&mut references(
                    "comparison_group_members",
                    "group_id",
                    "comparison_groups",
                ))
                .foreign_key(&mut references(
                    "comparison_group_members",
                    "authority_id",
                    "authorities",
                ))
                .take(),
        )
        .await?;
        for i in [
            // One reference value per metric, authority and period; a
            // benchmark reads a metric's values in one period.
            index(
                "metric_values_metric_id_period_authority_id_key",
                "metric_values",
                &["metric_id", "period", "authority_id"],
                true,
            ),
            index("measures_metric_id_idx", "measures", &["metric_id"], false),
            index(
                "comparison_group_members_group_id_authority_id_key",
                "comparison_group_members",
                &["group_id", "authority_id"],
                true,
            ),
            index(
                "comparison_groups_owner_id_idx",
                "comparison_groups",
                &["owner_id"],
                false,
            ),
        ] {
            m.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "comparison_group_members",
            "comparison_groups",
            "metric_values",
            "metrics",
        ] {
            m.drop_table(Table::drop().table(t).take()).await?;
        }
        for (table, col) in [
            ("measures", "metric_id"),
            ("authorities", "ons_code"),
            ("authorities", "region"),
        ] {
            m.alter_table(Table::alter().table(table).drop_column(col).take())
                .await?;
        }
        Ok(())
    }
}
