//! The JSON body extractor.
//!
//! - an empty body (with or without a Content-Type) → `{}`, when `{}` is a valid body of the type
//! - not `application/json` (or `+json`) → 415
//! - larger than the body limit → 413
//! - not parseable JSON → 400 with the line and column
//! - not an object, unknown fields, missing or wrongly typed fields → 422 listing every bad field,
//!   together with the domain rules' errors of the fields that did parse ([`Validate`])
//!
//! Serde stops at the first error, so the extractor checks unknown and missing fields against the
//! type's OpenAPI schema, then deserialises repeatedly, setting aside each field that fails, until
//! every bad field is known. It then fills each bad field with a stand-in value that deserialises
//! (an enum's first variant, null, an empty string...) so that the type's own validation can run on
//! the rest, and merges both lists into one 422. The handler never runs on a body with an error.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

use crate::error::{AppError, FieldErrors};

/// A JSON request body of type `T`, validated as described in the module docs.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

/// The domain rules of a request body, run by [`ApiJson`] on the fields that parsed when others did
/// not, so that one 422 lists every bad field. Every body type implements it (in
/// `http::validate_impls`); a type without rules keeps the empty default.
pub trait Validate: Sized {
    /// The field errors of the body's own rules (empty when it has none or all pass).
    fn field_errors(self) -> impl std::future::Future<Output = FieldErrors> + Send {
        async { FieldErrors::new() }
    }
}

/// The field errors of a validation result: its 422 fields, nothing for success or other errors.
pub fn errors_of<T>(result: Result<T, AppError>) -> FieldErrors {
    match result {
        Err(AppError::Validation(errors)) => errors,
        _ => FieldErrors::new(),
    }
}

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned + utoipa::PartialSchema + Validate + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let json = is_json(content_type);
        // A body known to be empty may come without a Content-Type; anything else must say JSON.
        // HTTP/1.1 says it in the head: no length and no chunked transfer is no body (the body
        // itself, wrapped by the read timeout, no longer knows its size).
        let headers = req.headers();
        let declared_empty = match headers.get(CONTENT_LENGTH) {
            Some(length) => length.as_bytes() == b"0",
            None => !headers.contains_key(TRANSFER_ENCODING),
        };
        let maybe_empty =
            declared_empty || axum::body::HttpBody::size_hint(req.body()).upper() == Some(0);
        if !json && !maybe_empty {
            return Err(AppError::UnsupportedMediaType(
                "Send the body as Content-Type: application/json.".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| match e {
            BytesRejection::FailedToBufferBody(inner)
                if inner.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
            {
                AppError::PayloadTooLarge(
                    "The request body is larger than this endpoint accepts.".into(),
                )
            }
            other => {
                AppError::BadRequest(format!("Could not read the request body: {other}"), None)
            }
        })?;
        if bytes.is_empty()
            && let Ok(empty) = serde_json::from_slice::<T>(b"{}")
        {
            return Ok(Self(empty));
        }
        if !json {
            return Err(AppError::UnsupportedMediaType(
                "Send the body as Content-Type: application/json.".into(),
            ));
        }
        match parse::<T>(&bytes) {
            Ok(value) => Ok(Self(value)),
            Err(Invalid::Fields(mut errors, Some(stand_in))) => {
                // The domain rules of the fields that parsed; a field already named keeps its own
                // message (its value here is only a stand-in).
                let named: Vec<String> = errors.0.keys().map(|k| top_level_key(k)).collect();
                for (field, messages) in stand_in.field_errors().await.0 {
                    if !named.contains(&top_level_key(&field)) {
                        for m in messages {
                            errors.add(field.clone(), m);
                        }
                    }
                }
                Err(AppError::Validation(errors))
            }
            Err(Invalid::Fields(errors, None)) => Err(AppError::Validation(errors)),
            Err(Invalid::Other(e)) => Err(e),
        }
    }
}

/// Why a body was refused: bad fields (with a stand-in value of the type, when one could be made, for
/// running the domain rules on the rest), or another error.
#[derive(Debug)]
pub enum Invalid<T> {
    /// Every bad field, and the body with stand-ins in their place.
    Fields(FieldErrors, Option<T>),
    /// Not JSON at all.
    Other(AppError),
}

impl<T> From<Invalid<T>> for AppError {
    fn from(i: Invalid<T>) -> Self {
        match i {
            Invalid::Fields(errors, _) => AppError::Validation(errors),
            Invalid::Other(e) => e,
        }
    }
}

fn is_json(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Parses and checks a JSON body against `T`, collecting every bad field.
pub fn parse<T: DeserializeOwned + utoipa::PartialSchema>(bytes: &[u8]) -> Result<T, Invalid<T>> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        Invalid::Other(AppError::BadRequest(
            format!(
                "The body is not valid JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
            None,
        ))
    })?;
    let Value::Object(mut object) = value else {
        let mut errors = FieldErrors::new();
        errors.add("body", "must be a JSON object");
        return Err(Invalid::Fields(errors, None));
    };
    let mut errors = FieldErrors::new();
    for (key, value) in &object {
        out_of_range_dates(key, value, &mut errors);
    }
    if let Some((known, required)) = object_shape::<T>() {
        for key in object.keys() {
            if !known.contains(key) {
                errors.add(key.clone(), "is not a known field");
            }
        }
        for key in &required {
            if !object.contains_key(key) {
                errors.add(key.clone(), "is required");
            }
        }
        object.retain(|k, _| known.contains(k));
    }
    // Each round sets aside one failing field; the bound is the number of fields plus one.
    let mut hints: Vec<(String, Vec<Value>)> = Vec::new();
    for _ in 0..=object.len() {
        match serde_path_to_error::deserialize::<_, T>(Value::Object(object.clone())) {
            Ok(v) if errors.is_empty() => return Ok(v),
            // Only the dates out of range: the body's own rules still run on the rest.
            Ok(v) => return Err(Invalid::Fields(errors, Some(v))),
            Err(e) => {
                let path = e.path().to_string();
                let message = clean_message(&e.inner().to_string());
                if path == "." || path.is_empty() {
                    // A struct-level error: a missing or unknown field named in the message.
                    let field = message.split('`').nth(1).unwrap_or("body").to_owned();
                    if !errors.has(&field) {
                        errors.add(field, message);
                    }
                    break;
                }
                let top = top_level_key(&path);
                hints.push((top.clone(), expected_values(&message)));
                errors.add(path, message);
                if object.remove(&top).is_none() {
                    break;
                }
            }
        }
    }
    if errors.is_empty() {
        errors.add("body", "is invalid");
    }
    let stand_in = stand_in::<T>(object, &hints);
    Err(Invalid::Fields(errors, stand_in))
}

/// The body with a value that deserialises in place of each bad field, when one is found: the values a
/// message says it expected (an enum's variants), then neutral values of each JSON type. Bounded: at
/// most (fields + 1) × candidates rounds.
fn stand_in<T: DeserializeOwned>(
    mut object: Map<String, Value>,
    hints: &[(String, Vec<Value>)],
) -> Option<T> {
    // Per field, the values still to try; an error on a tried value may name what it expected.
    let mut queues: Vec<(String, Vec<Value>, bool)> = Vec::new();
    let rounds = (object.len() + hints.len() + 4) * (NEUTRAL.len() + 8);
    for _ in 0..rounds {
        let e = match serde_path_to_error::deserialize::<_, T>(Value::Object(object.clone())) {
            Ok(v) => return Some(v),
            Err(e) => e,
        };
        let message = e.inner().to_string();
        let path = e.path().to_string();
        let field = if path == "." || path.is_empty() {
            // "missing field `x`": a required field that was bad or absent.
            message.split('`').nth(1)?.to_owned()
        } else {
            top_level_key(&path)
        };
        let index = match queues.iter().position(|(k, _, _)| *k == field) {
            Some(i) => i,
            None => {
                let mut values: Vec<Value> = hints
                    .iter()
                    .filter(|(k, _)| *k == field)
                    .flat_map(|(_, v)| v.iter().cloned())
                    .collect();
                values.extend(
                    NEUTRAL
                        .iter()
                        .map(|s| serde_json::from_str(s).unwrap_or(Value::Null)),
                );
                values.reverse();
                queues.push((field.clone(), values, false));
                queues.len() - 1
            }
        };
        let (_, values, learned) = &mut queues[index];
        let expected = expected_values(&message);
        if !*learned && !expected.is_empty() {
            // Try what the message expects next (the queue pops from the end).
            *learned = true;
            values.extend(expected.into_iter().rev());
        }
        object.insert(field, values.pop()?);
    }
    None
}

/// Neutral JSON values of each type, tried in order as stand-ins.
const NEUTRAL: [&str; 11] = [
    "null",
    "\"\"",
    "0",
    "false",
    "[]",
    "{}",
    "\"00000000-0000-0000-0000-000000000000\"",
    "\"2000-01-01\"",
    "\"2000-01-01T00:00:00Z\"",
    "\"00:00\"",
    "\"UTC\"",
];

/// The values an error message lists as expected: "unknown variant `x`, expected one of `a`, `b`".
fn expected_values(message: &str) -> Vec<Value> {
    let Some((_, expected)) = message.split_once("expected") else {
        return Vec::new();
    };
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|v| Value::String(v.to_owned()))
        .collect()
}

fn top_level_key(path: &str) -> String {
    path.split(['.', '[']).next().unwrap_or(path).to_owned()
}

fn clean_message(message: &str) -> String {
    // serde_json appends " at line 1 column 42" to messages; the field name says more.
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// The property names and required names of an object schema, when `T` is one.
fn object_shape<T: utoipa::PartialSchema>() -> Option<(Vec<String>, Vec<String>)> {
    match T::schema() {
        RefOr::T(Schema::Object(o)) => {
            Some((o.properties.keys().cloned().collect(), o.required.clone()))
        }
        _ => None,
    }
}

/// Names every string under `path` that is a date with a year outside `validation::YEARS`.
fn out_of_range_dates(path: &str, value: &Value, errors: &mut FieldErrors) {
    match value {
        Value::String(s) => {
            if let Some(message) = crate::validation::date_out_of_range(s) {
                errors.add(path, message);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                out_of_range_dates(&format!("{path}[{i}]"), item, errors);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                out_of_range_dates(&format!("{path}.{key}"), item, errors);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use utoipa::ToSchema;

    #[derive(Debug, Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        age: u8,
        #[serde(default)]
        nickname: Option<String>,
        tags: Vec<String>,
    }

    fn errors_of(body: &str) -> FieldErrors {
        match parse::<Sample>(body.as_bytes()) {
            Err(Invalid::Fields(e, _)) => e,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn valid_bodies_parse() {
        let s: Sample = parse(br#"{"name":"a","age":3,"tags":[]}"#).unwrap();
        assert_eq!(s.age, 3);
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        assert!(matches!(
            parse::<Sample>(b"{\"name\":"),
            Err(Invalid::Other(AppError::BadRequest(..)))
        ));
    }

    #[test]
    fn every_bad_field_is_listed_at_once() {
        let e = errors_of(r#"{"name":5,"age":"old","colour":"red","tags":[1]}"#);
        let fields: Vec<&str> = e.0.keys().map(String::as_str).collect();
        assert_eq!(fields, vec!["age", "colour", "name", "tags[0]"], "{e:?}");
    }

    #[test]
    fn missing_fields_are_all_named() {
        let e = errors_of(r#"{"nickname":"x"}"#);
        for f in ["name", "age", "tags"] {
            assert!(e.has(f), "{f} missing from {e:?}");
        }
    }

    #[derive(Debug, Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    enum Colour {
        Red,
        Blue,
    }

    #[derive(Debug, Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Painted {
        name: String,
        colour: Colour,
        age: u8,
    }

    #[test]
    fn bad_fields_get_stand_ins_so_the_rest_can_be_validated() {
        match parse::<Painted>(br#"{"name":"","colour":"green","age":"x"}"#) {
            Err(Invalid::Fields(e, Some(p))) => {
                assert!(e.has("colour") && e.has("age"), "{e:?}");
                assert_eq!(p.name, "");
                assert!(matches!(p.colour, Colour::Red));
            }
            other => panic!("expected fields and a stand-in, got {other:?}"),
        }
        match parse::<Painted>(br#"{"name":"a"}"#) {
            Err(Invalid::Fields(e, Some(_))) => assert!(e.has("colour") && e.has("age")),
            other => panic!("expected fields and a stand-in, got {other:?}"),
        }
    }

    #[test]
    fn expected_values_come_from_the_message() {
        assert_eq!(
            expected_values("unknown variant `zombie`, expected one of `lead`, `active`"),
            vec![Value::from("lead"), Value::from("active")]
        );
        assert!(expected_values("invalid type: string").is_empty());
    }

    #[test]
    fn a_non_object_body_is_rejected() {
        assert!(errors_of("[1,2]").has("body"));
    }
}
