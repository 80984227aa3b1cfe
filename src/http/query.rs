//! The query-string extractor: a malformed or unknown parameter is a 400 that names it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldErrors};
use crate::validation::date_out_of_range;

/// Like `axum::extract::Query`, with problem+json rejections naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts.uri.query().unwrap_or_default()).map(Self)
    }
}

/// Parses a query string into `T`, naming the offending parameter on failure. A NUL character in
/// any parameter, and a date whose year is outside `validation::YEARS`, are refused first (422,
/// every such parameter named): no text column of PostgreSQL can hold a NUL, and no search or filter
/// needs one; no database orders such years the same way.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    let mut refused = FieldErrors::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let field = name.replace('\0', "\\0");
        if refused.has(&field) {
            continue;
        }
        if name.contains('\0') || value.contains('\0') {
            refused.add(field, "must not contain NUL characters");
        } else if let Some(message) = date_out_of_range(&value) {
            refused.add(field, message);
        }
    }
    refused.into_result(())?;
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize::<_, T>(de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let field = if path == "." || path.is_empty() {
            message.split('`').nth(1).unwrap_or("query").to_owned()
        } else {
            path
        };
        let mut errors = FieldErrors::new();
        errors.add(field.clone(), message.clone());
        AppError::BadRequest(
            format!("Invalid query parameter {field}: {message}"),
            Some(errors),
        )
    })
}
