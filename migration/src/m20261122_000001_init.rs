//! The whole domain: tenants, plans and their tree, measures, targets,
//! results with history, commentary, action plans, panels with meetings,
//! publications and the audit log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000001_init"
    }
}

/// A table owned by one authority: an id, the `authority_id` every tenant
/// table carries (so data can be partitioned by authority), and its key.
fn tenant_table(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(big_pk_auto("id"))
        .col(big_integer("authority_id"))
        .foreign_key(
            ForeignKey::create()
                .from(name, "authority_id")
                .to("authorities", "id"),
        )
        .take()
}

fn references(table: &'static str, col: &'static str, target: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(table, col).to(target, "id").take()
}

fn index(table: &'static str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(format!(
        "{}_{}_{}",
        table,
        cols.join("_"),
        if unique { "key" } else { "idx" }
    ))
    .table(table);
    for c in cols {
        idx.col(*c);
    }
    if unique {
        idx.unique();
    }
    idx.take()
}

/// Periods are stored in canonical text form, decimals likewise (exact on both engines).
fn period(col: &'static str) -> ColumnDef {
    string_len(col, 16)
}

fn number(col: &'static str) -> ColumnDef {
    string_len(col, 64)
}

fn vocab(col: &'static str) -> ColumnDef {
    string_len(col, 32)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("authorities")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("slug", 64))
                .col(string_len("name", 200))
                .col(vocab("kind"))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
        )
        .await?;

        let tables = [
            tenant_table("partners")
                .col(string_len("slug", 64))
                .col(string_len("name", 200))
                .take(),
            tenant_table("plans")
                .col(string_len("title", 200))
                .col(vocab("kind"))
                .col(vocab("rag_method"))
                .col(number("amber_tolerance_percent"))
                .col(vocab("direction_method"))
                .col(number("stable_band_percent"))
                .col(integer("trend_periods"))
                .col(period("from_year").null())
                .col(period("to_year").null())
                .col(boolean("archived").default(false))
                .take(),
            tenant_table("plan_nodes")
                .col(big_integer("plan_id"))
                .col(big_integer_null("parent_id"))
                .col(string_len("code", 32))
                .col(string_len("title", 300))
                .col(integer("position"))
                .foreign_key(&mut references("plan_nodes", "plan_id", "plans"))
                .foreign_key(&mut references("plan_nodes", "parent_id", "plan_nodes"))
                .take(),
            tenant_table("measures")
                .col(big_integer("plan_id"))
                .col(big_integer_null("node_id"))
                .col(string_len("code", 32))
                .col(string_len("title", 300))
                .col(vocab("unit"))
                .col(vocab("polarity"))
                .col(vocab("kind"))
                .col(vocab("frequency"))
                .col(big_integer_null("partner_id"))
                .col(vocab("rag_method").null())
                .col(number("amber_tolerance_percent").null())
                .col(integer("position"))
                .col(boolean("archived").default(false))
                .foreign_key(&mut references("measures", "plan_id", "plans"))
                .foreign_key(&mut references("measures", "node_id", "plan_nodes"))
                .foreign_key(&mut references("measures", "partner_id", "partners"))
                .take(),
            tenant_table("targets")
                .col(big_integer("measure_id"))
                .col(period("period"))
                .col(number("target"))
                .col(number("floor").null())
                .col(string_len("set_by", 200))
                .col(timestamp_with_time_zone("set_at"))
                .foreign_key(&mut references("targets", "measure_id", "measures"))
                .take(),
            tenant_table("results")
                .col(big_integer("measure_id"))
                .col(period("period"))
                .col(date("period_start"))
                .col(number("value"))
                .col(text_null("note"))
                .col(string_len("submitted_by", 200))
                .col(timestamp_with_time_zone("submitted_at"))
                .col(boolean("restated").default(false))
                .col(integer("version"))
                .foreign_key(&mut references("results", "measure_id", "measures"))
                .take(),
            tenant_table("result_history")
                .col(big_integer("result_id"))
                .col(big_integer("measure_id"))
                .col(period("period"))
                .col(number("value"))
                .col(text_null("note"))
                .col(string_len("submitted_by", 200))
                .col(timestamp_with_time_zone("submitted_at"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("replaced_at"))
                .foreign_key(&mut references("result_history", "result_id", "results"))
                .take(),
            tenant_table("commentary")
                .col(big_integer("measure_id"))
                .col(period("period"))
                .col(vocab("kind"))
                .col(text("body"))
                .col(integer("version"))
                .col(string_len("author", 200))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut references("commentary", "measure_id", "measures"))
                .take(),
            tenant_table("commentary_history")
                .col(big_integer("commentary_id"))
                .col(integer("version"))
                .col(text("body"))
                .col(string_len("author", 200))
                .col(timestamp_with_time_zone("edited_at"))
                .foreign_key(&mut references(
                    "commentary_history",
                    "commentary_id",
                    "commentary",
                ))
                .take(),
            tenant_table("action_plans")
                .col(big_integer("measure_id"))
                .col(string_len("title", 300))
                .col(string_len("created_by", 200))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut references("action_plans", "measure_id", "measures"))
                .take(),
            tenant_table("actions")
                .col(big_integer("action_plan_id"))
                .col(text("description"))
                .col(string_len("owner", 200))
                .col(date_null("due_on"))
                .col(vocab("status"))
                .col(text_null("note"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut references("actions", "action_plan_id", "action_plans"))
                .take(),
            tenant_table("panels")
                .col(string_len("name", 200))
                .col(vocab("kind"))
                .take(),
            tenant_table("panel_remits")
                .col(big_integer("panel_id"))
                .col(big_integer_null("node_id"))
                .col(big_integer_null("measure_id"))
                .foreign_key(&mut references("panel_remits", "panel_id", "panels"))
                .foreign_key(&mut references("panel_remits", "node_id", "plan_nodes"))
                .foreign_key(&mut references("panel_remits", "measure_id", "measures"))
                .take(),
            tenant_table("meetings")
                .col(big_integer("panel_id"))
                .col(date("held_on"))
                .col(string_len("title", 300))
                .foreign_key(&mut references("meetings", "panel_id", "panels"))
                .take(),
            tenant_table("agenda_items")
                .col(big_integer("meeting_id"))
                .col(integer("position"))
                .col(string_len("title", 300))
                .col(big_integer_null("plan_id"))
                .col(period("period").null())
                .col(text_null("minutes"))
                .col(text_null("resolutions"))
                .foreign_key(&mut references("agenda_items", "meeting_id", "meetings"))
                .foreign_key(&mut references("agenda_items", "plan_id", "plans"))
                .take(),
            tenant_table("publications")
                .col(big_integer("plan_id"))
                .col(period("period"))
                .col(string_len("published_by", 200))
                .col(timestamp_with_time_zone("published_at"))
                .foreign_key(&mut references("publications", "plan_id", "plans"))
                .take(),
        ];
        for t in tables {
            m.create_table(t).await?;
        }

        m.create_table(
            Table::create()
                .table("audit_log")
                .col(big_pk_auto("id"))
                .col(big_integer_null("authority_id"))
                .col(string_len("actor", 200))
                .col(string_len("operation", 64))
                .col(string_len("entity", 64))
                .col(big_integer_null("entity_id"))
                .col(text_null("before"))
                .col(text_null("after"))
                .col(timestamp_with_time_zone("at"))
                .foreign_key(&mut references("audit_log", "authority_id", "authorities"))
                .take(),
        )
        .await?;

        let indexes = [
            index("partners", &["authority_id", "slug"], true),
            index("plans", &["authority_id"], false),
            index("plan_nodes", &["plan_id", "code"], true),
            index("plan_nodes", &["parent_id"], false),
            index("measures", &["plan_id", "code"], true),
            index("measures", &["node_id"], false),
            index("measures", &["partner_id"], false),
            index("targets", &["measure_id", "period"], true),
            index("results", &["measure_id", "period"], true),
            index("results", &["measure_id", "period_start"], false),
            index("result_history", &["result_id"], false),
            index("commentary", &["measure_id", "period"], false),
            index("commentary_history", &["commentary_id"], false),
            index("action_plans", &["measure_id"], false),
            index("actions", &["action_plan_id"], false),
            index("panels", &["authority_id"], false),
            index("panel_remits", &["panel_id"], false),
            index("meetings", &["panel_id"], false),
            index("agenda_items", &["meeting_id"], false),
            index("publications", &["plan_id", "period"], true),
            index("audit_log", &["authority_id", "at"], false),
            index("audit_log", &["authority_id", "id"], false),
        ];
        for i in indexes {
            m.create_index(i).await?;
        }
        Ok(())
    }
}
