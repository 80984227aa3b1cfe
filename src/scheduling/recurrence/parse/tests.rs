//! Unit tests of the parser: the supported subset and the message for each refused rule.

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
