//! The types of agendas and attendance, and the day and week periods an agenda covers.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::now;

/// `day` or `week`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum View {
    /// One day.
    #[default]
    Day,
    /// Monday to Sunday.
    Week,
}

/// Parameters of the agenda.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgendaParams {
    /// A trainer's agenda.
    pub trainer_id: Option<Uuid>,
    /// A location's agenda (in the location's time zone).
    pub location_id: Option<Uuid>,
    /// The day (or a day of the week), in local time; today when absent.
    pub date: Option<NaiveDate>,
    /// `day` (default) or `week`.
    #[param(inline)]
    pub view: Option<View>,
}

/// One item of an agenda.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgendaItem {
    /// `session` or `class`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its id.
    pub id: Uuid,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// The class name, or the session kind.
    pub title: String,
    /// The trainer.
    pub trainer_id: Uuid,
    /// The client (sessions).
    pub client_id: Option<Uuid>,
    /// Where.
    pub location_id: Option<Uuid>,
    /// Status.
    pub status: String,
    /// Another trainer's session, shown to a trainer only as busy time: no client, no kind.
    pub busy: bool,
}

impl AgendaItem {
    /// What a trainer may see of another trainer's session: that the time is taken.
    pub fn as_busy(self) -> Self {
        Self {
            title: "busy".into(),
            client_id: None,
            busy: true,
            ..self
        }
    }
}

/// An agenda.
#[derive(Debug, Serialize, ToSchema)]
pub struct Agenda {
    /// The time zone the days are cut in.
    pub timezone: String,
    /// Start of the period.
    pub from: DateTime<Utc>,
    /// End of the period.
    pub to: DateTime<Utc>,
    /// Sessions and classes, by start time.
    pub items: Vec<AgendaItem>,
}

/// A client's attendance.
#[derive(Debug, Serialize, ToSchema)]
pub struct Attendance {
    /// Sessions and classes the client came to (checked in, or a completed session).
    pub attended: u64,
    /// Sessions marked no-show, and past class bookings without check-in.
    pub no_shows: u64,
    /// Cancellations (sessions and class bookings).
    pub cancelled: u64,
    /// Of those, late ones.
    pub late_cancelled: u64,
    /// Upcoming sessions and booked classes.
    pub upcoming: u64,
    /// attended / (attended + no-shows), when there is anything to count.
    pub rate: Option<f64>,
}

/// A client's sessions counted by outcome.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionCounts {
    /// Completed or checked in (not cancelled).
    pub attended: u64,
    /// No-shows.
    pub no_shows: u64,
    /// Cancelled.
    pub cancelled: u64,
    /// Cancelled late.
    pub late_cancelled: u64,
    /// Scheduled and still ahead.
    pub upcoming: u64,
}

/// One class booking of a client, as attendance counts it.
#[derive(Debug, Clone)]
pub struct BookingOutcome {
    /// `booked` or `cancelled`.
    pub status: String,
    /// Cancelled late.
    pub late_cancel: bool,
    /// Checked in.
    pub checked_in: bool,
    /// When the class ends (`None` when it is gone).
    pub class_ends_at: Option<DateTime<Utc>>,
}

fn local_midnight(tz: chrono_tz::Tz, d: NaiveDate) -> DateTime<Utc> {
    let naive = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&naive)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&naive), |t| t.with_timezone(&Utc))
}

/// The days of a day or week view around `date` (today in `tz` when absent): the first day, the
/// number of days, and the instants the period starts and ends.
pub fn period(
    tz: chrono_tz::Tz,
    date: Option<NaiveDate>,
    view: View,
) -> (NaiveDate, i64, DateTime<Utc>, DateTime<Utc>) {
    let day = date.unwrap_or_else(|| now().with_timezone(&tz).date_naive());
    let (first, days) = match view {
        View::Day => (day, 1),
        View::Week => (
            day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
            7,
        ),
    };
    (
        first,
        days,
        local_midnight(tz, first),
        local_midnight(tz, first + Duration::days(days)),
    )
}

/// Adds up a client's attendance from their sessions and class bookings.
pub fn attendance_of(
    s: SessionCounts,
    bookings: &[BookingOutcome],
    at: DateTime<Utc>,
) -> Attendance {
    let (mut c_att, mut c_no, mut c_can, mut c_late, mut c_up) = (0, 0, 0, 0, 0);
    for b in bookings {
        let ended = b.class_ends_at.is_some_and(|e| e <= at);
        match b.status.as_str() {
            "cancelled" => {
                c_can += 1;
                if b.late_cancel {
                    c_late += 1;
                }
            }
            "booked" if b.checked_in => c_att += 1,
            "booked" if ended => c_no += 1,
            "booked" => c_up += 1,
            _ => {}
        }
    }
    let attended = s.attended + c_att;
    let no_shows = s.no_shows + c_no;
    let counted = attended + no_shows;
    Attendance {
        attended,
        no_shows,
        cancelled: s.cancelled + c_can,
        late_cancelled: s.late_cancelled + c_late,
        upcoming: s.upcoming + c_up,
        rate: (counted > 0).then(|| attended as f64 / counted as f64),
    }
}
