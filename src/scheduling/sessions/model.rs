//! The types of one-to-one sessions: kinds and statuses with their transitions, the session as callers
//! see it, the request bodies and parameters, and the checks that need no database.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{AppError, AppResult, FieldErrors};
use crate::scheduling::access::{ScheduleScope, Who};
use crate::validation::double_option;

/// What kind of appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SessionKind {
    /// In person.
    Personal,
    /// Remote.
    Online,
    /// An assessment.
    Assessment,
}

impl SessionKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Personal => "personal",
            Self::Online => "online",
            Self::Assessment => "assessment",
        }
    }

    /// Reads a stored name (personal when unknown).
    pub fn parse(s: &str) -> Self {
        match s {
            "online" => Self::Online,
            "assessment" => Self::Assessment,
            _ => Self::Personal,
        }
    }
}

/// Where an appointment is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Booked.
    Scheduled,
    /// Took place.
    Completed,
    /// Called off.
    Cancelled,
    /// The client did not come.
    NoShow,
}

impl SessionStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::NoShow => "no_show",
        }
    }

    /// Reads a stored name (scheduled when unknown).
    pub fn parse(s: &str) -> Self {
        match s {
            "completed" => Self::Completed,
            "cancelled" => Self::Cancelled,
            "no_show" => Self::NoShow,
            _ => Self::Scheduled,
        }
    }

    /// Only a scheduled session changes status; completed, cancelled and no-show are final.
    pub fn check_transition(self, to: Self) -> Result<(), String> {
        match (self, to) {
            (a, b) if a == b => Ok(()),
            (Self::Scheduled, _) => Ok(()),
            (from, to) => Err(format!(
                "a {} session cannot become {}",
                from.as_str(),
                to.as_str()
            )),
        }
    }
}

/// A one-to-one appointment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Session {
    /// Id.
    pub id: Uuid,
    /// The trainer.
    pub trainer_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// Where.
    pub location_id: Option<Uuid>,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// Kind.
    pub kind: SessionKind,
    /// Status.
    pub status: SessionStatus,
    /// Notes.
    pub notes: Option<String>,
    /// The recurring series it belongs to.
    pub series_id: Option<Uuid>,
    /// Cancelled inside the late-cancellation window.
    pub late_cancel: bool,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When the client checked in.
    pub checked_in_at: Option<DateTime<Utc>>,
    /// `staff`, `trainer` or `code`.
    pub check_in_method: Option<String>,
    /// The code a client enters to check in themself (not shown to clients).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_in_code: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl Session {
    /// The session as a caller sees it: clients do not see check-in codes.
    pub fn for_scope(mut self, scope: &ScheduleScope) -> Self {
        if matches!(scope.who, Who::Client(_)) {
            self.check_in_code = None;
        }
        self
    }
}

/// `POST /api/v1/sessions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    /// The trainer.
    pub trainer_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// Where.
    #[serde(default)]
    pub location_id: Option<Uuid>,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End, after the start and at most 12 hours later.
    pub ends_at: DateTime<Utc>,
    /// Default personal.
    #[serde(default)]
    pub kind: Option<SessionKind>,
    /// Up to 2,000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

/// Which occurrences of a series a change applies to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ApplyTo {
    /// Only this session.
    #[default]
    This,
    /// This session and every later scheduled one.
    Following,
    /// Every scheduled session of the series.
    All,
}

/// Overrides for owners and admins.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BookingOverrides {
    /// Book even if the trainer or client is busy then (owner, admin).
    pub allow_conflict: Option<bool>,
    /// Book outside the trainer's working hours (owner, admin).
    pub allow_outside_hours: Option<bool>,
    /// For a session of a series: change `this` one (default), `following` (this and later ones) or
    /// `all` scheduled occurrences.
    #[param(inline)]
    pub apply_to: Option<ApplyTo>,
}

impl BookingOverrides {
    /// 403 when overrides are asked for by someone who may not override (owners and admins may).
    pub fn check_allowed(&self, scope: &ScheduleScope) -> AppResult<()> {
        if (self.allow_conflict == Some(true) || self.allow_outside_hours == Some(true))
            && !scope.may_override()
        {
            return Err(AppError::Forbidden(
                "Only owners and admins may override conflicts or working hours.".into(),
            ));
        }
        Ok(())
    }
}

/// A validated booking to check and write.
#[derive(Debug, Clone)]
pub struct Booking {
    /// Trainer.
    pub trainer_id: Uuid,
    /// Client.
    pub client_id: Uuid,
    /// Location.
    pub location_id: Option<Uuid>,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
}

/// Parameters of `GET /sessions`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListSessions {
    /// Sessions ending after this time.
    pub from: Option<DateTime<Utc>>,
    /// Sessions starting before this time.
    pub to: Option<DateTime<Utc>>,
    /// Only this trainer's.
    pub trainer_id: Option<Uuid>,
    /// Only this client's.
    pub client_id: Option<Uuid>,
    /// Only at this location.
    pub location_id: Option<Uuid>,
    /// Only this status.
    #[param(inline)]
    pub status: Option<SessionStatus>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `starts_at` (default) or `-starts_at`.
    #[param(pattern = "^-?starts_at$")]
    pub sort: Option<String>,
    /// Count all matches into `total`.
    pub include_total: Option<bool>,
}

/// `PATCH /api/v1/sessions/{id}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSession {
    /// Move: new start.
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    /// Move: new end.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    /// Another trainer.
    #[serde(default)]
    pub trainer_id: Option<Uuid>,
    /// Another place (null: none).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub location_id: Option<Option<Uuid>>,
    /// Kind.
    #[serde(default)]
    pub kind: Option<SessionKind>,
    /// Status: `completed`, `cancelled` or `no_show` from `scheduled`.
    #[serde(default)]
    pub status: Option<SessionStatus>,
    /// Notes.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub notes: Option<Option<String>>,
    /// The version the change is based on.
    #[serde(default)]
    pub version: Option<i64>,
}

impl UpdateSession {
    /// Whether the change moves the session (time, trainer or place).
    pub fn moves(&self) -> bool {
        self.starts_at.is_some()
            || self.ends_at.is_some()
            || self.trainer_id.is_some()
            || self.location_id.is_some()
    }
}

/// The columns one update writes (what [`UpdateSession`] becomes once checked).
#[derive(Debug, Clone, Default)]
pub struct SessionChange {
    /// New time, trainer and place, when the session moves.
    pub moved_to: Option<Booking>,
    /// New kind.
    pub kind: Option<SessionKind>,
    /// New notes (`Some(None)` clears them).
    pub notes: Option<Option<String>>,
    /// New status, with the late flag when it is a cancellation.
    pub status: Option<(SessionStatus, bool)>,
}

/// `POST /sessions/{id}/check-in` and class check-ins.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    /// The session's check-in code: required when the client checks in themself.
    #[serde(default)]
    #[schema(max_length = 12)]
    pub code: Option<String>,
}

/// Checks the times of a booking.
pub fn check_times(e: &mut FieldErrors, starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) {
    if ends_at <= starts_at {
        e.add("ends_at", "must be after starts_at");
    } else if ends_at - starts_at > Duration::hours(12) {
        e.add("ends_at", "must be at most 12 hours after starts_at");
    }
}

/// A short code a client types to check in.
pub fn check_in_code() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..6)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// Only staff and above book for anyone; a trainer books for themself.
pub fn may_book(scope: &ScheduleScope, trainer: Uuid) -> AppResult<()> {
    match scope.who {
        Who::All => Ok(()),
        Who::Trainer(t) if t == trainer => Ok(()),
        Who::Trainer(_) => Err(AppError::Forbidden(
            "A trainer books sessions for themself.".into(),
        )),
        _ => Err(AppError::Forbidden(
            "Clients book classes; sessions are booked by the studio.".into(),
        )),
    }
}

/// How a check-in is allowed: staff and the trainer check anyone in; a client checks in with the code.
pub fn check_in_method(
    scope: &ScheduleScope,
    expected_code: &str,
    input: &CheckIn,
) -> AppResult<&'static str> {
    match scope.who {
        Who::All => Ok("staff"),
        Who::Trainer(_) => Ok("trainer"),
        Who::Client(_) => {
            let given = input.code.as_deref().unwrap_or("");
            if !given.is_empty()
                && subtle::ConstantTimeEq::ct_eq(given.as_bytes(), expected_code.as_bytes()).into()
            {
                Ok("code")
            } else {
                Err(AppError::field(
                    "code",
                    "is not this session's check-in code",
                ))
            }
        }
        Who::Nobody => Err(AppError::Forbidden(
            "Your account is not linked to a trainer or client.".into(),
        )),
    }
}
