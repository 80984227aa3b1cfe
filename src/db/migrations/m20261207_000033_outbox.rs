//! The outbox ([`crate::mail`]): every message the product sends, written in the transaction of the
//! change that causes it, and marked when it has been handed over.

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
                    .table(Alias::new("outbox"))
                    .col(col("id").uuid().not_null().primary_key())
                    .col(col("organization_id").uuid().null())
                    .col(col("channel").string_len(16).not_null())
                    .col(col("recipient").string_len(320).not_null())
                    .col(col("subject").string_len(255).not_null())
                    // Sealed ([`crate::db::sealed`]): a message may carry a single-use link.
                    .col(col("body_text").text().not_null())
                    .col(col("body_html").text().null())
                    .col(col("status").string_len(16).not_null())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .col(col("sent_at").timestamp_with_time_zone().null())
                    .col(col("last_error").text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_status")
                    .table(Alias::new("outbox"))
                    .col(Alias::new("status"))
                    .col(Alias::new("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_org")
                    .table(Alias::new("outbox"))
                    .col(Alias::new("organization_id"))
                    .col(Alias::new("created_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("outbox")).to_owned())
            .await
    }
}
