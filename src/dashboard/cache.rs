//! The dashboard's figures, kept in memory so that a dashboard is served without counting rows.
//!
//! - One entry per organization and scope ([`Key`]): the whole organization (owners, admins, front
//!   desk and the system all see the same figures) or one trainer's clients and schedule.
//! - An entry remembers the organization's audit `seq` it was computed at. Every change to business
//!   data appends an audit event in its own transaction, so a `seq` that moved means the figures may
//!   have; the refresher ([`super::refresh`]) polls the `seq` of every organization held here and
//!   recomputes, off the request path. Every instance polls the same database, so a change made on one
//!   instance shows on every instance within the poll interval plus one computation.
//! - A change made through this instance marks the organization's entries stale before its response
//!   is sent ([`forget_after_writes`]): a dashboard read after a write never shows the figures from
//!   before it. The mark is a per-organization generation, so figures counted while the change was
//!   being committed are not taken for current either.
//! - Time moves figures too (sessions today, the month's leads, attendance over 30 days): an entry is
//!   valid until the next local midnight of the organization and for at most a minute.
//! - A request that finds no current entry computes it, once: concurrent requests for the same key wait
//!   for that computation ([`DashboardCache::get_or_compute`]).
//! - Entries nobody read for [`IDLE`] are dropped.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use moka::ops::compute::{CompResult, Op};
use uuid::Uuid;

use super::model::Dashboard;
use crate::error::{AppError, AppResult};
use crate::http::observe::LogIdentity;
use crate::organizations::OrgId;

/// Entries not read for this long are dropped.
pub const IDLE: Duration = Duration::from_secs(600);

/// Most entries kept.
const CAPACITY: u64 = 50_000;

/// How long which trainer an account is stays remembered: a link changed on another instance is
/// followed within this, as figures are.
const TRAINER_TTL: Duration = Duration::from_secs(1);

/// Whose figures an entry holds, within its organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every client and the whole schedule (owner, admin, staff, the system).
    Org,
    /// The clients assigned to this trainer and their sessions and classes.
    Trainer(Uuid),
    /// Nothing (a trainer account linked to no trainer, a trainer-role API key).
    Nobody,
}

/// What an entry is kept under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// The tenant.
    pub org: OrgId,
    /// Whose figures.
    pub scope: Scope,
}

/// Computed figures: what the API and the page show.
#[derive(Debug)]
pub struct Figures {
    /// The key figures.
    pub dashboard: Dashboard,
    /// Sessions per day of this week, Monday first (the page's chart).
    pub per_day: Vec<(NaiveDate, u64)>,
    /// The organization's last audit `seq` when counting started.
    pub seq: i64,
    /// When time alone makes the figures wrong (the next local midnight, at most a minute on).
    pub valid_until: DateTime<Utc>,
}

/// One entry: figures plus what decides whether they are current.
#[derive(Debug)]
struct Entry {
    figures: Arc<Figures>,
    /// The organization's local write generation when counting started.
    generation: u64,
    /// When a request last read it (milliseconds since the epoch).
    last_read: AtomicI64,
}

/// How a request was answered, for the metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// From a current entry.
    Hit,
    /// Computed for this request (or waited for a computation).
    Miss,
}

/// The cache; cheap to clone.
#[derive(Clone)]
pub struct DashboardCache {
    entries: moka::future::Cache<Key, Arc<Entry>>,
    /// Per organization: how many changes this instance has made (see the module documentation).
    generations: Arc<Mutex<HashMap<OrgId, u64>>>,
    /// Which scope a trainer account has (its trainer), with the generation it was looked up at, so
    /// that a trainer's dashboard costs no query either.
    trainers: moka::sync::Cache<(OrgId, Uuid), (Scope, u64)>,
}

impl std::fmt::Debug for DashboardCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardCache")
            .field("entries", &self.entries.entry_count())
            .finish_non_exhaustive()
    }
}

impl Default for DashboardCache {
    fn default() -> Self {
        Self::new()
    }
}

fn millis_now() -> i64 {
    Utc::now().timestamp_millis()
}

impl DashboardCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self {
            entries: moka::future::Cache::builder()
                .max_capacity(CAPACITY)
                .build(),
            generations: Arc::new(Mutex::new(HashMap::new())),
            trainers: moka::sync::Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(TRAINER_TTL)
                .build(),
        }
    }

    /// The scope of a trainer account, when looked up less than [`TRAINER_TTL`] ago and since no
    /// change made here in its organization.
    pub fn trainer_scope(&self, org: OrgId, user: Uuid) -> Option<Scope> {
        self.trainers
            .get(&(org, user))
            .filter(|(_, generation)| *generation == self.generation(org))
            .map(|(scope, _)| scope)
    }

    /// Remembers the scope of a trainer account, looked up at `generation`.
    pub fn remember_trainer_scope(&self, org: OrgId, user: Uuid, scope: Scope, generation: u64) {
        self.trainers.insert((org, user), (scope, generation));
    }

    /// The organization's local write generation.
    pub fn generation(&self, org: OrgId) -> u64 {
        self.generations
            .lock()
            .map(|g| g.get(&org).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// This instance has committed a change in `org`: its entries are no longer current.
    pub fn written(&self, org: OrgId) {
        if let Ok(mut g) = self.generations.lock() {
            *g.entry(org).or_insert(0) += 1;
        }
    }

    fn current(&self, entry: &Entry, key: &Key, now: DateTime<Utc>) -> bool {
        entry.generation == self.generation(key.org) && now < entry.figures.valid_until
    }

    /// The current figures of `key`: from the entry when it is current; otherwise from `compute`, run
    /// once however many requests ask at the same time, and stored.
    pub async fn get_or_compute<F, Fut>(&self, key: Key, compute: F) -> AppResult<Arc<Figures>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<Figures>>,
    {
        if let Some(entry) = self.entries.get(&key).await
            && self.current(&entry, &key, Utc::now())
        {
            entry.last_read.store(millis_now(), Ordering::Relaxed);
            count(Outcome::Hit);
            return Ok(entry.figures.clone());
        }
        count(Outcome::Miss);
        let result = self
            .entries
            .entry(key)
            .and_try_compute_with(|existing| async move {
                // Another request may have computed it while this one waited for the key.
                if let Some(e) = existing
                    && self.current(e.value(), &key, Utc::now())
                {
                    return Ok::<_, AppError>(Op::Nop);
                }
                let generation = self.generation(key.org);
                let figures = Arc::new(compute().await?);
                Ok(Op::Put(Arc::new(Entry {
                    figures,
                    generation,
                    last_read: AtomicI64::new(millis_now()),
                })))
            })
            .await?;
        match result {
            CompResult::Inserted(e) | CompResult::ReplacedWith(e) | CompResult::Unchanged(e) => {
                let entry = e.into_value();
                entry.last_read.store(millis_now(), Ordering::Relaxed);
                Ok(entry.figures.clone())
            }
            CompResult::StillNone(_) | CompResult::Removed(_) => Err(AppError::Internal(
                anyhow::anyhow!("dashboard figures were not stored"),
            )),
        }
    }

    /// Every entry's key with the `seq` and validity of its figures (for the refresher).
    pub fn held(&self) -> Vec<(Key, i64, DateTime<Utc>)> {
        self.entries
            .iter()
            .map(|(k, e)| (*k, e.figures.seq, e.figures.valid_until))
            .collect()
    }

    /// Stores figures the refresher computed for an entry, when the entry is still held and holds
    /// nothing newer. `generation` is the organization's generation when counting started.
    pub async fn replace(&self, key: Key, figures: Figures, generation: u64) {
        let figures = Arc::new(figures);
        self.entries
            .entry(key)
            .and_compute_with(|existing| async move {
                match existing {
                    // Dropped meanwhile (idle): not brought back.
                    None => Op::Nop,
                    Some(e) => {
                        let old = e.into_value();
                        if old.generation > generation || old.figures.seq > figures.seq {
                            Op::Nop
                        } else {
                            Op::Put(Arc::new(Entry {
                                figures,
                                generation,
                                last_read: AtomicI64::new(old.last_read.load(Ordering::Relaxed)),
                            }))
                        }
                    }
                }
            })
            .await;
    }

    /// Drops the entries nobody read for [`IDLE`]; returns how many are left.
    pub async fn drop_idle(&self) -> usize {
        let limit = millis_now() - i64::try_from(IDLE.as_millis()).unwrap_or(i64::MAX);
        let idle: Vec<Key> = self
            .entries
            .iter()
            .filter(|(_, e)| e.last_read.load(Ordering::Relaxed) < limit)
            .map(|(k, _)| *k)
            .collect();
        for key in &idle {
            self.entries.invalidate(key).await;
        }
        self.entries.run_pending_tasks().await;
        usize::try_from(self.entries.entry_count()).unwrap_or(usize::MAX)
    }

    /// Entries held (approximate).
    pub async fn len(&self) -> u64 {
        self.entries.run_pending_tasks().await;
        self.entries.entry_count()
    }

    /// Whether nothing is held.
    pub async fn is_empty(&self) -> bool {
        self.len().await == 0
    }
}

fn count(outcome: Outcome) {
    let label = match outcome {
        Outcome::Hit => "hit",
        Outcome::Miss => "miss",
    };
    metrics::counter!("fitnesscrm_dashboard_cache_total", "outcome" => label).increment(1);
}

/// A layer: after every request that may have changed data (any method but GET, HEAD and OPTIONS)
/// of an authenticated caller, marks the caller's organization's entries stale. It runs when the
/// handler has answered, so after the change was committed, and before the answer leaves.
pub async fn forget_after_writes(
    State(cache): State<DashboardCache>,
    req: Request,
    next: Next,
) -> Response {
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let response = next.run(req).await;
    if writes && let Some(identity) = response.extensions().get::<LogIdentity>() {
        cache.written(OrgId(identity.org_id));
    }
    response
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    fn key(scope: Scope) -> Key {
        Key {
            org: OrgId(Uuid::from_u128(1)),
            scope,
        }
    }

    fn figures(seq: i64, total: u64) -> Figures {
        let now = Utc::now();
        Figures {
            dashboard: Dashboard {
                clients_by_status: Default::default(),
                clients_total: total,
                new_leads_this_month: 0,
                conversions_this_month: 0,
                clients_without_trainer: 0,
                month_start: now,
                sessions_today: 0,
                sessions_this_week: 0,
                no_shows_this_month: 0,
                attendance_rate_30d: None,
            },
            per_day: Vec::new(),
            seq,
            valid_until: now + chrono::Duration::seconds(60),
        }
    }

    async fn total(cache: &DashboardCache, k: Key, computed: &AtomicUsize, n: u64) -> u64 {
        cache
            .get_or_compute(k, || async {
                computed.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok(figures(1, n))
            })
            .await
            .unwrap()
            .dashboard
            .clients_total
    }

    #[tokio::test]
    async fn concurrent_misses_count_once_and_later_reads_hit() {
        let cache = DashboardCache::new();
        let computed = AtomicUsize::new(0);
        let k = key(Scope::Org);
        let (a, b, c) = tokio::join!(
            total(&cache, k, &computed, 7),
            total(&cache, k, &computed, 8),
            total(&cache, k, &computed, 9)
        );
        assert_eq!((a, b, c), (7, 7, 7));
        assert_eq!(total(&cache, k, &computed, 10).await, 7);
        assert_eq!(computed.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_local_write_makes_every_entry_of_its_organization_stale() {
        let cache = DashboardCache::new();
        let computed = AtomicUsize::new(0);
        let (org, trainer) = (key(Scope::Org), key(Scope::Trainer(Uuid::from_u128(2))));
        let other = Key {
            org: OrgId(Uuid::from_u128(3)),
            scope: Scope::Org,
        };
        total(&cache, org, &computed, 1).await;
        total(&cache, trainer, &computed, 1).await;
        total(&cache, other, &computed, 1).await;
        cache.written(org.org);
        assert_eq!(total(&cache, org, &computed, 2).await, 2);
        assert_eq!(total(&cache, trainer, &computed, 2).await, 2);
        assert_eq!(
            total(&cache, other, &computed, 2).await,
            1,
            "another tenant"
        );
        assert_eq!(computed.load(Ordering::SeqCst), 5);
    }

    #[test]
    fn a_trainers_scope_is_forgotten_after_a_local_write_and_after_a_second() {
        let cache = DashboardCache::new();
        let (org, user) = (OrgId(Uuid::from_u128(1)), Uuid::from_u128(2));
        let scope = Scope::Trainer(Uuid::from_u128(3));
        cache.remember_trainer_scope(org, user, scope, cache.generation(org));
        assert_eq!(cache.trainer_scope(org, user), Some(scope));
        assert_eq!(cache.trainer_scope(OrgId(Uuid::from_u128(9)), user), None);
        cache.written(org);
        assert_eq!(cache.trainer_scope(org, user), None);
        cache.remember_trainer_scope(org, user, scope, cache.generation(org));
        std::thread::sleep(TRAINER_TTL + Duration::from_millis(50));
        assert_eq!(cache.trainer_scope(org, user), None);
    }

    #[tokio::test]
    async fn figures_past_their_time_are_counted_again() {
        let cache = DashboardCache::new();
        let k = key(Scope::Nobody);
        let mut old = figures(1, 1);
        old.valid_until = Utc::now() - chrono::Duration::seconds(1);
        cache.get_or_compute(k, || async { Ok(old) }).await.unwrap();
        let again = cache
            .get_or_compute(k, || async { Ok(figures(1, 2)) })
            .await
            .unwrap();
        assert_eq!(again.dashboard.clients_total, 2);
    }

    #[tokio::test]
    async fn the_refresher_replaces_held_entries_only_with_newer_figures() {
        let cache = DashboardCache::new();
        let computed = AtomicUsize::new(0);
        let k = key(Scope::Org);
        // Not held: not brought back.
        cache.replace(k, figures(5, 5), 0).await;
        assert!(cache.is_empty().await);
        total(&cache, k, &computed, 1).await;
        cache.replace(k, figures(2, 2), 0).await;
        assert_eq!(total(&cache, k, &computed, 0).await, 2);
        // Counted before a local write that a request has counted after: kept.
        cache.written(k.org);
        assert_eq!(total(&cache, k, &computed, 3).await, 3);
        cache.replace(k, figures(4, 4), 0).await;
        assert_eq!(total(&cache, k, &computed, 0).await, 3);
        assert_eq!(cache.held(), vec![(k, 1, cache.held()[0].2)]);
    }
}
