//! Organizations: one business each (a trainer, a studio, a gym chain).

use sea_orm_migration::prelude::*;

use super::timestamps;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Name,
    Slug,
    Timezone,
    Currency,
    Locale,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table(Organizations::Table)
            .col(
                ColumnDef::new(Organizations::Id)
                    .uuid()
                    .not_null()
                    .primary_key(),
            )
            .col(
                ColumnDef::new(Organizations::Name)
                    .string_len(200)
                    .not_null(),
            )
            .col(
                ColumnDef::new(Organizations::Slug)
                    .string_len(100)
                    .not_null()
                    .unique_key(),
            )
            .col(
                ColumnDef::new(Organizations::Timezone)
                    .string_len(64)
                    .not_null(),
            )
            .col(
                ColumnDef::new(Organizations::Currency)
                    .string_len(3)
                    .not_null(),
            )
            .col(
                ColumnDef::new(Organizations::Locale)
                    .string_len(35)
                    .not_null(),
            );
        manager
            .create_table(timestamps(&mut table).to_owned())
            .await
    }
}
