//! Optimistic concurrency: `If-Match: <version>` (or a `version` field in the body) on updates.

use axum::extract::FromRequestParts;
use axum::http::header::IF_MATCH;
use axum::http::request::Parts;

use crate::error::AppError;

/// The version a client says its change is based on, from `If-Match` (`3`, `"3"` or `W/"3"`).
#[derive(Debug, Clone, Copy, Default)]
pub struct IfMatch(pub Option<i64>);

impl IfMatch {
    /// The expected version: the header's, else the body's. Both given and different is a 400.
    pub fn expected(self, body_version: Option<i64>) -> Result<Option<i64>, AppError> {
        match (self.0, body_version) {
            (Some(h), Some(b)) if h != b => Err(AppError::bad_param(
                "If-Match",
                "differs from the version field in the body",
            )),
            (Some(h), _) => Ok(Some(h)),
            (None, b) => Ok(b),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(raw) = parts.headers.get(IF_MATCH) else {
            return Ok(Self(None));
        };
        let bad = || AppError::bad_param("If-Match", "must be the resource's version number");
        let s = raw.to_str().map_err(|_| bad())?.trim();
        let s = s.strip_prefix("W/").unwrap_or(s).trim_matches('"');
        s.parse::<i64>().map(|v| Self(Some(v))).map_err(|_| bad())
    }
}
