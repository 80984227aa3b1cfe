//! Users: staff and portal accounts. Emails are unique across the deployment (a login identity).

use sea_orm_migration::prelude::*;

use super::{org_fk, timestamps};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    OrganizationId,
    Name,
    NameNormalized,
    Email,
    EmailNormalized,
    PasswordHash,
    Role,
    Active,
    LastLoginAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table(Users::Table)
            .col(ColumnDef::new(Users::Id).uuid().not_null().primary_key())
            .col(ColumnDef::new(Users::OrganizationId).uuid().not_null())
            .col(ColumnDef::new(Users::Name).string_len(100).not_null())
            .col(
                ColumnDef::new(Users::NameNormalized)
                    .string_len(100)
                    .not_null(),
            )
            .col(ColumnDef::new(Users::Email).string_len(254).not_null())
            .col(
                ColumnDef::new(Users::EmailNormalized)
                    .string_len(254)
                    .not_null()
                    .unique_key(),
            )
            .col(
                ColumnDef::new(Users::PasswordHash)
                    .string_len(255)
                    .not_null(),
            )
            .col(ColumnDef::new(Users::Role).string_len(16).not_null())
            .col(ColumnDef::new(Users::Active).boolean().not_null())
            .col(
                ColumnDef::new(Users::LastLoginAt)
                    .timestamp_with_time_zone()
                    .null(),
            )
            .foreign_key(&mut org_fk("users"));
        manager
            .create_table(timestamps(&mut table).to_owned())
            .await?;
        for (name, column) in [
            ("idx_users_org_created", Users::CreatedAt),
            ("idx_users_org_name", Users::NameNormalized),
            ("idx_users_org_email", Users::EmailNormalized),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Users::Table)
                        .col(Users::OrganizationId)
                        .col(column)
                        .col(Users::Id)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
