//! The database: connecting to SQLite or PostgreSQL (chosen by the URL at run time), migrations, and
//! the sea-orm entities. Only `repo.rs` files and this module talk to the database.

pub mod changes;
pub mod entities;
pub mod migrations;
pub mod paging;
pub mod sealed;
pub mod versioned;
pub mod write;

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sqlx::sqlite::{SqliteAutoVacuum, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use secrecy::ExposeSecret;
use uuid::Uuid;

use crate::config::Config;

/// Which engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default.
    Sqlite,
    /// Production.
    Postgres,
}

impl Backend {
    /// The engine behind a connection or transaction.
    pub fn of(conn: &impl ConnectionTrait) -> Self {
        match conn.get_database_backend() {
            DatabaseBackend::Postgres => Self::Postgres,
            _ => Self::Sqlite,
        }
    }
}

/// The application's database handle: a pool plus the knowledge of which engine is behind it.
#[derive(Debug, Clone)]
pub struct Db {
    conn: DatabaseConnection,
    backend: Backend,
    /// Who hears about committed changes ([`changes`]).
    listeners: changes::Listeners,
    /// SQLite: one writer at a time, queued here rather than in SQLite's busy handler ([`write`]).
    writers: Option<write::WriterQueue>,
}

/// A fixed key for the PostgreSQL advisory lock that serialises migrations across instances.
const MIGRATION_LOCK_KEY: i64 = 0x0046_4352_4d4d_4947; // "FCRMMIG"

/// PostgreSQL session time limits set on every pooled connection.
#[derive(Debug, Clone, Copy)]
pub struct SessionTimeouts {
    /// `statement_timeout`; zero turns it off.
    pub statement: Duration,
    /// `idle_in_transaction_session_timeout`; zero turns it off.
    pub idle_in_transaction: Duration,
}

impl Default for SessionTimeouts {
    fn default() -> Self {
        let config = Config::default();
        Self {
            statement: config.database_statement_timeout,
            idle_in_transaction: config.database_idle_in_transaction_timeout,
        }
    }
}

/// A duration as PostgreSQL reads a setting in milliseconds (`"1500ms"`).
fn millis(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

/// Whether the SQLite library was compiled with `SQLITE_ENABLE_QPSG`. Without it SQLite (3.51)
/// marks a statement with `LIMIT ?` for a new plan whenever that parameter is bound again, so each
/// `.one()` and each page was parsed and planned anew on every execution, though its statement was
/// cached: a quarter of the server's CPU on `GET /clients/{id}` under load.
async fn sqlite_plans_are_stable(conn: &DatabaseConnection) -> Result<bool, DbErr> {
    let rows = conn
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "PRAGMA compile_options",
        ))
        .await?;
    Ok(rows.iter().any(|row| {
        row.try_get_by_index::<String>(0)
            .is_ok_and(|option| option == "ENABLE_QPSG")
    }))
}

impl Db {
    /// Connects a pool to the configured database, creating the SQLite directory when needed, and
    /// installs the configured data keyring ([`sealed`]).
    pub async fn connect(config: &Config) -> anyhow::Result<Self> {
        sealed::install(sealed::Keyring::load(
            config.data_keys.as_ref(),
            config.database_url.expose_secret(),
        )?);
        Self::connect_with(
            config.database_url.expose_secret(),
            config.database_max_connections,
            config.database_acquire_timeout,
            SessionTimeouts {
                statement: config.database_statement_timeout,
                idle_in_transaction: config.database_idle_in_transaction_timeout,
            },
        )
        .await
    }

    /// [`connect`](Self::connect) to a database that has every migration applied; an error
    /// naming the way out otherwise.
    pub async fn connect_migrated(config: &Config) -> anyhow::Result<Self> {
        let db = Self::connect(config).await?;
        let pending = db.pending_migrations().await?;
        if !pending.is_empty() {
            anyhow::bail!(
                "the database has {} pending migration(s); run `fitnesscrm migrate` first",
                pending.len()
            );
        }
        Ok(db)
    }

    /// Connects a pool to a database URL, with the default session time limits.
    pub async fn connect_url(
        url: &str,
        max_connections: u32,
        acquire_timeout: Duration,
    ) -> anyhow::Result<Self> {
        Self::connect_with(
            url,
            max_connections,
            acquire_timeout,
            SessionTimeouts::default(),
        )
        .await
    }

    /// Connects a pool to a database URL; on PostgreSQL every pooled connection gets the time limits.
    pub async fn connect_with(
        url: &str,
        max_connections: u32,
        acquire_timeout: Duration,
        timeouts: SessionTimeouts,
    ) -> anyhow::Result<Self> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        if backend == Backend::Sqlite
            && let Some(dir) = sqlite_dir(url)
        {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("creating the SQLite directory {}", dir.display()))?;
        }
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(max_connections)
            .min_connections(if backend == Backend::Sqlite { 1 } else { 0 })
            .acquire_timeout(acquire_timeout)
            .connect_timeout(Duration::from_secs(5))
            .idle_timeout(Duration::from_secs(300))
            // A connection used in the last few seconds is alive: pinging it before every query (the
            // default) doubled the round trips of a request. One idle for longer is checked first.
            .test_before_acquire_if_idle_for(Duration::from_secs(10))
            .sqlx_logging(false);
        if backend == Backend::Sqlite {
            options.map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .auto_vacuum(SqliteAutoVacuum::Incremental)
                    .pragma("secure_delete", "FAST")
                    .create_if_missing(true)
            });
        } else {
            // Startup parameters, so every connection of the pool has them from its first query.
            let settings = [
                ("statement_timeout", millis(timeouts.statement)),
                (
                    "idle_in_transaction_session_timeout",
                    millis(timeouts.idle_in_transaction),
                ),
            ];
            options.map_sqlx_postgres_opts(move |opts| opts.options(settings.clone()));
        }
        let conn = Database::connect(options)
            .await
            .context("connecting to the database (check database_url / DATABASE_URL)")?;
        if backend == Backend::Sqlite && !sqlite_plans_are_stable(&conn).await? {
            tracing::warn!(
                "this binary's SQLite was built without SQLITE_ENABLE_QPSG (.cargo/config.toml): \
                 every statement with a LIMIT is planned again on each execution, several times slower"
            );
        }
        Ok(Self {
            conn,
            backend,
            listeners: changes::Listeners::default(),
            writers: (backend == Backend::Sqlite).then(write::WriterQueue::default),
        })
    }

    /// The pool, for repositories (`&impl ConnectionTrait`).
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`, so that a transaction that reads
    /// before it writes waits for the write lock up front (honouring the busy timeout) instead of
    /// failing with SQLITE_BUSY when it tries to upgrade; and before that it waits its turn among this
    /// process's writers ([`write`]).
    pub async fn begin_write(&self) -> Result<write::WriteTxn, DbErr> {
        let options = TransactionOptions {
            sqlite_transaction_mode: (self.backend == Backend::Sqlite)
                .then_some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        write::WriteTxn::start(self.writers.as_ref(), self.conn.begin_with_options(options)).await
    }

    /// After a bulk load (`seed --clients`): brings PostgreSQL's planner statistics and visibility map
    /// up to date, as autovacuum would within a minute or so, so that queries right after the load are
    /// planned as they will be from then on. SQLite keeps no statistics unless `ANALYZE` is run, which
    /// the application never does, so its plans must not depend on them and nothing is done there.
    pub async fn settle_after_bulk_load(&self) -> Result<(), DbErr> {
        if self.backend == Backend::Postgres {
            self.conn.execute_unprepared("VACUUM (ANALYZE)").await?;
        }
        Ok(())
    }

    /// Whether SQLite keeps a prepared statement's plan whatever its parameters are bound to (the
    /// query planner stability guarantee, compiled in by `.cargo/config.toml`); always on PostgreSQL.
    pub async fn plans_are_stable(&self) -> Result<bool, DbErr> {
        match self.backend {
            Backend::Sqlite => sqlite_plans_are_stable(&self.conn).await,
            Backend::Postgres => Ok(true),
        }
    }

    /// A round trip to the database, for readiness checks.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.ping().await
    }

    /// Pooled connections (in use, idle).
    pub fn pool_stats(&self) -> (u32, u32) {
        match self.backend {
            Backend::Sqlite => {
                let pool = self.conn.get_sqlite_connection_pool();
                let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
                (pool.size().saturating_sub(idle), idle)
            }
            Backend::Postgres => {
                let pool = self.conn.get_postgres_connection_pool();
                let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
                (pool.size().saturating_sub(idle), idle)
            }
        }
    }

    /// After erasing personal data: on SQLite, copies the WAL into the database and truncates it, then
    /// returns free pages to the file system, so that no old copy of erased values stays on disk. On
    /// PostgreSQL old row versions are left to (auto)vacuum; see docs/GDPR.md.
    pub async fn purge_freed_space(&self) -> Result<(), DbErr> {
        if self.backend == Backend::Sqlite {
            self.conn
                .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await?;
            self.conn
                .execute_unprepared("PRAGMA incremental_vacuum")
                .await?;
            self.conn
                .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await?;
        }
        Ok(())
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(self) -> Result<(), DbErr> {
        self.conn.close().await
    }

    /// Applies pending migrations. On PostgreSQL they run on one dedicated connection holding an
    /// advisory lock, so several instances starting together migrate once, one after the other.
    pub async fn migrate(url: &str) -> anyhow::Result<()> {
        let db = Self::connect_url(url, 1, Duration::from_secs(60)).await?;
        let result = match db.backend {
            Backend::Sqlite => migrations::Migrator::up(db.conn(), None).await,
            Backend::Postgres => {
                let lock = Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    "SELECT pg_advisory_lock($1)",
                    [MIGRATION_LOCK_KEY.into()],
                );
                db.conn()
                    .execute_raw(lock)
                    .await
                    .context("taking the migration lock")?;
                let result = migrations::Migrator::up(db.conn(), None).await;
                let unlock = Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    "SELECT pg_advisory_unlock($1)",
                    [MIGRATION_LOCK_KEY.into()],
                );
                db.conn()
                    .execute_raw(unlock)
                    .await
                    .context("releasing the migration lock")?;
                result
            }
        };
        db.close().await.ok();
        result.context("applying migrations")
    }

    /// Names of migrations not yet applied.
    pub async fn pending_migrations(&self) -> anyhow::Result<Vec<String>> {
        let pending = migrations::Migrator::get_pending_migrations(self.conn()).await?;
        Ok(pending.iter().map(|m| m.name().to_owned()).collect())
    }
}

/// The directory of a SQLite database file URL, if it names one.
pub fn sqlite_dir(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    std::path::Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Into::into)
}

/// A new UUIDv7 id: unique and ordered by creation time.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// The current time, truncated to the microsecond that both databases store.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
