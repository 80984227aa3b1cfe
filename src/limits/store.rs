//! Where the counters live: this process's memory ([`Local`]) or Redis ([`Remote`]).

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::key::{Count, Key};

const SHARDS: usize = 16;

/// A shard is swept of expired counters whenever it has grown by this many since the last sweep.
const SWEEP_EVERY: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Window {
    n: u64,
    ends: Instant,
}

#[derive(Default)]
struct Shard {
    windows: HashMap<Key, Window>,
    since_sweep: usize,
}

/// Counters in this process, in shards so that concurrent requests rarely wait for each other.
#[derive(Clone)]
pub struct Local {
    shards: Arc<[Mutex<Shard>]>,
    hasher: RandomState,
}

impl Default for Local {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
        }
    }
}

impl Local {
    fn shard(&self, key: &Key) -> std::sync::MutexGuard<'_, Shard> {
        let i = (self.hasher.hash_one(key) as usize) % self.shards.len();
        // A panic while holding a shard leaves plain counters behind: still usable.
        self.shards[i]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn hit(&self, key: &Key, window: Duration) -> Count {
        let now = Instant::now();
        let mut shard = self.shard(key);
        let entry = shard.windows.entry(key.clone()).or_insert(Window {
            n: 0,
            ends: now + window,
        });
        if entry.ends <= now {
            *entry = Window {
                n: 0,
                ends: now + window,
            };
        }
        entry.n += 1;
        let count = Count {
            n: entry.n,
            resets_in: entry.ends - now,
        };
        shard.since_sweep += 1;
        if shard.since_sweep >= SWEEP_EVERY {
            shard.since_sweep = 0;
            shard.windows.retain(|_, w| w.ends > now);
        }
        count
    }

    pub fn peek(&self, key: &Key) -> Count {
        let now = Instant::now();
        match self.shard(key).windows.get(key) {
            Some(w) if w.ends > now => Count {
                n: w.n,
                resets_in: w.ends - now,
            },
            _ => Count {
                n: 0,
                resets_in: Duration::ZERO,
            },
        }
    }

    pub fn clear(&self, key: &Key) {
        self.shard(key).windows.remove(key);
    }

    pub fn prune(&self) -> usize {
        let now = Instant::now();
        self.shards
            .iter()
            .map(|s| {
                let mut shard = s.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                shard.windows.retain(|_, w| w.ends > now);
                shard.since_sweep = 0;
                shard.windows.len()
            })
            .sum()
    }
}

/// Counts and starts the window on the first event, in one step.
const HIT: &str = r"
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
";

/// Counters in Redis, shared by every instance with the same namespace.
#[derive(Clone)]
pub struct Remote {
    conn: redis::aio::ConnectionManager,
    prefix: Arc<str>,
    hit: Arc<redis::Script>,
    last_warning: Arc<AtomicU64>,
}

impl Remote {
    pub fn new(conn: redis::aio::ConnectionManager, namespace: &str) -> Self {
        Self {
            conn,
            prefix: format!("fitnesscrm:limits:{namespace}:").into(),
            hit: Arc::new(redis::Script::new(HIT)),
            last_warning: Arc::default(),
        }
    }

    fn key(&self, key: &Key) -> String {
        format!("{}{}", self.prefix, key.as_str())
    }

    pub async fn hit(&self, key: &Key, window: Duration) -> Option<Count> {
        let mut conn = self.conn.clone();
        let millis = window.as_millis().max(1) as u64;
        let result: redis::RedisResult<(u64, i64)> = self
            .hit
            .key(self.key(key))
            .arg(millis)
            .invoke_async(&mut conn)
            .await;
        self.answer(result.map(|(n, ttl)| count(n, ttl)))
    }

    pub async fn peek(&self, key: &Key) -> Option<Count> {
        let mut conn = self.conn.clone();
        let result: redis::RedisResult<(Option<u64>, i64)> = redis::pipe()
            .get(self.key(key))
            .pttl(self.key(key))
            .query_async(&mut conn)
            .await;
        self.answer(result.map(|(n, ttl)| count(n.unwrap_or(0), ttl)))
    }

    pub async fn clear(&self, key: &Key) {
        let mut conn = self.conn.clone();
        let result: redis::RedisResult<i64> = redis::cmd("DEL")
            .arg(self.key(key))
            .query_async(&mut conn)
            .await;
        self.answer(result);
    }

    /// The value, or `None` after logging (at most once a minute) and counting the failure: the
    /// caller counts in memory instead.
    fn answer<T>(&self, result: redis::RedisResult<T>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                metrics::counter!("fitnesscrm_rate_limit_store_errors_total").increment(1);
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let last = self.last_warning.load(Ordering::Relaxed);
                if now >= last + 60
                    && self
                        .last_warning
                        .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                {
                    tracing::warn!(error.cause = %e, "Redis is unreachable: limits are counted per instance until it is back");
                }
                None
            }
        }
    }
}

fn count(n: u64, ttl_ms: i64) -> Count {
    Count {
        n,
        resets_in: Duration::from_millis(u64::try_from(ttl_ms).unwrap_or(0)),
    }
}
