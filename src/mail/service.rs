//! Queueing and sending mail.

use sea_orm::ConnectionTrait;
use serde_json::json;
use uuid::Uuid;

use super::model::{Email, MailStatus};
use super::repo;
use super::transport::Smtp;
use crate::db::{Db, now};
use crate::error::{AppError, AppResult};
use crate::jobs::model::{Job, NewJob};
use crate::jobs::service as jobs;

/// The job that sends one message.
pub const SEND: &str = "mail.send";
/// The recurring job that releases held messages once a mail server is configured.
pub const RELEASE: &str = "mail.release";

/// Writes `email` to the outbox with the job that sends it — on `db`, which is the transaction of
/// the change that causes it.
pub async fn queue(db: &impl ConnectionTrait, email: Email) -> AppResult<Uuid> {
    let id = repo::insert(db, email, now()).await?;
    let mut job = NewJob::now(SEND, json!({ "message": id }));
    job.max_attempts = 10;
    jobs::enqueue(db, job).await?;
    Ok(id)
}

/// The message a send job is for.
fn message_of(job: &Job) -> AppResult<Uuid> {
    job.payload["message"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a {SEND} job without a message id")))
}

/// Runs a send job: hands the message over unless it was sent already; without a mail server, holds
/// it. A failure is recorded on the message and returned, for the job to be tried again.
pub async fn send(db: &Db, smtp: Option<&Smtp>, job: &Job) -> anyhow::Result<()> {
    let id = message_of(job)?;
    let Some(message) = repo::get(db.conn(), id).await? else {
        return Ok(());
    };
    if message.status == MailStatus::Sent {
        return Ok(());
    }
    let Some(smtp) = smtp else {
        repo::mark(db.conn(), id, MailStatus::Held, None, now()).await?;
        return Ok(());
    };
    match smtp.send(&message).await {
        Ok(()) => {
            repo::mark(db.conn(), id, MailStatus::Sent, None, now()).await?;
            metrics::counter!("fitnesscrm_mail_deliveries_total", "result" => "sent").increment(1);
            Ok(())
        }
        Err(error) => {
            repo::mark(db.conn(), id, MailStatus::Pending, Some(&error), now()).await?;
            metrics::counter!("fitnesscrm_mail_deliveries_total", "result" => "failed")
                .increment(1);
            anyhow::bail!(error)
        }
    }
}

/// An organization's newest messages, without their bodies (which may hold single-use links), for
/// its owners and admins.
pub async fn outbox(
    db: &impl ConnectionTrait,
    actor: &crate::auth::Actor,
    limit: u64,
) -> AppResult<Vec<super::model::OutboxMessage>> {
    actor.require(crate::auth::Role::Admin)?;
    repo::list(db, Some(actor.org().0), limit).await
}

/// Runs the release job: with a mail server configured, every held message is queued to be sent.
pub async fn release(db: &Db, smtp: Option<&Smtp>) -> anyhow::Result<()> {
    if smtp.is_none() {
        return Ok(());
    }
    loop {
        let held = repo::held(db.conn(), 100).await?;
        if held.is_empty() {
            return Ok(());
        }
        let txn = db.begin_write().await?;
        for id in held {
            repo::mark(&txn, id, MailStatus::Pending, None, now()).await?;
            jobs::enqueue(&txn, NewJob::now(SEND, json!({ "message": id }))).await?;
        }
        txn.commit().await?;
    }
}
