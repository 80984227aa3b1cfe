//! Reading the scheduling forms: name/value pairs, ids, local date-times, numbers, and the API's
//! field names mapped to the form's.

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use crate::error::{AppError, FieldErrors};
use crate::scheduling::recurrence::local_to_utc;

pub(super) use crate::web::form::Fields;

/// An id field: `None` when empty, an error on the field when malformed.
pub(crate) fn parse_id(e: &mut FieldErrors, fields: &Fields, name: &str) -> Option<Uuid> {
    let raw = fields.get(name);
    if raw.is_empty() {
        return None;
    }
    match raw.parse() {
        Ok(id) => Some(id),
        Err(_) => {
            e.add(name, "choose one from the list");
            None
        }
    }
}

/// A required id field.
pub(crate) fn require_id(e: &mut FieldErrors, fields: &Fields, name: &str) -> Option<Uuid> {
    let id = parse_id(e, fields, name);
    if id.is_none() && fields.get(name).is_empty() {
        e.add(name, "is required");
    }
    id
}

/// A `datetime-local` value (`2026-12-01T07:00`) read in the time zone `tz`.
pub(super) fn parse_local(raw: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .ok()
}

/// A required `datetime-local` field as an instant, read in `tz`.
pub(crate) fn parse_instant(
    e: &mut FieldErrors,
    fields: &Fields,
    name: &str,
    tz: Tz,
) -> Option<DateTime<Utc>> {
    let raw = fields.get(name);
    if raw.is_empty() {
        e.add(name, "is required");
        return None;
    }
    match parse_local(raw).map(|l| local_to_utc(l, tz)) {
        Some(Ok(t)) => Some(t),
        Some(Err(m)) => {
            e.add(name, m);
            None
        }
        None => {
            e.add(name, "must be a date and time");
            None
        }
    }
}

/// A whole-number field within bounds.
pub(crate) fn parse_number(
    e: &mut FieldErrors,
    fields: &Fields,
    name: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Option<i64> {
    let raw = fields.get(name);
    if raw.is_empty() {
        e.add(name, "is required");
        return None;
    }
    match raw.parse::<i64>() {
        Ok(n) if range.contains(&n) => Some(n),
        _ => {
            e.add(
                name,
                format!("must be a number from {} to {}", range.start(), range.end()),
            );
            None
        }
    }
}

/// Renames the fields of a validation error from the API's names to the form's.
pub(crate) fn rename_fields(error: AppError, names: &[(&str, &str)]) -> AppError {
    let rename = |fields: FieldErrors| {
        let mut out = FieldErrors::new();
        for (field, messages) in fields.0 {
            let to = names
                .iter()
                .find(|(from, _)| *from == field)
                .map_or(field.as_str(), |(_, to)| to);
            for m in messages {
                out.add(to, m);
            }
        }
        out
    };
    match error {
        AppError::Validation(f) => AppError::Validation(rename(f)),
        AppError::BadRequest(detail, Some(f)) => AppError::BadRequest(detail, Some(rename(f))),
        other => other,
    }
}
