//! Unit tests of the expansion: calendar cases, limits, and the cases rrule 0.14 gets wrong on its
//! own.

use chrono_tz::Europe::Berlin;

use super::*;

pub(super) fn rule(s: &str) -> RecurrenceRule {
    RecurrenceRule::parse(s).unwrap()
}

pub(super) fn local(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

pub(super) fn utc(s: &str) -> DateTime<Utc> {
    local(s).and_utc()
}

/// The occurrences of `r` from `start` in `tz`, within ten years.
pub(super) fn expand(r: &str, start: &str, tz: Tz) -> Vec<DateTime<Utc>> {
    occurrences(
        &rule(r),
        local(start),
        tz,
        Limit::new(1000, Months::new(120)),
    )
    .unwrap()
}

pub(super) fn expand_err(r: &str, start: &str, tz: Tz, limit: Limit) -> String {
    occurrences(&rule(r), local(start), tz, limit).unwrap_err()
}

/// The local wall-clock times (as "YYYY-MM-DD HH:MM") of `r` from `start` in `tz`.
pub(super) fn local_times(r: &str, start: &str, tz: Tz) -> Vec<String> {
    expand(r, start, tz)
        .into_iter()
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .collect()
}

pub(super) fn dates(r: &str, start: &str) -> Vec<String> {
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
fn a_fifth_last_weekday_comes_only_in_months_with_five() {
    // rrule 0.14 refuses -5MO; it is walked as every Monday and filtered.
    assert_eq!(
        dates("FREQ=MONTHLY;BYDAY=-5MO;COUNT=3", "2024-01-01 10:00"),
        ["2024-01-01", "2024-04-01", "2024-07-01"]
    );
    assert_eq!(
        dates("FREQ=MONTHLY;BYDAY=-5MO,2MO;COUNT=4", "2024-01-01 10:00"),
        ["2024-01-01", "2024-01-08", "2024-02-12", "2024-03-11"]
    );
    let start = local("2024-01-01 10:00")
        .and_utc()
        .with_timezone(&rrule::Tz::UTC);
    let refused = RRule::new(rrule::Frequency::Monthly)
        .by_weekday(vec![NWeekday::Nth(-5, chrono::Weekday::Mon)])
        .build(start);
    assert!(refused.is_err(), "rrule now takes -5MO: walk it directly");
}

#[test]
fn a_day_list_mixing_plain_and_positioned_days_is_either() {
    // rrule 0.14 alone gives nothing here: a Monday that is also the first Tuesday.
    assert_eq!(
        dates("FREQ=MONTHLY;BYDAY=MO,1TU;COUNT=4", "2024-01-01 10:00"),
        ["2024-01-01", "2024-01-02", "2024-01-08", "2024-01-15"]
    );
    assert_eq!(
        dates(
            "FREQ=MONTHLY;BYDAY=MO,1MO;BYMONTHDAY=8;COUNT=3",
            "2024-01-08 10:00"
        ),
        ["2024-01-08", "2024-04-08", "2024-07-08"]
    );
}
