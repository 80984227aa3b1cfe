//! The trainer and its request types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppError, FieldErrors};
use crate::organizations::model::parse_currency;
use crate::validation::{
    EmailAddress, double_option, parse_long_text, parse_phone, parse_tags, parse_text,
};

/// A coach of the organization.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Trainer {
    /// Id.
    pub id: Uuid,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Contact email.
    pub email: Option<String>,
    /// Phone, digits with an optional leading +.
    pub phone: Option<String>,
    /// A short introduction.
    pub bio: Option<String>,
    /// What they specialise in.
    pub specialties: Vec<String>,
    /// Their certifications.
    pub certifications: Vec<String>,
    /// Hourly rate in minor units of `currency`.
    pub hourly_rate_cents: Option<i64>,
    /// ISO 4217 currency of the rate.
    pub currency: String,
    /// Inactive trainers stay on record but take no new clients.
    pub active: bool,
    /// The login account of this trainer, if any.
    pub user_id: Option<Uuid>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// `POST /api/v1/trainers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTrainer {
    /// 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub first_name: String,
    /// 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub last_name: String,
    /// Contact email.
    #[serde(default)]
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    /// Phone.
    #[serde(default)]
    #[schema(max_length = 30)]
    pub phone: Option<String>,
    /// Up to 2,000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub bio: Option<String>,
    /// Up to 20 entries of up to 40 characters.
    #[serde(default)]
    pub specialties: Option<Vec<String>>,
    /// Up to 20 entries of up to 40 characters.
    #[serde(default)]
    pub certifications: Option<Vec<String>>,
    /// Hourly rate in minor units, 0–10,000,000.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub hourly_rate_cents: Option<i64>,
    /// ISO 4217 code; the organization's currency when absent.
    #[serde(default)]
    pub currency: Option<String>,
    /// Default true.
    #[serde(default)]
    pub active: Option<bool>,
    /// A login account of the organization to link.
    #[serde(default)]
    pub user_id: Option<Uuid>,
}

/// `PATCH /api/v1/trainers/{id}`: every field optional; `null` clears an optional field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTrainer {
    /// 1–100 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub first_name: Option<String>,
    /// 1–100 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub last_name: Option<String>,
    /// Contact email.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Email, max_length = 254)]
    pub email: Option<Option<String>>,
    /// Phone.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 30)]
    pub phone: Option<Option<String>>,
    /// Up to 2,000 characters.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub bio: Option<Option<String>>,
    /// Replaces the list.
    #[serde(default)]
    pub specialties: Option<Vec<String>>,
    /// Replaces the list.
    #[serde(default)]
    pub certifications: Option<Vec<String>>,
    /// Hourly rate in minor units.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 10_000_000)]
    pub hourly_rate_cents: Option<Option<i64>>,
    /// ISO 4217 code.
    #[serde(default)]
    pub currency: Option<String>,
    /// Active flag.
    #[serde(default)]
    pub active: Option<bool>,
    /// Link or (with null) unlink a login account.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub user_id: Option<Option<Uuid>>,
    /// The version the change is based on (alternative to `If-Match`).
    #[serde(default)]
    pub version: Option<i64>,
}

/// Validated trainer fields; `None` leaves a field unchanged on update.
#[derive(Debug, Default, Clone)]
pub struct TrainerFields {
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Email (normalised), or a cleared one.
    pub email: Option<Option<EmailAddress>>,
    /// Phone.
    pub phone: Option<Option<String>>,
    /// Bio.
    pub bio: Option<Option<String>>,
    /// Specialties.
    pub specialties: Option<Vec<String>>,
    /// Certifications.
    pub certifications: Option<Vec<String>>,
    /// Rate.
    pub hourly_rate_cents: Option<Option<i64>>,
    /// Currency.
    pub currency: Option<String>,
    /// Active.
    pub active: Option<bool>,
    /// Linked account.
    pub user_id: Option<Option<Uuid>>,
}

fn rate(errors: &mut FieldErrors, value: Option<i64>) -> Option<i64> {
    match value {
        Some(v) if !(0..=10_000_000).contains(&v) => {
            errors.add("hourly_rate_cents", "must be between 0 and 10000000");
            None
        }
        other => other,
    }
}

fn list(errors: &mut FieldErrors, field: &str, value: Option<Vec<String>>) -> Option<Vec<String>> {
    value.and_then(|v| errors.check(field, parse_tags(&v)))
}

impl UpdateTrainer {
    /// Checks every field at once.
    pub fn validate(self) -> Result<TrainerFields, AppError> {
        let mut e = FieldErrors::new();
        let fields = TrainerFields {
            first_name: self
                .first_name
                .and_then(|v| e.check("first_name", parse_text(&v, 100))),
            last_name: self
                .last_name
                .and_then(|v| e.check("last_name", parse_text(&v, 100))),
            email: e.optional("email", self.email, EmailAddress::parse),
            phone: e.optional("phone", self.phone, parse_phone),
            bio: e.optional("bio", self.bio, |s| {
                parse_long_text(s, 2000).map(Option::unwrap_or_default)
            }),
            specialties: list(&mut e, "specialties", self.specialties),
            certifications: list(&mut e, "certifications", self.certifications),
            hourly_rate_cents: self.hourly_rate_cents.map(|r| rate(&mut e, r)),
            currency: self
                .currency
                .and_then(|c| e.check("currency", parse_currency(&c))),
            active: self.active,
            user_id: self.user_id,
        };
        e.into_result(fields)
    }
}

impl CreateTrainer {
    /// Checks every field at once; `default_currency` is the organization's.
    pub fn validate(self, default_currency: &str) -> Result<TrainerFields, AppError> {
        let update = UpdateTrainer {
            first_name: Some(self.first_name),
            last_name: Some(self.last_name),
            email: Some(self.email),
            phone: Some(self.phone),
            bio: Some(self.bio),
            specialties: Some(self.specialties.unwrap_or_default()),
            certifications: Some(self.certifications.unwrap_or_default()),
            hourly_rate_cents: Some(self.hourly_rate_cents),
            currency: Some(self.currency.unwrap_or_else(|| default_currency.to_owned())),
            active: Some(self.active.unwrap_or(true)),
            user_id: Some(self.user_id),
            version: None,
        };
        update.validate()
    }
}
