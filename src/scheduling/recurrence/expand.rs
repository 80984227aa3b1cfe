//! Expanding a [`RecurrenceRule`] into UTC instants in a named time zone.
//!
//! The rule is walked on the local calendar (days, weeks, months of wall-clock dates), and each
//! candidate date at the first start's local time is turned into an instant only at the end, so the
//! wall-clock time never drifts across daylight-saving changes.

use chrono::{
    DateTime, Datelike, Days, LocalResult, Months, NaiveDate, NaiveDateTime, Offset, TimeDelta,
    TimeZone, Utc,
};
use chrono_tz::Tz;

use super::{End, Frequency, RecurrenceRule, Until};

/// How many periods past the horizon a bounded rule is searched for one more occurrence before it
/// is taken to have none: 4800 months is the whole 400-year Gregorian cycle (weekdays and month
/// lengths repeat after it), more than any daily or weekly rule needs.
const SEARCH_PAST_HORIZON: u32 = 4800;

/// The longest daylight-saving or zone gap there has been is a day (Samoa skipped 30 December 2011).
const MAX_GAP_MINUTES: i64 = 48 * 60;

/// How far [`occurrences`] may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// The most occurrences a series may have; a series with more is an error, never cut short.
    pub max_occurrences: usize,
    /// How long after its first start (in local calendar months) a series may run: occurrences
    /// start strictly before `first_start_local + horizon`. A rule without `COUNT` or `UNTIL` is
    /// expanded up to there; a rule with one that would go on past it is an error.
    pub horizon: Months,
}

impl Limit {
    /// A limit of `max_occurrences` within `horizon` of the first start.
    pub const fn new(max_occurrences: usize, horizon: Months) -> Self {
        Self {
            max_occurrences,
            horizon,
        }
    }
}

impl Default for Limit {
    /// 730 occurrences within two years.
    fn default() -> Self {
        Self::new(730, Months::new(24))
    }
}

/// The instant at which a wall-clock time in `tz` happens. A time in a gap (clocks spring
/// forward) is read with the offset in force before the gap, which moves it forward by the gap's
/// length (02:30 becomes 03:30); a time that happens twice (clocks fall back) is the first of the
/// two. These are RFC 5545's rules for a `DATE-TIME` with a `TZID` (section 3.3.5).
pub fn local_to_utc(local: NaiveDateTime, tz: Tz) -> Result<DateTime<Utc>, String> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Ok(a.min(b).with_timezone(&Utc)),
        LocalResult::None => {
            // Walk back to the last wall-clock time before the gap to learn the offset before it.
            for minutes in 1..=MAX_GAP_MINUTES {
                let Some(before) = local.checked_sub_signed(TimeDelta::minutes(minutes)) else {
                    break;
                };
                if let Some(t) = tz.from_local_datetime(&before).latest() {
                    let offset = i64::from(t.offset().fix().local_minus_utc());
                    if let Some(utc) = local.checked_sub_signed(TimeDelta::seconds(offset)) {
                        return Ok(Utc.from_utc_datetime(&utc));
                    }
                    break;
                }
            }
            Err(format!("{local} does not exist in the time zone {tz}"))
        }
    }
}

/// Expands `rule` from `first_start_local`, a wall-clock time in `tz`, into the instants the
/// occurrences start at, ascending and without duplicates.
///
/// - Every occurrence is at the first start's local time of day in `tz`, whatever the UTC offset
///   that day; gaps and overlaps are resolved as in [`local_to_utc`].
/// - The first start is always the first occurrence and counts towards `COUNT`, even when it does
///   not match the rule (RFC 5545, 3.3.10 and 3.8.5.3: "The DTSTART property value always counts
///   as the first occurrence"). Matching dates before it, in its week or month, are not included.
/// - `UNTIL` is inclusive: a date includes occurrences on that local date; a UTC date-time
///   includes an occurrence starting exactly then. An `UNTIL` before the first start is an error.
/// - `MONTHLY` without `BYDAY` or `BYMONTHDAY` repeats the first start's day of the month and skips
///   months without it (the 31st, or 29 February outside leap years), as RFC 5545 requires;
///   `BYMONTHDAY=-1` is the last day of each month. With both `BYDAY` and `BYMONTHDAY` a day must
///   match both (Friday the 13th is `BYDAY=FR;BYMONTHDAY=13`).
/// - `WEEKLY` without `BYDAY` repeats the first start's weekday; weeks start on `WKST`.
/// - An invented date is never produced: month days that a month lacks are skipped, not moved.
/// - In the rare zone whose gap is a whole day (Samoa, 30 December 2011) a moved occurrence can
///   land on the next one; it is kept once and counted once.
///
/// Errors: more than `limit.max_occurrences` occurrences; a rule with `COUNT` or `UNTIL` that has
/// an occurrence at or after the horizon; an `UNTIL` before the first start.
pub fn occurrences(
    rule: &RecurrenceRule,
    first_start_local: NaiveDateTime,
    tz: Tz,
    limit: Limit,
) -> Result<Vec<DateTime<Utc>>, String> {
    let horizon_end = first_start_local
        .checked_add_months(limit.horizon)
        .ok_or_else(|| "the horizon is too far in the future".to_owned())?;
    let first_instant = local_to_utc(first_start_local, tz)?;
    match rule.end {
        End::Until(Until::Date(d)) if d < first_start_local.date() => {
            return Err(format!(
                "UNTIL={} is before the first start",
                Until::Date(d)
            ));
        }
        End::Until(Until::DateTime(t)) if t < first_instant => {
            return Err(format!(
                "UNTIL={} is before the first start",
                Until::DateTime(t)
            ));
        }
        _ => {}
    }

    let mut series = Series {
        rule,
        tz,
        limit,
        horizon_end,
        found: Vec::new(),
    };
    if series.offer(first_start_local)? == Flow::Stop {
        return Ok(series.found);
    }
    let start = first_start_local.date();
    let time = first_start_local.time();
    let mut past_horizon = 0;
    for k in 0u32.. {
        let Some(period) = period_start(rule, start, k) else {
            break;
        };
        if period > horizon_end.date() {
            past_horizon += 1;
            let until_passed = match rule.end {
                End::Never => true,
                End::Count(_) => false,
                End::Until(Until::Date(d)) => period > d,
                // No wall-clock time on a date two days after a UTC date is before it.
                End::Until(Until::DateTime(t)) => period > t.date_naive() + Days::new(2),
            };
            if until_passed || past_horizon > SEARCH_PAST_HORIZON {
                break;
            }
        }
        for date in period_dates(rule, start, period) {
            let local = date.and_time(time);
            if local <= first_start_local {
                continue;
            }
            if series.offer(local)? == Flow::Stop {
                return Ok(series.found);
            }
        }
    }
    Ok(series.found)
}

#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// The occurrences found so far and what bounds them.
struct Series<'a> {
    rule: &'a RecurrenceRule,
    tz: Tz,
    limit: Limit,
    horizon_end: NaiveDateTime,
    found: Vec<DateTime<Utc>>,
}

impl Series<'_> {
    /// Takes the next candidate (candidates come in ascending local order) and says whether the
    /// series goes on.
    fn offer(&mut self, local: NaiveDateTime) -> Result<Flow, String> {
        let end = self.rule.end;
        if let End::Until(Until::Date(d)) = end
            && local.date() > d
        {
            return Ok(Flow::Stop);
        }
        let instant = local_to_utc(local, self.tz)?;
        if let End::Until(Until::DateTime(t)) = end
            && instant > t
        {
            return Ok(Flow::Stop);
        }
        if local >= self.horizon_end {
            return match end {
                End::Never => Ok(Flow::Stop),
                End::Count(_) | End::Until(_) => Err(format!(
                    "the series would go on past {} ({} months after its first start); end it \
                     sooner",
                    self.horizon_end.date(),
                    self.limit.horizon.as_u32()
                )),
            };
        }
        if self.found.last().is_some_and(|&last| instant <= last) {
            return Ok(Flow::Continue);
        }
        if self.found.len() >= self.limit.max_occurrences {
            return Err(format!(
                "the series would have more than {} occurrences; shorten it",
                self.limit.max_occurrences
            ));
        }
        self.found.push(instant);
        match end {
            End::Count(n) if self.found.len() >= usize::try_from(n).unwrap_or(usize::MAX) => {
                Ok(Flow::Stop)
            }
            _ => Ok(Flow::Continue),
        }
    }
}

/// The first date of the `k`-th period (day, week or month) of the series.
fn period_start(rule: &RecurrenceRule, start: NaiveDate, k: u32) -> Option<NaiveDate> {
    let steps = k.checked_mul(rule.interval)?;
    match rule.frequency {
        Frequency::Daily => start.checked_add_days(Days::new(u64::from(steps))),
        Frequency::Weekly => {
            let into_week = (start.weekday().num_days_from_monday() + 7
                - rule.week_start.num_days_from_monday())
                % 7;
            start
                .checked_sub_days(Days::new(u64::from(into_week)))?
                .checked_add_days(Days::new(7 * u64::from(steps)))
        }
        Frequency::Monthly => start.with_day(1)?.checked_add_months(Months::new(steps)),
    }
}

/// The dates of one period that match the rule, ascending.
fn period_dates(rule: &RecurrenceRule, start: NaiveDate, period: NaiveDate) -> Vec<NaiveDate> {
    let weekday_listed = |date: NaiveDate| rule.by_day.iter().any(|b| b.weekday == date.weekday());
    match rule.frequency {
        Frequency::Daily => {
            if rule.by_day.is_empty() || weekday_listed(period) {
                vec![period]
            } else {
                Vec::new()
            }
        }
        Frequency::Weekly => period
            .iter_days()
            .take(7)
            .filter(|&d| {
                if rule.by_day.is_empty() {
                    d.weekday() == start.weekday()
                } else {
                    weekday_listed(d)
                }
            })
            .collect(),
        Frequency::Monthly => {
            if rule.by_day.is_empty() && rule.by_month_day.is_empty() {
                return period.with_day(start.day()).into_iter().collect();
            }
            let days = days_in_month(period);
            period
                .iter_days()
                .take_while(|d| d.month() == period.month())
                .filter(|d| month_day_matches(rule, *d, days))
                .collect()
        }
    }
}

fn days_in_month(first: NaiveDate) -> u32 {
    first
        .checked_add_months(Months::new(1))
        .and_then(|next| next.pred_opt())
        .map_or(31, |last| last.day())
}

/// Whether a date matches a monthly rule's `BYMONTHDAY` and `BYDAY` (each when given).
fn month_day_matches(rule: &RecurrenceRule, date: NaiveDate, days_in_month: u32) -> bool {
    let day = i64::from(date.day());
    let days = i64::from(days_in_month);
    let month_day = rule.by_month_day.is_empty()
        || rule.by_month_day.iter().any(|&n| {
            let n = i64::from(n);
            if n > 0 { n == day } else { days + 1 + n == day }
        });
    let week_day = rule.by_day.is_empty()
        || rule.by_day.iter().any(|b| {
            b.weekday == date.weekday()
                && match b.ordinal.map(i64::from) {
                    None => true,
                    Some(n) if n > 0 => (day - 1) / 7 + 1 == n,
                    Some(n) => (days - day) / 7 + 1 == -n,
                }
        });
    month_day && week_day
}

#[cfg(test)]
mod tests {
    use chrono::NaiveTime;
    use chrono_tz::America::New_York;
    use chrono_tz::Europe::Berlin;

    use super::*;

    fn rule(s: &str) -> RecurrenceRule {
        RecurrenceRule::parse(s).unwrap()
    }

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        local(s).and_utc()
    }

    /// The occurrences of `r` from `start` in `tz`, within ten years.
    fn expand(r: &str, start: &str, tz: Tz) -> Vec<DateTime<Utc>> {
        occurrences(
            &rule(r),
            local(start),
            tz,
            Limit::new(1000, Months::new(120)),
        )
        .unwrap()
    }

    fn expand_err(r: &str, start: &str, tz: Tz, limit: Limit) -> String {
        occurrences(&rule(r), local(start), tz, limit).unwrap_err()
    }

    /// The local wall-clock times (as "YYYY-MM-DD HH:MM") of `r` from `start` in `tz`.
    fn local_times(r: &str, start: &str, tz: Tz) -> Vec<String> {
        expand(r, start, tz)
            .into_iter()
            .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
            .collect()
    }

    fn dates(r: &str, start: &str) -> Vec<String> {
        local_times(r, start, chrono_tz::UTC)
            .into_iter()
            .map(|t| t[..10].to_owned())
            .collect()
    }

    #[test]
    fn a_daily_rule_repeats_every_interval_days() {
        assert_eq!(
            dates("FREQ=DAILY;COUNT=3", "2024-02-28 09:00"),
            ["2024-02-28", "2024-02-29", "2024-03-01"]
        );
        assert_eq!(
            dates("FREQ=DAILY;INTERVAL=3;COUNT=3", "2024-01-30 09:00"),
            ["2024-01-30", "2024-02-02", "2024-02-05"]
        );
    }

    #[test]
    fn a_daily_rule_with_weekdays_skips_the_other_days() {
        // 2024-01-05 is a Friday.
        assert_eq!(
            dates(
                "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=4",
                "2024-01-05 09:00"
            ),
            ["2024-01-05", "2024-01-08", "2024-01-09", "2024-01-10"]
        );
    }

    #[test]
    fn a_weekly_rule_without_days_repeats_the_first_weekday() {
        assert_eq!(
            dates("FREQ=WEEKLY;COUNT=3", "2024-01-03 18:00"),
            ["2024-01-03", "2024-01-10", "2024-01-17"]
        );
        assert_eq!(
            dates("FREQ=WEEKLY;INTERVAL=2;COUNT=3", "2024-12-25 18:00"),
            ["2024-12-25", "2025-01-08", "2025-01-22"]
        );
    }

    #[test]
    fn a_weekly_rule_with_days_starts_from_the_first_start_within_its_week() {
        // Wednesday: the Monday of that week is before the first start and is left out.
        assert_eq!(
            dates("FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=4", "2024-01-03 07:00"),
            ["2024-01-03", "2024-01-05", "2024-01-08", "2024-01-10"]
        );
    }

    #[test]
    fn the_first_start_counts_as_the_first_occurrence_even_when_it_does_not_match() {
        // A Tuesday start for a Monday class, as RFC 5545 says.
        assert_eq!(
            dates("FREQ=WEEKLY;BYDAY=MO;COUNT=3", "2024-01-02 07:00"),
            ["2024-01-02", "2024-01-08", "2024-01-15"]
        );
        assert_eq!(
            dates("FREQ=MONTHLY;BYDAY=1MO;COUNT=2", "2024-01-10 07:00"),
            ["2024-01-10", "2024-02-05"]
        );
    }

    #[test]
    fn week_start_decides_which_days_share_a_week_with_an_interval() {
        // The examples of RFC 5545 3.8.5.3 (first start Tuesday 5 August 1997).
        let mo = "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO";
        let su = "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU";
        assert_eq!(
            dates(mo, "1997-08-05 09:00"),
            ["1997-08-05", "1997-08-10", "1997-08-19", "1997-08-24"]
        );
        assert_eq!(
            dates(su, "1997-08-05 09:00"),
            ["1997-08-05", "1997-08-17", "1997-08-19", "1997-08-31"]
        );
    }

    #[test]
    fn a_monthly_rule_on_the_31st_skips_shorter_months() {
        assert_eq!(
            dates("FREQ=MONTHLY;COUNT=5", "2024-01-31 10:00"),
            [
                "2024-01-31",
                "2024-03-31",
                "2024-05-31",
                "2024-07-31",
                "2024-08-31"
            ]
        );
        assert_eq!(
            dates("FREQ=MONTHLY;BYMONTHDAY=31;COUNT=3", "2024-04-01 10:00"),
            ["2024-04-01", "2024-05-31", "2024-07-31"]
        );
    }

    #[test]
    fn the_last_day_of_the_month_is_minus_one() {
        assert_eq!(
            dates("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=5", "2023-12-31 10:00"),
            [
                "2023-12-31",
                "2024-01-31",
                "2024-02-29",
                "2024-03-31",
                "2024-04-30"
            ]
        );
        assert_eq!(
            dates("FREQ=MONTHLY;BYMONTHDAY=1,-1;COUNT=4", "2023-02-01 10:00"),
            ["2023-02-01", "2023-02-28", "2023-03-01", "2023-03-31"]
        );
    }

    #[test]
    fn the_29th_of_february_only_comes_in_leap_years() {
        let days = dates(
            "FREQ=MONTHLY;BYMONTHDAY=29;UNTIL=20250401",
            "2023-01-29 10:00",
        );
        assert!(days.contains(&"2024-02-29".to_owned()));
        assert!(
            !days
                .iter()
                .any(|d| d.starts_with("2023-02") || d.starts_with("2025-02"))
        );
        assert_eq!(days.len(), 27 - 2);
        assert_eq!(
            dates(
                "FREQ=MONTHLY;INTERVAL=12;UNTIL=20290301",
                "2020-02-29 10:00"
            ),
            ["2020-02-29", "2024-02-29", "2028-02-29"]
        );
    }

    #[test]
    fn monthly_positions_pick_the_nth_weekday() {
        assert_eq!(
            dates("FREQ=MONTHLY;BYDAY=1MO;COUNT=3", "2024-01-01 10:00"),
            ["2024-01-01", "2024-02-05", "2024-03-04"]
        );
        assert_eq!(
            dates("FREQ=MONTHLY;BYDAY=-1FR;COUNT=3", "2024-01-26 10:00"),
            ["2024-01-26", "2024-02-23", "2024-03-29"]
        );
        assert_eq!(
            dates("FREQ=MONTHLY;BYDAY=2TU,-2TU;COUNT=4", "2024-02-13 10:00"),
            ["2024-02-13", "2024-02-20", "2024-03-12", "2024-03-19"]
        );
        // A fifth Thursday exists only in some months.
        assert_eq!(
            dates("FREQ=MONTHLY;BYDAY=5TH;COUNT=3", "2024-02-29 10:00"),
            ["2024-02-29", "2024-05-30", "2024-08-29"]
        );
    }

    #[test]
    fn a_monthly_weekday_without_position_is_every_such_day() {
        assert_eq!(
            dates(
                "FREQ=MONTHLY;INTERVAL=2;BYDAY=SU;COUNT=6",
                "2024-02-04 10:00"
            ),
            [
                "2024-02-04",
                "2024-02-11",
                "2024-02-18",
                "2024-02-25",
                "2024-04-07",
                "2024-04-14"
            ]
        );
    }

    #[test]
    fn month_days_and_weekdays_together_must_both_match() {
        assert_eq!(
            dates(
                "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13;COUNT=3",
                "2024-09-13 19:00"
            ),
            ["2024-09-13", "2024-12-13", "2025-06-13"]
        );
    }

    #[test]
    fn until_is_inclusive() {
        assert_eq!(
            dates("FREQ=DAILY;UNTIL=20240103", "2024-01-01 23:30"),
            ["2024-01-01", "2024-01-02", "2024-01-03"]
        );
        assert_eq!(
            dates("FREQ=DAILY;UNTIL=20240103T233000Z", "2024-01-01 23:30"),
            ["2024-01-01", "2024-01-02", "2024-01-03"]
        );
        assert_eq!(
            dates("FREQ=DAILY;UNTIL=20240103T232959Z", "2024-01-01 23:30"),
            ["2024-01-01", "2024-01-02"]
        );
        // A date UNTIL is a local date: 23:30 in Berlin on the 3rd is still the 3rd.
        assert_eq!(
            expand("FREQ=DAILY;UNTIL=20240103", "2024-01-01 23:30", Berlin).len(),
            3
        );
    }

    #[test]
    fn an_until_before_the_first_start_is_an_error() {
        let limit = Limit::default();
        assert_eq!(
            expand_err(
                "FREQ=DAILY;UNTIL=20231231",
                "2024-01-01 10:00",
                Berlin,
                limit
            ),
            "UNTIL=20231231 is before the first start"
        );
        assert_eq!(
            expand_err(
                "FREQ=DAILY;UNTIL=20240101T085959Z",
                "2024-01-01 10:00",
                Berlin,
                limit
            ),
            "UNTIL=20240101T085959Z is before the first start"
        );
        // Exactly the first start is fine.
        assert_eq!(
            expand(
                "FREQ=DAILY;UNTIL=20240101T090000Z",
                "2024-01-01 10:00",
                Berlin
            ),
            [utc("2024-01-01 09:00")]
        );
    }

    #[test]
    fn too_many_occurrences_are_an_error_not_a_truncation() {
        let limit = Limit::new(730, Months::new(24));
        assert_eq!(
            expand_err("FREQ=DAILY;COUNT=1000", "2024-01-01 10:00", Berlin, limit),
            "the series would have more than 730 occurrences; shorten it"
        );
        // Two years of days from 2024 is 731 (a leap year): too many, even without an end.
        assert_eq!(
            expand_err("FREQ=DAILY", "2024-01-01 10:00", Berlin, limit),
            "the series would have more than 730 occurrences; shorten it"
        );
        let n = occurrences(
            &rule("FREQ=DAILY;COUNT=730"),
            local("2025-01-01 10:00"),
            Berlin,
            limit,
        )
        .unwrap();
        assert_eq!(n.len(), 730);
    }

    #[test]
    fn an_endless_rule_stops_at_the_horizon() {
        let limit = Limit::new(730, Months::new(24));
        let weekly = occurrences(
            &rule("FREQ=WEEKLY"),
            local("2024-01-01 10:00"),
            Berlin,
            limit,
        )
        .unwrap();
        // Mondays from 2024-01-01 up to, not including, 2026-01-01.
        assert_eq!(weekly.len(), 105);
        assert_eq!(
            weekly.last().unwrap().with_timezone(&Berlin).date_naive(),
            NaiveDate::from_ymd_opt(2025, 12, 29).unwrap()
        );
        let nothing = occurrences(
            &rule("FREQ=DAILY"),
            local("2024-01-01 10:00"),
            Berlin,
            Limit::new(10, Months::new(0)),
        )
        .unwrap();
        assert!(nothing.is_empty());
    }

    #[test]
    fn an_ending_rule_that_runs_past_the_horizon_is_an_error() {
        let limit = Limit::new(730, Months::new(24));
        assert_eq!(
            expand_err("FREQ=MONTHLY;COUNT=25", "2024-01-15 10:00", Berlin, limit),
            "the series would go on past 2026-01-15 (24 months after its first start); end it \
             sooner"
        );
        assert!(
            expand_err(
                "FREQ=WEEKLY;UNTIL=20260201",
                "2024-01-01 10:00",
                Berlin,
                limit
            )
            .starts_with("the series would go on past")
        );
        // An UNTIL past the horizon with no occurrence left before it is fine.
        let n = occurrences(
            &rule("FREQ=MONTHLY;INTERVAL=5;UNTIL=20260131"),
            local("2024-01-15 10:00"),
            Berlin,
            limit,
        )
        .unwrap();
        assert_eq!(n.len(), 5);
        // So is a COUNT that the rule can never reach (the 31st is never a first Monday).
        let n = occurrences(
            &rule("FREQ=MONTHLY;BYMONTHDAY=31;BYDAY=1MO;COUNT=5"),
            local("2024-01-15 10:00"),
            Berlin,
            limit,
        )
        .unwrap();
        assert_eq!(n, [utc("2024-01-15 09:00")]);
    }

    #[test]
    fn a_weekly_session_keeps_its_berlin_wall_clock_time_across_both_changes() {
        let times = expand("FREQ=WEEKLY;COUNT=32", "2024-03-23 07:00", Berlin);
        assert_eq!(times[0], utc("2024-03-23 06:00")); // CET, UTC+1
        assert_eq!(times[1], utc("2024-03-30 06:00"));
        assert_eq!(times[2], utc("2024-04-06 05:00")); // CEST, UTC+2
        assert_eq!(times[31], utc("2024-10-26 05:00"));
        let after = expand("FREQ=WEEKLY;COUNT=2", "2024-10-26 07:00", Berlin);
        assert_eq!(after[1], utc("2024-11-02 06:00"));
        for t in times {
            assert_eq!(
                t.with_timezone(&Berlin).time(),
                NaiveTime::from_hms_opt(7, 0, 0).unwrap()
            );
        }
    }

    #[test]
    fn a_berlin_time_in_the_spring_gap_moves_forward_by_the_gap() {
        // 2024-03-31: 02:00 CET jumps to 03:00 CEST.
        assert_eq!(
            local_times("FREQ=DAILY;COUNT=3", "2024-03-30 02:30", Berlin),
            ["2024-03-30 02:30", "2024-03-31 03:30", "2024-04-01 02:30"]
        );
        assert_eq!(
            expand("FREQ=DAILY;COUNT=3", "2024-03-30 02:30", Berlin),
            [
                utc("2024-03-30 01:30"),
                utc("2024-03-31 01:30"),
                utc("2024-04-01 00:30")
            ]
        );
        // A first start inside the gap moves too; the rest keep 02:30.
        assert_eq!(
            local_times("FREQ=DAILY;COUNT=2", "2024-03-31 02:30", Berlin),
            ["2024-03-31 03:30", "2024-04-01 02:30"]
        );
    }

    #[test]
    fn a_berlin_time_in_the_autumn_overlap_takes_the_first_instant() {
        // 2024-10-27: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice.
        assert_eq!(
            expand("FREQ=DAILY;COUNT=3", "2024-10-26 02:30", Berlin),
            [
                utc("2024-10-26 00:30"),
                utc("2024-10-27 00:30"), // 02:30 CEST, the first of the two
                utc("2024-10-28 01:30")
            ]
        );
    }

    #[test]
    fn new_york_gap_and_overlap_follow_the_same_rules() {
        // 2024-03-10: 02:00 EST jumps to 03:00 EDT.
        assert_eq!(
            expand("FREQ=DAILY;COUNT=3", "2024-03-09 02:30", New_York),
            [
                utc("2024-03-09 07:30"),
                utc("2024-03-10 07:30"), // 03:30 EDT
                utc("2024-03-11 06:30")
            ]
        );
        assert_eq!(
            local_times("FREQ=DAILY;COUNT=3", "2024-03-09 02:30", New_York)[1],
            "2024-03-10 03:30"
        );
        // 2024-11-03: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
        assert_eq!(
            expand("FREQ=DAILY;COUNT=3", "2024-11-02 01:30", New_York),
            [
                utc("2024-11-02 05:30"),
                utc("2024-11-03 05:30"), // 01:30 EDT, the first of the two
                utc("2024-11-04 06:30")
            ]
        );
    }

    #[test]
    fn a_weekly_new_york_class_keeps_six_in_the_evening() {
        let times = expand(
            "FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20241231",
            "2024-01-02 18:00",
            New_York,
        );
        assert!(times.iter().all(|t| {
            let l = t.with_timezone(&New_York);
            l.time() == NaiveTime::from_hms_opt(18, 0, 0).unwrap()
                && matches!(l.weekday(), chrono::Weekday::Tue | chrono::Weekday::Thu)
        }));
        assert_eq!(times.len(), 105);
        assert!(times.contains(&utc("2024-03-07 23:00"))); // EST
        assert!(times.contains(&utc("2024-03-12 22:00"))); // EDT
    }

    #[test]
    fn a_skipped_day_does_not_produce_a_duplicate() {
        // Samoa skipped 30 December 2011: 10:00 that day moves a whole day onto the 31st.
        let apia = chrono_tz::Pacific::Apia;
        assert_eq!(
            local_times("FREQ=DAILY;COUNT=4", "2011-12-28 10:00", apia),
            [
                "2011-12-28 10:00",
                "2011-12-29 10:00",
                "2011-12-31 10:00",
                "2012-01-01 10:00"
            ]
        );
    }

    #[test]
    fn local_to_utc_resolves_gaps_and_overlaps() {
        assert_eq!(
            local_to_utc(local("2024-03-10 02:00"), New_York).unwrap(),
            utc("2024-03-10 07:00")
        );
        assert_eq!(
            local_to_utc(local("2024-03-10 01:59"), New_York).unwrap(),
            utc("2024-03-10 06:59")
        );
        assert_eq!(
            local_to_utc(local("2024-10-27 02:00"), Berlin).unwrap(),
            utc("2024-10-27 00:00")
        );
    }
}
