//! Unit tests of the expansion across daylight-saving changes and of [`local_to_utc`], and the case
//! that keeps the zone step ours rather than rrule's.

use chrono::{Datelike, NaiveTime};
use chrono_tz::America::New_York;
use chrono_tz::Europe::Berlin;
use rrule::RRule;

use super::local_to_utc;
use super::tests::{expand, local, local_times, utc};

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
fn the_crate_alone_drops_a_time_in_a_gap_at_midnight() {
    // Why the zone step is ours (docs/DEVELOPMENT.md, "Recurrence"): São Paulo skipped
    // 00:00-01:00 on 2018-11-04. 00:30 that day is 01:30; rrule 0.14 in the zone drops the day.
    let sao_paulo = chrono_tz::America::Sao_Paulo;
    assert_eq!(
        local_times("FREQ=DAILY;COUNT=3", "2018-11-03 00:30", sao_paulo),
        ["2018-11-03 00:30", "2018-11-04 01:30", "2018-11-05 00:30"]
    );
    let start = local_to_utc(local("2018-11-03 00:30"), sao_paulo)
        .unwrap()
        .with_timezone(&rrule::Tz::Tz(sao_paulo));
    let crate_alone: Vec<String> = RRule::new(rrule::Frequency::Daily)
        .count(3)
        .build(start)
        .unwrap()
        .all(10)
        .dates
        .iter()
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .collect();
    assert_eq!(
        crate_alone,
        ["2018-11-03 00:30", "2018-11-05 00:30", "2018-11-06 00:30"],
        "rrule's zone handling changed: see whether the zone step can be the crate's"
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
