//! Parsing an RRULE value into a [`RecurrenceRule`], refusing anything this module cannot expand.

use std::str::FromStr;

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

use super::{ByDay, End, Frequency, RecurrenceRule, Until};

impl RecurrenceRule {
    /// Parses an RRULE value, with or without the `RRULE:` prefix; names and values are
    /// case-insensitive. The error names the offending part.
    pub fn parse(s: &str) -> Result<Self, String> {
        parse(s)
    }
}

impl FromStr for RecurrenceRule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Longer than any sensible rule; keeps error messages and work bounded.
const MAX_LENGTH: usize = 500;
/// The most occurrences `COUNT` may ask for.
pub(crate) const MAX_COUNT: u32 = 1000;
/// The largest `INTERVAL`.
pub(crate) const MAX_INTERVAL: u32 = 52;

/// Rule parts RFC 5545 defines that this module deliberately does not support.
const UNSUPPORTED: [&str; 7] = [
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
];

pub(super) fn parse(input: &str) -> Result<RecurrenceRule, String> {
    let s = input.trim();
    if s.len() > MAX_LENGTH {
        return Err(format!(
            "the rule must be at most {MAX_LENGTH} characters long"
        ));
    }
    let body = match s.get(..6) {
        Some(prefix) if prefix.eq_ignore_ascii_case("RRULE:") => &s[6..],
        _ => s,
    };
    let body = body.strip_suffix(';').unwrap_or(body);
    if body.trim().is_empty() {
        return Err(
            "the rule is empty; it needs at least FREQ=DAILY, WEEKLY or MONTHLY".to_owned(),
        );
    }

    let mut frequency = None;
    let mut interval = None;
    let mut by_day = None;
    let mut by_month_day = None;
    let mut count = None;
    let mut until = None;
    let mut week_start = None;
    for part in body.split(';') {
        let part = part.trim();
        if part.is_empty() {
            return Err("the rule has an empty part (two ';' in a row)".to_owned());
        }
        let Some((name, value)) = part.split_once('=') else {
            return Err(format!("{part} is not a NAME=VALUE part"));
        };
        let name = name.trim().to_ascii_uppercase();
        let value = value.trim().to_ascii_uppercase();
        match name.as_str() {
            "FREQ" => set_once(&mut frequency, "FREQ", parse_frequency(&value)?)?,
            "INTERVAL" => set_once(&mut interval, "INTERVAL", parse_interval(&value)?)?,
            "BYDAY" => set_once(&mut by_day, "BYDAY", parse_by_day(&value)?)?,
            "BYMONTHDAY" => set_once(&mut by_month_day, "BYMONTHDAY", parse_by_month_day(&value)?)?,
            "COUNT" => set_once(&mut count, "COUNT", parse_count(&value)?)?,
            "UNTIL" => set_once(&mut until, "UNTIL", parse_until(&value)?)?,
            "WKST" => set_once(
                &mut week_start,
                "WKST",
                parse_weekday(&value).ok_or_else(|| {
                    format!("WKST must be one of MO, TU, WE, TH, FR, SA or SU, not {value}")
                })?,
            )?,
            _ if UNSUPPORTED.contains(&name.as_str()) => {
                return Err(format!(
                    "{name} is not supported; only FREQ, INTERVAL, BYDAY, BYMONTHDAY, COUNT, \
                     UNTIL and WKST are"
                ));
            }
            "" => return Err(format!("{part} has no part name before '='")),
            _ => return Err(format!("{name} is not a recurrence rule part")),
        }
    }

    let Some(frequency) = frequency else {
        return Err("FREQ is missing; use FREQ=DAILY, FREQ=WEEKLY or FREQ=MONTHLY".to_owned());
    };
    let by_day = by_day.unwrap_or_default();
    let by_month_day = by_month_day.unwrap_or_default();
    if frequency != Frequency::Monthly {
        if !by_month_day.is_empty() {
            return Err("BYMONTHDAY is only supported with FREQ=MONTHLY".to_owned());
        }
        if let Some(b) = by_day.iter().find(|b| b.ordinal.is_some()) {
            return Err(format!(
                "BYDAY={b} has a position, which is only allowed with FREQ=MONTHLY; use the \
                 plain weekday"
            ));
        }
    }
    let end = match (count, until) {
        (Some(_), Some(_)) => {
            return Err("COUNT and UNTIL cannot both be given; use one of them".to_owned());
        }
        (Some(n), None) => End::Count(n),
        (None, Some(u)) => End::Until(u),
        (None, None) => End::Never,
    };
    Ok(RecurrenceRule {
        frequency,
        interval: interval.unwrap_or(1),
        by_day,
        by_month_day,
        week_start: week_start.unwrap_or(Weekday::Mon),
        end,
    })
}

fn set_once<T>(slot: &mut Option<T>, name: &str, value: T) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!("{name} is given more than once"));
    }
    *slot = Some(value);
    Ok(())
}

fn parse_frequency(value: &str) -> Result<Frequency, String> {
    match value {
        "DAILY" => Ok(Frequency::Daily),
        "WEEKLY" => Ok(Frequency::Weekly),
        "MONTHLY" => Ok(Frequency::Monthly),
        "YEARLY" | "HOURLY" | "MINUTELY" | "SECONDLY" => Err(format!(
            "FREQ={value} is not supported; use DAILY, WEEKLY or MONTHLY"
        )),
        _ => Err(format!(
            "FREQ must be DAILY, WEEKLY or MONTHLY, not {value}"
        )),
    }
}

/// A plain decimal number of at most four digits (no sign, no spaces).
fn parse_digits(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A decimal number with an optional `+` or `-` sign.
fn parse_signed(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = i64::from(parse_digits(digits)?);
    Some(if negative { -n } else { n })
}

fn parse_interval(value: &str) -> Result<u32, String> {
    match parse_digits(value) {
        Some(n) if (1..=MAX_INTERVAL).contains(&n) => Ok(n),
        _ => Err(format!(
            "INTERVAL must be a whole number from 1 to {MAX_INTERVAL}, not {value}"
        )),
    }
}

fn parse_count(value: &str) -> Result<u32, String> {
    match parse_digits(value) {
        Some(n) if (1..=MAX_COUNT).contains(&n) => Ok(n),
        _ => Err(format!(
            "COUNT must be a whole number from 1 to {MAX_COUNT}, not {value}"
        )),
    }
}

fn parse_weekday(code: &str) -> Option<Weekday> {
    Some(match code {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return None,
    })
}

fn parse_by_day(value: &str) -> Result<Vec<ByDay>, String> {
    let mut days: Vec<ByDay> = Vec::new();
    for item in value.split(',') {
        let item = item.trim();
        let bad = || {
            format!(
                "BYDAY has {item:?}, which is not a day; use MO, TU, WE, TH, FR, SA or SU, with \
                 FREQ=MONTHLY optionally with a position such as 1MO or -1FR"
            )
        };
        let split = item.len().checked_sub(2).ok_or_else(bad)?;
        let (position, code) = (item.get(..split).ok_or_else(bad)?, &item[split..]);
        let weekday = parse_weekday(code).ok_or_else(bad)?;
        let ordinal = if position.is_empty() {
            None
        } else {
            match parse_signed(position).ok_or_else(bad)? {
                n @ (1..=5 | -5..=-1) => i8::try_from(n).ok(),
                _ => {
                    return Err(format!(
                        "BYDAY={item} has a position outside 1 to 5 and -1 to -5"
                    ));
                }
            }
        };
        let day = ByDay { ordinal, weekday };
        if days.contains(&day) {
            return Err(format!("BYDAY lists {day} more than once"));
        }
        days.push(day);
    }
    days.sort_by_key(|d| (d.weekday.num_days_from_monday(), d.ordinal));
    Ok(days)
}

fn parse_by_month_day(value: &str) -> Result<Vec<i8>, String> {
    let mut days: Vec<i8> = Vec::new();
    for item in value.split(',') {
        let item = item.trim();
        let day = match parse_signed(item) {
            Some(n @ (1..=31 | -31..=-1)) => i8::try_from(n).ok(),
            _ => None,
        };
        let Some(day) = day else {
            return Err(format!(
                "BYMONTHDAY has {item:?}; each day must be 1 to 31, or -1 (the last day) to -31"
            ));
        };
        if days.contains(&day) {
            return Err(format!("BYMONTHDAY lists {day} more than once"));
        }
        days.push(day);
    }
    days.sort_by_key(|&d| (d < 0, d));
    Ok(days)
}

fn parse_until(value: &str) -> Result<Until, String> {
    let bad = || {
        format!(
            "UNTIL must be a date (YYYYMMDD) or a UTC date-time (YYYYMMDDTHHMMSSZ), not {value}"
        )
    };
    let digits = |range: std::ops::Range<usize>| value.get(range).and_then(parse_digits);
    let date = match (digits(0..4), digits(4..6), digits(6..8)) {
        (Some(y), Some(m), Some(d)) => i32::try_from(y)
            .ok()
            .and_then(|y| NaiveDate::from_ymd_opt(y, m, d))
            .ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    if value.len() == 8 {
        return Ok(Until::Date(date));
    }
    if value.len() == 15 && value.as_bytes().get(8) == Some(&b'T') {
        return Err(format!(
            "UNTIL={value} has a time without a zone; give the time in UTC ending in Z \
             (YYYYMMDDTHHMMSSZ), or give only the date"
        ));
    }
    if value.len() != 16 || value.as_bytes().get(8) != Some(&b'T') || !value.ends_with('Z') {
        return Err(bad());
    }
    let time = match (digits(9..11), digits(11..13), digits(13..15)) {
        (Some(h), Some(m), Some(s)) => NaiveTime::from_hms_opt(h, m, s).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    Ok(Until::DateTime(Utc.from_utc_datetime(&date.and_time(time))))
}

#[cfg(test)]
mod tests;
