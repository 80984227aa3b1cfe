//! Background jobs ([`crate::jobs`]): one table, claimed by every instance's runner with leases.

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
                    .table(Alias::new("jobs"))
                    .col(col("id").uuid().not_null().primary_key())
                    .col(col("organization_id").uuid().null())
                    .col(col("kind").string_len(64).not_null())
                    .col(col("payload").text().not_null())
                    .col(col("status").string_len(16).not_null())
                    .col(col("attempts").integer().not_null())
                    .col(col("max_attempts").integer().not_null())
                    .col(col("run_at").timestamp_with_time_zone().not_null())
                    .col(col("lease_until").timestamp_with_time_zone().null())
                    .col(col("locked_by").string_len(64).null())
                    .col(col("last_error").text().null())
                    // Set while a recurring job is queued or running, so that it is queued once.
                    .col(col("unique_key").string_len(128).null().unique_key())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .col(col("updated_at").timestamp_with_time_zone().not_null())
                    .col(col("finished_at").timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        // What a runner claims: due queued jobs, and running ones whose lease has run out.
        for (name, cols) in [
            ("ix_jobs_due", ["status", "run_at"]),
            ("ix_jobs_org", ["organization_id", "created_at"]),
        ] {
            let mut i = Index::create();
            i.name(name).table(Alias::new("jobs"));
            for c in cols {
                i.col(Alias::new(c));
            }
            manager.create_index(i.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("jobs")).to_owned())
            .await
    }
}
