//! The one error type at the HTTP edge, rendered as RFC 9457 `application/problem+json`.
//!
//! Handlers return `Result<_, AppError>`. The response carries a [`Problem`] in its extensions; the
//! request-id middleware (`http::observe`) serialises it with the request id filled in, so every error
//! body repeats `X-Request-Id` without handlers knowing it. Internal causes are logged there once and
//! never sent to the client.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Every bad field of a request, each with one or more messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
#[serde(transparent)]
pub struct FieldErrors(pub BTreeMap<String, Vec<String>>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one message for one field.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_default().push(message.into());
    }

    /// Whether a field already has a message.
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// Whether there are no errors.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was recorded, the 422 error otherwise.
    pub fn into_result<T>(self, value: T) -> Result<T, AppError> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(AppError::Validation(self))
        }
    }

    /// Parses a nullable text field of a `PATCH` body: absent stays absent, null or blank clears it,
    /// anything else goes through `parse` (its error recorded under `field`).
    pub fn optional<T>(
        &mut self,
        field: &str,
        value: Option<Option<String>>,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match value {
            None => None,
            Some(None) => Some(None),
            Some(Some(s)) if s.trim().is_empty() => Some(None),
            Some(Some(s)) => self.check(field, parse(&s)).map(Some),
        }
    }

    /// Runs a parse step, recording its error under `field` and returning the value when it succeeds.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Every invalid field with its messages (422, 400).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<BTreeMap<String, Vec<String>>>)]
    pub errors: Option<FieldErrors>,
    /// The existing items that conflict with the request (409).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub conflicts: Option<Vec<serde_json::Value>>,
    /// The id of the request, as in the `X-Request-Id` header.
    pub request_id: String,
}

/// An internal cause kept with a 5xx response for the log line; never sent to the client.
#[derive(Debug, Clone)]
pub struct InternalCause(pub String);

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: malformed JSON, parameter or cursor.
    #[error("bad request: {0}")]
    BadRequest(String, Option<FieldErrors>),
    /// 401: not authenticated (missing, invalid, expired or revoked credentials).
    #[error("not authenticated")]
    Unauthorized(String),
    /// 403: authenticated but not allowed.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 404: absent, or belonging to another organization.
    #[error("not found")]
    NotFound,
    /// 405: the path exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: a conflict with existing data.
    #[error("conflict: {detail}")]
    Conflict {
        /// What conflicts.
        detail: String,
        /// The existing items in the way.
        conflicts: Vec<serde_json::Value>,
    },
    /// 412: the `If-Match` or `version` is stale.
    #[error("precondition failed")]
    PreconditionFailed {
        /// The version the resource has now.
        current_version: i64,
    },
    /// 413: body too large.
    #[error("payload too large")]
    PayloadTooLarge(String),
    /// 415: wrong content type.
    #[error("unsupported media type")]
    UnsupportedMediaType(String),
    /// 422: validation failed; every bad field is listed.
    #[error("validation failed")]
    Validation(FieldErrors),
    /// 422 with a message that is not about one field (e.g. idempotency key reuse).
    #[error("unprocessable: {0}")]
    Unprocessable(String),
    /// 429: rate limited.
    #[error("rate limited")]
    RateLimited {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// 503: a dependency (the database) is unavailable or overloaded.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure. The cause is logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A 422 naming one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        Self::Validation(errors)
    }

    /// A 400 naming one parameter.
    pub fn bad_param(param: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut errors = FieldErrors::new();
        errors.add(param, message.clone());
        Self::BadRequest(
            format!("invalid parameter {param}: {message}"),
            Some(errors),
        )
    }

    /// A 409 without a list of conflicting items.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict {
            detail: detail.into(),
            conflicts: Vec::new(),
        }
    }

    /// Maps a database error whose unique-constraint violation means `detail` (the one helper for
    /// "a record with this email already exists" and its kind); other errors map as usual.
    pub fn unique_as(detail: &str) -> impl FnOnce(sea_orm::DbErr) -> Self + '_ {
        move |err| match Self::from(err) {
            Self::Conflict { .. } => Self::conflict(detail),
            other => other,
        }
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(..) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) | Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document, with an empty request id that the middleware fills in.
    pub fn to_problem(&self) -> Problem {
        let status = self.status();
        let (detail, errors, conflicts) = match self {
            Self::BadRequest(d, e) => (Some(d.clone()), e.clone(), None),
            Self::Unauthorized(d) | Self::Forbidden(d) => (Some(d.clone()), None, None),
            Self::NotFound => (Some("No such resource.".to_owned()), None, None),
            Self::MethodNotAllowed => (
                Some("This path does not accept this method.".to_owned()),
                None,
                None,
            ),
            Self::Conflict { detail, conflicts } => {
                (Some(detail.clone()), None, Some(conflicts.clone()))
            }
            Self::PreconditionFailed { current_version } => (
                Some(format!(
                    "The resource was changed by someone else; it is now at version {current_version}. Reload it and try again."
                )),
                None,
                None,
            ),
            Self::PayloadTooLarge(d) | Self::UnsupportedMediaType(d) | Self::Unprocessable(d) => {
                (Some(d.clone()), None, None)
            }
            Self::Validation(errors) => (
                Some(format!(
                    "The request has {} invalid field{}.",
                    errors.0.len(),
                    if errors.0.len() == 1 { "" } else { "s" }
                )),
                Some(errors.clone()),
                None,
            ),
            Self::RateLimited { retry_after_secs } => (
                Some(format!("Too many requests; retry in {retry_after_secs} s.")),
                None,
                None,
            ),
            Self::Unavailable(d) => (Some(d.clone()), None, None),
            Self::Internal(_) => (
                Some(
                    "An unexpected error occurred. It has been logged with the request id."
                        .to_owned(),
                ),
                None,
                None,
            ),
        };
        problem(status, detail, errors, conflicts)
    }
}

/// Builds a problem document for a status; `type` is a stable URI per status.
pub fn problem(
    status: StatusCode,
    detail: Option<String>,
    errors: Option<FieldErrors>,
    conflicts: Option<Vec<serde_json::Value>>,
) -> Problem {
    let title = status.canonical_reason().unwrap_or("Error").to_owned();
    let slug = title.to_ascii_lowercase().replace(' ', "-");
    Problem {
        kind: format!("https://fitnesscrm.dev/problems/{slug}"),
        title,
        status: status.as_u16(),
        detail,
        errors,
        conflicts,
        request_id: String::new(),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let problem = self.to_problem();
        let mut response = problem_response(problem);
        match &self {
            Self::RateLimited { retry_after_secs } => {
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            Self::Unauthorized(_) => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::Internal(cause) => {
                response
                    .extensions_mut()
                    .insert(InternalCause(format!("{cause:#}")));
            }
            Self::Unavailable(cause) => {
                response
                    .extensions_mut()
                    .insert(InternalCause(cause.clone()));
            }
            _ => {}
        }
        response
    }
}

/// A response whose body the observe middleware renders from the [`Problem`] in its extensions.
pub fn problem_response(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = status.into_response();
    response.extensions_mut().insert(problem);
    response
}

/// Maps database errors: unique violations become 409, pool exhaustion 503, the rest 500.
/// A sealed value that does not open is a fault of the stored data or the keys: a 500, logged as the
/// database error it is.
impl From<crate::db::sealed::OpenError> for AppError {
    fn from(err: crate::db::sealed::OpenError) -> Self {
        sea_orm::DbErr::from(err).into()
    }
}

/// See the `OpenError` conversion above.
impl From<crate::db::sealed::SealError> for AppError {
    fn from(err: crate::db::sealed::SealError) -> Self {
        sea_orm::DbErr::from(err).into()
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) = err.sql_err() {
            return AppError::conflict("A record with the same unique value already exists.");
        }
        if matches!(err, sea_orm::DbErr::ConnectionAcquire(_)) {
            return AppError::Unavailable(format!("database unavailable: {err}"));
        }
        AppError::Internal(anyhow::Error::new(err))
    }
}

impl<E: std::fmt::Display + std::fmt::Debug> From<sea_orm::TransactionError<E>> for AppError
where
    AppError: From<E>,
{
    fn from(err: sea_orm::TransactionError<E>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e.into(),
        }
    }
}

/// The result type of handlers and services.
pub type AppResult<T> = Result<T, AppError>;
