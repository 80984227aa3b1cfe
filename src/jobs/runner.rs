//! The runner every instance starts: it claims due jobs (and jobs whose runner died: their lease ran
//! out), runs each with its handler while renewing the lease, and records the outcome — succeeded,
//! queued again after an exponential backoff, or dead after the last allowed failure. Finishing is
//! fenced by the run that claimed the job, so that a job is never finished twice; a handler may run
//! again after a crash (at least once), so handlers are written to be repeatable.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::{Notify, Semaphore};

use super::model::{Job, NewJob, backoff};
use super::repo;
use crate::db::{Db, now};
use crate::error::AppResult;

/// What a job of one kind does.
pub type Handler = Arc<dyn Fn(Job) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// The handlers of every kind, and the kinds that recur.
#[derive(Clone, Default)]
pub struct Handlers {
    by_kind: BTreeMap<String, Handler>,
    recurring: BTreeMap<String, Duration>,
}

impl Handlers {
    /// Adds the handler of `kind`.
    pub fn on<F, Fut>(mut self, kind: &str, f: F) -> Self
    where
        F: Fn(Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.by_kind
            .insert(kind.to_owned(), Arc::new(move |job| Box::pin(f(job))));
        self
    }

    /// Makes `kind` (a handler added with [`on`](Self::on)) run every `every`, across all instances
    /// once: the next run is queued when one finishes.
    pub fn every(mut self, kind: &str, every: Duration) -> Self {
        self.recurring.insert(kind.to_owned(), every);
        self
    }

    /// The kinds known, for metric labels.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.by_kind.keys().map(String::as_str)
    }
}

/// How a runner works.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Jobs run at once by this runner.
    pub concurrency: usize,
    /// How long a claim lasts without being renewed (renewed every third of it while running).
    pub lease: Duration,
    /// Time between two looks for due jobs when nothing woke the runner.
    pub poll: Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            lease: Duration::from_secs(60),
            poll: Duration::from_secs(1),
        }
    }
}

/// One instance's runner.
#[derive(Clone)]
pub struct Runner {
    db: Db,
    handlers: Arc<Handlers>,
    config: RunnerConfig,
    /// This runner's name in `locked_by`.
    pub id: String,
    wake: Arc<Notify>,
}

/// `d` as a chrono duration, at most a century (so that adding it to a time cannot overflow).
fn chrono(d: Duration) -> chrono::Duration {
    let century = chrono::Duration::days(36_500);
    chrono::Duration::from_std(d).map_or(century, |d| d.min(century))
}

/// The recurring job's key: one queued or running at a time.
fn recurring_key(kind: &str) -> String {
    format!("recurring:{kind}")
}

impl Runner {
    /// A runner named after this host and process.
    pub fn new(db: Db, handlers: Handlers, config: RunnerConfig) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".to_owned());
        let id = format!(
            "{host}:{}:{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        );
        Self {
            db,
            handlers: Arc::new(handlers),
            config,
            id: id.chars().take(64).collect(),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Makes the runner look for due jobs now (after this instance queued one).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Queues each recurring kind that is not queued or running yet, to run now.
    pub async fn ensure_recurring(&self) -> AppResult<()> {
        for kind in self.handlers.recurring.keys() {
            let mut job = NewJob::now(kind, serde_json::Value::Null);
            job.unique_key = Some(recurring_key(kind));
            repo::insert(self.db.conn(), job, now()).await?;
        }
        Ok(())
    }

    /// Claims up to `limit` due jobs.
    pub async fn claim(&self, limit: usize) -> AppResult<Vec<Job>> {
        let at = now();
        let txn = self.db.begin_write().await?;
        let jobs = repo::claim(
            &txn,
            &self.id,
            limit as u64,
            at,
            at + chrono(self.config.lease),
        )
        .await?;
        txn.commit().await?;
        Ok(jobs)
    }

    /// Runs until dropped.
    pub async fn run(self) {
        if let Err(e) = self.ensure_recurring().await {
            tracing::warn!(error = %e, "jobs: cannot queue the recurring jobs; trying again later");
        }
        let slots = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        let mut looks = 0u64;
        loop {
            let free = slots.available_permits();
            if free > 0 {
                match self.claim(free).await {
                    Ok(jobs) => {
                        for job in jobs {
                            let Ok(permit) = slots.clone().acquire_owned().await else {
                                return;
                            };
                            let runner = self.clone();
                            tokio::spawn(async move {
                                runner.run_one(job).await;
                                drop(permit);
                            });
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "jobs: claiming failed; trying again"),
                }
            }
            looks += 1;
            // Now and then, queue a recurring job that a cancel or a lost insert left unqueued.
            if looks.is_multiple_of(600) && self.ensure_recurring().await.is_err() {
                tracing::warn!("jobs: cannot queue the recurring jobs; trying again later");
            }
            tokio::select! {
                () = tokio::time::sleep(self.config.poll) => {}
                () = self.wake.notified() => {}
            }
        }
    }

    /// Runs one claimed job to its outcome.
    pub async fn run_one(&self, job: Job) {
        let kind = job.kind.clone();
        let outcome = match self.handlers.by_kind.get(&kind).cloned() {
            None => Err(format!("no handler for jobs of kind {kind:?}")),
            Some(handler) => {
                let work = tokio::spawn(handler(job.clone()));
                let renew = self.renew_lease(&job);
                tokio::pin!(work);
                tokio::select! {
                    done = &mut work => match done {
                        Ok(Ok(())) => Ok(()),
                        Ok(Err(e)) => Err(format!("{e:#}")),
                        Err(e) => Err(format!("the job panicked or was aborted: {e}")),
                    },
                    () = renew => {
                        work.abort();
                        Err("the lease was lost to another runner".to_owned())
                    }
                }
            }
        };
        let result = match &outcome {
            Ok(()) => "succeeded",
            Err(_) if job.attempts >= job.max_attempts => "dead",
            Err(_) => "retried",
        };
        let label = if self.handlers.by_kind.contains_key(&kind) {
            kind.clone()
        } else {
            "unknown".to_owned()
        };
        metrics::counter!("fitnesscrm_jobs_total", "kind" => label, "result" => result)
            .increment(1);
        if let Err(e) = self.record(&job, outcome).await {
            tracing::warn!(job = %job.id, kind = %kind, error = %e, "jobs: the outcome could not be recorded; the lease will run out and the job run again");
        }
    }

    /// Renews the lease every third of it; returns when it was lost.
    async fn renew_lease(&self, job: &Job) {
        let every = self.config.lease / 3;
        loop {
            tokio::time::sleep(every).await;
            match repo::extend(self.db.conn(), job, now() + chrono(self.config.lease)).await {
                Ok(true) => {}
                Ok(false) => return,
                // The database is away: keep running, try again at the next renewal.
                Err(e) => tracing::warn!(job = %job.id, error = %e, "jobs: cannot renew a lease"),
            }
        }
    }

    async fn record(&self, job: &Job, outcome: Result<(), String>) -> AppResult<()> {
        let at = now();
        let txn = self.db.begin_write().await?;
        let (held, finished) = match outcome {
            Ok(()) => (repo::succeed(&txn, job, at).await?, true),
            Err(error) if job.attempts >= job.max_attempts => {
                tracing::warn!(job = %job.id, kind = %job.kind, attempts = job.attempts, "jobs: a job failed for the last time and is dead");
                (repo::bury(&txn, job, &error, at).await?, true)
            }
            Err(error) => {
                let wait = backoff(job.attempts, rand::random::<f64>());
                tracing::info!(job = %job.id, kind = %job.kind, attempts = job.attempts, retry_in_s = wait.as_secs(), "jobs: a job failed and will be tried again");
                (
                    repo::requeue(&txn, job, &error, at + chrono(wait), at).await?,
                    false,
                )
            }
        };
        if !held {
            tracing::warn!(job = %job.id, kind = %job.kind, "jobs: the lease was lost before the job finished; its new runner decides");
            return txn.rollback().await.map_err(Into::into);
        }
        if finished && let Some(every) = self.handlers.recurring.get(&job.kind) {
            let mut next = NewJob::now(&job.kind, serde_json::Value::Null);
            next.run_at = at + chrono(*every);
            next.unique_key = Some(recurring_key(&job.kind));
            repo::insert(&txn, next, at).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}
