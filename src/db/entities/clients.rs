//! The `clients` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub user_id: Option<Uuid>,
    pub first_name: String,
    pub last_name: String,
    pub first_norm: String,
    pub last_norm: String,
    pub full_norm: String,
    pub sort_name: String,
    pub email: Option<String>,
    pub email_normalized: Option<String>,
    pub phone: Option<String>,
    pub phone_digits: Option<String>,
    pub date_of_birth: Option<Date>,
    pub status: String,
    pub source: Option<String>,
    /// JSON array of strings, in the order given.
    pub tags: String,
    pub goals: Option<String>,
    pub medical_notes: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
    /// A flat JSON object.
    pub custom_fields: String,
    pub consent_email: bool,
    pub consent_sms: bool,
    pub erased_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
