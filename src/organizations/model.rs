//! The organization, its id newtype (the tenant every repository takes first) and its validated fields.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The tenant: the id of the caller's organization. Every repository function takes it first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OrgId(pub Uuid);

impl std::fmt::Display for OrgId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A business using FitnessCRM.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Organization {
    /// Id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// URL-safe unique name, used in public booking links.
    pub slug: String,
    /// IANA time zone in which times are shown.
    pub timezone: String,
    /// ISO 4217 currency code.
    pub currency: String,
    /// BCP 47 locale for formatting.
    pub locale: String,
    /// A cancellation less than this many hours before the start is late.
    pub late_cancel_hours: i32,
    /// Whether clients may cancel their own sessions and bookings.
    pub clients_may_cancel: bool,
    /// Class booking opens this many days before the start.
    pub booking_opens_days: i32,
    /// Class booking closes this many minutes before the start.
    pub booking_closes_minutes: i32,
    /// Whether owners and admins must use two-factor authentication (until they set it up, their
    /// sessions may only do that).
    pub require_mfa: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// An organization name: 1 to 200 characters after trimming, no control characters.
pub fn parse_org_name(raw: &str) -> Result<String, String> {
    crate::users::model::parse_text(raw, 200)
}

/// An IANA time zone name such as `Europe/Berlin`.
pub fn parse_timezone(raw: &str) -> Result<String, String> {
    raw.parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_owned())
        .map_err(|_| format!("{raw:?} is not an IANA time zone such as Europe/Berlin"))
}

/// An ISO 4217 currency code: three upper-case letters.
pub fn parse_currency(raw: &str) -> Result<String, String> {
    let c = raw.trim().to_ascii_uppercase();
    if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase()) {
        Ok(c)
    } else {
        Err("must be a three-letter ISO 4217 code such as EUR".to_owned())
    }
}

/// A BCP 47 locale tag such as `en`, `de-DE` or `pt-BR` (structure checked, not the registry).
pub fn parse_locale(raw: &str) -> Result<String, String> {
    let parts: Vec<&str> = raw.trim().split(['-', '_']).collect();
    let ok = !parts.is_empty()
        && parts.len() <= 4
        && (2..=3).contains(&parts[0].len())
        && parts[0].chars().all(|c| c.is_ascii_alphabetic())
        && parts[1..]
            .iter()
            .all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !ok {
        return Err("must be a locale tag such as en, de-DE or pt-BR".to_owned());
    }
    let mut out = parts[0].to_ascii_lowercase();
    for p in &parts[1..] {
        out.push('-');
        if p.len() == 2 {
            out.push_str(&p.to_ascii_uppercase())
        } else {
            out.push_str(p)
        }
    }
    Ok(out)
}

/// A slug from a name: lower-case ASCII letters and digits joined by single dashes.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for ch in name.chars().flat_map(char::to_lowercase) {
        let c = match ch {
            'ä' | 'à' | 'á' | 'â' | 'ã' | 'å' => 'a',
            'ö' | 'ò' | 'ó' | 'ô' | 'õ' | 'ø' => 'o',
            'ü' | 'ù' | 'ú' | 'û' => 'u',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ç' => 'c',
            'ñ' => 'n',
            'ß' => 's',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_matches('-').chars().take(60).collect();
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        "studio".to_owned()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_ascii_and_dashed() {
        assert_eq!(slugify("Anna's Fitness Studio"), "anna-s-fitness-studio");
        assert_eq!(slugify("  Kraftwerk München!! "), "kraftwerk-munchen");
        assert_eq!(slugify("!!!"), "studio");
    }

    #[test]
    fn time_zones_currencies_and_locales_are_checked() {
        assert_eq!(parse_timezone("Europe/Berlin").unwrap(), "Europe/Berlin");
        assert!(parse_timezone("Mars/Olympus").is_err());
        assert_eq!(parse_currency("eur").unwrap(), "EUR");
        assert!(parse_currency("EURO").is_err());
        assert_eq!(parse_locale("de_de").unwrap(), "de-DE");
        assert!(parse_locale("1x").is_err());
    }
}

/// `PATCH /api/v1/organization`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganization {
    /// 1–200 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// IANA time zone.
    #[serde(default)]
    pub timezone: Option<String>,
    /// ISO 4217 code.
    #[serde(default)]
    pub currency: Option<String>,
    /// BCP 47 locale.
    #[serde(default)]
    pub locale: Option<String>,
    /// 0–168 hours.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 168)]
    pub late_cancel_hours: Option<i32>,
    /// Whether clients may cancel themselves.
    #[serde(default)]
    pub clients_may_cancel: Option<bool>,
    /// 1–365 days.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 365)]
    pub booking_opens_days: Option<i32>,
    /// 0–1440 minutes.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1440)]
    pub booking_closes_minutes: Option<i32>,
    /// Require two-factor authentication of owners and admins. Only an owner who uses it may turn
    /// this on.
    #[serde(default)]
    pub require_mfa: Option<bool>,
    /// The version the change is based on.
    #[serde(default)]
    pub version: Option<i64>,
}
