//! The credential cache: who a bearer token or session cookie belongs to, kept in memory for a short
//! while so that an authenticated request costs no query.
//!
//! - Keyed by the token's SHA-256 (the stored form), never by the token itself.
//! - Every entry lives at most `auth_cache_ttl` (10 s by default) and is never used past the session's
//!   absolute expiry or idle timeout; after that the database is asked again.
//! - Revoking a session, changing an account's role, password or active flag and revoking an API key
//!   call [`Db::changed`](crate::db::Db::changed) after their commit: the entries concerned are dropped
//!   before the service returns, so this instance never accepts the old credential afterwards.
//! - Other instances hear of it through Redis (`PUBLISH` on [`CHANNEL`]) when `REDIS_URL` is set, within
//!   milliseconds; without Redis (one instance), the lifetime bounds how long another process's change
//!   (the shell's `user reset-password`) takes to be seen. When the subscription to Redis breaks, the
//!   whole cache is dropped on reconnecting, since messages may have been missed.
//! - A lookup that raced with a revocation does not store what it read: every revocation bumps an
//!   epoch, and an entry read under an older epoch is removed again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
#[cfg(test)]
use uuid::Uuid;

use super::caller::{Credential, CurrentUser};
use crate::db::changes::Change;

/// The Redis channel revocations are published on.
pub const CHANNEL: &str = "fitnesscrm:credentials";

/// Most entries kept (one per live token in use).
const CAPACITY: u64 = 100_000;

/// Lanes for reading a missing credential: requests for the same token share a lane, so that when an
/// entry expires under load one of them reads the database and the others wait for its answer instead
/// of all querying at once.
const LOOKUP_LANES: usize = 64;

/// A resolved credential.
#[derive(Debug, Clone, Copy)]
pub struct Cached {
    /// The caller it resolves to.
    pub caller: CurrentUser,
    /// Sessions: the absolute expiry. API keys: none.
    pub expires_at: Option<DateTime<Utc>>,
    /// The last use recorded in the database (sessions' `last_seen_at`, keys' `last_used_at`).
    pub last_recorded: Option<DateTime<Utc>>,
    /// A session that may only set up two-factor authentication (`auth::mfa`).
    pub setup_only: bool,
}

/// The cache; cheap to clone.
#[derive(Clone)]
pub struct CredentialCache {
    entries: moka::sync::Cache<String, Cached>,
    epoch: Arc<AtomicU64>,
    enabled: bool,
    lanes: Arc<[tokio::sync::Mutex<()>]>,
}

impl std::fmt::Debug for CredentialCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialCache")
            .field("entries", &self.entries.entry_count())
            .finish_non_exhaustive()
    }
}

impl CredentialCache {
    /// A cache whose entries live at most `ttl` (zero turns caching off).
    pub fn new(ttl: Duration) -> Self {
        Self {
            entries: moka::sync::Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(ttl.max(Duration::from_millis(1)))
                .support_invalidation_closures()
                .build(),
            epoch: Arc::new(AtomicU64::new(0)),
            enabled: !ttl.is_zero(),
            lanes: (0..LOOKUP_LANES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
        }
    }

    /// The turn to read a missing credential from the database (`None` when caching is off): hold it
    /// while reading and storing, and look in the cache again once it is held.
    pub async fn lookup_turn(&self, digest: &str) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        if !self.enabled {
            return None;
        }
        let lane = digest.bytes().fold(0usize, |h, b| {
            h.wrapping_mul(31).wrapping_add(usize::from(b))
        }) % self.lanes.len();
        Some(self.lanes[lane].lock().await)
    }

    /// The entry for a token digest, if cached.
    pub fn get(&self, digest: &str) -> Option<Cached> {
        self.entries.get(digest)
    }

    /// The current epoch: take it before reading the database, and hand it to [`Self::insert`].
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Stores what was read under `epoch`, unless a revocation happened since.
    pub fn insert(&self, digest: String, entry: Cached, epoch: u64) {
        if !self.enabled {
            return;
        }
        self.entries.insert(digest.clone(), entry);
        if self.epoch() != epoch {
            self.entries.invalidate(&digest);
        }
    }

    /// Drops a token's entry (logout through that token).
    pub fn forget(&self, digest: &str) {
        self.entries.invalidate(digest);
    }

    /// Drops every entry a change concerns.
    pub fn apply(&self, change: Change) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        let result =
            self.entries
                .invalidate_entries_if(move |_, e| match (change, e.caller.credential) {
                    (Change::Session(id), Credential::User { session_id, .. }) => session_id == id,
                    (Change::User(id), Credential::User { user_id, .. }) => user_id == id,
                    (Change::ApiKey(id), Credential::ApiKey { key_id }) => key_id == id,
                    _ => false,
                });
        if result.is_err() {
            // Only fails when closures are not supported, which `new` turns on; drop everything.
            self.clear();
        }
    }

    /// Drops everything (after missing messages).
    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.entries.invalidate_all();
    }

    /// Entries held (approximate), for tests and metrics.
    pub fn len(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Publishes a change to the other instances (best effort, in the background: a Redis that is down
/// leaves them with the cache lifetime as their bound).
pub fn publish(redis: &redis::aio::ConnectionManager, change: Change) {
    let mut conn = redis.clone();
    tokio::spawn(async move {
        let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(CHANNEL)
            .arg(change.encode())
            .query_async(&mut conn)
            .await;
        if let Err(e) = sent {
            tracing::warn!(error.cause = %e, "could not publish a credential revocation to Redis");
        }
    });
}

/// Publishes a change and waits for Redis to take it (for the shell, whose process ends next).
pub async fn announce(url: &str, change: Change) -> anyhow::Result<()> {
    let mut conn = redis::Client::open(url)?
        .get_multiplexed_async_connection()
        .await?;
    let _: i64 = redis::cmd("PUBLISH")
        .arg(CHANNEL)
        .arg(change.encode())
        .query_async(&mut conn)
        .await?;
    Ok(())
}

/// Applies the changes other instances publish, for as long as the process runs. Reconnects after a
/// failure (dropping the whole cache then, since messages may have been missed).
pub async fn subscribe(client: redis::Client, cache: CredentialCache) {
    let mut delay = Duration::from_millis(100);
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(CHANNEL).await {
                Ok(()) => {
                    cache.clear();
                    delay = Duration::from_millis(100);
                    let mut messages = pubsub.on_message();
                    while let Some(msg) = messages.next().await {
                        if let Some(change) = msg
                            .get_payload::<String>()
                            .ok()
                            .and_then(|p| Change::decode(&p))
                        {
                            cache.apply(change);
                        }
                    }
                    tracing::warn!("the Redis subscription for credential revocations ended");
                }
                Err(e) => tracing::warn!(error.cause = %e, "cannot subscribe to Redis"),
            },
            Err(e) => tracing::debug!(error.cause = %e, "cannot connect to Redis to subscribe"),
        }
        // Until the subscription is back, revocations from elsewhere may be missed: forget all.
        cache.clear();
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// A caller for tests: a session of `user_id`.
#[cfg(test)]
fn session_caller(user_id: Uuid, session_id: Uuid) -> CurrentUser {
    CurrentUser {
        org: crate::organizations::OrgId(Uuid::nil()),
        role: super::Role::Staff,
        credential: Credential::User {
            user_id,
            session_id,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(caller: CurrentUser) -> Cached {
        Cached {
            caller,
            expires_at: None,
            last_recorded: None,
            setup_only: false,
        }
    }

    #[test]
    fn a_change_drops_exactly_the_entries_it_concerns() {
        let cache = CredentialCache::new(Duration::from_secs(60));
        let (u1, u2, s1, s2, s3) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let key = Uuid::now_v7();
        let e = cache.epoch();
        cache.insert("a".into(), entry(session_caller(u1, s1)), e);
        cache.insert("b".into(), entry(session_caller(u1, s2)), e);
        cache.insert("c".into(), entry(session_caller(u2, s3)), e);
        let mut api = session_caller(u2, s3);
        api.credential = Credential::ApiKey { key_id: key };
        cache.insert("k".into(), entry(api), e);
        assert_eq!(cache.len(), 4);

        cache.apply(Change::Session(s2));
        assert!(cache.get("a").is_some() && cache.get("b").is_none());
        cache.apply(Change::ApiKey(key));
        assert!(cache.get("k").is_none() && cache.get("c").is_some());
        cache.apply(Change::User(u1));
        assert!(cache.get("a").is_none() && cache.get("c").is_some());
        cache.apply(Change::User(u2));
        assert!(cache.get("c").is_none());
    }

    #[test]
    fn what_was_read_before_a_revocation_is_not_kept() {
        let cache = CredentialCache::new(Duration::from_secs(60));
        let before = cache.epoch();
        // A revocation lands between the database read and the insert.
        cache.apply(Change::User(Uuid::now_v7()));
        cache.insert(
            "a".into(),
            entry(session_caller(Uuid::now_v7(), Uuid::now_v7())),
            before,
        );
        assert!(cache.get("a").is_none());
        let now = cache.epoch();
        cache.insert(
            "a".into(),
            entry(session_caller(Uuid::now_v7(), Uuid::now_v7())),
            now,
        );
        assert!(cache.get("a").is_some());
    }

    #[test]
    fn entries_expire_and_a_zero_lifetime_keeps_nothing() {
        let cache = CredentialCache::new(Duration::from_millis(30));
        let e = cache.epoch();
        cache.insert(
            "a".into(),
            entry(session_caller(Uuid::now_v7(), Uuid::now_v7())),
            e,
        );
        assert!(cache.get("a").is_some());
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.get("a").is_none());

        let off = CredentialCache::new(Duration::ZERO);
        off.insert(
            "a".into(),
            entry(session_caller(Uuid::now_v7(), Uuid::now_v7())),
            off.epoch(),
        );
        assert!(off.get("a").is_none());
    }

    #[tokio::test]
    async fn a_token_is_read_by_one_request_at_a_time_and_not_at_all_when_caching_is_off() {
        let cache = CredentialCache::new(Duration::from_secs(10));
        let first = cache.lookup_turn("digest").await;
        assert!(first.is_some());
        let waiting = tokio::time::timeout(Duration::from_millis(50), cache.lookup_turn("digest"));
        assert!(waiting.await.is_err(), "the second reader of a token waits");
        drop(first);
        assert!(cache.lookup_turn("digest").await.is_some());

        let off = CredentialCache::new(Duration::ZERO);
        let _a = off.lookup_turn("digest").await;
        assert!(
            off.lookup_turn("digest").await.is_none(),
            "no turns without a cache"
        );
    }
}
