//! The binary itself: configuration errors, `config`, `user`, `seed`, `serve` with graceful shutdown,
//! and `migrate` run by several instances at once.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_fitnesscrm");

fn fitnesscrm(envs: &[(&str, &str)], args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in envs {
        c.env(k, v);
    }
    c
}

pub(crate) fn run(
    envs: &[(&str, &str)],
    args: &[&str],
    stdin: Option<&str>,
) -> (i32, String, String) {
    let mut child = fitnesscrm(envs, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_invalid_setting_stops_start_up_naming_the_setting() {
    let (code, _, err) = run(
        &[("FITNESSCRM_LISTEN", "not-an-address")],
        &["config"],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("listen"), "{err}");
    let (code, _, err) = run(
        &[("FITNESSCRM_SHUTDOWN_GRACE", "forever")],
        &["serve"],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("shutdown_grace"), "{err}");
}

#[test]
fn config_prints_the_effective_settings_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("metrics");
    std::fs::write(&secret_file, "metrics-secret-value\n").unwrap();
    let (code, out, err) = run(
        &[
            (
                "DATABASE_URL",
                "postgres://app:db-password-123@db.internal/crm",
            ),
            (
                "FITNESSCRM_METRICS_TOKEN_FILE",
                secret_file.to_str().unwrap(),
            ),
            ("FITNESSCRM_SIGNUP_ENABLED", "false"),
        ],
        &["config"],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("signup_enabled = false"), "{out}");
    assert!(
        out.contains("postgres://app:[redacted]@db.internal/crm"),
        "{out}"
    );
    assert!(
        !out.contains("db-password-123") && !out.contains("metrics-secret-value"),
        "{out}"
    );
}

struct Server {
    child: std::process::Child,
    base: String,
}

impl Server {
    async fn start(db_url: &str) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = fitnesscrm(
            &[
                ("DATABASE_URL", db_url),
                ("FITNESSCRM_LOG_FORMAT", "json"),
                ("FITNESSCRM_SHUTDOWN_GRACE", "5s"),
            ],
            &["serve", "--listen", &format!("127.0.0.1:{port}")],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if client
                .get(format!("{base}/health/ready"))
                .send()
                .await
                .is_ok_and(|r| r.status() == StatusCode::OK)
            {
                return Server { child, base };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the server did not become ready");
    }

    fn terminate(mut self) -> (std::process::ExitStatus, String, Duration) {
        let started = Instant::now();
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = self.child.wait().unwrap();
        let mut log = String::new();
        use std::io::Read;
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut log)
            .unwrap();
        (status, log, started.elapsed())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_recovery_and_graceful_shutdown_work_on_a_real_process() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("crm.db").display());
    let envs = [
        ("DATABASE_URL", db_url.as_str()),
        ("FITNESSCRM_LOG_LEVEL", "warn"),
    ];

    let (code, out, err) = run(
        &envs,
        &[
            "user",
            "create-owner",
            "--organization",
            "Shell Gym",
            "--name",
            "Sam",
            "--email",
            "Sam@Example.com",
            "--password-stdin",
        ],
        Some("first passphrase 1\n"),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("shell-gym"), "{out}");

    let server = Server::start(&db_url).await;
    let client = reqwest::Client::new();
    let login = |password: &'static str| {
        client
            .post(format!("{}/api/v1/auth/login", server.base))
            .json(&json!({"email": "sam@example.com", "password": password}))
            .send()
    };
    let r = login("first passphrase 1").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let token = r.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Reset from the shell: a generated password is printed and the old session ends.
    let (code, out, err) = run(
        &envs,
        &["user", "reset-password", "--email", "sam@example.com"],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let new_password = out
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap()
        .to_owned();
    let me = client
        .get(format!("{}/api/v1/me", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    let r = client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"email": "sam@example.com", "password": new_password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let (code, _, err) = run(
        &envs,
        &["user", "reset-password", "--email", "nobody@example.com"],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("no account"), "{err}");

    let (status, log, took) = server.terminate();
    assert!(
        status.success(),
        "SIGTERM ends the server cleanly: {status:?}\n{log}"
    );
    assert!(
        took < Duration::from_secs(5),
        "an idle server stops at once, took {took:?}"
    );
    assert!(log.contains("shutting down"), "{log}");
    assert!(!log.contains("sam@example.com"), "no emails in logs: {log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_demo_prints_a_login_that_works() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("demo.db").display());
    let (code, out, err) = run(
        &[
            ("DATABASE_URL", db_url.as_str()),
            ("FITNESSCRM_LOG_LEVEL", "warn"),
        ],
        &["seed", "--demo"],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let line = out.lines().find(|l| l.starts_with("log in as ")).unwrap();
    let mut words = line.split_whitespace();
    let email = words.nth(3).unwrap().to_owned();
    let password = words.nth(2).unwrap().to_owned();
    let server = Server::start(&db_url).await;
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let token = r.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let users: serde_json::Value = client
        .get(format!("{}/api/v1/users?include_total=true", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(users["total"], 5, "{users}");
    let (status, _, _) = server.terminate();
    assert!(status.success());
}

/// PostgreSQL: four instances running `migrate` at once on an empty database all succeed, and the
/// schema is there once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_instances_migrating_at_once_migrate_once() {
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        assert!(std::env::var("CI").is_err(), "CI needs TEST_DATABASE_URL");
        eprintln!("note: TEST_DATABASE_URL is not set; the PostgreSQL variant did not run");
        return;
    };
    use sea_orm::ConnectionTrait;
    let name = format!("fcrm_m_{}", uuid::Uuid::now_v7().simple());
    let admin = sea_orm::Database::connect(admin_url.as_str())
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap();
    let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
    let children: Vec<_> = (0..4)
        .map(|_| {
            fitnesscrm(
                &[
                    ("DATABASE_URL", url.as_str()),
                    ("FITNESSCRM_LOG_LEVEL", "warn"),
                ],
                &["migrate"],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let db = sea_orm::Database::connect(url.as_str()).await.unwrap();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT count(*) AS n FROM seaql_migrations",
        ))
        .await
        .unwrap()
        .unwrap();
    let applied: i64 = row.try_get("", "n").unwrap();
    use fitnesscrm::db::migrations::Migrator;
    use sea_orm_migration::MigratorTrait;
    assert_eq!(applied as usize, Migrator::migrations().len());
    db.close().await.ok();
    admin
        .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .await
        .unwrap();
}
