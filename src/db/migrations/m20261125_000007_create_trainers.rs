//! Trainers: the coaches of an organization, optionally linked to a login account.

use sea_orm_migration::prelude::*;

use super::{org_fk, search_column, timestamps};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Trainers {
    Table,
    Id,
    OrganizationId,
    UserId,
    FirstName,
    LastName,
    SortName,
    Email,
    EmailNormalized,
    Phone,
    Bio,
    Specialties,
    Certifications,
    HourlyRateCents,
    Currency,
    Active,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let mut table = Table::create();
        table
            .table(Trainers::Table)
            .col(ColumnDef::new(Trainers::Id).uuid().not_null().primary_key())
            .col(ColumnDef::new(Trainers::OrganizationId).uuid().not_null())
            .col(ColumnDef::new(Trainers::UserId).uuid().null())
            .col(
                ColumnDef::new(Trainers::FirstName)
                    .string_len(100)
                    .not_null(),
            )
            .col(
                ColumnDef::new(Trainers::LastName)
                    .string_len(100)
                    .not_null(),
            )
            .col(search_column(backend, Trainers::SortName, 201).not_null())
            .col(ColumnDef::new(Trainers::Email).string_len(254).null())
            .col(search_column(backend, Trainers::EmailNormalized, 254).null())
            .col(ColumnDef::new(Trainers::Phone).string_len(20).null())
            .col(ColumnDef::new(Trainers::Bio).text().null())
            .col(ColumnDef::new(Trainers::Specialties).text().not_null())
            .col(ColumnDef::new(Trainers::Certifications).text().not_null())
            .col(
                ColumnDef::new(Trainers::HourlyRateCents)
                    .big_integer()
                    .null(),
            )
            .col(ColumnDef::new(Trainers::Currency).string_len(3).not_null())
            .col(ColumnDef::new(Trainers::Active).boolean().not_null())
            .foreign_key(&mut org_fk("trainers"))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_trainers_user")
                    .from(Trainers::Table, Trainers::UserId)
                    .to(Alias::new("users"), Alias::new("id"))
                    .on_delete(ForeignKeyAction::SetNull),
            );
        manager
            .create_table(timestamps(&mut table).to_owned())
            .await?;
        for (name, cols, unique) in [
            ("idx_trainers_org_sort", vec![Trainers::SortName], false),
            (
                "uq_trainers_org_email",
                vec![Trainers::EmailNormalized],
                true,
            ),
            ("uq_trainers_org_user", vec![Trainers::UserId], true),
        ] {
            let mut index = Index::create();
            index
                .name(name)
                .table(Trainers::Table)
                .col(Trainers::OrganizationId);
            for c in cols {
                index.col(c);
            }
            if unique {
                index.unique();
            } else {
                index.col(Trainers::Id);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }
}
