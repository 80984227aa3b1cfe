//! Write transactions, and on SQLite the queue in front of them.
//!
//! SQLite lets one transaction write at a time. Left to itself, every other writer holds a pooled
//! connection and retries inside SQLite's busy handler, sleeping longer and longer between tries: under
//! fifty concurrent writers that wastes most of the time, starves readers of connections, and can end
//! in `database is locked`. Here writers wait their turn in a first-come, first-served queue before
//! they take a connection, and the busy handler is left for the rare write outside it (the shell, a
//! second process). PostgreSQL locks rows, not the database: there is no queue.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Instant;

use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult, Statement,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// The writers' queue of one SQLite database.
pub type WriterQueue = Arc<Mutex<()>>;

/// A write transaction ([`super::Db::begin_write`]): a [`DatabaseTransaction`] that, on SQLite, holds
/// the writers' turn until it commits, rolls back or is dropped.
pub struct WriteTxn {
    // Declared first, so it is dropped (and rolled back) before the turn is passed on.
    txn: DatabaseTransaction,
    _turn: Option<Turn>,
}

/// A writer's turn in the queue, timed: how long it waited for it and how long it held it go to
/// `fitnesscrm_db_write_wait_seconds` and `fitnesscrm_db_write_hold_seconds`.
struct Turn {
    _guard: OwnedMutexGuard<()>,
    since: Instant,
}

impl Drop for Turn {
    fn drop(&mut self) {
        metrics::histogram!("fitnesscrm_db_write_hold_seconds")
            .record(self.since.elapsed().as_secs_f64());
    }
}

impl WriteTxn {
    /// Waits for the turn (when there is a queue), then lets `begin` start the transaction.
    pub(super) async fn start<F>(queue: Option<&WriterQueue>, begin: F) -> Result<Self, DbErr>
    where
        F: Future<Output = Result<DatabaseTransaction, DbErr>>,
    {
        let turn = match queue {
            Some(q) => {
                let asked = Instant::now();
                let guard = q.clone().lock_owned().await;
                let since = Instant::now();
                metrics::histogram!("fitnesscrm_db_write_wait_seconds")
                    .record(since.duration_since(asked).as_secs_f64());
                Some(Turn {
                    _guard: guard,
                    since,
                })
            }
            None => None,
        };
        Ok(Self {
            txn: begin.await?,
            _turn: turn,
        })
    }

    /// Commits, then passes the turn on.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    /// Rolls back, then passes the turn on.
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl Deref for WriteTxn {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }
}
