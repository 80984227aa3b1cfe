//! The types of a recurrence rule ([`RecurrenceRule`] and its parts) and their canonical RRULE text.
//! Parsing is in the sibling `parse` module, expansion in `expand`.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc, Weekday};

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
    pub(super) frequency: Frequency,
    pub(super) interval: u32,
    /// Sorted by weekday (Monday first), then position; no duplicates.
    pub(super) by_day: Vec<ByDay>,
    /// Positive days ascending, then negative days ascending; no duplicates.
    pub(super) by_month_day: Vec<i8>,
    pub(super) week_start: Weekday,
    pub(super) end: End,
}

impl RecurrenceRule {
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
