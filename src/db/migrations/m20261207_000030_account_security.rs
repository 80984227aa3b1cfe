//! Account security: where and on what each session was opened (for the account's session list),
//! TOTP two-factor authentication with single-use recovery codes, and an organization setting that
//! requires it of owners and admins (whose sessions, until they set it up, may only do that).

use sea_orm_migration::prelude::*;

use super::org_fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn add(table: &str, column: ColumnDef) -> TableAlterStatement {
    Table::alter()
        .table(Alias::new(table))
        .add_column(column)
        .to_owned()
}

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for statement in [
            add("sessions", col("ip").string_len(45).null().to_owned()),
            add(
                "sessions",
                col("user_agent").string_len(200).null().to_owned(),
            ),
            add(
                "sessions",
                col("mfa_setup_only")
                    .boolean()
                    .not_null()
                    .default(false)
                    .to_owned(),
            ),
            add(
                "users",
                col("totp_secret").string_len(200).null().to_owned(),
            ),
            add(
                "users",
                col("totp_pending_secret").string_len(200).null().to_owned(),
            ),
            add(
                "users",
                col("totp_enabled_at")
                    .timestamp_with_time_zone()
                    .null()
                    .to_owned(),
            ),
            add(
                "users",
                col("totp_last_step").big_integer().null().to_owned(),
            ),
            add(
                "organizations",
                col("require_mfa")
                    .boolean()
                    .not_null()
                    .default(false)
                    .to_owned(),
            ),
        ] {
            manager.alter_table(statement).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("mfa_recovery_codes"))
                    .col(col("id").uuid().not_null().primary_key())
                    .col(col("organization_id").uuid().not_null())
                    .col(col("user_id").uuid().not_null())
                    .col(col("code_hash").string_len(64).not_null())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .col(col("used_at").timestamp_with_time_zone().null())
                    .foreign_key(&mut org_fk("mfa_recovery_codes"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mfa_recovery_codes_user")
                            .from(Alias::new("mfa_recovery_codes"), Alias::new("user_id"))
                            .to(Alias::new("users"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mfa_recovery_codes_user")
                    .table(Alias::new("mfa_recovery_codes"))
                    .col(Alias::new("user_id"))
                    .to_owned(),
            )
            .await
    }
}
