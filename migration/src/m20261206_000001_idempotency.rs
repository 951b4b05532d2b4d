//! Idempotency keys (issue 22): the first answer to a request sent with an
//! `Idempotency-Key`, kept in the database so that a retry on any replica,
//! or after a restart, answers it again instead of applying it twice
//! (`schema::store::idempotency`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000001_idempotency"
    }
}

const TABLE: &str = "idempotency_keys";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(TABLE)
                // Keys are per subject: anonymous callers are the empty one.
                .col(text("subject"))
                .col(text("key"))
                // SHA-256 of what the request means, to tell a retry from
                // another request under the same key.
                .col(text("fingerprint"))
                // Which run holds the key: a run that takes over from one
                // that died counts one more, so the dead one can no longer
                // mark it applied or answer it.
                .col(integer("attempt"))
                // Milliseconds since the Unix epoch, the same on both
                // engines: when the current run claimed the key.
                .col(big_integer("claimed_at"))
                // Set by the request's own write transaction, as it commits.
                .col(boolean("applied").default(false))
                // The answer kept, once there is one.
                .col(integer_null("status"))
                .col(text_null("content_type"))
                .col(text_null("body"))
                .primary_key(Index::create().col("subject").col("key"))
                .take(),
        )
        .await?;
        // Expired keys are purged by age.
        m.create_index(
            Index::create()
                .name("idempotency_keys_claimed_at_idx")
                .table(TABLE)
                .col("claimed_at")
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(TABLE).take()).await
    }
}
