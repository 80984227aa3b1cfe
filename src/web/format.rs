//! Locale-aware formatting for pages: dates and times in the organization's time zone and locale
//! (month and day names from glibc's locale data via chrono), and money in its currency.

use chrono::{DateTime, Locale, NaiveDate, Utc};
use chrono_tz::Tz;

/// How one organization (or one visitor) reads dates, times and money.
#[derive(Debug, Clone)]
pub struct Fmt {
    tz: Tz,
    locale: Locale,
    lang: String,
    twelve_hour: bool,
    currency: String,
}

impl Default for Fmt {
    fn default() -> Self {
        Self::new("UTC", "en", "EUR")
    }
}

/// The country used for a bare language tag (`de` → `de_DE`).
fn default_region(lang: &str) -> &'static str {
    match lang {
        "en" => "US",
        "de" => "DE",
        "fr" => "FR",
        "es" => "ES",
        "it" => "IT",
        "nl" => "NL",
        "pt" => "PT",
        "sv" => "SE",
        "da" => "DK",
        "nb" | "no" => "NO",
        "fi" => "FI",
        "pl" => "PL",
        _ => "",
    }
}

impl Fmt {
    /// For a time zone name, a BCP 47 locale (`de-DE`, `en`) and an ISO 4217 currency; unknown values
    /// fall back to UTC and US English.
    pub fn new(timezone: &str, locale: &str, currency: &str) -> Self {
        let tz = timezone.parse::<Tz>().unwrap_or(Tz::UTC);
        let mut parts = locale.split(['-', '_']);
        let lang = parts.next().unwrap_or("en").to_ascii_lowercase();
        let region = parts
            .next()
            .map(str::to_ascii_uppercase)
            .unwrap_or_else(|| default_region(&lang).to_owned());
        let (locale, lang) = match Locale::try_from(format!("{lang}_{region}").as_str()) {
            Ok(l) => (l, lang),
            Err(_) => (Locale::en_US, "en".to_owned()),
        };
        let twelve_hour = matches!(
            locale,
            Locale::en_US | Locale::en_CA | Locale::en_AU | Locale::en_NZ | Locale::en_PH
        );
        Self {
            tz,
            locale,
            lang,
            twelve_hour,
            currency: currency.to_ascii_uppercase(),
        }
    }

    /// The time zone.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The language, for `<html lang>`.
    pub fn lang(&self) -> &str {
        &self.lang
    }

    fn local(&self, at: &DateTime<Utc>) -> DateTime<Tz> {
        at.with_timezone(&self.tz)
    }

    fn date_pattern(&self) -> &'static str {
        match (self.lang.as_str(), self.locale) {
            (_, Locale::en_US) => "%a, %b %-d, %Y",
            ("de", _) => "%a, %-d. %b %Y",
            _ => "%a %-d %b %Y",
        }
    }

    fn time_pattern(&self) -> &'static str {
        if self.twelve_hour {
            "%-I:%M %p"
        } else {
            "%H:%M"
        }
    }

    /// A day: `Wed, Nov 25, 2026` / `Mi, 25. Nov 2026`.
    pub fn date(&self, at: &DateTime<Utc>) -> String {
        self.local(at)
            .format_localized(self.date_pattern(), self.locale)
            .to_string()
    }

    /// A calendar date without a time.
    pub fn day(&self, d: &NaiveDate) -> String {
        d.format_localized(self.date_pattern(), self.locale)
            .to_string()
    }

    /// A date as digits: `11/25/2026` / `25.11.2026`.
    pub fn short_date(&self, d: &NaiveDate) -> String {
        d.format_localized("%x", self.locale).to_string()
    }

    /// A time of day: `2:30 PM` / `14:30`.
    pub fn time(&self, at: &DateTime<Utc>) -> String {
        self.local(at)
            .format_localized(self.time_pattern(), self.locale)
            .to_string()
    }

    /// Date and time.
    pub fn datetime(&self, at: &DateTime<Utc>) -> String {
        format!("{} {}", self.date(at), self.time(at))
    }

    /// An optional moment, or a dash.
    pub fn maybe(&self, at: &Option<DateTime<Utc>>) -> String {
        at.as_ref()
            .map(|a| self.datetime(a))
            .unwrap_or_else(|| "—".to_owned())
    }

    /// A `<input type="datetime-local">` value in the organization's time zone.
    pub fn input_value(&self, at: &DateTime<Utc>) -> String {
        self.local(at).format("%Y-%m-%dT%H:%M").to_string()
    }

    /// An amount in minor units (cents) of the organization's currency: `$1,234.50` / `1.234,50 €`.
    pub fn money(&self, minor: i64) -> String {
        self.money_in(minor, &self.currency)
    }

    /// An amount in minor units of a given currency.
    pub fn money_in(&self, minor: i64, currency: &str) -> String {
        let digits = match currency {
            "JPY" | "KRW" | "ISK" | "CLP" | "VND" => 0,
            "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
            _ => 2,
        };
        let scale = 10i64.pow(digits);
        let (whole, frac) = (minor.abs() / scale, minor.abs() % scale);
        let (group, decimal, symbol_first) = match self.lang.as_str() {
            "en" => (",", ".", true),
            "de" | "es" | "it" | "da" | "pt" => (".", ",", false),
            "nl" => (".", ",", true),
            "fr" | "sv" | "fi" | "nb" | "pl" => ("\u{202f}", ",", false),
            _ => (",", ".", true),
        };
        let raw = whole.to_string();
        let mut grouped = String::new();
        for (i, ch) in raw.chars().enumerate() {
            if i > 0 && (raw.len() - i) % 3 == 0 {
                grouped.push_str(group);
            }
            grouped.push(ch);
        }
        let number = if digits > 0 {
            format!("{grouped}{decimal}{frac:0width$}", width = digits as usize)
        } else {
            grouped
        };
        let symbol = match currency {
            "USD" if self.locale == Locale::en_US => "$",
            "EUR" => "€",
            "GBP" => "£",
            "JPY" => "¥",
            "USD" => "US$",
            other => other,
        };
        let sign = if minor < 0 { "-" } else { "" };
        if symbol_first {
            let space = if symbol.len() > 1 && symbol.is_ascii() {
                "\u{a0}"
            } else {
                ""
            };
            format!("{sign}{symbol}{space}{number}")
        } else {
            format!("{sign}{number}\u{a0}{symbol}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 13, 30, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn dates_and_times_follow_locale_and_time_zone() {
        let us = Fmt::new("America/New_York", "en-US", "USD");
        assert_eq!(us.date(&at()), "Wed, Nov 25, 2026");
        assert_eq!(us.time(&at()), "8:30 AM");
        let de = Fmt::new("Europe/Berlin", "de-DE", "EUR");
        assert_eq!(de.date(&at()), "Mi, 25. Nov 2026");
        assert_eq!(de.time(&at()), "14:30");
        let gb = Fmt::new("Europe/London", "en-GB", "GBP");
        assert_eq!(gb.date(&at()), "Wed 25 Nov 2026");
        assert_eq!(gb.time(&at()), "13:30");
        assert_eq!(de.input_value(&at()), "2026-11-25T14:30");
    }

    #[test]
    fn money_follows_locale_and_currency() {
        assert_eq!(Fmt::new("UTC", "en-US", "USD").money(123_450), "$1,234.50");
        assert_eq!(
            Fmt::new("UTC", "de-DE", "EUR").money(123_450),
            "1.234,50\u{a0}€"
        );
        assert_eq!(Fmt::new("UTC", "en-GB", "GBP").money(-5), "-£0.05");
        assert_eq!(Fmt::new("UTC", "en", "JPY").money(1500), "¥1,500");
        assert_eq!(
            Fmt::new("UTC", "fr-FR", "EUR").money(100_000),
            "1\u{202f}000,00\u{a0}€"
        );
    }

    #[test]
    fn unknown_settings_fall_back() {
        let f = Fmt::new("Mars/Olympus", "xx-YY", "EUR");
        assert_eq!(f.lang(), "en");
        assert_eq!(f.tz(), Tz::UTC);
    }
}
