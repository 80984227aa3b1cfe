//! The dashboard's figures and the calendar arithmetic they count by (the organization's time zone).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// Key figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dashboard {
    /// Clients per lifecycle status (every status listed, zero included).
    pub clients_by_status: BTreeMap<String, u64>,
    /// All clients in scope.
    pub clients_total: u64,
    /// Clients who arrived as leads since the start of this month (organization's time zone).
    pub new_leads_this_month: u64,
    /// Moves from lead or trial to active since the start of this month.
    pub conversions_this_month: u64,
    /// Clients no trainer is assigned to.
    pub clients_without_trainer: u64,
    /// The start of the month the figures count from.
    pub month_start: DateTime<Utc>,
    /// Sessions and classes today (not cancelled), in the caller's scope.
    pub sessions_today: u64,
    /// Sessions and classes this week (Monday to Sunday).
    pub sessions_this_week: u64,
    /// Sessions marked no-show since the start of the month.
    pub no_shows_this_month: u64,
    /// Attended / (attended + no-shows) over sessions that started in the last 30 days.
    pub attendance_rate_30d: Option<f64>,
}

/// The start of the current month in a time zone, as UTC.
pub fn month_start(tz: &str, now: DateTime<Utc>) -> DateTime<Utc> {
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    let local = now.with_timezone(&tz);
    let first = NaiveDate::from_ymd_opt(local.year(), local.month(), 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default();
    tz.from_local_datetime(&first)
        .earliest()
        .map_or(now, |d| d.with_timezone(&Utc))
}

/// The start of a local day in a time zone, as UTC (`fallback` when the zone skips midnight).
pub fn midnight(tz: chrono_tz::Tz, day: NaiveDate, fallback: DateTime<Utc>) -> DateTime<Utc> {
    tz.from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map_or(fallback, |t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_month_starts_at_local_midnight() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 23, 30, 0).unwrap();
        // In Berlin it is already December 1st, 00:30.
        assert_eq!(
            month_start("Europe/Berlin", now),
            Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap()
        );
        assert_eq!(
            month_start("UTC", now),
            Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
        );
    }
}
