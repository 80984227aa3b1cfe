//! Jobs as the rest of the product sees them.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Waiting for its `run_at` (a first run, or a retry after a failure).
    Queued,
    /// Claimed by a runner, whose lease on it lasts until `lease_until`.
    Running,
    /// Done.
    Succeeded,
    /// Failed as many times as it may; waits for someone to retry or cancel it.
    Dead,
    /// Cancelled before it ran.
    Cancelled,
}

impl JobStatus {
    /// Every status.
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Succeeded,
        JobStatus::Dead,
        JobStatus::Cancelled,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Dead => "dead",
            JobStatus::Cancelled => "cancelled",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<JobStatus> {
        JobStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// A job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    /// Id.
    pub id: Uuid,
    /// The organization it works for; none for the deployment's own (housekeeping).
    pub organization_id: Option<Uuid>,
    /// What it does: the name of a handler.
    pub kind: String,
    /// The handler's input (JSON).
    pub payload: serde_json::Value,
    /// Where it is.
    pub status: JobStatus,
    /// Runs started so far (a claim counts one).
    pub attempts: i32,
    /// Runs it may have before it is dead.
    pub max_attempts: i32,
    /// When it runs (next).
    pub run_at: DateTime<Utc>,
    /// Until when its runner holds it.
    pub lease_until: Option<DateTime<Utc>>,
    /// The runner holding it.
    pub locked_by: Option<String>,
    /// Why its last run failed.
    pub last_error: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Finished (succeeded, dead or cancelled).
    pub finished_at: Option<DateTime<Utc>>,
}

impl Job {
    /// A queued job that has failed before and waits to be tried again.
    pub fn is_retrying(&self) -> bool {
        self.status == JobStatus::Queued && self.last_error.is_some()
    }
}

/// A job to queue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The organization it works for.
    pub organization_id: Option<Uuid>,
    /// The handler.
    pub kind: String,
    /// Its input.
    pub payload: serde_json::Value,
    /// Not before.
    pub run_at: DateTime<Utc>,
    /// Runs it may have.
    pub max_attempts: i32,
    /// Queued at most once while queued or running (recurring jobs).
    pub unique_key: Option<String>,
}

impl NewJob {
    /// A job of `kind` to run now, with the default number of attempts.
    pub fn now(kind: &str, payload: serde_json::Value) -> Self {
        Self {
            organization_id: None,
            kind: kind.to_owned(),
            payload,
            run_at: Utc::now(),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            unique_key: None,
        }
    }
}

/// Runs a job may have unless it says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 8;

/// The wait before run `attempt + 1` after run `attempt` failed: 10 s doubling per failure, at most
/// an hour, less up to a fifth at random so that jobs failing together do not retry together.
pub fn backoff(attempt: i32, jitter: f64) -> Duration {
    let exponent = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    let full = (10u64.saturating_mul(1u64 << exponent)).min(3600);
    let factor = 1.0 - 0.2 * jitter.clamp(0.0, 1.0);
    Duration::from_secs_f64(full as f64 * factor)
}

/// Counts of an organization's (or the deployment's) jobs, for the jobs page and `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct JobCounts {
    /// Queued for a first run.
    pub queued: u64,
    /// Running.
    pub running: u64,
    /// Queued again after a failure.
    pub retrying: u64,
    /// Dead.
    pub dead: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_ten_seconds_up_to_an_hour_less_a_fifth_at_most() {
        assert_eq!(backoff(1, 0.0), Duration::from_secs(10));
        assert_eq!(backoff(2, 0.0), Duration::from_secs(20));
        assert_eq!(backoff(4, 0.0), Duration::from_secs(80));
        assert_eq!(backoff(30, 0.0), Duration::from_secs(3600));
        assert_eq!(backoff(1, 1.0), Duration::from_secs(8));
        assert_eq!(backoff(0, 0.5), Duration::from_secs(9));
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in JobStatus::ALL {
            assert_eq!(JobStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(JobStatus::parse("lost"), None);
    }
}
