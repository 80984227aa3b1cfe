//! Value types and checks shared by every domain: emails, names and texts, phones, tags, custom fields,
//! dates of birth, and the normalised forms used for case-insensitive search on both databases.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// An email address, trimmed and lower-cased, with a plausible shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses and normalises an address: one `@`, a non-empty local part of at most 64 characters, a
    /// domain with a dot and no empty labels, at most 254 characters, no spaces or control characters.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim().to_lowercase();
        let invalid = || Err("must be an email address such as anna@example.com".to_owned());
        if s.is_empty() || s.chars().count() > 254 {
            return invalid();
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return invalid();
        };
        if local.is_empty()
            || local.chars().count() > 64
            || local.contains('@')
            || local.starts_with('.')
            || local.ends_with('.')
            || local.contains("..")
        {
            return invalid();
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels.iter().any(|l| {
                l.is_empty()
                    || l.len() > 63
                    || l.starts_with('-')
                    || l.ends_with('-')
                    || !l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
        {
            return invalid();
        }
        if s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"".contains(c))
        {
            return invalid();
        }
        Ok(Self(s))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A single-line text: trimmed, 1 to `max` characters, no control characters.
pub fn parse_text(raw: &str, max: usize) -> Result<String, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if s.chars().count() > max {
        return Err(format!("must be at most {max} characters long"));
    }
    if s.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    Ok(s.to_owned())
}

/// A multi-line text of at most `max` characters (line breaks and tabs allowed); empty becomes `None`.
pub fn parse_long_text(raw: &str, max: usize) -> Result<Option<String>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().count() > max {
        return Err(format!("must be at most {max} characters long"));
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err("must not contain control characters".to_owned());
    }
    Ok(Some(s.to_owned()))
}

/// The form of a text used for case-insensitive sorting and prefix search on both databases.
pub fn normalize(s: &str) -> String {
    s.trim().to_lowercase()
}

/// The sort key of a person's name: family name first, lower case.
pub fn person_sort_key(first: &str, last: &str) -> String {
    normalize(&format!("{last} {first}"))
}

/// A phone number normalised to its digits with an optional leading `+`. Spaces, dashes, dots and
/// brackets are accepted and dropped; 5 to 15 digits (E.164's maximum).
pub fn parse_phone(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let plus = s.starts_with('+');
    let rest = if plus { &s[1..] } else { s };
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || " -.()/".contains(c))
    {
        return Err(
            "must be a phone number: digits, an optional leading +, spaces or dashes".to_owned(),
        );
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    if !(5..=15).contains(&digits.len()) {
        return Err("must have 5 to 15 digits".to_owned());
    }
    Ok(if plus { format!("+{digits}") } else { digits })
}

/// The digits of a phone number or of a search term, for prefix search.
pub fn phone_digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// A date of birth: in the past and after 1900-01-01.
pub fn parse_date_of_birth(date: NaiveDate) -> Result<NaiveDate, String> {
    let today = Utc::now().date_naive();
    if date >= today {
        return Err("must be in the past".to_owned());
    }
    if date.year() < 1900 {
        return Err("must be after 1900-01-01".to_owned());
    }
    Ok(date)
}

/// At most 20 tags of at most 40 characters; trimmed, duplicates (ignoring case) dropped.
pub fn parse_tags(raw: &[String]) -> Result<Vec<String>, String> {
    let mut seen = BTreeSet::new();
    let mut tags = Vec::new();
    for t in raw {
        let tag = parse_text(t, 40).map_err(|m| format!("each tag {m}"))?;
        if seen.insert(normalize(&tag)) {
            tags.push(tag);
        }
    }
    if tags.len() > 20 {
        return Err("must have at most 20 tags".to_owned());
    }
    Ok(tags)
}

/// A flat JSON object of at most 50 keys and 16 KiB whose values are strings, numbers, booleans or null.
pub fn parse_custom_fields(map: &Map<String, Value>) -> Result<Map<String, Value>, String> {
    if map.len() > 50 {
        return Err("must have at most 50 keys".to_owned());
    }
    if map
        .iter()
        .any(|(_, v)| matches!(v, Value::Object(_) | Value::Array(_)))
    {
        return Err("must be flat: values are strings, numbers, booleans or null".to_owned());
    }
    if map
        .keys()
        .any(|k| k.trim().is_empty() || k.chars().count() > 64)
    {
        return Err("keys must be 1 to 64 characters".to_owned());
    }
    let size = serde_json::to_vec(map)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > 16 * 1024 {
        return Err("must be at most 16 KiB".to_owned());
    }
    Ok(map.clone())
}

/// The smallest string greater than every string starting with `prefix` (in code point order), so that
/// `col >= prefix AND col < upper` is a prefix match that any B-tree index with a byte-order collation
/// serves — the same on SQLite (BINARY) and PostgreSQL (`COLLATE "C"` columns).
pub fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = u32::from(last) + 1;
        if (0xD800..=0xDFFF).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// For `PATCH` bodies: distinguishes an absent field (`None`) from an explicit null (`Some(None)`).
pub fn double_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            EmailAddress::parse("  Anna@Example.COM ").unwrap().as_str(),
            "anna@example.com"
        );
        for bad in [
            "",
            "anna",
            "anna@",
            "@example.com",
            "anna@example",
            "an na@example.com",
            "anna@exa mple.com",
            "anna@@example.com",
            "anna@-example.com",
            "a..b@example.com",
        ] {
            assert!(
                EmailAddress::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn text_is_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(parse_text("  Anna ", 100).unwrap(), "Anna");
        assert!(parse_text("   ", 100).is_err());
        assert!(parse_text(&"x".repeat(101), 100).is_err());
        assert!(parse_text("a\u{0}b", 100).is_err());
        assert_eq!(
            parse_long_text(" line one\nline two ", 100)
                .unwrap()
                .unwrap(),
            "line one\nline two"
        );
        assert_eq!(parse_long_text("  ", 100).unwrap(), None);
    }

    #[test]
    fn phones_keep_digits_and_a_leading_plus() {
        assert_eq!(parse_phone("+49 (30) 123-456").unwrap(), "+4930123456");
        assert_eq!(parse_phone("030 123 456").unwrap(), "030123456");
        assert!(parse_phone("call me").is_err());
        assert!(parse_phone("12").is_err());
        assert!(parse_phone("+1234567890123456").is_err());
        assert!(parse_phone("12+34567").is_err());
    }

    #[test]
    fn tags_are_bounded_and_deduplicated() {
        let tags = parse_tags(&["VIP".into(), " vip ".into(), "Morning".into()]).unwrap();
        assert_eq!(tags, vec!["VIP", "Morning"]);
        assert!(parse_tags(&(0..21).map(|i| i.to_string()).collect::<Vec<_>>()).is_err());
        assert!(parse_tags(&["x".repeat(41)]).is_err());
        assert!(parse_tags(&["".into()]).is_err());
    }

    #[test]
    fn custom_fields_are_flat_and_bounded() {
        let ok: Map<String, Value> =
            serde_json::from_str(r#"{"shoe":44,"note":"x","vip":true,"x":null}"#).unwrap();
        assert!(parse_custom_fields(&ok).is_ok());
        let nested: Map<String, Value> = serde_json::from_str(r#"{"a":{"b":1}}"#).unwrap();
        assert!(parse_custom_fields(&nested).is_err());
        let many: Map<String, Value> = (0..51).map(|i| (i.to_string(), Value::from(i))).collect();
        assert!(parse_custom_fields(&many).is_err());
        let big: Map<String, Value> = [("k".to_owned(), Value::from("x".repeat(17 * 1024)))]
            .into_iter()
            .collect();
        assert!(parse_custom_fields(&big).is_err());
    }

    #[test]
    fn dates_of_birth_are_in_the_past_and_after_1900() {
        assert!(parse_date_of_birth(NaiveDate::from_ymd_opt(1990, 5, 1).unwrap()).is_ok());
        assert!(parse_date_of_birth(NaiveDate::from_ymd_opt(1899, 12, 31).unwrap()).is_err());
        assert!(parse_date_of_birth(Utc::now().date_naive()).is_err());
    }

    #[test]
    fn prefix_bounds_cover_exactly_the_strings_with_the_prefix() {
        assert_eq!(prefix_upper_bound("ann").unwrap(), "ano");
        assert_eq!(prefix_upper_bound("z").unwrap(), "{");
        let upper = prefix_upper_bound("mü").unwrap();
        assert_eq!(upper, "mý");
        assert!("müller" >= "mü" && "müller" < upper.as_str());
        assert!(
            "mzz" < "mü" && "mýa" >= upper.as_str(),
            "neighbours fall outside the range"
        );
        assert_eq!(prefix_upper_bound(""), None);
    }
}

/// The years a date or time may fall in: wide enough for any birth date and any booking, narrow
/// enough that every database stores and orders it the same way (PostgreSQL refuses years before
/// 4713 BC; SQLite keeps a year over 9999 as text that sorts wrong).
pub const YEARS: std::ops::RangeInclusive<i64> = 1900..=2200;

/// When `s` is a whole ISO 8601 date or date-time (`2026-12-07`, `2026-12-07T10:00:00Z`, also
/// with a sign or more than four year digits) whose year lies outside [`YEARS`], the message to
/// give; `None` for anything else (other text, or a date in range).
pub fn date_out_of_range(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let (negative, rest) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let tail = &rest[digits..];
    let shaped = digits >= 4
        && tail.len() >= 6
        && tail[0] == b'-'
        && tail[1..3].iter().all(u8::is_ascii_digit)
        && tail[3] == b'-'
        && tail[4..6].iter().all(u8::is_ascii_digit)
        && (tail.len() == 6 || (matches!(tail[6], b'T' | b't' | b' ') && tail.len() > 7));
    if !shaped {
        return None;
    }
    let year: i64 = std::str::from_utf8(&rest[..digits])
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(i64::MAX);
    let year = if negative { -year } else { year };
    (!YEARS.contains(&year)).then(|| {
        format!(
            "the year must be between {} and {}",
            YEARS.start(),
            YEARS.end()
        )
    })
}

#[cfg(test)]
mod year_tests {
    use super::date_out_of_range;

    #[test]
    fn dates_outside_the_sane_years_are_named_and_other_text_is_left_alone() {
        for bad in [
            "-9999-01-01",
            "+99999-01-01T00:00:00Z",
            "1899-12-31",
            "2201-01-01T10:00:00+02:00",
            "0000-01-01",
        ] {
            assert!(date_out_of_range(bad).is_some(), "{bad}");
        }
        for fine in [
            "2026-12-07",
            "2026-12-07T10:00:00Z",
            "1900-01-01",
            "2200-12-31",
            "Met on 1850-01-01",
            "12345",
            "1899",
            "-9999",
            "",
        ] {
            assert!(date_out_of_range(fine).is_none(), "{fine}");
        }
    }
}
