//! `/app/jobs`: the organization's background jobs — queued, running, retrying, dead — for owners
//! and admins, who may retry a dead job or cancel a waiting one.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use super::model::{Job, JobCounts, JobStatus};
use super::service;
use crate::auth::Role;
use crate::state::AppState;
use crate::web::page::{PageResult, Shell, Viewer, redirect_with, render};
use crate::web::page_error::PageQuery;

/// The pages of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app/jobs", get(list_jobs))
        .route("/app/jobs/{id}/retry", post(retry_job))
        .route("/app/jobs/{id}/cancel", post(cancel_job))
}

#[derive(Debug, Deserialize, Default)]
struct Filters {
    #[serde(default)]
    status: String,
}

#[derive(Template)]
#[template(path = "jobs/list.html")]
struct JobsPage {
    shell: Shell,
    jobs: Vec<Job>,
    counts: JobCounts,
    status: String,
    messages: Vec<crate::mail::OutboxMessage>,
    mail_configured: bool,
}

async fn list_jobs(
    State(state): State<AppState>,
    viewer: Viewer,
    PageQuery(f): PageQuery<Filters>,
) -> PageResult {
    viewer.require(Role::Admin)?;
    let status = JobStatus::parse(&f.status);
    let (jobs, counts) =
        service::overview(state.db.conn(), Some(&viewer.actor()), status, 100).await?;
    let messages = crate::mail::service::outbox(state.db.conn(), &viewer.actor(), 50).await?;
    render(&JobsPage {
        shell: viewer.shell,
        jobs,
        counts,
        messages,
        mail_configured: state.config.smtp_url.is_some(),
        status: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
    })
}

async fn retry_job(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> PageResult {
    service::retry(state.db.conn(), Some(&viewer.actor()), id).await?;
    Ok(redirect_with(
        &state,
        "/app/jobs",
        "The job runs again shortly.",
    ))
}

async fn cancel_job(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> PageResult {
    service::cancel(state.db.conn(), Some(&viewer.actor()), id).await?;
    Ok(redirect_with(&state, "/app/jobs", "Job cancelled."))
}
