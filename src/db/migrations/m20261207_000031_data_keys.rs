//! Encryption at rest ([`crate::db::sealed`]): `data_keys` lists the id of every key that has sealed
//! a value in this database, and the sealed emergency-contact columns become text on PostgreSQL (a
//! sealed value is longer than the 100 and 20 characters they held; SQLite does not hold lengths).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

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
                    .table(Alias::new("data_keys"))
                    .col(col("id").string_len(32).not_null().primary_key())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            for column in ["emergency_contact_name", "emergency_contact_phone"] {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new("clients"))
                            .modify_column(col(column).text().null())
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("data_keys")).to_owned())
            .await
    }
}
