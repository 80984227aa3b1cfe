//! Housekeeping while the server runs: what has outlived its use is deleted on a schedule, so that
//! no token hash or kept response lingers at rest longer than it must — sessions that can no longer
//! authenticate anyone (expired or revoked) and `Idempotency-Key` records past `idempotency_ttl`.
//!
//! Every instance sweeps; the deletes are idempotent, so several instances on one PostgreSQL only
//! repeat each other's (cheap, indexed) work.

use std::time::Duration;

use crate::auth::service as auth_service;
use crate::db::Db;
use crate::error::AppResult;
use crate::http::idempotency;

/// Time between two sweeps (the first runs this long after start-up).
pub const EVERY: Duration = Duration::from_secs(600);

/// What one sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Expired or revoked sessions.
    pub sessions: u64,
    /// Idempotency records past their time to live.
    pub idempotency_keys: u64,
}

/// One sweep.
pub async fn sweep(db: &Db, idempotency_ttl: Duration) -> AppResult<Swept> {
    Ok(Swept {
        sessions: auth_service::purge_dead_sessions(db).await?,
        idempotency_keys: idempotency::purge_expired(db.conn(), idempotency_ttl).await?,
    })
}

/// Runs until dropped: one [`sweep`] every [`EVERY`]; a failed sweep is logged and tried again at
/// the next.
pub async fn run(db: Db, idempotency_ttl: Duration) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + EVERY, EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match sweep(&db, idempotency_ttl).await {
            Ok(swept) => tracing::debug!(
                sessions = swept.sessions,
                idempotency_keys = swept.idempotency_keys,
                "housekeeping: deleted what has outlived its use"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "housekeeping failed; trying again at the next sweep")
            }
        }
    }
}
