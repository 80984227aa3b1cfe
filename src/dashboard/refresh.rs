//! The refresher: keeps the figures cache ([`super::cache`]) current, off the request path.
//!
//! Every [`POLL`] it reads, in one query, the last audit `seq` of every organization that has figures
//! in the cache, and recounts the figures whose organization's `seq` moved (some other instance or
//! process changed something) or whose time is up (a local midnight passed, or a minute). Entries
//! nobody read for [`super::cache::IDLE`] are dropped. Cost when nothing changes: one indexed query per
//! poll; when an organization changes: one recount per scope held for it per poll, however many
//! changes it had.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;

use super::cache::{DashboardCache, Key};
use super::{repo, service};
use crate::db::Db;
use crate::error::AppResult;
use crate::organizations::OrgId;

/// How often the organizations' audit `seq` is read.
pub const POLL: Duration = Duration::from_millis(250);

/// Figures are recounted this long before their time runs out, so that a recount slowed by load still
/// lands before requests find them out of date (and all miss at once, to wait for one count).
const LEAD: Duration = Duration::from_secs(5);

/// At most this many recounts at once (the pool is shared with requests).
const PARALLEL: usize = 2;

/// Organizations per query (well below every database's limit of bound values).
const CHUNK: usize = 500;

/// Runs until dropped: one [`refresh`] per [`POLL`].
pub async fn run(db: Db, cache: DashboardCache) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = refresh(&db, &cache).await {
            tracing::warn!(error = %e, "refreshing the dashboard figures failed; trying again");
        }
    }
}

/// One round: drops idle entries, reads the organizations' `seq`, recounts what is out of date.
pub async fn refresh(db: &Db, cache: &DashboardCache) -> AppResult<()> {
    if cache.drop_idle().await == 0 {
        return Ok(());
    }
    let held = cache.held();
    let orgs: Vec<OrgId> = held
        .iter()
        .map(|(k, _, _)| k.org)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut seqs = HashMap::new();
    for chunk in orgs.chunks(CHUNK) {
        seqs.extend(repo::audit_seqs(db.conn(), chunk).await?);
    }
    // Time runs out soon: recount now, so that requests keep finding current figures.
    let soon = Utc::now() + chrono::Duration::from_std(LEAD).unwrap_or_default();
    let due: Vec<Key> = held
        .into_iter()
        // An organization that no longer exists has no `seq`: its entries are left to go idle.
        .filter(|(k, seq, valid_until)| {
            seqs.get(&k.org).is_some_and(|s| s != seq) || soon >= *valid_until
        })
        .map(|(k, _, _)| k)
        .collect();
    futures_util::stream::iter(due)
        .for_each_concurrent(PARALLEL, |key| async move {
            let generation = cache.generation(key.org);
            match service::compute(db.conn(), key).await {
                Ok(figures) => cache.replace(key, figures, generation).await,
                Err(e) => {
                    tracing::warn!(org.id = %key.org.0, error = %e, "recounting dashboard figures failed");
                }
            }
        })
        .await;
    Ok(())
}
