//! Working hours and time off as the domain sees them: the week's blocks in local time, periods
//! away, their validation, and the pure check that a booking fits a week.

use chrono::{DateTime, Datelike, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppError, AppResult, FieldErrors};

/// The weekdays as the API names them, Monday first (index = `weekday` column).
pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One block of working time on a weekday, in local time.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingBlock {
    /// `mon` … `sun`.
    #[schema(pattern = "^(mon|tue|wed|thu|fri|sat|sun)$")]
    pub weekday: String,
    /// `HH:MM`, local time.
    #[schema(pattern = "^[0-2][0-9]:[0-5][0-9]$")]
    pub start: String,
    /// `HH:MM`, local time, after `start` (`24:00` for midnight).
    #[schema(pattern = "^[0-2][0-9]:[0-5][0-9]$")]
    pub end: String,
}

/// A trainer's week.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    /// The blocks; empty means no restriction.
    pub hours: Vec<WorkingBlock>,
}

/// One stored block: weekday index (0 = Monday) and minutes since local midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourBlock {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: i32,
    /// Start, minutes since midnight.
    pub start_minute: i32,
    /// End, minutes since midnight (1440 = midnight at the end of the day).
    pub end_minute: i32,
}

impl From<HourBlock> for WorkingBlock {
    fn from(h: HourBlock) -> Self {
        Self {
            weekday: DAYS[usize::try_from(h.weekday).unwrap_or(0).min(6)].into(),
            start: hhmm(h.start_minute),
            end: hhmm(h.end_minute),
        }
    }
}

/// A period a trainer is away.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimeOff {
    /// Id.
    pub id: Uuid,
    /// The trainer.
    pub trainer_id: Uuid,
    /// From.
    pub starts_at: DateTime<Utc>,
    /// Until.
    pub ends_at: DateTime<Utc>,
    /// Why (shown to staff).
    pub reason: Option<String>,
}

/// `POST /api/v1/trainers/{id}/time-off`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTimeOff {
    /// From.
    pub starts_at: DateTime<Utc>,
    /// Until (after `starts_at`, at most a year later).
    pub ends_at: DateTime<Utc>,
    /// Up to 200 characters.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reason: Option<String>,
}

/// A validated period away.
#[derive(Debug, Clone)]
pub struct NewTimeOff {
    /// From.
    pub starts_at: DateTime<Utc>,
    /// Until.
    pub ends_at: DateTime<Utc>,
    /// Why.
    pub reason: Option<String>,
}

fn minutes(s: &str) -> Result<i32, String> {
    if s == "24:00" {
        return Ok(24 * 60);
    }
    NaiveTime::parse_from_str(s, "%H:%M")
        .map(|t| i32::try_from(t.hour() * 60 + t.minute()).unwrap_or(0))
        .map_err(|_| "must be a time HH:MM".to_owned())
}

fn hhmm(m: i32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

impl WorkingHours {
    /// Checks every block at once (fields named `hours[i].weekday|start|end`).
    pub fn validate(&self) -> AppResult<Vec<HourBlock>> {
        let mut e = FieldErrors::new();
        let mut rows = Vec::new();
        if self.hours.len() > 50 {
            e.add("hours", "must have at most 50 blocks");
        }
        for (i, b) in self.hours.iter().enumerate() {
            let day = DAYS.iter().position(|d| *d == b.weekday.as_str());
            if day.is_none() {
                e.add(
                    format!("hours[{i}].weekday"),
                    "must be mon, tue, wed, thu, fri, sat or sun",
                );
            }
            let start = e.check(&format!("hours[{i}].start"), minutes(&b.start));
            let end = e.check(&format!("hours[{i}].end"), minutes(&b.end));
            if let (Some(s), Some(en)) = (start, end)
                && s >= en
            {
                e.add(format!("hours[{i}].end"), "must be after start");
            }
            if let (Some(d), Some(s), Some(en)) = (day, start, end) {
                rows.push(HourBlock {
                    weekday: i32::try_from(d).unwrap_or(0),
                    start_minute: s,
                    end_minute: en,
                });
            }
        }
        e.into_result(rows)
    }
}

impl CreateTimeOff {
    /// Checks the period (after its start, at most a year) and the reason.
    pub fn validate(self) -> AppResult<NewTimeOff> {
        if self.ends_at <= self.starts_at {
            return Err(AppError::field("ends_at", "must be after starts_at"));
        }
        if self.ends_at - self.starts_at > chrono::Duration::days(366) {
            return Err(AppError::field(
                "ends_at",
                "must be at most a year after starts_at",
            ));
        }
        let reason = match self.reason {
            Some(r) => crate::validation::parse_long_text(&r, 200)
                .map_err(|m| AppError::field("reason", m))?,
            None => None,
        };
        Ok(NewTimeOff {
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            reason,
        })
    }
}

/// Whether `[start, end)`, read in `tz`, lies within one of the week's blocks. A week with no
/// blocks restricts nothing. `Err` carries the message for a 422.
pub fn fits_week(
    week: &[HourBlock],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<(), String> {
    if week.is_empty() {
        return Ok(());
    }
    let (ls, le) = (start.with_timezone(&tz), end.with_timezone(&tz));
    let day = i32::try_from(ls.weekday().num_days_from_monday()).unwrap_or(0);
    let s = i32::try_from(ls.hour() * 60 + ls.minute()).unwrap_or(0);
    let same_day = le.date_naive() == ls.date_naive();
    let e = if same_day {
        i32::try_from(le.hour() * 60 + le.minute()).unwrap_or(0)
    } else if le.date_naive() == ls.date_naive().succ_opt().unwrap_or(ls.date_naive())
        && le.hour() == 0
        && le.minute() == 0
    {
        24 * 60
    } else {
        i32::MAX
    };
    if week
        .iter()
        .any(|h| h.weekday == day && h.start_minute <= s && e <= h.end_minute)
    {
        Ok(())
    } else {
        Err(format!(
            "outside the trainer's working hours on {} ({} local time)",
            DAYS[usize::try_from(day).unwrap_or(0)],
            ls.format("%H:%M")
        ))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn a_booking_fits_a_block_of_its_local_weekday_and_midnight_ends_a_day() {
        let week = WorkingHours {
            hours: vec![
                WorkingBlock {
                    weekday: "mon".into(),
                    start: "09:00".into(),
                    end: "17:00".into(),
                },
                WorkingBlock {
                    weekday: "tue".into(),
                    start: "20:00".into(),
                    end: "24:00".into(),
                },
            ],
        }
        .validate()
        .unwrap();
        let berlin = chrono_tz::Europe::Berlin;
        // Monday 2026-03-02 09:00–10:00 in Berlin is 08:00–09:00 UTC.
        assert!(fits_week(&week, utc(2026, 3, 2, 8, 0), utc(2026, 3, 2, 9, 0), berlin).is_ok());
        let refused = fits_week(&week, utc(2026, 3, 2, 7, 0), utc(2026, 3, 2, 8, 0), berlin);
        assert!(refused.unwrap_err().contains("mon (08:00 local time)"));
        // Tuesday 23:00–24:00 local fits the block ending at midnight.
        assert!(
            fits_week(
                &week,
                utc(2026, 3, 3, 22, 0),
                utc(2026, 3, 3, 23, 0),
                berlin
            )
            .is_ok()
        );
        // No blocks: no restriction.
        assert!(fits_week(&[], utc(2026, 3, 4, 2, 0), utc(2026, 3, 4, 3, 0), berlin).is_ok());
    }

    #[test]
    fn every_bad_block_is_named_by_its_index() {
        let week = WorkingHours {
            hours: vec![
                WorkingBlock {
                    weekday: "funday".into(),
                    start: "9am".into(),
                    end: "17:00".into(),
                },
                WorkingBlock {
                    weekday: "wed".into(),
                    start: "18:00".into(),
                    end: "08:00".into(),
                },
            ],
        };
        let Err(AppError::Validation(errors)) = week.validate() else {
            panic!("accepted a bad week");
        };
        for field in ["hours[0].weekday", "hours[0].start", "hours[1].end"] {
            assert!(errors.0.contains_key(field), "{field}: {errors:?}");
        }
    }

    #[test]
    fn time_off_must_end_after_it_starts_and_within_a_year() {
        let input = |days: i64| CreateTimeOff {
            starts_at: utc(2026, 1, 1, 0, 0),
            ends_at: utc(2026, 1, 1, 0, 0) + chrono::Duration::days(days),
            reason: Some("  Holiday ".into()),
        };
        assert_eq!(
            input(7).validate().unwrap().reason.as_deref(),
            Some("Holiday")
        );
        assert!(input(0).validate().is_err());
        assert!(input(400).validate().is_err());
    }
}
