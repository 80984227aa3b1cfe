//! What stands in the way of a booking.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Something already booked in the way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Conflict {
    /// `session` or `class`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its id.
    pub id: Uuid,
    /// Who is double-booked: `trainer` or `client`.
    pub with: String,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
}
