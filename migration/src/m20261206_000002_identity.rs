//! Identity providers and roles held in the service (issue 23): the
//! providers a PLATFORM_ADMIN registers, each with the authorities it may
//! vouch for and its mapping of token claims to roles; the roles ADMINs
//! grant; and the directory's version, which every change to what decides
//! a person's roles bumps, so that a replica knows when to read it again.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000002_identity"
    }
}

fn references(table: &'static str, col: &'static str, target: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(table, col).to(target, "id").take()
}

fn index(name: &'static str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(*c);
    }
    idx.take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("identity_providers")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("issuer", 2048))
                .col(string_len("audience", 255))
                .col(string_len_null("jwks_url", 2048))
                .col(string_len_null("client_id", 255))
                // A JSON array of scope names.
                .col(text("scopes"))
                // The partner body whose tenant this is, by its slug at each
                // authority it works with.
                .col(string_len_null("partner_slug", 64))
                .col(string_len_null("role_claim", 64))
                .col(timestamp_with_time_zone("registered_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("identity_provider_authorities")
                .col(big_integer("provider_id"))
                .col(big_integer("authority_id"))
                .primary_key(Index::create().col("provider_id").col("authority_id"))
                .foreign_key(&mut references(
                    "identity_provider_authorities",
                    "provider_id",
                    "identity_providers",
                ))
                .foreign_key(&mut references(
                    "identity_provider_authorities",
                    "authority_id",
                    "authorities",
                ))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("role_mappings")
                .col(big_pk_auto("id"))
                .col(big_integer("provider_id"))
                .col(string_len("claim_value", 255))
                .col(string_len("role", 32))
                .col(big_integer("authority_id"))
                .col(big_integer_null("partner_id"))
                .foreign_key(&mut references(
                    "role_mappings",
                    "provider_id",
                    "identity_providers",
                ))
                .foreign_key(&mut references("role_mappings", "authority_id", "authorities"))
                .foreign_key(&mut references("role_mappings", "partner_id", "partners"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("memberships")
                .col(big_pk_auto("id"))
                // Absent only for platform roles.
                .col(big_integer_null("authority_id"))
                .col(string_len("role", 32))
                .col(big_integer_null("partner_id"))
                // Who: an issuer and subject, or an email as a provider asserts it.
                .col(string_len_null("issuer", 2048))
                .col(string_len_null("subject", 256))
                .col(string_len_null("email", 254))
                .col(timestamp_with_time_zone("granted_at"))
                .col(string_len("granted_by", 256))
                .foreign_key(&mut references("memberships", "authority_id", "authorities"))
                .foreign_key(&mut references("memberships", "partner_id", "partners"))
                .take(),
        )
        .await?;
        m.create_index(index(
            "memberships_authority_id_idx",
            "memberships",
            &["authority_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("directory_version")
                .col(integer("id").primary_key())
                .col(big_integer("version"))
                .take(),
        )
        .await?;
        let mut first = Query::insert();
        first
            .into_table("directory_version")
            .columns(["id", "version"])
            .values([1.into(), 0.into()])
            .map_err(|e| DbErr::Migration(e.to_string()))?;
        m.exec_stmt(first).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "directory_version",
            "memberships",
            "role_mappings",
            "identity_provider_authorities",
            "identity_providers",
        ] {
            m.drop_table(Table::drop().table(t).take()).await?;
        }
        Ok(())
    }
}
