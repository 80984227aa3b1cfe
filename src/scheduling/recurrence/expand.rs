//! Expanding a [`RecurrenceRule`] into UTC instants in a named time zone.
//!
//! The calendar walk (which dates a rule selects) is the `rrule` crate's. It is run on the wall-clock
//! calendar (the first start's local date and time, read as if it were UTC, where every day has 24
//! hours), and each date it yields is turned into an instant in the series' zone only here, by
//! [`local_to_utc`], so the wall-clock time never drifts across daylight-saving changes. The crate's
//! own zone handling drops a time that falls in a gap starting at midnight (São Paulo, Santiago,
//! Tehran), so the zone step stays ours: docs/DEVELOPMENT.md, "Recurrence", has the cases. `COUNT`,
//! `UNTIL`, the first start counting as the first occurrence and the limits are applied here too,
//! because RFC 5545 counts the first start even when it does not match the rule and the crate does
//! not.

use chrono::{
    DateTime, Datelike, Days, LocalResult, Months, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeDelta, TimeZone, Utc,
};
use chrono_tz::Tz;
use rrule::{NWeekday, RRule, RRuleSet, Unvalidated};

use super::{End, Frequency, RecurrenceRule, Until};

/// How far past the horizon a bounded rule is searched for one more occurrence before it is taken
/// to have none: 4800 months is the whole 400-year Gregorian cycle (weekdays and month lengths
/// repeat after it), more than any daily or weekly rule needs.
const SEARCH_PAST_HORIZON: Months = Months::new(4800);

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
    let walk = wall_clock_walk(rule, first_start_local, search_end(rule, horizon_end)?)?;
    let relaxed = walked_relaxed(rule);
    for date in &walk {
        let local = date.naive_utc();
        if local <= first_start_local || (relaxed && !by_day_matches(rule, local.date())) {
            continue;
        }
        if series.offer(local)? == Flow::Stop {
            return Ok(series.found);
        }
    }
    Ok(series.found)
}

/// The last wall-clock time the crate needs to walk to: the horizon for an endless rule (the first
/// candidate at or past it ends the series); for a bounded one the end of `UNTIL` or, for `COUNT`,
/// a whole Gregorian cycle past the horizon (a candidate there is an error; none means none ever).
fn search_end(rule: &RecurrenceRule, horizon_end: NaiveDateTime) -> Result<NaiveDateTime, String> {
    let too_far = || "the horizon is too far in the future".to_owned();
    let cycle_end = horizon_end
        .checked_add_months(SEARCH_PAST_HORIZON)
        .ok_or_else(too_far)?;
    Ok(match rule.end {
        End::Never => horizon_end,
        End::Count(_) => cycle_end,
        End::Until(Until::Date(d)) => d
            .checked_add_days(Days::new(1))
            .ok_or_else(too_far)?
            .and_time(NaiveTime::MIN)
            .min(cycle_end),
        // No wall-clock time on a date two days after a UTC instant's date is before it.
        End::Until(Until::DateTime(t)) => t
            .date_naive()
            .checked_add_days(Days::new(2))
            .ok_or_else(too_far)?
            .and_time(NaiveTime::MIN)
            .min(cycle_end),
    })
}

/// The dates `rule` selects from `first_start_local` up to `search_end`, at the first start's time
/// of day, walked by the `rrule` crate on the wall-clock calendar (as UTC date-times, so no day is
/// shorter or longer than 24 hours there). The first start itself is included only if it matches.
fn wall_clock_walk(
    rule: &RecurrenceRule,
    first_start_local: NaiveDateTime,
    search_end: NaiveDateTime,
) -> Result<RRuleSet, String> {
    let floating = |t: NaiveDateTime| t.and_utc().with_timezone(&rrule::Tz::UTC);
    to_crate_rule(rule)
        .until(floating(search_end))
        .build(floating(first_start_local))
        .map_err(|e| format!("the rule cannot be expanded: {e}"))
}

/// The crate's form of a rule, without its end: `COUNT` and `UNTIL` are applied by [`Series`].
fn to_crate_rule(rule: &RecurrenceRule) -> RRule<Unvalidated> {
    let frequency = match rule.frequency {
        Frequency::Daily => rrule::Frequency::Daily,
        Frequency::Weekly => rrule::Frequency::Weekly,
        Frequency::Monthly => rrule::Frequency::Monthly,
    };
    // The parser bounds INTERVAL to 1..=52, BYDAY positions to ±5 and BYMONTHDAY to ±31.
    let interval = u16::try_from(rule.interval).unwrap_or(u16::MAX);
    let relaxed = walked_relaxed(rule);
    let by_weekday = rule
        .by_day
        .iter()
        .map(|b| NWeekday::new(b.ordinal.filter(|_| !relaxed).map(i16::from), b.weekday))
        .collect();
    RRule::new(frequency)
        .interval(interval)
        .week_start(rule.week_start)
        .by_weekday(by_weekday)
        .by_month_day(rule.by_month_day.clone())
}

/// Whether the crate walks the rule's weekdays without their positions, leaving the positions to
/// [`by_day_matches`]. rrule 0.14 gets two `BYDAY` lists of a monthly rule wrong: it refuses the
/// fifth-last weekday (`-5MO`; it allows -4 to 5), and it reads a list that mixes plain and
/// positioned days (`MO,1TU`) as "a Monday that is also the first Tuesday" instead of either.
fn walked_relaxed(rule: &RecurrenceRule) -> bool {
    let positioned = rule.by_day.iter().filter(|b| b.ordinal.is_some()).count();
    rule.by_day.iter().any(|b| b.ordinal == Some(-5))
        || (positioned > 0 && positioned < rule.by_day.len())
}

/// Whether a date the crate selected for a monthly rule matches its `BYDAY` exactly, positions
/// included (`BYMONTHDAY` the crate has already applied).
fn by_day_matches(rule: &RecurrenceRule, date: NaiveDate) -> bool {
    let day = i64::from(date.day());
    let days = date
        .with_day(1)
        .and_then(|first| first.checked_add_months(Months::new(1)))
        .and_then(|next| next.pred_opt())
        .map_or(31, |last| i64::from(last.day()));
    rule.by_day.iter().any(|b| {
        b.weekday == date.weekday()
            && match b.ordinal.map(i64::from) {
                None => true,
                Some(n) if n > 0 => (day - 1) / 7 + 1 == n,
                Some(n) => (days - day) / 7 + 1 == -n,
            }
    })
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

#[cfg(test)]
mod tests;
#[cfg(test)]
mod zones;
