//! The iCalendar (RFC 5545) writer behind calendar feeds: a [`Calendar`] of [`Event`]s rendered as
//! one `VCALENDAR` text with CRLF line endings, escaped text values and lines folded at 75 octets.
//!
//! Times are written in UTC (`...Z`), so a feed needs no `VTIMEZONE`; calendar apps show them in
//! their user's zone. Rendering is pure and deterministic: `DTSTAMP` is the event's
//! `LAST-MODIFIED` rather than the clock, so an unchanged calendar renders to the same bytes.

use chrono::{DateTime, Utc};

/// `PRODID`: who made the calendar.
const PRODID: &str = "-//FitnessCRM//Scheduling//EN";

/// The longest line RFC 5545 allows, in octets, without its CRLF.
const MAX_LINE_OCTETS: usize = 75;

/// A calendar feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// Shown by calendar apps as the calendar's name (`X-WR-CALNAME`).
    pub name: String,
    /// The events, written in this order.
    pub events: Vec<Event>,
}

/// One event (`VEVENT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Stable across every version of the event, unique in the world (`UID`).
    pub uid: String,
    /// Raised on every change a subscriber should notice (`SEQUENCE`).
    pub sequence: u32,
    /// `DTSTART`.
    pub start: DateTime<Utc>,
    /// `DTEND`.
    pub end: DateTime<Utc>,
    /// The title (`SUMMARY`).
    pub summary: String,
    /// `DESCRIPTION`, left out when `None`.
    pub description: Option<String>,
    /// `LOCATION`, left out when `None`.
    pub location: Option<String>,
    /// `STATUS`.
    pub status: EventStatus,
    /// `LAST-MODIFIED`, also written as `DTSTAMP`.
    pub last_modified: DateTime<Utc>,
    /// `CREATED`.
    pub created: DateTime<Utc>,
}

/// An event's `STATUS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventStatus {
    /// `CONFIRMED`.
    Confirmed,
    /// `TENTATIVE`.
    Tentative,
    /// `CANCELLED`: subscribers show the event as cancelled or remove it.
    Cancelled,
}

impl EventStatus {
    /// The RFC 5545 value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "CONFIRMED",
            Self::Tentative => "TENTATIVE",
            Self::Cancelled => "CANCELLED",
        }
    }
}

/// Renders the calendar as an RFC 5545 `VCALENDAR` with `METHOD:PUBLISH`.
///
/// Text values (`X-WR-CALNAME`, `UID`, `SUMMARY`, `DESCRIPTION`, `LOCATION`) are escaped;
/// control characters other than tab and line breaks, which a `TEXT` value cannot hold, are
/// dropped. Times lose any fraction of a second.
pub fn render(calendar: &Calendar) -> String {
    let mut out = Lines(String::new());
    out.raw("BEGIN", "VCALENDAR");
    out.raw("VERSION", "2.0");
    out.raw("PRODID", PRODID);
    out.raw("CALSCALE", "GREGORIAN");
    out.raw("METHOD", "PUBLISH");
    out.text("X-WR-CALNAME", &calendar.name);
    for event in &calendar.events {
        out.raw("BEGIN", "VEVENT");
        out.text("UID", &event.uid);
        out.time("DTSTAMP", event.last_modified);
        out.time("DTSTART", event.start);
        out.time("DTEND", event.end);
        out.text("SUMMARY", &event.summary);
        if let Some(description) = &event.description {
            out.text("DESCRIPTION", description);
        }
        if let Some(location) = &event.location {
            out.text("LOCATION", location);
        }
        out.raw("STATUS", event.status.as_str());
        out.raw("SEQUENCE", &event.sequence.to_string());
        out.time("CREATED", event.created);
        out.time("LAST-MODIFIED", event.last_modified);
        out.raw("END", "VEVENT");
    }
    out.raw("END", "VCALENDAR");
    out.0
}

/// The output, one folded content line at a time.
struct Lines(String);

impl Lines {
    fn raw(&mut self, name: &str, value: &str) {
        fold_into(&mut self.0, &format!("{name}:{value}"));
    }

    fn text(&mut self, name: &str, value: &str) {
        self.raw(name, &escape_text(value));
    }

    fn time(&mut self, name: &str, value: DateTime<Utc>) {
        self.raw(name, &value.format("%Y%m%dT%H%M%SZ").to_string());
    }
}

/// Escapes a `TEXT` value (RFC 5545 3.3.11): backslash, semicolon and comma get a backslash, a
/// line break (CRLF, LF or CR) becomes `\n`, other control characters but tab are dropped.
fn escape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_ascii_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line folded at 75 octets (RFC 5545 3.1): each further piece goes on its own
/// line after a CRLF and one space (which counts towards the 75), and no UTF-8 character is split.
fn fold_into(out: &mut String, line: &str) {
    let mut rest = line;
    let mut room = MAX_LINE_OCTETS;
    while rest.len() > room {
        let mut cut = room;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        room = MAX_LINE_OCTETS - 1;
    }
    out.push_str(rest);
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::TimeZone;
    use icalendar::{CalendarComponent, CalendarDateTime, Component, DatePerhapsTime, EventLike};

    use super::*;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn event(uid: &str, summary: &str) -> Event {
        Event {
            uid: uid.to_owned(),
            sequence: 0,
            start: at(2024, 3, 31, 5, 0),
            end: at(2024, 3, 31, 6, 0),
            summary: summary.to_owned(),
            description: None,
            location: None,
            status: EventStatus::Confirmed,
            last_modified: at(2024, 3, 1, 12, 30),
            created: at(2024, 2, 1, 8, 0),
        }
    }

    /// Undoes folding, as a reader must before anything else.
    fn unfold(s: &str) -> String {
        s.replace("\r\n ", "")
    }

    #[test]
    fn a_calendar_renders_every_required_property_with_crlf() {
        let mut e = event(
            "0191f3a0-7c1e-7b3a-9f00-000000000001@fitnesscrm",
            "Morning HIIT",
        );
        e.sequence = 2;
        e.location = Some("Studio 1".to_owned());
        let cal = Calendar {
            name: "Anna's sessions".to_owned(),
            events: vec![e],
        };
        let expected = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//FitnessCRM//Scheduling//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:Anna's sessions",
            "BEGIN:VEVENT",
            "UID:0191f3a0-7c1e-7b3a-9f00-000000000001@fitnesscrm",
            "DTSTAMP:20240301T123000Z",
            "DTSTART:20240331T050000Z",
            "DTEND:20240331T060000Z",
            "SUMMARY:Morning HIIT",
            "LOCATION:Studio 1",
            "STATUS:CONFIRMED",
            "SEQUENCE:2",
            "CREATED:20240201T080000Z",
            "LAST-MODIFIED:20240301T123000Z",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
        .join("\r\n");
        assert_eq!(render(&cal), expected);
    }

    #[test]
    fn an_empty_calendar_is_still_a_calendar() {
        let text = render(&Calendar {
            name: String::new(),
            events: Vec::new(),
        });
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(text.ends_with("X-WR-CALNAME:\r\nEND:VCALENDAR\r\n"));
        assert!(!text.contains("VEVENT"));
    }

    #[test]
    fn text_escapes_backslash_semicolon_comma_and_line_breaks() {
        assert_eq!(escape_text(r"a\b"), r"a\\b");
        assert_eq!(escape_text("Legs; glutes, core"), r"Legs\; glutes\, core");
        assert_eq!(
            escape_text("one\ntwo\r\nthree\rfour"),
            r"one\ntwo\nthree\nfour"
        );
        assert_eq!(escape_text(r"\n is not a break"), r"\\n is not a break");
        assert_eq!(escape_text("colon: \"quoted\""), "colon: \"quoted\"");
        assert_eq!(escape_text("tab\there"), "tab\there");
        assert_eq!(escape_text("bell\u{7}null\u{0}del\u{7f}"), "bellnulldel");
        assert_eq!(escape_text("Grüße, 💪"), r"Grüße\, 💪");
    }

    #[test]
    fn a_summary_with_line_breaks_stays_on_one_content_line() {
        let cal = Calendar {
            name: "x".to_owned(),
            events: vec![event("u", "first\nsecond")],
        };
        let text = render(&cal);
        assert!(text.contains("SUMMARY:first\\nsecond\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'));
        assert!(!text.replace("\r\n", "").contains('\r'));
    }

    #[test]
    fn long_lines_fold_at_75_octets() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "x".repeat(200));
        fold_into(&mut out, &line);
        let lines: Vec<&str> = out.strip_suffix("\r\n").unwrap().split("\r\n").collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].len(), 75);
        assert_eq!(lines[1].len(), 75);
        assert!(lines[1].starts_with(' '));
        assert_eq!(unfold(&out), format!("{line}\r\n"));
        let mut short = String::new();
        fold_into(&mut short, &"y".repeat(75));
        assert_eq!(short, format!("{}\r\n", "y".repeat(75)));
    }

    #[test]
    fn folding_never_splits_a_utf8_character() {
        // "SUMMARY:" and 66 letters fill 74 octets; the euro sign (3 octets) would end at 77.
        let line = format!("SUMMARY:{}€uro", "a".repeat(66));
        let mut out = String::new();
        fold_into(&mut out, &line);
        assert_eq!(out, format!("SUMMARY:{}\r\n €uro\r\n", "a".repeat(66)));
    }

    #[test]
    fn long_non_ascii_summaries_fold_into_valid_lines_that_unfold_to_the_text() {
        let summary = "Rückenfit für Einsteiger – 🧘‍♀️ Mobilität, Kraft; Ausdauer 💪🏽 \
                       Übungen mit Ärztin Zoë Øvergård — 体幹トレーニング 🏋️ "
            .repeat(4);
        let cal = Calendar {
            name: "Ünïcödé kalender ✓".repeat(6),
            events: vec![event("u-1", &summary)],
        };
        let text = render(&cal);
        for (i, line) in text.strip_suffix("\r\n").unwrap().split("\r\n").enumerate() {
            assert!(
                line.len() <= 75,
                "line {i} has {} octets: {line}",
                line.len()
            );
            assert!(!line.is_empty());
        }
        assert!(text.ends_with("\r\n"));
        let unfolded = unfold(&text);
        assert!(unfolded.contains(&format!("SUMMARY:{}\r\n", escape_text(&summary))));
        // Every fold point falls between two characters, whatever their width.
        let summary_lines = text
            .split("\r\n")
            .skip_while(|l| !l.starts_with("SUMMARY:"))
            .take_while(|l| l.starts_with("SUMMARY:") || l.starts_with(' '))
            .count();
        assert!(summary_lines > 5);
    }

    fn parsed_events(text: &str) -> Vec<icalendar::Event> {
        let cal = icalendar::Calendar::from_str(text).unwrap();
        cal.components
            .into_iter()
            .filter_map(|c| match c {
                CalendarComponent::Event(e) => Some(e),
                _ => None,
            })
            .collect()
    }

    fn utc_of(value: Option<DatePerhapsTime>) -> DateTime<Utc> {
        match value {
            Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(t))) => t,
            other => panic!("not a UTC date-time: {other:?}"),
        }
    }

    #[test]
    fn an_independent_parser_reads_back_every_event_exactly() {
        let tricky = [
            "Plain",
            "Legs; glutes, core \\ stretch",
            "Zeile eins\nZeile zwei\r\nZeile drei",
            "Yoga: \"flow\" 🧘 – Grüße aus Köln, 東京 und Zürich; \\n bleibt wörtlich",
            &"Sehr langer Titel mit Umlauten äöü ß und Emoji 💪🏽 ".repeat(5),
        ];
        let statuses = [
            EventStatus::Confirmed,
            EventStatus::Tentative,
            EventStatus::Cancelled,
        ];
        let events: Vec<Event> = tricky
            .iter()
            .enumerate()
            .map(|(i, summary)| {
                let n = u32::try_from(i).unwrap();
                let mut e = event(&format!("session-{i}@fitnesscrm.example"), summary);
                e.sequence = n * 7;
                e.start = at(2024, 10, 27, n, 15);
                e.end = at(2024, 10, 27, n + 1, 0);
                e.status = statuses[i % 3];
                e.description = (i % 2 == 0).then(|| format!("Bring water, a towel; {summary}"));
                e.location = (i % 2 == 1).then(|| "Halle 2, Hinterhof; Eingang B".to_owned());
                e
            })
            .collect();
        let cal = Calendar {
            name: "Studio Nord, Kurse; 2024".to_owned(),
            events: events.clone(),
        };
        let text = render(&cal);
        let parsed = icalendar::Calendar::from_str(&text).unwrap();
        assert_eq!(
            parsed.property_value("X-WR-CALNAME"),
            Some("Studio Nord, Kurse; 2024")
        );
        let back = parsed_events(&text);
        assert_eq!(back.len(), events.len());
        for (ours, theirs) in events.iter().zip(&back) {
            assert_eq!(theirs.get_uid(), Some(ours.uid.as_str()));
            assert_eq!(theirs.get_sequence(), Some(ours.sequence));
            let status = match ours.status {
                EventStatus::Confirmed => icalendar::EventStatus::Confirmed,
                EventStatus::Tentative => icalendar::EventStatus::Tentative,
                EventStatus::Cancelled => icalendar::EventStatus::Cancelled,
            };
            assert_eq!(theirs.get_status(), Some(status));
            assert_eq!(utc_of(theirs.get_start()), ours.start);
            assert_eq!(utc_of(theirs.get_end()), ours.end);
            // A TEXT value cannot keep a CR: every line break comes back as LF.
            let summary = ours.summary.replace("\r\n", "\n");
            assert_eq!(theirs.get_summary(), Some(summary.as_str()));
            let description = ours.description.as_ref().map(|d| d.replace("\r\n", "\n"));
            assert_eq!(theirs.get_description(), description.as_deref());
            assert_eq!(theirs.get_location(), ours.location.as_deref());
            assert_eq!(theirs.get_created(), Some(ours.created));
            assert_eq!(theirs.get_last_modified(), Some(ours.last_modified));
            assert_eq!(theirs.get_timestamp(), Some(ours.last_modified));
        }
    }

    /// Why this writer stays ours (docs/DEVELOPMENT.md, "Libraries we kept our own code for"): the
    /// `icalendar` crate's writer escapes only `\\`, `,`, `;` and LF, so a summary typed with CRLF
    /// line breaks (as browsers send textarea input) or with control characters leaves them raw inside
    /// the content line, which RFC 5545 forbids. Ours writes `\\n` and drops them.
    #[test]
    fn the_icalendar_writer_leaves_carriage_returns_and_control_characters_raw() {
        let theirs = icalendar::Calendar::new()
            .push(
                icalendar::Event::new()
                    .summary("first\r\nsecond\u{7}")
                    .done(),
            )
            .done()
            .to_string();
        assert!(
            theirs.contains("SUMMARY:first\r\\nsecond\u{7}\r\n"),
            "icalendar now escapes CR or drops control characters: {theirs:?}"
        );
        let ours = render(&Calendar {
            name: String::new(),
            events: vec![event("u", "first\r\nsecond\u{7}")],
        });
        assert!(ours.contains("SUMMARY:first\\nsecond\r\n"));
        assert!(!ours.contains('\u{7}'));
    }
}
