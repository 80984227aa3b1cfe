//! Counting events per key in fixed windows: the rate limits of each endpoint class
//! ([`requests`]) and the brute-force defence of logins and check-in codes (`auth::guard`) count
//! here.
//!
//! A window starts with a key's first event and lasts the rule's window; the count and the time
//! left come back together. Alone, an instance counts in its own memory. With `REDIS_URL` set, every
//! instance counts in Redis (`INCR` and `PEXPIRE` in one script, so that instances together allow
//! exactly the limit); while Redis cannot be reached, each instance counts in memory again and says
//! so in its log and on `/metrics`. Keys never hold an email or other personal data in clear: such
//! subjects are hashed ([`Key::hashed`]).

mod key;
pub mod requests;
mod rule;
mod store;

use std::time::Duration;

pub use key::{Count, Key, address_subject};
pub use rule::Rule;
use store::{Local, Remote};

/// The counters of this instance: in memory, or shared through Redis.
#[derive(Clone)]
pub struct Limits {
    local: Local,
    remote: Option<Remote>,
}

impl Limits {
    /// Counters in this process only.
    pub fn in_memory() -> Self {
        Self {
            local: Local::default(),
            remote: None,
        }
    }

    /// Counters in Redis under `namespace` (instances that share a database share one), with this
    /// process's memory as the fallback while Redis is unreachable.
    pub fn shared(redis: redis::aio::ConnectionManager, namespace: &str) -> Self {
        Self {
            local: Local::default(),
            remote: Some(Remote::new(redis, namespace)),
        }
    }

    /// Counts one event and returns the count including it.
    pub async fn hit(&self, key: &Key, window: Duration) -> Count {
        if let Some(remote) = &self.remote
            && let Some(count) = remote.hit(key, window).await
        {
            return count;
        }
        self.local.hit(key, window)
    }

    /// The count without adding to it.
    pub async fn peek(&self, key: &Key) -> Count {
        if let Some(remote) = &self.remote
            && let Some(count) = remote.peek(key).await
        {
            return count;
        }
        self.local.peek(key)
    }

    /// Forgets a counter (a successful login clears its failures).
    pub async fn clear(&self, key: &Key) {
        if let Some(remote) = &self.remote {
            remote.clear(key).await;
        }
        self.local.clear(key);
    }

    /// Counts one event against `rule`: `Err(count)` when it is over the limit. A rule that is off
    /// counts nothing and allows everything.
    pub async fn allow(&self, key: &Key, rule: Rule) -> Result<Count, Count> {
        if !rule.is_on() {
            return Ok(Count {
                n: 0,
                resets_in: Duration::ZERO,
            });
        }
        let count = self.hit(key, rule.window).await;
        if count.n > u64::from(rule.limit) {
            Err(count)
        } else {
            Ok(count)
        }
    }

    /// Deletes the expired counters kept in memory; how many are left.
    pub fn prune(&self) -> usize {
        self.local.prune()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_window_counts_to_its_limit_then_refuses_until_it_ends() {
        let limits = Limits::in_memory();
        let key = Key::new("t", "a");
        let rule = Rule::new(3, Duration::from_millis(300));
        for n in 1..=3 {
            assert_eq!(limits.allow(&key, rule).await.unwrap().n, n);
        }
        let refused = limits.allow(&key, rule).await.unwrap_err();
        assert_eq!(refused.n, 4);
        assert!(refused.resets_in <= Duration::from_millis(300));
        assert_eq!(refused.retry_after_secs(), 1);
        // Another key is counted apart.
        assert!(limits.allow(&Key::new("t", "b"), rule).await.is_ok());
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert_eq!(limits.peek(&key).await.n, 0);
        assert_eq!(limits.allow(&key, rule).await.unwrap().n, 1);
        limits.clear(&key).await;
        assert_eq!(limits.peek(&key).await.n, 0);
        assert!(limits.allow(&key, Rule::OFF).await.is_ok());
        assert_eq!(
            limits.peek(&key).await.n,
            0,
            "a rule that is off counts nothing"
        );
    }

    #[test]
    fn personal_subjects_are_hashed_and_ipv6_is_counted_per_64() {
        let key = Key::hashed("login", &["ann@example.com", "10.0.0.1"]);
        assert!(!key.as_str().contains("ann"), "{key:?}");
        assert_ne!(key, Key::hashed("login", &["ann@example.co", "m10.0.0.1"]));
        assert_eq!(
            address_subject("2001:db8:1:2:aaaa::1".parse().unwrap()),
            address_subject("2001:db8:1:2:bbbb::9".parse().unwrap())
        );
        assert_eq!(address_subject("192.0.2.7".parse().unwrap()), "192.0.2.7");
    }
}
