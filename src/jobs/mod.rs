//! Background jobs: a table of jobs with leases, run by every instance's [`runner::Runner`] safely
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL; one write transaction at a time on SQLite), retried with
//! exponential backoff up to a dead state, scheduled (`run_at`) or recurring, and shown to owners and
//! admins (`/app/jobs`) and to the shell (`fitnesscrm jobs list|retry|cancel`).
//!
//! A job survives restarts and `kill -9` of the instance running it: its lease runs out and another
//! runner (or the restarted one) takes it. It is finished once: finishing names the run that claimed
//! it. Its handler may run again after such a crash, so handlers are repeatable.

pub mod model;
pub mod pages;
pub mod repo;
pub mod runner;
pub mod service;

use std::time::Duration;

pub use model::{Job, JobCounts, JobStatus, NewJob};
pub use runner::{Handlers, Runner, RunnerConfig};
use secrecy::ExposeSecret;

use crate::config::Config;
use crate::db::Db;
use crate::mail::service as mail;
use crate::mail::transport::Smtp;

/// The housekeeping sweep ([`crate::housekeeping`]), every ten minutes across the deployment.
pub const HOUSEKEEPING: &str = "housekeeping";

/// The product's handlers.
pub fn handlers(db: Db, config: &Config) -> anyhow::Result<Handlers> {
    let idempotency_ttl = config.idempotency_ttl;
    let smtp = match &config.smtp_url {
        Some(url) => {
            Some(Smtp::new(url.expose_secret(), &config.mail_from).map_err(anyhow::Error::msg)?)
        }
        None => None,
    };
    let base_url = match &config.public_url {
        Some(url) => url.clone(),
        None => format!("http://{}", config.listen),
    };
    let reset_db = db.clone();
    let (send_db, send_smtp) = (db.clone(), smtp.clone());
    let (release_db, release_smtp) = (db.clone(), smtp);
    Ok(Handlers::default()
        .on(crate::auth::reset::SEND_LINK, move |job| {
            let (db, base_url) = (reset_db.clone(), base_url.clone());
            async move { crate::auth::reset::send_link(&db, &base_url, &job).await }
        })
        .on(mail::SEND, move |job| {
            let (db, smtp) = (send_db.clone(), send_smtp.clone());
            async move { mail::send(&db, smtp.as_ref(), &job).await }
        })
        .on(mail::RELEASE, move |_job| {
            let (db, smtp) = (release_db.clone(), release_smtp.clone());
            async move { mail::release(&db, smtp.as_ref()).await }
        })
        .every(mail::RELEASE, Duration::from_secs(60))
        .on(HOUSEKEEPING, move |_job| {
            let db = db.clone();
            async move {
                let swept = crate::housekeeping::sweep(&db, idempotency_ttl).await?;
                tracing::debug!(
                    sessions = swept.sessions,
                    idempotency_keys = swept.idempotency_keys,
                    password_resets = swept.password_resets,
                    jobs = swept.jobs,
                    "housekeeping: deleted what has outlived its use"
                );
                Ok(())
            }
        })
        .every(HOUSEKEEPING, crate::housekeeping::EVERY))
}
