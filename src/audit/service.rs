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

/// Records an event that is not part of any change (a failed login, a lockout, a rate-limit trip) in
/// a transaction and a task of its own, off the response's path: the answer neither waits for it nor
/// tells by its timing whether it was written. A failure is logged.
pub fn record_detached(
    db: &crate::db::Db,
    ctx: AuditContext,
    action: &'static str,
    entity_type: &'static str,
    entity_id: Option<uuid::Uuid>,
) {
    let db = db.clone();
    tokio::spawn(async move {
        let result = async {
            let txn = db.begin_write().await?;
            record(&txn, &ctx, Event::new(action, entity_type, entity_id)).await?;
            txn.commit().await?;
            Ok::<(), crate::error::AppError>(())
        }
        .await;
        if let Err(e) = result {
            tracing::error!(org.id = %ctx.org, audit.action = action, error.cause = %e, "recording a security event failed");
        }
    });
}
