//! Password resets ([`crate::auth::reset`]): single-use links, kept as SHA-256 hashes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("password_resets"))
                    .col(col("id").uuid().not_null().primary_key())
                    .col(col("organization_id").uuid().not_null())
                    .col(col("user_id").uuid().not_null())
                    .col(col("token_hash").string_len(64).not_null().unique_key())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .col(col("expires_at").timestamp_with_time_zone().not_null())
                    .col(col("used_at").timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_password_resets_user")
                    .table(Alias::new("password_resets"))
                    .col(Alias::new("user_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(Alias::new("password_resets"))
                    .to_owned(),
            )
            .await
    }
}
