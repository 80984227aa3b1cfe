//! Indexes that keep the client list, search and file fast at 100,000 clients per organization
//! (docs/PERFORMANCE.md has the measurements).
//!
//! - Name search reads `(id, sort_name)` of the matches of each prefix range straight from an index,
//!   without touching the table: `(organization_id, first_norm | last_norm | email_normalized,
//!   sort_name, id)`. The first-name and family-name ones replace the narrower indexes they extend;
//!   the unique email index stays, it enforces uniqueness.
//! - A client's assignments and tags are looked up by `(organization_id, client_id)`. The only indexes
//!   that began with `organization_id` there continued with the trainer or the tag, and SQLite, which
//!   keeps no statistics unless told to, took an equality on `organization_id` for a selective one
//!   and read every assignment of the organization to hydrate one page. The tags index includes the
//!   tag so that it covers the table: SQLite otherwise still preferred the covering
//!   `(organization_id, tag, client_id)` for reads.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: &str,
    cols: &[&str],
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    manager.create_index(i.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(
            manager,
            "idx_clients_org_first_sort",
            "clients",
            &["organization_id", "first_norm", "sort_name", "id"],
        )
        .await?;
        index(
            manager,
            "idx_clients_org_last_sort",
            "clients",
            &["organization_id", "last_norm", "sort_name", "id"],
        )
        .await?;
        index(
            manager,
            "idx_clients_org_email_sort",
            "clients",
            &["organization_id", "email_normalized", "sort_name", "id"],
        )
        .await?;
        for name in ["idx_clients_org_first", "idx_clients_org_last"] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(Alias::new("clients"))
                        .to_owned(),
                )
                .await?;
        }
        index(
            manager,
            "idx_client_trainers_org_client",
            "client_trainers",
            &["organization_id", "client_id"],
        )
        .await?;
        index(
            manager,
            "idx_client_tags_org_client",
            "client_tags",
            &["organization_id", "client_id", "tag"],
        )
        .await?;
        Ok(())
    }
}
