//! The types of recurring sessions: the series, the request that creates one, and the series with its
//! sessions.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::scheduling::recurrence::Limit;
use crate::scheduling::sessions::model::{Session, SessionKind};

/// A recurring appointment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Series {
    /// Id.
    pub id: Uuid,
    /// Trainer.
    pub trainer_id: Uuid,
    /// Client.
    pub client_id: Uuid,
    /// Where.
    pub location_id: Option<Uuid>,
    /// The first occurrence's start.
    pub first_starts_at: DateTime<Utc>,
    /// Length of each session.
    pub duration_minutes: i32,
    /// The time zone the wall-clock time is kept in.
    pub timezone: String,
    /// The rule, canonical form.
    pub rrule: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/session-series`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSeries {
    /// Trainer.
    pub trainer_id: Uuid,
    /// Client.
    pub client_id: Uuid,
    /// Where.
    #[serde(default)]
    pub location_id: Option<Uuid>,
    /// The first start as local wall-clock time in `timezone` (`2026-12-01T07:00:00`), or an RFC 3339
    /// instant.
    #[schema(example = "2026-12-01T07:00:00")]
    pub first_starts_at: String,
    /// 15–720 minutes.
    #[schema(minimum = 15, maximum = 720)]
    pub duration_minutes: i32,
    /// IANA time zone the wall-clock time is kept in.
    #[schema(example = "Europe/Berlin")]
    pub timezone: String,
    /// RFC 5545 rule: FREQ=DAILY|WEEKLY|MONTHLY with INTERVAL, BYDAY, BYMONTHDAY, COUNT or UNTIL.
    #[schema(example = "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=12")]
    pub rrule: String,
    /// Default personal.
    #[serde(default)]
    pub kind: Option<SessionKind>,
    /// Notes on every session.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

/// A series and its sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesWithSessions {
    /// The series.
    pub series: Series,
    /// Its sessions, in order.
    pub sessions: Vec<Session>,
}

/// A checked series, ready to be written.
#[derive(Debug, Clone)]
pub struct NewSeries {
    /// Trainer.
    pub trainer_id: Uuid,
    /// Client.
    pub client_id: Uuid,
    /// Where.
    pub location_id: Option<Uuid>,
    /// The first occurrence's start.
    pub first_starts_at: DateTime<Utc>,
    /// Length of each session.
    pub duration_minutes: i32,
    /// Canonical time-zone name.
    pub timezone: String,
    /// Canonical rule.
    pub rrule: String,
    /// Kind of every session.
    pub kind: SessionKind,
}

/// The most occurrences one series may have, and how far ahead it may reach.
pub const LIMIT: Limit = Limit::new(730, chrono::Months::new(24));

/// Reads the first start: local wall-clock time in `tz`, or an RFC 3339 instant.
pub fn parse_first_start(raw: &str, tz: chrono_tz::Tz) -> Result<NaiveDateTime, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&tz).naive_local());
    }
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M"))
        .map_err(|_| {
            "must be a local date-time such as 2026-12-01T07:00:00, or an RFC 3339 time".to_owned()
        })
}
