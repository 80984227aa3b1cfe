//! What the product and its people do with jobs: queue one in the transaction of the change that
//! causes it (a rolled-back change queues nothing), and — owners and admins, for their organization;
//! the shell, for the whole deployment — look at them, retry and cancel them.

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::model::{Job, JobCounts, JobStatus, NewJob};
use super::repo;
use crate::auth::{Actor, Role};
use crate::db::now;
use crate::error::{AppError, AppResult};

/// Queues a job on `db` — pass the transaction of the change that causes it.
pub async fn enqueue(db: &impl ConnectionTrait, job: NewJob) -> AppResult<Option<Uuid>> {
    repo::insert(db, job, now()).await
}

/// Deletes jobs that finished longer than `keep` ago (housekeeping).
pub async fn purge_finished(db: &crate::db::Db, keep: std::time::Duration) -> AppResult<u64> {
    let before = chrono::Duration::from_std(keep)
        .ok()
        .and_then(|keep| now().checked_sub_signed(keep))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    repo::purge_finished(db.conn(), before).await
}

/// Whose jobs the caller sees: an owner's or admin's organization's; the shell's (no caller) all.
fn scope(actor: Option<&Actor>) -> AppResult<Option<Uuid>> {
    match actor {
        Some(actor) => {
            actor.require(Role::Admin)?;
            Ok(Some(actor.org().0))
        }
        None => Ok(None),
    }
}

/// The newest jobs (at most `limit`), optionally of one status, and the counts by status.
pub async fn overview(
    db: &impl ConnectionTrait,
    actor: Option<&Actor>,
    status: Option<JobStatus>,
    limit: u64,
) -> AppResult<(Vec<Job>, JobCounts)> {
    let org = scope(actor)?;
    Ok((
        repo::list(db, org, status, limit).await?,
        repo::counts(db, org).await?,
    ))
}

/// Queues a dead (or waiting) job to run now, its attempts counted afresh.
pub async fn retry(db: &impl ConnectionTrait, actor: Option<&Actor>, id: Uuid) -> AppResult<()> {
    let org = scope(actor)?;
    if repo::retry(db, org, id, now()).await? {
        return Ok(());
    }
    refusal(db, org, id, "retried").await
}

/// Cancels a queued or dead job.
pub async fn cancel(db: &impl ConnectionTrait, actor: Option<&Actor>, id: Uuid) -> AppResult<()> {
    let org = scope(actor)?;
    if repo::cancel(db, org, id, now()).await? {
        return Ok(());
    }
    refusal(db, org, id, "cancelled").await
}

/// Why a retry or cancel did nothing: no such job (404), or not in a state for it (409).
async fn refusal(
    db: &impl ConnectionTrait,
    org: Option<Uuid>,
    id: Uuid,
    what: &str,
) -> AppResult<()> {
    match repo::get(db, org, id).await? {
        None => Err(AppError::NotFound),
        Some(job) => Err(AppError::conflict(format!(
            "This job is {}: only a queued or dead job can be {what}.",
            job.status.as_str()
        ))),
    }
}
