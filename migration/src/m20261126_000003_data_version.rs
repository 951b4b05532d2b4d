//! The data version on SQLite: one row that every write transaction bumps,
//! so that a reader can tell in one statement whether anything changed since
//! an answer was computed (the exact response cache, issue 18). PostgreSQL
//! uses its snapshots instead (`schema::store::version`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000003_data_version"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        m.create_table(
            Table::create()
                .table("data_version")
                .col(integer("id").primary_key())
                .col(big_integer("version"))
                .take(),
        )
        .await?;
        let mut first = Query::insert();
        first
            .into_table("data_version")
            .columns(["id", "version"])
            .values([1.into(), 0.into()])
            .map_err(|e| DbErr::Migration(e.to_string()))?;
        m.exec_stmt(first).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        m.drop_table(Table::drop().table("data_version").take()).await
    }
}
