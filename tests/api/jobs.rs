//! Background jobs: runs, retries with backoff, dead jobs, leases taken over after a runner dies,
//! several runners on one database, recurring jobs, and the jobs page and shell commands.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fitnesscrm::db::Db;
use fitnesscrm::jobs::{Handlers, Job, JobStatus, NewJob, Runner, RunnerConfig, repo, service};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::test_config;
use crate::on_both_databases;
use crate::web::client::Web;

/// What the handlers of these tests saw: the payload's `n` of every run, in order.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<i64>>>);

impl Seen {
    fn all(&self) -> Vec<i64> {
        self.0.lock().unwrap().clone()
    }

    /// Records each run of `test.record`; `test.fail` fails until `fixed` says otherwise.
    fn handlers(&self, fixed: Arc<std::sync::atomic::AtomicBool>) -> Handlers {
        let seen = self.clone();
        let failing = self.clone();
        Handlers::default()
            .on("test.record", move |job: Job| {
                let seen = seen.clone();
                async move {
                    seen.0
                        .lock()
                        .unwrap()
                        .push(job.payload["n"].as_i64().unwrap_or(-1));
                    Ok(())
                }
            })
            .on("test.fail", move |job: Job| {
                let seen = failing.clone();
                let fixed = fixed.clone();
                async move {
                    seen.0
                        .lock()
                        .unwrap()
                        .push(job.payload["n"].as_i64().unwrap_or(-1));
                    if fixed.load(std::sync::atomic::Ordering::SeqCst) {
                        Ok(())
                    } else {
                        anyhow::bail!("the mail server said no")
                    }
                }
            })
    }
}

fn config(lease: Duration) -> RunnerConfig {
    RunnerConfig {
        concurrency: 4,
        lease,
        poll: Duration::from_millis(50),
    }
}

async fn job(db: &Db, id: uuid::Uuid) -> Job {
    repo::get(db.conn(), None, id)
        .await
        .unwrap()
        .expect("the job")
}

async fn enqueue(db: &Db, kind: &str, n: i64, max_attempts: i32) -> uuid::Uuid {
    let mut new = NewJob::now(kind, json!({"n": n}));
    new.max_attempts = max_attempts;
    service::enqueue(db.conn(), new)
        .await
        .unwrap()
        .expect("queued")
}

/// Brings a job's `run_at` to now (its backoff or schedule is over).
async fn make_due(db: &Db, id: uuid::Uuid) {
    use fitnesscrm::db::entities::jobs;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    jobs::Entity::update_many()
        .col_expr(jobs::Column::RunAt, Expr::value(chrono::Utc::now()))
        .filter(jobs::Column::Id.eq(id))
        .exec(db.conn())
        .await
        .unwrap();
}

/// Waits (up to 20 s) until every job in `ids` is in `status`.
async fn wait_for(db: &Db, ids: &[uuid::Uuid], status: JobStatus) {
    for _ in 0..400 {
        let mut all = true;
        for id in ids {
            all &= job(db, *id).await.status == status;
        }
        if all {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("jobs did not all become {status:?}");
}

on_both_databases! {
    // Each test runs its own runners; the server's would take the test's jobs.
    config = |c| c.jobs_concurrency = 0;
    async fn a_queued_job_runs_once_and_a_failing_one_is_retried_then_dead_then_run_again(app) {
        let seen = Seen::default();
        let fixed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let runner = Runner::new(app.db.clone(), seen.handlers(fixed.clone()), config(Duration::from_secs(30)));
        let ok = enqueue(&app.db, "test.record", 1, 3).await;
        let failing = enqueue(&app.db, "test.fail", 2, 2).await;
        let later = {
            let mut new = NewJob::now("test.record", json!({"n": 3}));
            new.run_at = chrono::Utc::now() + chrono::Duration::hours(1);
            service::enqueue(app.db.conn(), new).await.unwrap().unwrap()
        };
        let claimed = runner.claim(10).await.unwrap();
        assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>().len(), 2, "the due ones, not the one in an hour");
        for j in claimed {
            runner.run_one(j).await;
        }
        assert_eq!(job(&app.db, ok).await.status, JobStatus::Succeeded);
        let retrying = job(&app.db, failing).await;
        assert!(retrying.is_retrying() && retrying.attempts == 1, "{retrying:?}");
        assert_eq!(retrying.last_error.as_deref(), Some("the mail server said no"));
        let wait = retrying.run_at - chrono::Utc::now();
        assert!(wait > chrono::Duration::seconds(6) && wait <= chrono::Duration::seconds(10), "backoff of ~10 s: {wait}");
        assert!(runner.claim(10).await.unwrap().is_empty(), "nothing due during the backoff");
        // The backoff is over: the second and last try fails too, and the job is dead.
        make_due(&app.db, failing).await;
        for j in runner.claim(10).await.unwrap() {
            runner.run_one(j).await;
        }
        let dead = job(&app.db, failing).await;
        assert_eq!((dead.status, dead.attempts), (JobStatus::Dead, 2));
        let counts = service::overview(app.db.conn(), None, None, 10).await.unwrap().1;
        assert_eq!((counts.queued, counts.dead, counts.retrying, counts.running), (1, 1, 0, 0));
        // Retried by hand once the cause is fixed, it runs and succeeds.
        fixed.store(true, std::sync::atomic::Ordering::SeqCst);
        service::retry(app.db.conn(), None, failing).await.unwrap();
        for j in runner.claim(10).await.unwrap() {
            runner.run_one(j).await;
        }
        assert_eq!(job(&app.db, failing).await.status, JobStatus::Succeeded);
        let mut runs = seen.all();
        runs.sort_unstable();
        assert_eq!(runs, vec![1, 2, 2, 2], "each run once, the failing one three times");
        // A finished job is neither retried nor cancelled; a waiting one is cancelled and never runs.
        assert_eq!(service::retry(app.db.conn(), None, ok).await.unwrap_err().status(), StatusCode::CONFLICT);
        service::cancel(app.db.conn(), None, later).await.unwrap();
        make_due(&app.db, later).await;
        assert!(runner.claim(10).await.unwrap().is_empty());
        assert_eq!(job(&app.db, later).await.status, JobStatus::Cancelled);
        assert_eq!(service::cancel(app.db.conn(), None, uuid::Uuid::now_v7()).await.unwrap_err().status(), StatusCode::NOT_FOUND);
    }
}

on_both_databases! {
    config = |c| c.jobs_concurrency = 0;
    async fn a_job_whose_runner_died_is_taken_over_when_its_lease_runs_out_and_finished_once(app) {
        let seen = Seen::default();
        let fixed = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let lease = Duration::from_millis(800);
        let dead_runner = Runner::new(app.db.clone(), seen.handlers(fixed.clone()), config(lease));
        let other = Runner::new(app.db.clone(), seen.handlers(fixed), config(lease));
        let id = enqueue(&app.db, "test.record", 7, 3).await;
        // The first runner claims the job and dies before it runs it (kill -9).
        let claimed = dead_runner.claim(1).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert!(other.claim(1).await.unwrap().is_empty(), "held while the lease lasts");
        tokio::time::sleep(lease + Duration::from_millis(300)).await;
        let taken = other.claim(1).await.unwrap();
        assert_eq!((taken.len(), taken[0].attempts), (1, 2), "taken over, as a second try");
        // The dead runner's late word changes nothing.
        assert!(!repo::succeed(app.db.conn(), &claimed[0], chrono::Utc::now()).await.unwrap());
        other.run_one(taken[0].clone()).await;
        let done = job(&app.db, id).await;
        assert_eq!(done.status, JobStatus::Succeeded);
        assert_eq!(done.locked_by.as_deref(), Some(other.id.as_str()));
        assert_eq!(seen.all(), vec![7]);
        // A long job keeps its lease while it runs: nobody takes it over.
        let slow = Handlers::default().on("test.slow", |_job: Job| async {
            tokio::time::sleep(Duration::from_millis(2000)).await;
            Ok(())
        });
        let slow_runner = Runner::new(app.db.clone(), slow, config(Duration::from_millis(600)));
        let id = enqueue(&app.db, "test.slow", 0, 3).await;
        let claimed = slow_runner.claim(1).await.unwrap();
        let running = tokio::spawn({
            let r = slow_runner.clone();
            let j = claimed[0].clone();
            async move { r.run_one(j).await }
        });
        for _ in 0..6 {
            tokio::time::sleep(Duration::from_millis(250)).await;
            assert!(other.claim(1).await.unwrap().is_empty(), "the lease is renewed while the job runs");
        }
        running.await.unwrap();
        assert_eq!(job(&app.db, id).await.status, JobStatus::Succeeded);
    }
}

on_both_databases! {
    config = |c| c.jobs_concurrency = 0;
    async fn three_runners_on_one_database_run_every_job_exactly_once(app) {
        let seen = Seen::default();
        let fixed = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let mut ids = Vec::new();
        for n in 0..60 {
            ids.push(enqueue(&app.db, "test.record", n, 3).await);
        }
        // Three instances: each its own pool (and, on SQLite, its own writers' queue), as three
        // processes would have.
        let mut runners = Vec::new();
        for _ in 0..3 {
            let db = Db::connect(&test_config(&app.database_url)).await.unwrap();
            let runner = Runner::new(db, seen.handlers(fixed.clone()), config(Duration::from_secs(30)));
            runners.push(tokio::spawn(runner.run()));
        }
        wait_for(&app.db, &ids, JobStatus::Succeeded).await;
        for r in &runners {
            r.abort();
        }
        let mut all = seen.all();
        all.sort_unstable();
        assert_eq!(all, (0..60).collect::<Vec<_>>(), "every job once");
        let by: std::collections::BTreeSet<_> = futures_util::future::join_all(ids.iter().map(|id| job(&app.db, *id)))
            .await
            .into_iter()
            .filter_map(|j| j.locked_by)
            .collect();
        assert!(!by.is_empty());
    }
}

on_both_databases! {
    config = |c| c.jobs_concurrency = 0;
    async fn a_recurring_job_is_queued_once_and_again_each_time_it_finishes(app) {
        let seen = Seen::default();
        let handlers = seen.handlers(Arc::new(std::sync::atomic::AtomicBool::new(true))).every("test.record", Duration::from_secs(3600));
        let a = Runner::new(app.db.clone(), handlers.clone(), config(Duration::from_secs(30)));
        let b = Runner::new(app.db.clone(), handlers, config(Duration::from_secs(30)));
        a.ensure_recurring().await.unwrap();
        b.ensure_recurring().await.unwrap();
        let queued = service::overview(app.db.conn(), None, Some(JobStatus::Queued), 10).await.unwrap().0;
        assert_eq!(queued.len(), 1, "two instances, one recurring job");
        for j in a.claim(10).await.unwrap() {
            a.run_one(j).await;
        }
        b.ensure_recurring().await.unwrap();
        let queued = service::overview(app.db.conn(), None, Some(JobStatus::Queued), 10).await.unwrap().0;
        assert_eq!(queued.len(), 1, "the next run, once");
        let wait = queued[0].run_at - chrono::Utc::now();
        assert!(wait > chrono::Duration::minutes(59), "an hour later: {wait}");
        assert!(b.claim(10).await.unwrap().is_empty());
    }
}

on_both_databases! {
    async fn the_housekeeping_job_runs_on_the_server_and_owners_see_their_jobs(app) {
        // The server's runner queues housekeeping at start and runs it at once.
        let mut done = false;
        for _ in 0..200 {
            let jobs = service::overview(app.db.conn(), None, Some(JobStatus::Succeeded), 10).await.unwrap().0;
            if jobs.iter().any(|j| j.kind == fitnesscrm::jobs::HOUSEKEEPING) {
                done = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(done, "housekeeping ran");
        let next = service::overview(app.db.conn(), None, Some(JobStatus::Queued), 10).await.unwrap().0;
        assert!(next.iter().any(|j| j.kind == fitnesscrm::jobs::HOUSEKEEPING), "and is queued again");
        // An organization's jobs are its owners' and admins' to see; another's and the deployment's are not.
        let owner = app.signup("Jobs Gym").await;
        let other = app.signup("Other Gym").await;
        let org: uuid::Uuid = owner.org_id.parse().unwrap();
        let mut mine = NewJob::now("report.monthly", json!({}));
        mine.organization_id = Some(org);
        mine.run_at = chrono::Utc::now() + chrono::Duration::days(1);
        let mine = service::enqueue(app.db.conn(), mine).await.unwrap().unwrap();
        let web = Web::new(&app);
        web.login(&owner.email).await;
        let page = web.get("/app/jobs").await;
        page.expect(StatusCode::OK).expect_text("report.monthly").expect_text("Queued (1)");
        assert!(!page.body.contains("housekeeping"), "the deployment's own jobs are not an organization's");
        web.post(&format!("/app/jobs/{mine}/cancel"), &[]).await.expect_redirect("/app/jobs");
        assert_eq!(job(&app.db, mine).await.status, JobStatus::Cancelled);
        let web = Web::new(&app);
        web.login(&other.email).await;
        web.get("/app/jobs").await.expect(StatusCode::OK);
        web.post(&format!("/app/jobs/{mine}/retry"), &[]).await.expect(StatusCode::NOT_FOUND);
        let staff = app.add_user(&owner, "staff").await;
        let web = Web::new(&app);
        web.login(&staff.email).await;
        web.get("/app/jobs").await.expect(StatusCode::FORBIDDEN);
    }
}

on_both_databases! {
    config = |c| c.jobs_concurrency = 0;
    async fn the_shell_lists_retries_and_cancels_jobs(app) {
        let url = app.database_url.clone();
        let shell = move |args: Vec<String>| {
            let url = url.clone();
            async move {
                tokio::task::spawn_blocking(move || {
                    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
                    crate::cli::run(&[("DATABASE_URL", url.as_str()), ("FITNESSCRM_LOG_LEVEL", "warn"),
                        ("FITNESSCRM_DATA_KEYS", crate::helpers::TEST_DATA_KEY)], &argv, None)
                })
                .await
                .unwrap()
            }
        };
        let seen = Seen::default();
        let runner = Runner::new(app.db.clone(), seen.handlers(Arc::new(std::sync::atomic::AtomicBool::new(false))), config(Duration::from_secs(30)));
        let dead = enqueue(&app.db, "test.fail", 1, 1).await;
        for j in runner.claim(10).await.unwrap() {
            runner.run_one(j).await;
        }
        let waiting = enqueue(&app.db, "test.record", 2, 3).await;
        let (code, out, err) = shell(vec!["jobs".into(), "list".into()]).await;
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("queued 1, running 0, retrying 0, dead 1"), "{out}");
        assert!(out.contains(&dead.to_string()) && out.contains("the mail server said no"), "{out}");
        let (code, out, _) = shell(vec!["jobs".into(), "list".into(), "--status".into(), "dead".into()]).await;
        assert!(code == 0 && !out.contains(&waiting.to_string()), "{out}");
        let (code, _, err) = shell(vec!["jobs".into(), "retry".into(), dead.to_string()]).await;
        assert_eq!(code, 0, "{err}");
        assert_eq!(job(&app.db, dead).await.status, JobStatus::Queued);
        let (code, _, err) = shell(vec!["jobs".into(), "cancel".into(), waiting.to_string()]).await;
        assert_eq!(code, 0, "{err}");
        assert_eq!(job(&app.db, waiting).await.status, JobStatus::Cancelled);
        let (code, _, err) = shell(vec!["jobs".into(), "cancel".into(), waiting.to_string()]).await;
        assert!(code != 0 && err.contains("only a queued or dead job"), "{err}");
        let (code, _, err) = shell(vec!["jobs".into(), "list".into(), "--status".into(), "lost".into()]).await;
        assert!(code != 0 && err.contains("is not one of"), "{err}");
    }
}
