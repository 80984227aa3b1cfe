//! Housekeeping while the server runs: what has outlived its use is deleted on a schedule, so that
//! no token hash or kept response lingers at rest longer than it must — sessions that can no longer
//! authenticate anyone (expired or revoked) and `Idempotency-Key` records past `idempotency_ttl`.
//!
//! The sweep is the recurring job [`crate::jobs::HOUSEKEEPING`]: one instance of the deployment runs
//! it every [`EVERY`]; the deletes are idempotent, so a sweep run again after a crash does no harm.

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
    /// Password-reset links past their hour.
    pub password_resets: u64,
    /// Jobs finished (succeeded or cancelled) more than [`KEEP_FINISHED_JOBS`] ago.
    pub jobs: u64,
}

/// How long finished jobs stay listed.
pub const KEEP_FINISHED_JOBS: Duration = Duration::from_secs(7 * 86_400);

/// One sweep.
pub async fn sweep(db: &Db, idempotency_ttl: Duration) -> AppResult<Swept> {
    Ok(Swept {
        sessions: auth_service::purge_dead_sessions(db).await?,
        idempotency_keys: idempotency::purge_expired(db.conn(), idempotency_ttl).await?,
        password_resets: crate::auth::reset::purge_expired(db).await?,
        jobs: crate::jobs::service::purge_finished(db, KEEP_FINISHED_JOBS).await?,
    })
}
