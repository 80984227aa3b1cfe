//! The audit trail: one append-only, hash-chained sequence of events per organization.
//!
//! `(organization_id, seq)` is unique, so two writers can never both append the same position of a
//! chain; the other indexes serve the filters of `GET /api/v1/audit-events`, each ending in `seq` so
//! that a filtered list is read newest first straight from the index.

use sea_orm_migration::prelude::*;

use super::org_fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AuditEvents {
    Table,
    Id,
    OrganizationId,
    Seq,
    OccurredAt,
    ActorKind,
    ActorId,
    ActorRole,
    Source,
    Action,
    EntityType,
    EntityId,
    SubjectClientId,
    ChangedFields,
    RequestId,
    Ip,
    PrevHash,
    Hash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(
                        ColumnDef::new(AuditEvents::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(AuditEvents::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditEvents::Seq).big_integer().not_null())
                    .col(
                        ColumnDef::new(AuditEvents::OccurredAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditEvents::ActorKind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditEvents::ActorId).uuid().null())
                    .col(ColumnDef::new(AuditEvents::ActorRole).string_len(16).null())
                    .col(
                        ColumnDef::new(AuditEvents::Source)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditEvents::Action)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditEvents::EntityType)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditEvents::EntityId).uuid().null())
                    .col(ColumnDef::new(AuditEvents::SubjectClientId).uuid().null())
                    .col(ColumnDef::new(AuditEvents::ChangedFields).text().not_null())
                    .col(ColumnDef::new(AuditEvents::RequestId).string_len(64).null())
                    .col(ColumnDef::new(AuditEvents::Ip).string_len(45).null())
                    .col(
                        ColumnDef::new(AuditEvents::PrevHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditEvents::Hash).string_len(64).not_null())
                    .foreign_key(&mut org_fk("audit_events"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_audit_events_org_seq")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::OrganizationId)
                    .col(AuditEvents::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        let filtered: [(&str, &[AuditEvents]); 4] = [
            (
                "idx_audit_events_org_entity",
                &[AuditEvents::EntityType, AuditEvents::EntityId],
            ),
            ("idx_audit_events_org_actor", &[AuditEvents::ActorId]),
            (
                "idx_audit_events_org_subject",
                &[AuditEvents::SubjectClientId],
            ),
            ("idx_audit_events_org_action", &[AuditEvents::Action]),
        ];
        for (name, columns) in filtered {
            let mut index = Index::create();
            index
                .name(name)
                .table(AuditEvents::Table)
                .col(AuditEvents::OrganizationId);
            for column in columns {
                index.col(*column);
            }
            manager
                .create_index(index.col(AuditEvents::Seq).to_owned())
                .await?;
        }
        Ok(())
    }
}
