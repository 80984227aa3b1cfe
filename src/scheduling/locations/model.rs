//! Locations as the domain sees them: a room or branch with its time zone, the request type of the
//! API (and the pages), and its validation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppResult, FieldErrors};
use crate::organizations::model::parse_timezone;
use crate::validation::{double_option, parse_long_text, parse_text};

/// A room or branch.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Location {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Address.
    pub address: Option<String>,
    /// IANA time zone of the place.
    pub timezone: String,
    /// How many people fit.
    pub capacity: Option<i32>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// `POST /api/v1/locations` and `PATCH /api/v1/locations/{id}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    /// 1–100 characters (required on create).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Up to 300 characters.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 300)]
    pub address: Option<Option<String>>,
    /// IANA time zone; the organization's when absent on create.
    #[serde(default)]
    pub timezone: Option<String>,
    /// 1–10,000.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 10000)]
    pub capacity: Option<Option<i32>>,
    /// The version a change is based on.
    #[serde(default)]
    pub version: Option<i64>,
}

/// Validated changes: `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct LocationChanges {
    /// New name.
    pub name: Option<String>,
    /// New address, or cleared.
    pub address: Option<Option<String>>,
    /// New time zone.
    pub timezone: Option<String>,
    /// New capacity, or cleared.
    pub capacity: Option<Option<i32>>,
}

/// A validated new location.
#[derive(Debug, Clone)]
pub struct NewLocation {
    /// Name.
    pub name: String,
    /// Address.
    pub address: Option<String>,
    /// IANA time zone.
    pub timezone: String,
    /// Capacity.
    pub capacity: Option<i32>,
}

impl LocationInput {
    /// Checks every given field at once.
    pub fn validate(self) -> AppResult<LocationChanges> {
        let mut e = FieldErrors::new();
        let name = self.name.and_then(|v| e.check("name", parse_text(&v, 100)));
        let address = match self.address {
            Some(Some(a)) => e.check("address", parse_long_text(&a, 300)),
            other => other,
        };
        let timezone = self
            .timezone
            .and_then(|v| e.check("timezone", parse_timezone(&v)));
        if let Some(Some(c)) = self.capacity
            && !(1..=10_000).contains(&c)
        {
            e.add("capacity", "must be between 1 and 10000");
        }
        e.into_result(LocationChanges {
            name,
            address,
            timezone,
            capacity: self.capacity,
        })
    }
}
