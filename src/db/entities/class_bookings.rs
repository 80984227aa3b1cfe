//! The `class_bookings` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "class_bookings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub class_id: Uuid,
    pub client_id: Uuid,
    pub status: String,
    pub position: Option<i32>,
    pub booked_at: DateTimeUtc,
    pub cancelled_at: Option<DateTimeUtc>,
    pub late_cancel: bool,
    pub checked_in_at: Option<DateTimeUtc>,
    pub check_in_method: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
