//! CSV imports: each committed import, and what it did to which client, so it can be reverted.

use sea_orm_migration::prelude::*;

use super::org_fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Imports {
    Table,
    Id,
    OrganizationId,
    CreatedBy,
    CreatedAt,
    RowCount,
    CreatedCount,
    UpdatedCount,
    SkippedCount,
    RevertedAt,
}

#[derive(DeriveIden)]
enum ImportItems {
    Table,
    ImportId,
    ClientId,
    Action,
    Previous,
    VersionAfter,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Imports::Table)
                    .col(ColumnDef::new(Imports::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Imports::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(Imports::CreatedBy).uuid().null())
                    .col(
                        ColumnDef::new(Imports::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Imports::RowCount).integer().not_null())
                    .col(ColumnDef::new(Imports::CreatedCount).integer().not_null())
                    .col(ColumnDef::new(Imports::UpdatedCount).integer().not_null())
                    .col(ColumnDef::new(Imports::SkippedCount).integer().not_null())
                    .col(
                        ColumnDef::new(Imports::RevertedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(&mut org_fk("imports"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportItems::Table)
                    .col(ColumnDef::new(ImportItems::ImportId).uuid().not_null())
                    .col(ColumnDef::new(ImportItems::ClientId).uuid().not_null())
                    .col(
                        ColumnDef::new(ImportItems::Action)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ImportItems::Previous).text().null())
                    .col(
                        ColumnDef::new(ImportItems::VersionAfter)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ImportItems::ImportId)
                            .col(ImportItems::ClientId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_import_items_import")
                            .from(ImportItems::Table, ImportItems::ImportId)
                            .to(Imports::Table, Imports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }
}
