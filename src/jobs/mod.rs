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

use crate::db::Db;

/// The housekeeping sweep ([`crate::housekeeping`]), every ten minutes across the deployment.
pub const HOUSEKEEPING: &str = "housekeeping";

/// The product's handlers.
pub fn handlers(db: Db, idempotency_ttl: Duration) -> Handlers {
    Handlers::default()
        .on(HOUSEKEEPING, move |_job| {
            let db = db.clone();
            async move {
                let swept = crate::housekeeping::sweep(&db, idempotency_ttl).await?;
                tracing::debug!(
                    sessions = swept.sessions,
                    idempotency_keys = swept.idempotency_keys,
                    "housekeeping: deleted what has outlived its use"
                );
                Ok(())
            }
        })
        .every(HOUSEKEEPING, crate::housekeeping::EVERY)
}
