//! Recording events: the one entry point every audited change calls, in its own transaction.

use super::context::{AuditContext, Event};
use super::repo;
use crate::db::Backend;
use crate::error::AppResult;

/// Appends one event to the organization's chain, in the caller's transaction — the same transaction
/// as the change it records (a write transaction from [`crate::db::Db::begin_write`]).
///
/// Call it after the change's other writes, as the transaction's last statement: on PostgreSQL it
/// takes the organization's audit lock, which is then held only until the commit, so audited writes of
/// one organization serialise on their final step and never wait for it while holding other locks.
pub async fn record(
    db: &impl sea_orm::ConnectionTrait,
    ctx: &AuditContext,
    event: Event<'_>,
) -> AppResult<()> {
    repo::append(db, Backend::of(db), ctx, event).await
}
