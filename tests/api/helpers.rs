//! `TestApp::spawn()`: the real server on a random port with a fresh database, plus request helpers.
//!
//! SQLite: a new file in a temporary directory. PostgreSQL (when `TEST_DATABASE_URL` names a server
//! database such as `postgres://postgres@127.0.0.1:5432/postgres`): a new database per test, copied
//! from a template that is migrated once per migration set, dropped again when the test ends.

use std::net::SocketAddr;
use std::time::Duration;

use fitnesscrm::app::AppState;
use fitnesscrm::config::Config;
use fitnesscrm::db::Db;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running server and a client for it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub db: Db,
    pub backend: Backend,
    pub database_url: String,
    _dir: Option<tempfile::TempDir>,
    pg_database: Option<(String, String)>,
    server: tokio::task::JoinHandle<()>,
}

/// Runs a test body once on SQLite and once on PostgreSQL, as `<name>::sqlite` and `<name>::postgres`.
#[macro_export]
macro_rules! on_both_databases {
    (config = $tweak:expr; $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: $crate::helpers::TestApp) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::helpers::TestApp::spawn_sqlite($tweak).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::helpers::TestApp::spawn_postgres_with($tweak).await {
                    run(app).await
                }
            }
        }
    };
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: $crate::helpers::TestApp) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::helpers::TestApp::spawn_postgres().await {
                    run(app).await
                }
            }
        }
    };
}

pub fn test_config(database_url: &str) -> Config {
    let mut config = Config::load_from(None, &[]).expect("default config");
    config.database_url = SecretString::from(database_url.to_owned());
    config.database_max_connections = 8;
    config.log_level = "warn".into();
    config.data_keys = Some(SecretString::from(TEST_DATA_KEY));
    config
}

/// The data key of every test app (a process has one keyring: every app in it must agree).
pub const TEST_DATA_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Serves the app on a database handle from a free loopback port until the task is aborted.
pub async fn serve(db: Db, config: Config) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = AppState::new(db, config).await.expect("state");
    let server = tokio::spawn(async move {
        fitnesscrm::cli::serve_until(
            listener,
            state,
            std::future::pending::<()>(),
            Duration::from_secs(1),
        )
        .await
        .expect("server");
    });
    (addr, server)
}

/// A second app instance on a test app's database (another process, as far as the app can tell: its
/// own pool, caches and Redis subscription). Stops when dropped.
pub struct Instance {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Instance {
    /// Starts one on `database_url` with the test configuration and a tweak.
    pub async fn start(database_url: &str, tweak: impl FnOnce(&mut Config)) -> Self {
        let mut config = test_config(database_url);
        tweak(&mut config);
        let db = Db::connect(&config).await.expect("connect");
        let (addr, server) = serve(db, config).await;
        Self {
            addr,
            client: reqwest::Client::new(),
            server,
        }
    }
}

impl TestApp {
    /// A server on the given backend. PostgreSQL without `TEST_DATABASE_URL` fails the test.
    pub async fn spawn(backend: Backend) -> TestApp {
        match backend {
            Backend::Sqlite => Self::spawn_sqlite(|_| {}).await,
            Backend::Postgres => Self::spawn_postgres()
                .await
                .expect("TEST_DATABASE_URL is not set: the PostgreSQL tests cannot run"),
        }
    }

    /// A server on SQLite, with a configuration tweak.
    pub async fn spawn_sqlite(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        let mut config = test_config(&url);
        tweak(&mut config);
        Self::start(config, Backend::Sqlite, Some(dir), None).await
    }

    /// A server on a fresh PostgreSQL database, or `None` (with a note) when `TEST_DATABASE_URL` is
    /// unset outside CI. In CI (`CI` set) a missing URL fails the test instead.
    pub async fn spawn_postgres() -> Option<TestApp> {
        Self::spawn_postgres_with(|_| {}).await
    }

    /// Like [`spawn_postgres`](Self::spawn_postgres), with a configuration tweak.
    pub async fn spawn_postgres_with(tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
            assert!(
                std::env::var("CI").is_err(),
                "CI is set but TEST_DATABASE_URL is not: the PostgreSQL half of the suite must run in CI"
            );
            eprintln!("note: TEST_DATABASE_URL is not set; the PostgreSQL variant did not run");
            return None;
        };
        let name = format!("fcrm_t_{}", uuid::Uuid::now_v7().simple());
        let url = create_pg_database(&admin_url, &name).await;
        let mut config = test_config(&url);
        tweak(&mut config);
        Some(Self::start(config, Backend::Postgres, None, Some((admin_url, name))).await)
    }

    async fn start(
        config: Config,
        backend: Backend,
        dir: Option<tempfile::TempDir>,
        pg_database: Option<(String, String)>,
    ) -> TestApp {
        use secrecy::ExposeSecret;
        let database_url = config.database_url.expose_secret().to_owned();
        if backend == Backend::Sqlite {
            Db::migrate(&database_url).await.expect("migrate");
        }
        let db = Db::connect(&config).await.expect("connect");
        let (addr, server) = serve(db.clone(), config).await;
        TestApp {
            addr,
            client: reqwest::Client::builder().build().expect("client"),
            db,
            backend,
            database_url,
            _dir: dir,
            pg_database,
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let mut r = self.client.request(method, self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token)
            .send()
            .await
            .expect("request")
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::POST, path, token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::PATCH, path, token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::DELETE, path, token)
            .send()
            .await
            .expect("request")
    }

    /// Signs up an organization and returns its owner.
    pub async fn signup(&self, org_name: &str) -> Account {
        let email = format!("owner.{}@example.com", uuid::Uuid::now_v7().simple());
        let r = self
            .post(
                "/api/v1/auth/signup",
                None,
                &json!({
                    "organization_name": org_name,
                    "name": "Olivia Owner",
                    "email": email,
                    "password": PASSWORD,
                    "timezone": "Europe/Berlin",
                }),
            )
            .await;
        let body = expect_status(r, StatusCode::CREATED).await;
        Account {
            token: body["token"].as_str().expect("token").to_owned(),
            user_id: body["user"]["id"].as_str().expect("id").to_owned(),
            org_id: body["organization"]["id"].as_str().expect("org").to_owned(),
            email,
        }
    }

    /// Creates an account with `role` as `by` and logs it in.
    pub async fn add_user(&self, by: &Account, role: &str) -> Account {
        let email = format!("{role}.{}@example.com", uuid::Uuid::now_v7().simple());
        let r = self
            .post(
                "/api/v1/users",
                Some(&by.token),
                &json!({"name": format!("Test {role}"), "email": email, "role": role, "password": PASSWORD}),
            )
            .await;
        let body = expect_status(r, StatusCode::CREATED).await;
        let user_id = body["id"].as_str().expect("id").to_owned();
        let token = self.login(&email, PASSWORD).await;
        Account {
            token,
            user_id,
            org_id: by.org_id.clone(),
            email,
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let r = self
            .post(
                "/api/v1/auth/login",
                None,
                &json!({"email": email, "password": password}),
            )
            .await;
        let body = expect_status(r, StatusCode::OK).await;
        body["token"].as_str().expect("token").to_owned()
    }

    /// Runs a statement on the app's own database.
    pub async fn execute(&self, sql: &str) {
        self.db
            .conn()
            .execute_unprepared(sql)
            .await
            .expect("execute");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        if let Some((admin_url, name)) = self.pg_database.take() {
            // Drop the test database on a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    if let Ok(admin) = Database::connect(admin_url.as_str()).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// A logged-in account.
#[derive(Debug, Clone)]
pub struct Account {
    pub token: String,
    pub user_id: String,
    pub org_id: String,
    pub email: String,
}

pub const PASSWORD: &str = "correct horse battery staple";

/// Asserts the status (showing the body when it differs) and returns the JSON body (Null when empty).
pub async fn expect_status(r: Response, status: StatusCode) -> Value {
    let actual = r.status();
    let text = r.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("JSON body")
    }
}

/// Asserts a problem+json error with this status and returns it.
pub async fn expect_problem(r: Response, status: StatusCode) -> Value {
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let request_id = r
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = expect_status(r, status).await;
    assert_eq!(ct, "application/problem+json", "body: {body}");
    assert_eq!(body["status"], status.as_u16(), "body: {body}");
    assert!(!request_id.is_empty());
    assert_eq!(
        body["request_id"],
        request_id.as_str(),
        "the problem repeats the request id"
    );
    body
}

fn pg_url_with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin_url, String::new()),
    };
    let prefix = match base.rfind('/') {
        Some(i) if base[..i].contains("//") && i > base.find("//").unwrap_or(0) + 1 => &base[..i],
        _ => base,
    };
    format!("{prefix}/{name}{query}")
}

/// Creates a database copied from the migrated template (building the template first if needed).
async fn create_pg_database(admin_url: &str, name: &str) -> String {
    use fitnesscrm::db::migrations::Migrator;
    use sea_orm_migration::MigratorTrait;
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let digest = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        names.hash(&mut h);
        h.finish()
    };
    let template = format!("fcrm_tpl_{digest:016x}");
    let admin: DatabaseConnection = Database::connect(admin_url)
        .await
        .expect("connect to TEST_DATABASE_URL");
    // One session builds the template and copies from it at a time.
    admin
        .execute_unprepared("SELECT pg_advisory_lock(7342001)")
        .await
        .expect("lock");
    let exists = admin
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!("SELECT 1 AS one FROM pg_database WHERE datname = '{template}'"),
        ))
        .await
        .expect("query")
        .is_some();
    if !exists {
        let building = format!("{template}_b");
        admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
            ))
            .await
            .expect("drop");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{building}\""))
            .await
            .expect("create template");
        Db::migrate(&pg_url_with_database(admin_url, &building))
            .await
            .expect("migrate template");
        admin
            .execute_unprepared(&format!(
                "ALTER DATABASE \"{building}\" RENAME TO \"{template}\""
            ))
            .await
            .expect("rename template");
    }
    admin
        .execute_unprepared(&format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
        ))
        .await
        .expect("create test database");
    admin
        .execute_unprepared("SELECT pg_advisory_unlock(7342001)")
        .await
        .expect("unlock");
    admin.close().await.ok();
    pg_url_with_database(admin_url, name)
}
