//! Parsing an RRULE value into a [`RecurrenceRule`], refusing anything this module cannot expand.

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

use super::{ByDay, End, Frequency, RecurrenceRule, Until};

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
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        match RecurrenceRule::parse(s) {
            Ok(rule) => panic!("{s} parsed as {rule}"),
            Err(e) => e,
        }
    }

    fn ok(s: &str) -> RecurrenceRule {
        match RecurrenceRule::parse(s) {
            Ok(rule) => rule,
            Err(e) => panic!("{s} failed: {e}"),
        }
    }

    #[test]
    fn a_minimal_rule_has_the_defaults() {
        let rule = ok("FREQ=DAILY");
        assert_eq!(rule.frequency(), Frequency::Daily);
        assert_eq!(rule.interval(), 1);
        assert!(rule.by_day().is_empty());
        assert!(rule.by_month_day().is_empty());
        assert_eq!(rule.week_start(), Weekday::Mon);
        assert_eq!(rule.end(), End::Never);
        assert_eq!(rule.to_string(), "FREQ=DAILY");
    }

    #[test]
    fn the_rrule_prefix_case_and_spaces_and_a_trailing_semicolon_are_accepted() {
        let a = ok("RRULE:FREQ=WEEKLY;BYDAY=MO,WE");
        let b = ok("  rrule:freq=weekly; byday = we , mo ;");
        let c = ok("FREQ=WEEKLY;BYDAY=WE,MO");
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.to_string(), "FREQ=WEEKLY;BYDAY=MO,WE");
    }

    #[test]
    fn display_is_canonical_and_parses_back() {
        for (input, canonical) in [
            ("FREQ=WEEKLY;INTERVAL=1", "FREQ=WEEKLY"),
            ("FREQ=WEEKLY;WKST=MO;COUNT=3", "FREQ=WEEKLY;COUNT=3"),
            (
                "WKST=SU;BYDAY=TU,SU;INTERVAL=2;FREQ=WEEKLY",
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=SU",
            ),
            (
                "FREQ=MONTHLY;BYDAY=-1FR,+1MO,2TU",
                "FREQ=MONTHLY;BYDAY=1MO,2TU,-1FR",
            ),
            (
                "FREQ=MONTHLY;BYMONTHDAY=-1,15,1,-2",
                "FREQ=MONTHLY;BYMONTHDAY=1,15,-2,-1",
            ),
            (
                "FREQ=DAILY;UNTIL=20250102T030405Z",
                "FREQ=DAILY;UNTIL=20250102T030405Z",
            ),
            ("FREQ=DAILY;UNTIL=20250102", "FREQ=DAILY;UNTIL=20250102"),
        ] {
            let rule = ok(input);
            assert_eq!(rule.to_string(), canonical, "{input}");
            assert_eq!(ok(&rule.to_string()), rule, "{input}");
        }
    }

    #[test]
    fn every_supported_part_is_read() {
        let rule = ok("FREQ=MONTHLY;INTERVAL=3;BYDAY=1MO,FR;BYMONTHDAY=13;COUNT=12;WKST=SU");
        assert_eq!(rule.frequency(), Frequency::Monthly);
        assert_eq!(rule.interval(), 3);
        assert_eq!(
            rule.by_day(),
            [
                ByDay {
                    ordinal: Some(1),
                    weekday: Weekday::Mon
                },
                ByDay {
                    ordinal: None,
                    weekday: Weekday::Fri
                },
            ]
        );
        assert_eq!(rule.by_month_day(), [13]);
        assert_eq!(rule.end(), End::Count(12));
        assert_eq!(rule.week_start(), Weekday::Sun);
        let until = ok("FREQ=DAILY;UNTIL=20240229T235959Z").end();
        assert_eq!(
            until,
            End::Until(Until::DateTime(
                Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 59).unwrap()
            ))
        );
        let until = ok("FREQ=DAILY;UNTIL=20240229").end();
        assert_eq!(
            until,
            End::Until(Until::Date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()))
        );
    }

    #[test]
    fn the_bounds_of_interval_count_and_month_days_are_inclusive() {
        assert_eq!(ok("FREQ=DAILY;INTERVAL=52").interval(), 52);
        assert_eq!(ok("FREQ=DAILY;COUNT=1").end(), End::Count(1));
        assert_eq!(ok("FREQ=DAILY;COUNT=1000").end(), End::Count(1000));
        assert_eq!(
            ok("FREQ=MONTHLY;BYMONTHDAY=31,-31").by_month_day(),
            [31, -31]
        );
        assert_eq!(ok("FREQ=MONTHLY;BYDAY=5SU,-5SA").by_day().len(), 2);
    }

    #[test]
    fn daily_and_weekly_rules_take_plain_weekdays() {
        let rule = ok("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR");
        assert_eq!(rule.by_day().len(), 5);
        assert!(rule.by_day().iter().all(|d| d.ordinal.is_none()));
        assert_eq!(ok("FREQ=WEEKLY;BYDAY=SU").by_day()[0].weekday, Weekday::Sun);
    }

    #[test]
    fn unsupported_frequencies_are_refused_by_name() {
        for f in ["YEARLY", "HOURLY", "MINUTELY", "SECONDLY"] {
            let e = err(&format!("FREQ={f}"));
            assert!(e.contains(&format!("FREQ={f} is not supported")), "{e}");
        }
        assert!(err("FREQ=FORTNIGHTLY").contains("FREQ must be DAILY, WEEKLY or MONTHLY"));
        assert!(err("FREQ=").contains("FREQ must be"));
    }

    #[test]
    fn unsupported_and_unknown_parts_are_refused_by_name() {
        for part in UNSUPPORTED {
            let e = err(&format!("FREQ=DAILY;{part}=1"));
            assert!(e.starts_with(&format!("{part} is not supported")), "{e}");
        }
        assert_eq!(
            err("FREQ=DAILY;X-FOO=1"),
            "X-FOO is not a recurrence rule part"
        );
        assert_eq!(
            err("FREQ=DAILY;BYDAYS=MO"),
            "BYDAYS is not a recurrence rule part"
        );
        assert!(err("FREQ=DAILY;COUNT").contains("COUNT is not a NAME=VALUE part"));
        assert!(err("FREQ=DAILY;=3").contains("no part name"));
    }

    #[test]
    fn missing_or_empty_input_is_refused() {
        assert!(err("").contains("the rule is empty"));
        assert!(err("RRULE:").contains("the rule is empty"));
        assert!(err("INTERVAL=2").starts_with("FREQ is missing"));
        assert!(err("FREQ=DAILY;;COUNT=2").contains("empty part"));
        assert!(err(&format!("FREQ=DAILY;{}", "COUNT=1;".repeat(100))).contains("at most 500"));
    }

    #[test]
    fn duplicated_parts_are_refused() {
        assert_eq!(
            err("FREQ=DAILY;FREQ=WEEKLY"),
            "FREQ is given more than once"
        );
        assert_eq!(
            err("FREQ=DAILY;INTERVAL=2;INTERVAL=2"),
            "INTERVAL is given more than once"
        );
        assert_eq!(
            err("FREQ=WEEKLY;BYDAY=MO;BYDAY=TU"),
            "BYDAY is given more than once"
        );
        assert_eq!(
            err("FREQ=DAILY;COUNT=2;COUNT=3"),
            "COUNT is given more than once"
        );
        assert_eq!(
            err("FREQ=DAILY;WKST=MO;WKST=MO"),
            "WKST is given more than once"
        );
        assert_eq!(
            err("FREQ=WEEKLY;BYDAY=MO,TU,MO"),
            "BYDAY lists MO more than once"
        );
        assert_eq!(
            err("FREQ=MONTHLY;BYDAY=-1FR,-1FR"),
            "BYDAY lists -1FR more than once"
        );
        assert_eq!(
            err("FREQ=MONTHLY;BYMONTHDAY=1,+1"),
            "BYMONTHDAY lists 1 more than once"
        );
    }

    #[test]
    fn bad_intervals_and_counts_are_refused() {
        for v in ["0", "53", "-1", "+2", "two", "", "1.5", "99999"] {
            assert!(
                err(&format!("FREQ=DAILY;INTERVAL={v}"))
                    .starts_with("INTERVAL must be a whole number from 1 to 52"),
                "{v}"
            );
        }
        for v in ["0", "1001", "-3", "ten", ""] {
            assert!(
                err(&format!("FREQ=DAILY;COUNT={v}"))
                    .starts_with("COUNT must be a whole number from 1 to 1000"),
                "{v}"
            );
        }
    }

    #[test]
    fn bad_days_are_refused() {
        for v in ["XX", "M", "MON", "", "1", "MO,", "1 MO", "+-1MO"] {
            assert!(
                err(&format!("FREQ=MONTHLY;BYDAY={v}")).starts_with("BYDAY has"),
                "{v}"
            );
        }
        for v in ["0MO", "6MO", "-6FR", "53MO"] {
            assert!(
                err(&format!("FREQ=MONTHLY;BYDAY={v}")).contains("position outside 1 to 5"),
                "{v}"
            );
        }
        let e = err("FREQ=WEEKLY;BYDAY=1MO");
        assert!(e.contains("only allowed with FREQ=MONTHLY"), "{e}");
        let e = err("FREQ=DAILY;BYDAY=-1FR");
        assert!(e.contains("only allowed with FREQ=MONTHLY"), "{e}");
        assert!(err("FREQ=DAILY;WKST=XX").starts_with("WKST must be"));
    }

    #[test]
    fn bad_month_days_are_refused() {
        for v in ["0", "32", "-32", "x", "", "1,,2", "+"] {
            assert!(
                err(&format!("FREQ=MONTHLY;BYMONTHDAY={v}")).starts_with("BYMONTHDAY has"),
                "{v}"
            );
        }
        assert_eq!(
            err("FREQ=WEEKLY;BYMONTHDAY=1"),
            "BYMONTHDAY is only supported with FREQ=MONTHLY"
        );
        assert_eq!(
            err("FREQ=DAILY;BYMONTHDAY=1"),
            "BYMONTHDAY is only supported with FREQ=MONTHLY"
        );
    }

    #[test]
    fn bad_until_values_are_refused() {
        for v in [
            "2024",
            "20241301",
            "20240230",
            "20230229",
            "2024-01-01",
            "20240101T250000Z",
            "20240101T120000+0100",
            "20240101 120000Z",
            "20240101T1200Z",
            "",
        ] {
            assert!(
                err(&format!("FREQ=DAILY;UNTIL={v}")).starts_with("UNTIL must be a date"),
                "{v}"
            );
        }
        let e = err("FREQ=DAILY;UNTIL=20240101T120000");
        assert!(e.contains("has a time without a zone"), "{e}");
    }

    #[test]
    fn count_and_until_together_are_refused() {
        assert_eq!(
            err("FREQ=DAILY;COUNT=3;UNTIL=20300101"),
            "COUNT and UNTIL cannot both be given; use one of them"
        );
    }

    #[test]
    fn from_str_is_parse() {
        let rule: RecurrenceRule = "FREQ=WEEKLY;BYDAY=TU".parse().unwrap();
        assert_eq!(rule, ok("FREQ=WEEKLY;BYDAY=TU"));
    }
}
