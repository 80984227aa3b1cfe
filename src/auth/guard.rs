//! The brute-force defence of passwords and check-in codes, counted in `crate::limits`.
//!
//! Logins, within `lockout_window` (15 minutes by default):
//! - one address that fails `lockout_account_address_failures` times on one account is locked out of
//!   that account until the window ends;
//! - one address that fails `lockout_address_failures` times on any accounts is locked out of all;
//! - an account that fails `lockout_account_failures` times from anywhere is locked for every
//!   address it has not logged in from in the last 30 days: its owner, at home or at the studio,
//!   still gets in; an attack from many addresses does not;
//! - from `lockout_account_address_failures` failures on, every attempt on the account waits first
//!   (250 ms, doubling, at most 4 s).
//!
//! Counters are keyed by the email as typed (normalised), so an unknown email is treated exactly like
//! a known one: a lockout tells nothing about whether the account exists, and neither does the time
//! a refusal takes. Only the first failures of a window are written to the account's audit trail,
//! then one `auth.locked_out`; the rest are counted on `/metrics`.
//!
//! Check-in codes: `check_in_code_failures` wrong codes for one session or class, or from one
//! address, refuse further codes there until the window ends.

use std::net::IpAddr;
use std::time::Duration;

use crate::config::Config;
use crate::error::AppError;
use crate::limits::{Count, Key, Limits, address_subject};

/// How long a successful login makes its address "known" to the account.
const KNOWN_FOR: Duration = Duration::from_secs(30 * 24 * 3600);

/// The first wait of the progressive delay, and its ceiling.
const FIRST_DELAY: Duration = Duration::from_millis(250);
const MAX_DELAY: Duration = Duration::from_secs(4);

/// The counters of one login attempt.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    pair: Key,
    address: Option<Key>,
    account: Key,
    known: Option<Key>,
}

/// What a failed attempt calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    /// Whether to write `auth.login_failed` (only the first failures of a window are).
    pub audit: bool,
    /// Whether this failure started a lockout (worth one `auth.locked_out`).
    pub locked_out: bool,
}

/// The login and check-in defences of one instance.
#[derive(Clone)]
pub struct Guard {
    store: Limits,
    window: Duration,
    pair_max: u64,
    address_max: u64,
    account_max: u64,
    code_max: u64,
}

impl Guard {
    /// The defences configured in `config`, counting in `store`.
    pub fn new(store: Limits, config: &Config) -> Self {
        Self {
            store,
            window: config.lockout_window,
            pair_max: u64::from(config.lockout_account_address_failures),
            address_max: u64::from(config.lockout_address_failures),
            account_max: u64::from(config.lockout_account_failures),
            code_max: u64::from(config.check_in_code_failures),
        }
    }

    /// The counters of an attempt on `email` (as typed, trimmed and lower-cased) from `ip`.
    pub fn login_attempt(&self, email: &str, ip: Option<IpAddr>) -> LoginAttempt {
        let email = email.trim().to_lowercase();
        let address = ip.map(address_subject);
        LoginAttempt {
            pair: Key::hashed("login:pair", &[&email, address.as_deref().unwrap_or("-")]),
            address: address.as_deref().map(|a| Key::new("login:addr", a)),
            account: Key::hashed("login:account", &[&email]),
            known: address
                .as_deref()
                .map(|a| Key::hashed("login:known", &[&email, a])),
        }
    }

    /// Before the password is looked at: a lockout is a 429 with `Retry-After`; otherwise the
    /// attempt waits its progressive delay.
    pub async fn admit(&self, attempt: &LoginAttempt) -> Result<(), AppError> {
        let pair = self.store.peek(&attempt.pair).await;
        if pair.n >= self.pair_max {
            return Err(locked(pair));
        }
        if let Some(address) = &attempt.address {
            let count = self.store.peek(address).await;
            if count.n >= self.address_max {
                return Err(locked(count));
            }
        }
        let account = self.store.peek(&attempt.account).await;
        if account.n >= self.account_max && !self.is_known(attempt).await {
            return Err(locked(account));
        }
        let wait = self.delay(account.n);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    /// The wait before an attempt on an account with `failures` in the window.
    fn delay(&self, failures: u64) -> Duration {
        if failures < self.pair_max {
            return Duration::ZERO;
        }
        let doublings = u32::try_from(failures - self.pair_max)
            .unwrap_or(u32::MAX)
            .min(8);
        (FIRST_DELAY * 2u32.pow(doublings)).min(MAX_DELAY)
    }

    async fn is_known(&self, attempt: &LoginAttempt) -> bool {
        match &attempt.known {
            Some(known) => self.store.peek(known).await.n > 0,
            None => false,
        }
    }

    /// Counts a failed attempt.
    pub async fn failed(&self, attempt: &LoginAttempt) -> Failure {
        let window = self.window;
        let pair = self.store.hit(&attempt.pair, window).await;
        let address = match &attempt.address {
            Some(key) => self.store.hit(key, window).await.n,
            None => 0,
        };
        let account = self.store.hit(&attempt.account, window).await;
        metrics::counter!("fitnesscrm_login_failures_total").increment(1);
        let locked_out =
            pair.n == self.pair_max || address == self.address_max || account.n == self.account_max;
        if locked_out {
            metrics::counter!("fitnesscrm_login_lockouts_total").increment(1);
        }
        Failure {
            audit: account.n <= self.pair_max,
            locked_out,
        }
    }

    /// A successful login: its address's failures on the account are forgotten, and the address
    /// becomes known to the account.
    pub async fn succeeded(&self, attempt: &LoginAttempt) {
        self.store.clear(&attempt.pair).await;
        if let Some(known) = &attempt.known {
            self.store.hit(known, KNOWN_FOR).await;
        }
    }

    /// Runs `check_in` (a check-in that may carry a code for `target`) behind the code defence: refused
    /// with 429 while the target or the address is locked, and counted when it answers that the code
    /// is wrong.
    pub async fn checking_code<T>(
        &self,
        target: uuid::Uuid,
        ip: Option<&str>,
        with_code: bool,
        check_in: impl Future<Output = Result<T, AppError>>,
    ) -> Result<T, AppError> {
        let ip = ip.and_then(|ip| ip.parse().ok());
        if with_code {
            self.admit_code(target, ip).await?;
        }
        let result = check_in.await;
        if let Err(AppError::Validation(errors)) = &result
            && errors.has("code")
        {
            self.wrong_code(target, ip).await;
        }
        result
    }

    /// Before a check-in code is looked at: 429 when the session or class (`target`) or the address
    /// has had too many wrong codes.
    pub async fn admit_code(&self, target: uuid::Uuid, ip: Option<IpAddr>) -> Result<(), AppError> {
        for key in code_keys(target, ip) {
            let count = self.store.peek(&key).await;
            if count.n >= self.code_max {
                return Err(locked(count));
            }
        }
        Ok(())
    }

    /// Counts a wrong check-in code.
    pub async fn wrong_code(&self, target: uuid::Uuid, ip: Option<IpAddr>) {
        for key in code_keys(target, ip) {
            self.store.hit(&key, self.window).await;
        }
        metrics::counter!("fitnesscrm_check_in_code_failures_total").increment(1);
    }
}

fn code_keys(target: uuid::Uuid, ip: Option<IpAddr>) -> Vec<Key> {
    let mut keys = vec![Key::new("code:target", target)];
    if let Some(ip) = ip {
        keys.push(Key::new("code:addr", address_subject(ip)));
    }
    keys
}

fn locked(count: Count) -> AppError {
    AppError::RateLimited {
        retry_after_secs: count.retry_after_secs(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> Guard {
        let config = Config {
            lockout_account_address_failures: 3,
            lockout_address_failures: 5,
            lockout_account_failures: 6,
            check_in_code_failures: 2,
            ..Config::default()
        };
        Guard::new(Limits::in_memory(), &config)
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[tokio::test]
    async fn one_address_is_locked_out_of_one_account_and_others_are_not() {
        let g = guard();
        let a = g.login_attempt("Ann@Example.com ", ip("198.51.100.1"));
        for _ in 0..3 {
            g.admit(&a).await.unwrap();
            g.failed(&a).await;
        }
        let refused = g.admit(&a).await.unwrap_err();
        assert!(
            matches!(refused, AppError::RateLimited { retry_after_secs } if retry_after_secs <= 900)
        );
        // The same account from elsewhere, and another account from here, are still open.
        let elsewhere = g.login_attempt("ann@example.com", ip("203.0.113.9"));
        assert!(g.admit(&elsewhere).await.is_ok());
        assert!(
            g.admit(&g.login_attempt("bob@example.com", ip("198.51.100.1")))
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn an_account_attacked_from_everywhere_stays_open_where_its_owner_logged_in() {
        let g = guard();
        let home = g.login_attempt("ann@example.com", ip("192.0.2.10"));
        g.succeeded(&home).await;
        for i in 0..6 {
            let attacker = g.login_attempt("ann@example.com", ip(&format!("198.51.100.{i}")));
            g.admit(&attacker).await.unwrap();
            g.failed(&attacker).await;
        }
        let fresh = g.login_attempt("ann@example.com", ip("198.51.100.200"));
        assert!(
            g.admit(&fresh).await.is_err(),
            "a new address is locked out"
        );
        assert!(g.admit(&home).await.is_ok(), "the owner's address is not");
    }

    #[test]
    fn the_delay_grows_after_the_first_lockout_count_and_is_capped() {
        let g = guard();
        assert_eq!(g.delay(2), Duration::ZERO);
        assert_eq!(g.delay(3), FIRST_DELAY);
        assert_eq!(g.delay(4), FIRST_DELAY * 2);
        assert_eq!(g.delay(1000), MAX_DELAY);
    }

    #[tokio::test]
    async fn only_the_first_failures_are_audited_and_a_lockout_is_reported_once() {
        let g = guard();
        let a = g.login_attempt("ann@example.com", ip("198.51.100.1"));
        let outcomes: Vec<Failure> =
            futures_util::future::join_all((0..5).map(|_| g.failed(&a))).await;
        assert_eq!(outcomes.iter().filter(|f| f.audit).count(), 3);
        assert_eq!(
            outcomes.iter().filter(|f| f.locked_out).count(),
            2,
            "the pair at 3, the address at 5"
        );
    }

    #[tokio::test]
    async fn wrong_codes_close_a_session_and_an_address() {
        let g = guard();
        let session = uuid::Uuid::now_v7();
        g.wrong_code(session, ip("198.51.100.1")).await;
        g.wrong_code(session, ip("198.51.100.2")).await;
        assert!(g.admit_code(session, ip("198.51.100.3")).await.is_err());
        let other = uuid::Uuid::now_v7();
        assert!(g.admit_code(other, ip("198.51.100.3")).await.is_ok());
        g.wrong_code(other, ip("198.51.100.1")).await;
        assert!(
            g.admit_code(uuid::Uuid::now_v7(), ip("198.51.100.1"))
                .await
                .is_err()
        );
    }
}
