//! Scheduling: organization booking policy, locations, trainer working hours and time off, one-to-one
//! sessions and their recurring series, group classes with bookings and waitlists, calendar feeds.

use sea_orm_migration::prelude::*;

use super::{org_fk, timestamps};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn id(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .uuid()
        .not_null()
        .primary_key()
        .to_owned()
}
fn uuid(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .uuid()
        .not_null()
        .to_owned()
}
fn uuid_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).uuid().null().to_owned()
}
fn time(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}
fn time_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}
fn text(name: &str, len: u32) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .string_len(len)
        .not_null()
        .to_owned()
}
fn text_null(name: &str, len: u32) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .string_len(len)
        .null()
        .to_owned()
}
fn int(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .integer()
        .not_null()
        .to_owned()
}
fn fk(table: &str, column: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(Alias::new(table), Alias::new(column))
        .to(Alias::new(to), Alias::new("id"))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

async fn create(
    manager: &SchemaManager<'_>,
    name: &str,
    cols: Vec<ColumnDef>,
    fks: Vec<ForeignKeyCreateStatement>,
    stamped: bool,
) -> Result<(), DbErr> {
    let mut t = Table::create();
    t.table(Alias::new(name));
    for mut c in cols {
        t.col(&mut c);
    }
    t.foreign_key(&mut org_fk(name));
    for mut f in fks {
        t.foreign_key(&mut f);
    }
    if stamped {
        timestamps(&mut t);
    }
    manager.create_table(t.to_owned()).await
}

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
        // Booking policy on the organization.
        for col in [
            ColumnDef::new(Alias::new("late_cancel_hours"))
                .integer()
                .not_null()
                .default(24)
                .to_owned(),
            ColumnDef::new(Alias::new("clients_may_cancel"))
                .boolean()
                .not_null()
                .default(true)
                .to_owned(),
            ColumnDef::new(Alias::new("booking_opens_days"))
                .integer()
                .not_null()
                .default(30)
                .to_owned(),
            ColumnDef::new(Alias::new("booking_closes_minutes"))
                .integer()
                .not_null()
                .default(0)
                .to_owned(),
        ] {
            let mut col = col;
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("organizations"))
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }

        create(
            manager,
            "locations",
            vec![
                id("id"),
                uuid("organization_id"),
                text("name", 100),
                text_null("address", 300),
                text("timezone", 64),
                ColumnDef::new(Alias::new("capacity"))
                    .integer()
                    .null()
                    .to_owned(),
            ],
            vec![],
            true,
        )
        .await?;
        index(
            manager,
            "idx_locations_org_name",
            "locations",
            &["organization_id", "name"],
        )
        .await?;

        create(
            manager,
            "trainer_hours",
            vec![
                id("id"),
                uuid("organization_id"),
                uuid("trainer_id"),
                int("weekday"),
                int("start_minute"),
                int("end_minute"),
            ],
            vec![fk("trainer_hours", "trainer_id", "trainers")],
            false,
        )
        .await?;
        index(
            manager,
            "idx_trainer_hours_trainer",
            "trainer_hours",
            &["trainer_id", "weekday"],
        )
        .await?;

        create(
            manager,
            "trainer_time_off",
            vec![
                id("id"),
                uuid("organization_id"),
                uuid("trainer_id"),
                time("starts_at"),
                time("ends_at"),
                text_null("reason", 200),
            ],
            vec![fk("trainer_time_off", "trainer_id", "trainers")],
            false,
        )
        .await?;
        index(
            manager,
            "idx_trainer_time_off_trainer",
            "trainer_time_off",
            &["trainer_id", "starts_at"],
        )
        .await?;

        create(
            manager,
            "session_series",
            vec![
                id("id"),
                uuid("organization_id"),
                uuid("trainer_id"),
                uuid("client_id"),
                uuid_null("location_id"),
                ColumnDef::new(Alias::new("first_starts_at"))
                    .timestamp_with_time_zone()
                    .not_null()
                    .to_owned(),
                int("duration_minutes"),
                text("timezone", 64),
                text("rrule", 300),
                text("kind", 16),
            ],
            vec![
                fk("session_series", "trainer_id", "trainers"),
                fk("session_series", "client_id", "clients"),
            ],
            true,
        )
        .await?;

        create(
            manager,
            "training_sessions",
            vec![
                id("id"),
                uuid("organization_id"),
                uuid("trainer_id"),
                uuid("client_id"),
                uuid_null("location_id"),
                time("starts_at"),
                time("ends_at"),
                text("kind", 16),
                text("status", 16),
                ColumnDef::new(Alias::new("notes")).text().null().to_owned(),
                uuid_null("series_id"),
                ColumnDef::new(Alias::new("late_cancel"))
                    .boolean()
                    .not_null()
                    .default(false)
                    .to_owned(),
                time_null("cancelled_at"),
                time_null("checked_in_at"),
                text_null("check_in_method", 16),
                text("check_in_code", 12),
                int("sequence"),
            ],
            vec![
                fk("training_sessions", "trainer_id", "trainers"),
                fk("training_sessions", "client_id", "clients"),
                fk("training_sessions", "series_id", "session_series"),
            ],
            true,
        )
        .await?;
        index(
            manager,
            "idx_training_sessions_trainer_time",
            "training_sessions",
            &["organization_id", "trainer_id", "starts_at"],
        )
        .await?;
        index(
            manager,
            "idx_training_sessions_client_time",
            "training_sessions",
            &["organization_id", "client_id", "starts_at"],
        )
        .await?;
        index(
            manager,
            "idx_training_sessions_location_time",
            "training_sessions",
            &["organization_id", "location_id", "starts_at"],
        )
        .await?;
        index(
            manager,
            "idx_training_sessions_org_time",
            "training_sessions",
            &["organization_id", "starts_at", "id"],
        )
        .await?;
        index(
            manager,
            "idx_training_sessions_series",
            "training_sessions",
            &["series_id", "starts_at"],
        )
        .await?;

        create(
            manager,
            "classes",
            vec![
                id("id"),
                uuid("organization_id"),
                text("name", 100),
                uuid("trainer_id"),
                uuid_null("location_id"),
                time("starts_at"),
                time("ends_at"),
                int("capacity"),
                int("waitlist_capacity"),
                text("status", 16),
                text("check_in_code", 12),
                int("sequence"),
            ],
            vec![fk("classes", "trainer_id", "trainers")],
            true,
        )
        .await?;
        index(
            manager,
            "idx_classes_trainer_time",
            "classes",
            &["organization_id", "trainer_id", "starts_at"],
        )
        .await?;
        index(
            manager,
            "idx_classes_location_time",
            "classes",
            &["organization_id", "location_id", "starts_at"],
        )
        .await?;
        index(
            manager,
            "idx_classes_org_time",
            "classes",
            &["organization_id", "starts_at", "id"],
        )
        .await?;

        create(
            manager,
            "class_bookings",
            vec![
                id("id"),
                uuid("organization_id"),
                uuid("class_id"),
                uuid("client_id"),
                text("status", 16),
                ColumnDef::new(Alias::new("position"))
                    .integer()
                    .null()
                    .to_owned(),
                time("booked_at"),
                time_null("cancelled_at"),
                ColumnDef::new(Alias::new("late_cancel"))
                    .boolean()
                    .not_null()
                    .default(false)
                    .to_owned(),
                time_null("checked_in_at"),
                text_null("check_in_method", 16),
            ],
            vec![
                fk("class_bookings", "class_id", "classes"),
                fk("class_bookings", "client_id", "clients"),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "idx_class_bookings_class",
            "class_bookings",
            &["class_id", "status", "position"],
        )
        .await?;
        index(
            manager,
            "idx_class_bookings_client",
            "class_bookings",
            &["organization_id", "client_id"],
        )
        .await?;
        // A client holds at most one live booking per class (same partial-index syntax on both engines).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_class_bookings_live ON class_bookings (class_id, client_id) WHERE status <> 'cancelled'",
            )
            .await?;

        create(
            manager,
            "calendar_feeds",
            vec![
                id("id"),
                uuid("organization_id"),
                text("owner_type", 16),
                uuid("owner_id"),
                text("secret_hash", 64),
                time("created_at"),
            ],
            vec![],
            false,
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_calendar_feeds_owner")
                    .table(Alias::new("calendar_feeds"))
                    .col(Alias::new("owner_type"))
                    .col(Alias::new("owner_id"))
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_calendar_feeds_secret")
                    .table(Alias::new("calendar_feeds"))
                    .col(Alias::new("secret_hash"))
                    .unique()
                    .to_owned(),
            )
            .await
    }
}
