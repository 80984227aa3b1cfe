//! Password policy and hashing with argon2id.
//!
//! Hashing costs tens of milliseconds of CPU and 19 MiB of memory, so it runs on the blocking pool,
//! never on a runtime worker thread, and no more hashes run at once than the machine has cores: a burst
//! of logins queues here instead of taking every core and a block of memory per login (memory the
//! allocator keeps once it has it).

use std::sync::{LazyLock, OnceLock};

use argon2::password_hash::SaltString;
use argon2::password_hash::rand_core::OsRng;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use secrecy::{ExposeSecret, SecretString};

/// Shortest accepted password, in characters.
pub const MIN_LEN: usize = 10;
/// Longest accepted password, in characters (bounds the hashing work an attacker can cause).
pub const MAX_LEN: usize = 128;

/// Checks the policy: 10 to 128 characters, and not the email address itself.
pub fn check_policy(password: &str, email: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(format!("must be at least {MIN_LEN} characters long"));
    }
    if len > MAX_LEN {
        return Err(format!("must be at most {MAX_LEN} characters long"));
    }
    if password.trim().to_lowercase() == email.trim().to_lowercase() {
        return Err("must not be the email address".to_owned());
    }
    Ok(())
}

/// Permits for hashing at once: one per core.
static HASHING: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, usize::from))
});

/// Runs argon2 work on the blocking pool once a hashing permit is free.
async fn run_hashing<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|e| anyhow::anyhow!("password hashing is shut down: {e}"))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| anyhow::anyhow!("password hashing task failed: {e}"))?
}

/// Hashes a password with argon2id and a random salt, returning the PHC string.
pub async fn hash(password: SecretString) -> anyhow::Result<String> {
    run_hashing(move || hash_blocking(password.expose_secret())).await
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Verifies a password against a stored hash. With no stored hash (unknown email) it verifies against
/// a fixed dummy hash, so that a wrong email and a wrong password take the same time.
pub async fn verify(password: SecretString, stored: Option<String>) -> anyhow::Result<bool> {
    run_hashing(move || {
        let dummy = dummy_hash()?;
        let (phc, known) = match &stored {
            Some(h) => (h.as_str(), true),
            None => (dummy, false),
        };
        let parsed =
            PasswordHash::new(phc).map_err(|e| anyhow::anyhow!("stored hash is malformed: {e}"))?;
        let ok = Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok();
        Ok(ok && known)
    })
    .await
}

fn dummy_hash() -> anyhow::Result<&'static str> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return Ok(h);
    }
    let h = hash_blocking("not a real password, only for timing")?;
    Ok(DUMMY.get_or_init(|| h))
}

/// A random password for shell-created accounts, printed once.
pub fn generate() -> String {
    crate::auth::tokens::random_string(18)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_rejects_short_long_and_email_passwords() {
        assert!(check_policy("short", "a@b.co").is_err());
        assert!(check_policy(&"x".repeat(129), "a@b.co").is_err());
        assert!(check_policy("Anna@Example.com", "anna@example.com").is_err());
        assert!(check_policy("correct horse battery", "a@b.co").is_ok());
        assert!(check_policy(&"é".repeat(10), "a@b.co").is_ok());
    }

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let h = hash(SecretString::from("correct horse battery"))
            .await
            .unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify(SecretString::from("correct horse battery"), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify(SecretString::from("wrong horse battery"), Some(h))
                .await
                .unwrap()
        );
        assert!(
            !verify(SecretString::from("anything at all"), None)
                .await
                .unwrap()
        );
    }
}
