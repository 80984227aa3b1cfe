//! Email through the outbox, against a real SMTP server (aiosmtpd from PyPI, writing what it
//! receives to a Maildir): sent once, with both parts; nothing for a rolled-back change; held
//! without a mail server and released once there is one; a refusing server retried.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fitnesscrm::jobs::{JobStatus, service as jobs};
use fitnesscrm::mail::{Email, MailStatus, repo, service, transport::Smtp};
use uuid::Uuid;

use fitnesscrm::jobs::{Runner, RunnerConfig};

use crate::helpers::{TestApp, test_config};
use crate::on_both_databases;

/// An SMTP server on a free loopback port, keeping each message it accepts as a file.
pub(crate) struct SmtpServer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl SmtpServer {
    #[allow(clippy::zombie_processes)] // killed and waited for on drop, or here on failure
    pub(crate) fn start() -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(dir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 -m aiosmtpd (pip install aiosmtpd; .ci/run installs it)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return SmtpServer { child, port, dir };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut child = child;
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start: is it installed (pip install aiosmtpd)?");
    }

    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages received so far.
    pub(crate) fn received(&self) -> Vec<String> {
        let new: PathBuf = self.dir.path().join("mail").join("new");
        let Ok(entries) = std::fs::read_dir(&new) else {
            return Vec::new();
        };
        entries
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect()
    }

    /// Waits (up to 20 s) until `n` messages have arrived.
    pub(crate) async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..400 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{} message(s) arrived, not {n}", self.received().len());
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn email(to: &str, marker: &str) -> Email {
    Email {
        organization_id: None,
        to: to.to_owned(),
        subject: "Reset your password".to_owned(),
        text: format!("Open this link: https://crm.example.com/reset/{marker}"),
        html: Some(format!(
            "<p>Open <a href=\"https://crm.example.com/reset/{marker}\">this link</a></p>"
        )),
    }
}

async fn queue_committed(app: &TestApp, e: Email) -> Uuid {
    let txn = app.db.begin_write().await.unwrap();
    let id = service::queue(&txn, e).await.unwrap();
    txn.commit().await.unwrap();
    id
}

async fn message_status(app: &TestApp, id: Uuid) -> (MailStatus, Option<String>) {
    let m = repo::get(app.db.conn(), id)
        .await
        .unwrap()
        .expect("the message");
    (m.status, m.last_error)
}

async fn wait_status(app: &TestApp, id: Uuid, status: MailStatus) {
    for _ in 0..400 {
        if message_status(app, id).await.0 == status {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the message did not become {status:?}: {:?}",
        message_status(app, id).await
    );
}

mod delivered {
    use super::*;

    async fn run(app: TestApp, smtp: SmtpServer) {
        let id = queue_committed(&app, email("ida@example.com", "first-marker")).await;
        let got = smtp.wait_for(1).await;
        let m = &got[0];
        assert!(
            m.contains("To: ida@example.com") && m.contains("Subject: Reset your password"),
            "{m}"
        );
        assert!(m.contains(&format!("Message-ID: <{id}@fitnesscrm>")), "{m}");
        assert!(
            m.contains("text/plain") && m.contains("text/html") && m.contains("first-marker"),
            "{m}"
        );
        wait_status(&app, id, MailStatus::Sent).await;
        // At rest, the bodies (which carry single-use links) are sealed.
        {
            use sea_orm::EntityTrait;
            let raw = fitnesscrm::db::entities::outbox::Entity::find_by_id(id)
                .one(app.db.conn())
                .await
                .unwrap()
                .unwrap();
            assert!(raw.body_text.starts_with("fcrm1.") && !raw.body_text.contains("first-marker"));
            assert!(
                raw.body_html
                    .is_some_and(|h| h.starts_with("fcrm1.") && !h.contains("first-marker"))
            );
        }
        // A second send job for the same message (a retry after a crash) sends nothing.
        let job = fitnesscrm::jobs::Job {
            id: Uuid::now_v7(),
            organization_id: None,
            kind: service::SEND.into(),
            payload: serde_json::json!({"message": id}),
            status: JobStatus::Running,
            attempts: 1,
            max_attempts: 1,
            run_at: chrono::Utc::now(),
            lease_until: None,
            locked_by: None,
            last_error: None,
            created_at: chrono::Utc::now(),
            finished_at: None,
        };
        let transport = Smtp::new(&smtp.url(), "FitnessCRM <no-reply@example.com>").unwrap();
        service::send(&app.db, Some(&transport), &job)
            .await
            .unwrap();
        // A change rolled back sends nothing: neither the message nor its job is left.
        let txn = app.db.begin_write().await.unwrap();
        let gone = service::queue(&txn, email("rolled.back@example.com", "rolled-back"))
            .await
            .unwrap();
        txn.rollback().await.unwrap();
        assert!(repo::get(app.db.conn(), gone).await.unwrap().is_none());
        let second = queue_committed(&app, email("sam@example.com", "second-marker")).await;
        wait_status(&app, second, MailStatus::Sent).await;
        let all = smtp.wait_for(2).await;
        assert_eq!(
            all.len(),
            2,
            "the first once, the second once, the rolled-back never"
        );
        assert!(!all.iter().any(|m| m.contains("rolled-back")));
        let (queued, _) = jobs::overview(app.db.conn(), None, Some(JobStatus::Queued), 100)
            .await
            .unwrap();
        assert!(
            !queued.iter().any(|j| j.kind == service::SEND),
            "no send job left"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let smtp = SmtpServer::start();
        let url = smtp.url();
        run(
            TestApp::spawn_sqlite(move |c| c.smtp_url = Some(url.into())).await,
            smtp,
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let smtp = SmtpServer::start();
        let url = smtp.url();
        if let Some(app) =
            TestApp::spawn_postgres_with(move |c| c.smtp_url = Some(url.into())).await
        {
            run(app, smtp).await
        }
    }
}

on_both_databases! {
    // The test drives the runners: one without a mail server, then one with.
    config = |c| c.jobs_concurrency = 0;
    async fn without_a_mail_server_messages_are_held_then_go_out_once_there_is_one(app) {
        let runner = |smtp: Option<String>| {
            let mut config = test_config(&app.database_url);
            config.smtp_url = smtp.map(Into::into);
            let handlers = fitnesscrm::jobs::handlers(app.db.clone(), &config).unwrap();
            Runner::new(app.db.clone(), handlers, RunnerConfig::default())
        };
        let id = queue_committed(&app, email("held@example.com", "held-marker")).await;
        let without = runner(None);
        for job in without.claim(10).await.unwrap() {
            without.run_one(job).await;
        }
        assert_eq!(message_status(&app, id).await.0, MailStatus::Held);
        let page_owner = app.signup("Held Gym").await;
        let web = crate::web::client::Web::new(&app);
        web.login(&page_owner.email).await;
        web.get("/app/jobs").await.expect(reqwest::StatusCode::OK).expect_text("No mail server is configured");
        // Once a mail server is configured, the release job queues what was held, and it goes out.
        let smtp = SmtpServer::start();
        let with = runner(Some(smtp.url()));
        let transport = Smtp::new(&smtp.url(), "FitnessCRM <no-reply@example.com>").unwrap();
        service::release(&app.db, Some(&transport)).await.unwrap();
        for job in with.claim(10).await.unwrap() {
            with.run_one(job).await;
        }
        let got = smtp.wait_for(1).await;
        assert!(got[0].contains("held-marker"));
        assert_eq!(message_status(&app, id).await.0, MailStatus::Sent);
    }
}

mod refused {
    use super::*;

    async fn run(app: TestApp) {
        let id = queue_committed(&app, email("ida@example.com", "refused-marker")).await;
        // The send job fails and is queued again after its backoff.
        let mut retrying = false;
        for _ in 0..400 {
            let (queued, _) = jobs::overview(app.db.conn(), None, Some(JobStatus::Queued), 100)
                .await
                .unwrap();
            if queued
                .iter()
                .any(|j| j.kind == service::SEND && j.is_retrying())
            {
                retrying = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(retrying, "retried with backoff");
        let (status, error) = message_status(&app, id).await;
        assert_eq!(status, MailStatus::Pending, "waits for the next try");
        assert!(
            error.as_deref().unwrap_or("").contains("mail server"),
            "{error:?}"
        );
    }

    /// A port nothing listens on.
    fn closed() -> String {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        format!("smtp://127.0.0.1:{port}")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let url = closed();
        run(TestApp::spawn_sqlite(move |c| c.smtp_url = Some(url.into())).await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let url = closed();
        if let Some(app) =
            TestApp::spawn_postgres_with(move |c| c.smtp_url = Some(url.into())).await
        {
            run(app).await
        }
    }
}
