//! HTTP conventions in one place: problem+json rendering, request ids, access logs and metrics, the
//! JSON and query extractors, pagination, optimistic concurrency, idempotency, health and OpenAPI.

pub mod client;
pub mod concurrency;
pub mod health;
pub mod idempotency;
pub mod json;
pub mod metrics;
pub mod observe;
pub mod openapi;
pub mod pagination;
pub mod query;
pub mod server;
mod validate_impls;

pub use concurrency::IfMatch;
pub use json::ApiJson;
pub use query::ApiQuery;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// `201 Created` with a `Location` header and the resource as JSON.
pub fn created<T: Serialize>(location: String, body: T) -> Response {
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}
