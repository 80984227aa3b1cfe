//! The types of group classes: a class with its places taken and waiting, a client's place in one, the
//! request bodies and list filters, and the checks of a new class.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{AppError, AppResult, FieldErrors};
use crate::scheduling::sessions::check_times;
use crate::validation::parse_text;

/// A class that takes bookings.
pub const SCHEDULED: &str = "scheduled";
/// A booking that holds a place.
pub const BOOKED: &str = "booked";
/// A booking waiting for a place.
pub const WAITLISTED: &str = "waitlisted";
/// A class or booking that is off.
pub const CANCELLED: &str = "cancelled";

/// A group class.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Class {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Who teaches it.
    pub trainer_id: Uuid,
    /// Where.
    pub location_id: Option<Uuid>,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// Places.
    pub capacity: i32,
    /// Places on the waitlist.
    pub waitlist_capacity: i32,
    /// `scheduled` or `cancelled`.
    pub status: String,
    /// Places taken.
    pub booked: u64,
    /// Clients waiting.
    pub waitlisted: u64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// A class as stored, before its places are counted (`booked` and `waitlisted` are 0), with its
/// check-in code, which only the service reads. It reads as the [`Class`] it holds.
#[derive(Debug, Clone)]
pub struct ClassRecord {
    /// The class, without its counts.
    pub class: Class,
    /// The code a client shows to check in.
    pub check_in_code: String,
}

impl std::ops::Deref for ClassRecord {
    type Target = Class;

    fn deref(&self) -> &Class {
        &self.class
    }
}

impl ClassRecord {
    /// The class with its places taken and clients waiting.
    pub fn with_counts(self, booked: u64, waitlisted: u64) -> Class {
        Class {
            booked,
            waitlisted,
            ..self.class
        }
    }

    /// Free places when `booked` are taken.
    pub fn has_room(&self, booked: u64) -> bool {
        booked < u64::try_from(self.capacity).unwrap_or(0)
    }

    /// Whether the waitlist has room when `waitlisted` are waiting.
    pub fn waitlist_has_room(&self, waitlisted: u64) -> bool {
        waitlisted < u64::try_from(self.waitlist_capacity).unwrap_or(0)
    }
}

/// What booking one client into a class is judged on ([`super::repo::outlook`]): the class, the
/// places taken and waiting, and the place the client already holds there (id and status), if any.
#[derive(Debug, Clone)]
pub struct Outlook {
    /// The class.
    pub class: ClassRecord,
    /// Places taken.
    pub booked: u64,
    /// Clients waiting.
    pub waitlisted: u64,
    /// The client's own live place (booked or waitlisted): its id and status.
    pub place: Option<(Uuid, String)>,
}

/// `POST /api/v1/classes`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClass {
    /// 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Who teaches it.
    pub trainer_id: Uuid,
    /// Where.
    #[serde(default)]
    pub location_id: Option<Uuid>,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// 1–500 places.
    #[schema(minimum = 1, maximum = 500)]
    pub capacity: i32,
    /// 0–500 waitlist places (default 0).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 500)]
    pub waitlist_capacity: Option<i32>,
}

impl CreateClass {
    /// Checks the fields that need no lookup, adding every problem to `e`; the checked name when it
    /// passes (the caller still turns `e` into the error).
    pub fn check(&self, e: &mut FieldErrors) -> Option<String> {
        let name = e.check("name", parse_text(&self.name, 100));
        check_times(e, self.starts_at, self.ends_at);
        if !(1..=500).contains(&self.capacity) {
            e.add("capacity", "must be between 1 and 500");
        }
        if !(0..=500).contains(&self.waitlist()) {
            e.add("waitlist_capacity", "must be between 0 and 500");
        }
        name
    }

    /// Places on the waitlist (none unless given).
    pub fn waitlist(&self) -> i32 {
        self.waitlist_capacity.unwrap_or(0)
    }
}

/// Parameters of `GET /classes`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListClasses {
    /// Classes ending after this time.
    pub from: Option<DateTime<Utc>>,
    /// Classes starting before this time.
    pub to: Option<DateTime<Utc>>,
    /// Only this trainer's.
    pub trainer_id: Option<Uuid>,
    /// Only at this location.
    pub location_id: Option<Uuid>,
    /// Only classes this client holds a place in (booked or waitlisted).
    pub client_id: Option<Uuid>,
    /// `scheduled` or `cancelled`.
    #[param(pattern = "^(scheduled|cancelled)$")]
    pub status: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Count all matches into `total`.
    pub include_total: Option<bool>,
}

impl ListClasses {
    /// The status filter, checked.
    pub fn status(&self) -> AppResult<Option<&str>> {
        match self.status.as_deref() {
            None => Ok(None),
            Some(v @ (SCHEDULED | CANCELLED)) => Ok(Some(v)),
            Some(_) => Err(AppError::bad_param(
                "status",
                "must be scheduled or cancelled",
            )),
        }
    }
}

/// A client's place in a class.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Booking {
    /// Id.
    pub id: Uuid,
    /// The class.
    pub class_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// `booked`, `waitlisted` or `cancelled`.
    pub status: String,
    /// Place on the waitlist (1 is next), while waitlisted.
    pub position: Option<i32>,
    /// When the booking was made.
    pub booked_at: DateTime<Utc>,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Cancelled inside the late window.
    pub late_cancel: bool,
    /// When the client checked in.
    pub checked_in_at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/classes/{id}/bookings`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookClass {
    /// The client; a client booking for themself may leave it out.
    #[serde(default)]
    pub client_id: Option<Uuid>,
}

/// The roster order: booked, then waitlisted by position, then cancelled (each kept in booking
/// order, as the input comes).
pub fn sort_roster(items: &mut [Booking]) {
    let rank = |b: &Booking| match b.status.as_str() {
        BOOKED => 0,
        WAITLISTED => 1,
        _ => 2,
    };
    items.sort_by_key(|b| (rank(b), b.position.unwrap_or(0)));
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn input(name: &str, capacity: i32, waitlist: Option<i32>) -> CreateClass {
        let start = Utc.with_ymd_and_hms(2030, 1, 1, 8, 0, 0).unwrap();
        CreateClass {
            name: name.into(),
            trainer_id: Uuid::nil(),
            location_id: None,
            starts_at: start,
            ends_at: start + chrono::Duration::hours(1),
            capacity,
            waitlist_capacity: waitlist,
        }
    }

    #[test]
    fn a_new_class_lists_every_bad_field_at_once() {
        let mut e = FieldErrors::new();
        assert!(input("", 0, Some(501)).check(&mut e).is_none());
        for field in ["name", "capacity", "waitlist_capacity"] {
            assert!(e.0.contains_key(field), "{field} missing from {e:?}");
        }
    }

    #[test]
    fn a_good_class_defaults_to_no_waitlist() {
        let mut e = FieldErrors::new();
        let class = input(" Yoga ", 10, None);
        assert_eq!(class.check(&mut e).as_deref(), Some("Yoga"));
        assert!(e.is_empty());
        assert_eq!(class.waitlist(), 0);
    }

    #[test]
    fn the_status_filter_takes_only_known_statuses() {
        let mut p = ListClasses {
            from: None,
            to: None,
            trainer_id: None,
            location_id: None,
            client_id: None,
            status: Some("cancelled".into()),
            limit: None,
            cursor: None,
            include_total: None,
        };
        assert_eq!(p.status().unwrap(), Some("cancelled"));
        p.status = Some("zombie".into());
        assert!(p.status().is_err());
    }

    #[test]
    fn the_roster_lists_booked_then_the_waitlist_in_order_then_cancelled() {
        let b = |status: &str, position: Option<i32>| Booking {
            id: Uuid::now_v7(),
            class_id: Uuid::nil(),
            client_id: Uuid::nil(),
            status: status.into(),
            position,
            booked_at: Utc::now(),
            cancelled_at: None,
            late_cancel: false,
            checked_in_at: None,
        };
        let mut items = vec![
            b(CANCELLED, None),
            b(WAITLISTED, Some(2)),
            b(BOOKED, None),
            b(WAITLISTED, Some(1)),
        ];
        sort_roster(&mut items);
        let order: Vec<(&str, Option<i32>)> = items
            .iter()
            .map(|i| (i.status.as_str(), i.position))
            .collect();
        assert_eq!(
            order,
            [
                (BOOKED, None),
                (WAITLISTED, Some(1)),
                (WAITLISTED, Some(2)),
                (CANCELLED, None)
            ]
        );
    }
}
