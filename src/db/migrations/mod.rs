//! Append-only schema migrations, one file per change. Never edit a migration that has shipped:
//! add a new one.

use sea_orm_migration::prelude::*;

mod m20261125_000001_create_organizations;
mod m20261125_000002_create_users;
mod m20261125_000003_create_sessions;
mod m20261125_000004_create_api_keys;
mod m20261125_000005_create_idempotency_keys;
mod m20261125_000006_create_audit_events;
mod m20261125_000007_create_trainers;
mod m20261125_000008_create_clients;
mod m20261125_000009_create_imports;
mod m20261125_000010_create_scheduling;
mod m20261125_000020_client_list_indexes;
mod m20261125_000021_client_sessions_index;
mod m20261207_000030_account_security;
mod m20261207_000031_data_keys;
mod m20261207_000032_jobs;
mod m20261207_000033_outbox;
mod m20261207_000034_password_resets;

/// Every migration, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_organizations::Migration),
            Box::new(m20261125_000002_create_users::Migration),
            Box::new(m20261125_000003_create_sessions::Migration),
            Box::new(m20261125_000004_create_api_keys::Migration),
            Box::new(m20261125_000005_create_idempotency_keys::Migration),
            Box::new(m20261125_000006_create_audit_events::Migration),
            Box::new(m20261125_000007_create_trainers::Migration),
            Box::new(m20261125_000008_create_clients::Migration),
            Box::new(m20261125_000009_create_imports::Migration),
            Box::new(m20261125_000010_create_scheduling::Migration),
            Box::new(m20261125_000020_client_list_indexes::Migration),
            Box::new(m20261125_000021_client_sessions_index::Migration),
            Box::new(m20261207_000030_account_security::Migration),
            Box::new(m20261207_000031_data_keys::Migration),
            Box::new(m20261207_000032_jobs::Migration),
            Box::new(m20261207_000033_outbox::Migration),
            Box::new(m20261207_000034_password_resets::Migration),
        ]
    }
}

/// The columns every business table carries.
pub(crate) fn timestamps(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(
            ColumnDef::new(Alias::new("created_at"))
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(Alias::new("updated_at"))
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(Alias::new("version"))
                .big_integer()
                .not_null()
                .default(1),
        )
}

/// A foreign key to `organizations(id)` that removes the rows with their organization.
pub(crate) fn org_fk(table: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_organization"))
        .from(Alias::new(table), Alias::new("organization_id"))
        .to(Alias::new("organizations"), Alias::new("id"))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// A lower-cased copy of a text used for prefix search and sorting. PostgreSQL gets the "C" collation
/// so that comparisons follow code points, as SQLite's default BINARY collation does: the same order
/// and the same prefix ranges on both, served by plain B-tree indexes.
pub(crate) fn search_column<T: IntoIden>(
    backend: sea_orm::DatabaseBackend,
    name: T,
    len: u32,
) -> ColumnDef {
    let mut col = ColumnDef::new(name);
    col.string_len(len);
    if backend == sea_orm::DatabaseBackend::Postgres {
        col.extra("COLLATE \"C\"");
    }
    col
}
