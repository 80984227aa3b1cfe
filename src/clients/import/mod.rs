//! CSV import of clients (`POST /api/v1/clients/import`) and its revert (`DELETE /api/v1/imports/{id}`).
//!
//! The file needs a header row; columns are matched by name (with common aliases such as `surname` or
//! `dob`), unknown columns are reported and ignored. Every row is validated like an API request. A dry
//! run returns the per-row report without writing. A real import writes everything in one transaction
//! or, when any row is invalid, nothing at all. Rows whose email matches an existing client are
//! skipped, updated or reported as errors, as `on_duplicate` says. A committed import can be reverted
//! as long as none of the clients it created or changed has been changed since.
//!
//! Split as every domain: [`model`] (parameters, report, parsing), [`repo`] (queries), [`service`]
//! (planning, writing, reverting) and the API handlers here.

pub mod model;
pub mod repo;
pub mod service;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub use self::model::{
    ImportParams, ImportReport, MAX_BYTES, MAX_ROWS, OnDuplicate, RowOutcome, RowReport,
};
pub use self::service::run_import;
use super::access::ClientScope;
use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::http::{ApiQuery, created};
use crate::state::AppState;

/// The import route (its body limit is the file limit, not the JSON one).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_clients))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BYTES))
}

/// The revert route, under `/api/v1/imports`.
pub fn imports_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(revert_import))
}

/// Imports clients from a CSV file (`Content-Type: text/csv`, UTF-8, header row, at most 10 MiB and
/// 50,000 rows). Staff and above.
#[utoipa::path(post, path = "/import", tag = "clients", params(ImportParams),
    request_body(content = String, content_type = "text/csv", description = "CSV with a header row"),
    responses(
        (status = 200, description = "Dry run: what would happen", body = ImportReport),
        (status = 201, description = "Imported", body = ImportReport, headers(("Location" = String, description = "The import, for reverting"))),
        (status = 422, description = "Invalid rows (the report, as JSON) or an unusable file (a problem naming it); nothing was written",
            content((ImportReport = "application/json"), (crate::error::Problem = "application/problem+json"))),
    ))]
pub async fn import_clients(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(params): ApiQuery<ImportParams>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> AppResult<Response> {
    ClientScope::for_actor(state.db.conn(), &actor)
        .await?
        .require_front_desk()?;
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime != "text/csv" && mime != "application/csv" {
        return Err(AppError::UnsupportedMediaType(
            "Send the file as Content-Type: text/csv.".into(),
        ));
    }
    let bytes = body.map_err(|_| {
        AppError::PayloadTooLarge(format!(
            "The file is larger than {} MiB.",
            MAX_BYTES / 1024 / 1024
        ))
    })?;
    let report = run_import(
        &state.db,
        &actor,
        &bytes,
        params.dry_run.unwrap_or(false),
        params.on_duplicate.unwrap_or_default(),
    )
    .await?;
    match report.import_id {
        Some(import_id) => Ok(created(format!("/api/v1/imports/{import_id}"), report)),
        None if report.dry_run && params.dry_run.unwrap_or(false) => {
            Ok(Json(report).into_response())
        }
        None => Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(report)).into_response()),
    }
}

/// Reverts an import: deletes the clients it created and restores those it updated, unless any of them
/// changed since (409 listing them). Staff and above.
#[utoipa::path(delete, path = "/{id}", tag = "clients", params(("id" = Uuid, Path, description = "Import id")),
    responses(
        (status = 204, description = "Reverted"),
        (status = 409, description = "Some records changed since the import; `conflicts` lists them", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn revert_import(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<impl IntoResponse> {
    service::revert_import(&state.db, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
