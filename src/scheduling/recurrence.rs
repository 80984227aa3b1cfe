//! Repeating series: the subset of RFC 5545 recurrence rules (`RRULE`) that scheduling offers, and
//! their expansion into UTC instants that keep the same local wall-clock time in a named time zone.
//!
//! A [`RecurrenceRule`] can only be built by [`RecurrenceRule::parse`], so a rule that exists is one
//! this module can expand. Supported: `FREQ=DAILY|WEEKLY|MONTHLY`, `INTERVAL` (1 to 52), `BYDAY`
//! (weekdays; with `MONTHLY` also positions such as `1MO` or `-1FR`), `BYMONTHDAY` (with `MONTHLY`),
//! `COUNT` (1 to 1000) or `UNTIL`, and `WKST`. Everything else is refused with a message that names
//! the part. [`occurrences`] expands a rule (its doc comment states the semantics), and
//! [`local_to_utc`] resolves one wall-clock time by the same rules for gaps and overlaps.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc, Weekday};

mod expand;
mod parse;
#[cfg(test)]
mod properties;

pub use expand::{Limit, local_to_utc, occurrences};

/// How often a series repeats (`FREQ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    /// Every `INTERVAL` days.
    Daily,
    /// Every `INTERVAL` weeks.
    Weekly,
    /// Every `INTERVAL` months.
    Monthly,
}

impl Frequency {
    /// The RFC 5545 name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "DAILY",
            Self::Weekly => "WEEKLY",
            Self::Monthly => "MONTHLY",
        }
    }
}

/// One `BYDAY` entry: a weekday, and with `FREQ=MONTHLY` optionally its position in the month
/// (`1MO` is the first Monday, `-1FR` the last Friday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByDay {
    /// 1 to 5 counts from the start of the month, -1 to -5 from its end; `None` is every such day.
    pub ordinal: Option<i8>,
    /// The day of the week.
    pub weekday: Weekday,
}

/// The inclusive end of a series given by `UNTIL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Until {
    /// `UNTIL=YYYYMMDD`: occurrences on this local date or before.
    Date(NaiveDate),
    /// `UNTIL=YYYYMMDDTHHMMSSZ`: occurrences starting at this instant or before.
    DateTime(DateTime<Utc>),
}

/// How a series ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum End {
    /// Neither `COUNT` nor `UNTIL`: the series is expanded up to the caller's horizon.
    Never,
    /// `COUNT`: this many occurrences, the first start included.
    Count(u32),
    /// `UNTIL`: up to and including this date or instant.
    Until(Until),
}

/// A parsed, supported recurrence rule. `Display` gives its canonical RRULE value (without the
/// `RRULE:` prefix), which parses back to an equal rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecurrenceRule {
    frequency: Frequency,
    interval: u32,
    /// Sorted by weekday (Monday first), then position; no duplicates.
    by_day: Vec<ByDay>,
    /// Positive days ascending, then negative days ascending; no duplicates.
    by_month_day: Vec<i8>,
    week_start: Weekday,
    end: End,
}

impl RecurrenceRule {
    /// Parses an RRULE value, with or without the `RRULE:` prefix; names and values are
    /// case-insensitive. The error names the offending part.
    pub fn parse(s: &str) -> Result<Self, String> {
        parse::parse(s)
    }

    /// `FREQ`.
    pub fn frequency(&self) -> Frequency {
        self.frequency
    }

    /// `INTERVAL`, 1 when absent.
    pub fn interval(&self) -> u32 {
        self.interval
    }

    /// `BYDAY`, sorted by weekday; empty when absent.
    pub fn by_day(&self) -> &[ByDay] {
        &self.by_day
    }

    /// `BYMONTHDAY`, positive days then negative ones; empty when absent.
    pub fn by_month_day(&self) -> &[i8] {
        &self.by_month_day
    }

    /// `WKST`, Monday when absent. It only matters for weekly rules with an interval above 1.
    pub fn week_start(&self) -> Weekday {
        self.week_start
    }

    /// `COUNT`, `UNTIL` or neither.
    pub fn end(&self) -> End {
        self.end
    }
}

impl FromStr for RecurrenceRule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The two-letter RFC 5545 name of a weekday.
pub(crate) fn weekday_code(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

impl fmt::Display for ByDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = self.ordinal {
            write!(f, "{n}")?;
        }
        f.write_str(weekday_code(self.weekday))
    }
}

impl fmt::Display for Until {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Date(d) => write!(f, "{}", d.format("%Y%m%d")),
            Self::DateTime(t) => write!(f, "{}", t.format("%Y%m%dT%H%M%SZ")),
        }
    }
}

impl fmt::Display for RecurrenceRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FREQ={}", self.frequency.as_str())?;
        if self.interval != 1 {
            write!(f, ";INTERVAL={}", self.interval)?;
        }
        if !self.by_day.is_empty() {
            let days: Vec<String> = self.by_day.iter().map(ToString::to_string).collect();
            write!(f, ";BYDAY={}", days.join(","))?;
        }
        if !self.by_month_day.is_empty() {
            let days: Vec<String> = self.by_month_day.iter().map(ToString::to_string).collect();
            write!(f, ";BYMONTHDAY={}", days.join(","))?;
        }
        match self.end {
            End::Never => {}
            End::Count(n) => write!(f, ";COUNT={n}")?,
            End::Until(u) => write!(f, ";UNTIL={u}")?,
        }
        if self.week_start != Weekday::Mon {
            write!(f, ";WKST={}", weekday_code(self.week_start))?;
        }
        Ok(())
    }
}
