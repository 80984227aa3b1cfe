//! Database access for jobs. Every change of a claimed job names the runner and the run (`attempts`)
//! it was claimed for: a runner whose lease ran out and was taken over cannot finish the job too.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::model::{Job, JobCounts, JobStatus, NewJob};
use crate::db::entities::jobs;
use crate::db::new_id;
use crate::error::{AppError, AppResult};

fn to_job(m: jobs::Model) -> AppResult<Job> {
    Ok(Job {
        id: m.id,
        organization_id: m.organization_id,
        status: JobStatus::parse(&m.status).ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("unknown job status {:?}", m.status))
        })?,
        payload: serde_json::from_str(&m.payload).unwrap_or(serde_json::Value::Null),
        kind: m.kind,
        attempts: m.attempts,
        max_attempts: m.max_attempts,
        run_at: m.run_at,
        lease_until: m.lease_until,
        locked_by: m.locked_by,
        last_error: m.last_error,
        created_at: m.created_at,
        finished_at: m.finished_at,
    })
}

/// Queues a job; `None` when its `unique_key` is already queued or running.
pub async fn insert(
    db: &impl ConnectionTrait,
    job: NewJob,
    at: DateTime<Utc>,
) -> AppResult<Option<Uuid>> {
    let id = new_id();
    let model = jobs::ActiveModel {
        id: Set(id),
        organization_id: Set(job.organization_id),
        kind: Set(job.kind),
        payload: Set(job.payload.to_string()),
        status: Set(JobStatus::Queued.as_str().to_owned()),
        attempts: Set(0),
        max_attempts: Set(Ord::max(job.max_attempts, 1)),
        run_at: Set(job.run_at),
        lease_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        unique_key: Set(job.unique_key),
        created_at: Set(at),
        updated_at: Set(at),
        finished_at: Set(None),
    };
    let done = jobs::Entity::insert(model)
        .on_conflict(
            OnConflict::column(jobs::Column::UniqueKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok((done > 0).then_some(id))
}

/// Claims up to `limit` jobs for `runner` until `lease_until`: due queued jobs, and running jobs
/// whose lease has run out (their runner died). Each claim is one more attempt. On PostgreSQL,
/// runners skip each other's locked rows; on SQLite the caller's write transaction holds the
/// database.
pub async fn claim(
    db: &impl ConnectionTrait,
    runner: &str,
    limit: u64,
    at: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> AppResult<Vec<Job>> {
    let due = Query::select()
        .column(jobs::Column::Id)
        .from(jobs::Entity)
        .cond_where(
            Condition::any()
                .add(
                    Condition::all()
                        .add(jobs::Column::Status.eq(JobStatus::Queued.as_str()))
                        .add(jobs::Column::RunAt.lte(at)),
                )
                .add(
                    Condition::all()
                        .add(jobs::Column::Status.eq(JobStatus::Running.as_str()))
                        .add(jobs::Column::LeaseUntil.lt(at)),
                ),
        )
        .order_by(jobs::Column::RunAt, sea_orm::Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let claimed = jobs::Entity::update_many()
        .col_expr(
            jobs::Column::Status,
            Expr::value(JobStatus::Running.as_str()),
        )
        .col_expr(
            jobs::Column::Attempts,
            Expr::col(jobs::Column::Attempts).add(1),
        )
        .col_expr(jobs::Column::LockedBy, Expr::value(runner))
        .col_expr(jobs::Column::LeaseUntil, Expr::value(lease_until))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(at))
        .filter(jobs::Column::Id.in_subquery(due))
        .exec_with_returning(db)
        .await?;
    let mut claimed = claimed
        .into_iter()
        .map(to_job)
        .collect::<AppResult<Vec<_>>>()?;
    claimed.sort_by_key(|j| j.run_at);
    Ok(claimed)
}

/// The condition that `job` is still held by the run that claimed it.
fn held(job: &Job) -> Condition {
    Condition::all()
        .add(jobs::Column::Id.eq(job.id))
        .add(jobs::Column::Status.eq(JobStatus::Running.as_str()))
        .add(jobs::Column::LockedBy.eq(job.locked_by.clone()))
        .add(jobs::Column::Attempts.eq(job.attempts))
}

/// Extends the lease of a job still held; false when it was lost.
pub async fn extend(
    db: &impl ConnectionTrait,
    job: &Job,
    lease_until: DateTime<Utc>,
) -> AppResult<bool> {
    let done = jobs::Entity::update_many()
        .col_expr(jobs::Column::LeaseUntil, Expr::value(lease_until))
        .filter(held(job))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Marks a held job succeeded; false when it was lost (another runner has it now).
pub async fn succeed(db: &impl ConnectionTrait, job: &Job, at: DateTime<Utc>) -> AppResult<bool> {
    finish(db, job, JobStatus::Succeeded, None, at).await
}

/// Marks a held job dead after its last allowed failure.
pub async fn bury(
    db: &impl ConnectionTrait,
    job: &Job,
    error: &str,
    at: DateTime<Utc>,
) -> AppResult<bool> {
    finish(db, job, JobStatus::Dead, Some(error), at).await
}

async fn finish(
    db: &impl ConnectionTrait,
    job: &Job,
    status: JobStatus,
    error: Option<&str>,
    at: DateTime<Utc>,
) -> AppResult<bool> {
    let mut update = jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value(status.as_str()))
        .col_expr(
            jobs::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(jobs::Column::UniqueKey, Expr::value(Option::<String>::None))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(at))
        .col_expr(jobs::Column::FinishedAt, Expr::value(at));
    if let Some(error) = error {
        update = update.col_expr(jobs::Column::LastError, Expr::value(error));
    }
    let done = update.filter(held(job)).exec(db).await?;
    Ok(done.rows_affected == 1)
}

/// Queues a held job again for `run_at` after a failure.
pub async fn requeue(
    db: &impl ConnectionTrait,
    job: &Job,
    error: &str,
    run_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> AppResult<bool> {
    let done = jobs::Entity::update_many()
        .col_expr(
            jobs::Column::Status,
            Expr::value(JobStatus::Queued.as_str()),
        )
        .col_expr(jobs::Column::RunAt, Expr::value(run_at))
        .col_expr(
            jobs::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(jobs::Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(jobs::Column::LastError, Expr::value(error))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(at))
        .filter(held(job))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Deletes jobs that finished (succeeded or cancelled) before `before` (housekeeping); dead ones stay
/// until someone retries or cancels them.
pub async fn purge_finished(db: &impl ConnectionTrait, before: DateTime<Utc>) -> AppResult<u64> {
    let done = jobs::Entity::delete_many()
        .filter(
            jobs::Column::Status
                .is_in([JobStatus::Succeeded.as_str(), JobStatus::Cancelled.as_str()]),
        )
        .filter(jobs::Column::FinishedAt.lt(before))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// The condition of the jobs `org` sees: its own; `None` (the shell) sees every job.
fn of(org: Option<Uuid>) -> Condition {
    match org {
        Some(org) => Condition::all().add(jobs::Column::OrganizationId.eq(org)),
        None => Condition::all(),
    }
}

/// Job `id` of `org`, when it is queued or dead (what may be retried or cancelled).
fn waiting(org: Option<Uuid>, id: Uuid) -> Condition {
    of(org)
        .add(jobs::Column::Id.eq(id))
        .add(jobs::Column::Status.is_in([JobStatus::Dead.as_str(), JobStatus::Queued.as_str()]))
}

/// Queues a dead or queued job to run now, with its attempts counted from zero again.
pub async fn retry(
    db: &impl ConnectionTrait,
    org: Option<Uuid>,
    id: Uuid,
    at: DateTime<Utc>,
) -> AppResult<bool> {
    let done = jobs::Entity::update_many()
        .col_expr(
            jobs::Column::Status,
            Expr::value(JobStatus::Queued.as_str()),
        )
        .col_expr(jobs::Column::Attempts, Expr::value(0))
        .col_expr(jobs::Column::RunAt, Expr::value(at))
        .col_expr(
            jobs::Column::FinishedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(jobs::Column::UpdatedAt, Expr::value(at))
        .filter(waiting(org, id))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Cancels a queued or dead job (a running one finishes its run first).
pub async fn cancel(
    db: &impl ConnectionTrait,
    org: Option<Uuid>,
    id: Uuid,
    at: DateTime<Utc>,
) -> AppResult<bool> {
    let done = jobs::Entity::update_many()
        .col_expr(
            jobs::Column::Status,
            Expr::value(JobStatus::Cancelled.as_str()),
        )
        .col_expr(jobs::Column::UniqueKey, Expr::value(Option::<String>::None))
        .col_expr(jobs::Column::FinishedAt, Expr::value(at))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(at))
        .filter(waiting(org, id))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// One job.
pub async fn get(db: &impl ConnectionTrait, org: Option<Uuid>, id: Uuid) -> AppResult<Option<Job>> {
    jobs::Entity::find_by_id(id)
        .filter(of(org))
        .one(db)
        .await?
        .map(to_job)
        .transpose()
}

/// The newest jobs, optionally of one status.
pub async fn list(
    db: &impl ConnectionTrait,
    org: Option<Uuid>,
    status: Option<JobStatus>,
    limit: u64,
) -> AppResult<Vec<Job>> {
    let mut q = jobs::Entity::find().filter(of(org));
    if let Some(status) = status {
        q = q.filter(jobs::Column::Status.eq(status.as_str()));
    }
    q.order_by_desc(jobs::Column::CreatedAt)
        .order_by_desc(jobs::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(to_job)
        .collect()
}

/// How many jobs are queued, running, retrying and dead.
pub async fn counts(db: &impl ConnectionTrait, org: Option<Uuid>) -> AppResult<JobCounts> {
    let rows: Vec<(String, bool, i64)> = jobs::Entity::find()
        .select_only()
        .column(jobs::Column::Status)
        .column_as(jobs::Column::LastError.is_not_null(), "failed_before")
        .column_as(jobs::Column::Id.count(), "n")
        .filter(of(org))
        .filter(jobs::Column::Status.is_in([
            JobStatus::Queued.as_str(),
            JobStatus::Running.as_str(),
            JobStatus::Dead.as_str(),
        ]))
        .group_by(jobs::Column::Status)
        .group_by(jobs::Column::LastError.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    let mut counts = JobCounts::default();
    for (status, failed_before, n) in rows {
        let n = u64::try_from(n).unwrap_or(0);
        match (JobStatus::parse(&status), failed_before) {
            (Some(JobStatus::Queued), false) => counts.queued += n,
            (Some(JobStatus::Queued), true) => counts.retrying += n,
            (Some(JobStatus::Running), _) => counts.running += n,
            (Some(JobStatus::Dead), _) => counts.dead += n,
            _ => {}
        }
    }
    Ok(counts)
}
