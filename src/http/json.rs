//! The JSON body extractor.
//!
//! - not `application/json` (or `+json`) → 415
//! - larger than the body limit → 413
//! - not parseable JSON → 400 with the line and column
//! - not an object, unknown fields, missing or wrongly typed fields → 422 listing every bad field
//!
//! Serde stops at the first error, so the extractor checks unknown and missing fields against the
//! type's OpenAPI schema, then deserialises repeatedly, setting aside each field that fails, until
//! every bad field is known.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use serde_json::Value;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

use crate::error::{AppError, FieldErrors};

/// A JSON request body of type `T`, validated as described in the module docs.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned + utoipa::PartialSchema,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !is_json(content_type) {
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
        parse::<T>(&bytes).map(Self)
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
pub fn parse<T: DeserializeOwned + utoipa::PartialSchema>(bytes: &[u8]) -> Result<T, AppError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        AppError::BadRequest(
            format!(
                "The body is not valid JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
            None,
        )
    })?;
    let Value::Object(mut object) = value else {
        return Err(AppError::field("body", "must be a JSON object"));
    };
    let mut errors = FieldErrors::new();
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
    for _ in 0..=object.len() {
        match serde_path_to_error::deserialize::<_, T>(Value::Object(object.clone())) {
            Ok(v) if errors.is_empty() => return Ok(v),
            Ok(_) => break,
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
    Err(AppError::Validation(errors))
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
            Err(AppError::Validation(e)) => e,
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
            Err(AppError::BadRequest(..))
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

    #[test]
    fn a_non_object_body_is_rejected() {
        assert!(errors_of("[1,2]").has("body"));
    }
}
