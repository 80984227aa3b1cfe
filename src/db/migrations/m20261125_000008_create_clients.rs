//! Clients and what hangs off them: tags, trainer assignments, notes, status history, consent history.
//!
//! The `*_norm` columns hold lower-cased copies for case-insensitive prefix search and sorting. On
//! PostgreSQL they use the "C" collation, so that they sort and compare by code point exactly as
//! SQLite's BINARY collation does, and so that prefix ranges use their B-tree indexes.

use sea_orm_migration::prelude::*;

use super::{org_fk, search_column, timestamps};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    OrganizationId,
    UserId,
    FirstName,
    LastName,
    FirstNorm,
    LastNorm,
    FullNorm,
    SortName,
    Email,
    EmailNormalized,
    Phone,
    PhoneDigits,
    DateOfBirth,
    Status,
    Source,
    Tags,
    Goals,
    MedicalNotes,
    EmergencyContactName,
    EmergencyContactPhone,
    CustomFields,
    ConsentEmail,
    ConsentSms,
    ErasedAt,
}

#[derive(DeriveIden)]
enum ClientTags {
    Table,
    OrganizationId,
    ClientId,
    Tag,
}

#[derive(DeriveIden)]
enum ClientTrainers {
    Table,
    OrganizationId,
    ClientId,
    TrainerId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ClientNotes {
    Table,
    Id,
    OrganizationId,
    ClientId,
    AuthorId,
    Body,
    Pinned,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ClientStatusChanges {
    Table,
    Id,
    OrganizationId,
    ClientId,
    FromStatus,
    ToStatus,
    ActorId,
    ChangedAt,
}

#[derive(DeriveIden)]
enum ClientConsents {
    Table,
    Id,
    OrganizationId,
    ClientId,
    Channel,
    Granted,
    Source,
    ActorId,
    RecordedAt,
}

fn client_fk(table: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_client"))
        .from(Alias::new(table), Alias::new("client_id"))
        .to(Clients::Table, Clients::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: &str,
    cols: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    manager.create_index(i.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let mut table = Table::create();
        table
            .table(Clients::Table)
            .col(ColumnDef::new(Clients::Id).uuid().not_null().primary_key())
            .col(ColumnDef::new(Clients::OrganizationId).uuid().not_null())
            .col(ColumnDef::new(Clients::UserId).uuid().null())
            .col(
                ColumnDef::new(Clients::FirstName)
                    .string_len(100)
                    .not_null(),
            )
            .col(ColumnDef::new(Clients::LastName).string_len(100).not_null())
            .col(search_column(backend, Clients::FirstNorm, 100).not_null())
            .col(search_column(backend, Clients::LastNorm, 100).not_null())
            .col(search_column(backend, Clients::FullNorm, 201).not_null())
            .col(search_column(backend, Clients::SortName, 201).not_null())
            .col(ColumnDef::new(Clients::Email).string_len(254).null())
            .col(search_column(backend, Clients::EmailNormalized, 254).null())
            .col(ColumnDef::new(Clients::Phone).string_len(20).null())
            .col(search_column(backend, Clients::PhoneDigits, 20).null())
            .col(ColumnDef::new(Clients::DateOfBirth).date().null())
            .col(ColumnDef::new(Clients::Status).string_len(16).not_null())
            .col(ColumnDef::new(Clients::Source).string_len(40).null())
            .col(ColumnDef::new(Clients::Tags).text().not_null())
            .col(ColumnDef::new(Clients::Goals).text().null())
            .col(ColumnDef::new(Clients::MedicalNotes).text().null())
            .col(
                ColumnDef::new(Clients::EmergencyContactName)
                    .string_len(100)
                    .null(),
            )
            .col(
                ColumnDef::new(Clients::EmergencyContactPhone)
                    .string_len(20)
                    .null(),
            )
            .col(ColumnDef::new(Clients::CustomFields).text().not_null())
            .col(ColumnDef::new(Clients::ConsentEmail).boolean().not_null())
            .col(ColumnDef::new(Clients::ConsentSms).boolean().not_null())
            .col(
                ColumnDef::new(Clients::ErasedAt)
                    .timestamp_with_time_zone()
                    .null(),
            )
            .foreign_key(&mut org_fk("clients"))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_clients_user")
                    .from(Clients::Table, Clients::UserId)
                    .to(Alias::new("users"), Alias::new("id"))
                    .on_delete(ForeignKeyAction::SetNull),
            );
        manager
            .create_table(timestamps(&mut table).to_owned())
            .await?;
        index(
            manager,
            "idx_clients_org_sort",
            "clients",
            &["organization_id", "sort_name", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_clients_org_created",
            "clients",
            &["organization_id", "created_at", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_clients_org_updated",
            "clients",
            &["organization_id", "updated_at", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_clients_org_status_sort",
            "clients",
            &["organization_id", "status", "sort_name", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_clients_org_first",
            "clients",
            &["organization_id", "first_norm"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_clients_org_last",
            "clients",
            &["organization_id", "last_norm"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_clients_org_full",
            "clients",
            &["organization_id", "full_norm"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_clients_org_phone",
            "clients",
            &["organization_id", "phone_digits"],
            false,
        )
        .await?;
        index(
            manager,
            "uq_clients_org_email",
            "clients",
            &["organization_id", "email_normalized"],
            true,
        )
        .await?;
        index(manager, "uq_clients_user", "clients", &["user_id"], true).await?;

        manager
            .create_table(
                Table::create()
                    .table(ClientTags::Table)
                    .col(ColumnDef::new(ClientTags::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(ClientTags::ClientId).uuid().not_null())
                    .col(search_column(backend, ClientTags::Tag, 40).not_null())
                    .primary_key(
                        Index::create()
                            .col(ClientTags::ClientId)
                            .col(ClientTags::Tag),
                    )
                    .foreign_key(&mut client_fk("client_tags"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_client_tags_org_tag",
            "client_tags",
            &["organization_id", "tag", "client_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ClientTrainers::Table)
                    .col(
                        ColumnDef::new(ClientTrainers::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ClientTrainers::ClientId).uuid().not_null())
                    .col(ColumnDef::new(ClientTrainers::TrainerId).uuid().not_null())
                    .col(
                        ColumnDef::new(ClientTrainers::Role)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ClientTrainers::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ClientTrainers::ClientId)
                            .col(ClientTrainers::TrainerId),
                    )
                    .foreign_key(&mut client_fk("client_trainers"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_client_trainers_trainer")
                            .from(ClientTrainers::Table, ClientTrainers::TrainerId)
                            .to(Alias::new("trainers"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_client_trainers_org_trainer",
            "client_trainers",
            &["organization_id", "trainer_id", "client_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ClientNotes::Table)
                    .col(
                        ColumnDef::new(ClientNotes::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ClientNotes::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ClientNotes::ClientId).uuid().not_null())
                    .col(ColumnDef::new(ClientNotes::AuthorId).uuid().null())
                    .col(ColumnDef::new(ClientNotes::Body).text().not_null())
                    .col(ColumnDef::new(ClientNotes::Pinned).boolean().not_null())
                    .col(
                        ColumnDef::new(ClientNotes::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut client_fk("client_notes"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_client_notes_client",
            "client_notes",
            &["client_id", "created_at", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ClientStatusChanges::Table)
                    .col(
                        ColumnDef::new(ClientStatusChanges::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ClientStatusChanges::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ClientStatusChanges::ClientId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ClientStatusChanges::FromStatus)
                            .string_len(16)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ClientStatusChanges::ToStatus)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ClientStatusChanges::ActorId).uuid().null())
                    .col(
                        ColumnDef::new(ClientStatusChanges::ChangedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut client_fk("client_status_changes"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_client_status_changes_client",
            "client_status_changes",
            &["client_id", "changed_at", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_client_status_changes_org",
            "client_status_changes",
            &["organization_id", "changed_at"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ClientConsents::Table)
                    .col(
                        ColumnDef::new(ClientConsents::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ClientConsents::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ClientConsents::ClientId).uuid().not_null())
                    .col(
                        ColumnDef::new(ClientConsents::Channel)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ClientConsents::Granted).boolean().not_null())
                    .col(
                        ColumnDef::new(ClientConsents::Source)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ClientConsents::ActorId).uuid().null())
                    .col(
                        ColumnDef::new(ClientConsents::RecordedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut client_fk("client_consents"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_client_consents_client",
            "client_consents",
            &["client_id", "recorded_at", "id"],
            false,
        )
        .await?;
        Ok(())
    }
}
