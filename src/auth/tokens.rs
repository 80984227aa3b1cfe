//! Bearer secrets: login tokens and API keys. Only their SHA-256 is stored, so a database leak does not
//! leak working credentials; they carry 256 bits of randomness, so a fast hash is enough.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Prefix of login (session) tokens.
pub const SESSION_PREFIX: &str = "fcrm_s_";
/// Prefix of API keys.
pub const API_KEY_PREFIX: &str = "fcrm_k_";

/// `n` random bytes as URL-safe base64.
pub fn random_string(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new login token.
pub fn new_session_token() -> String {
    format!("{SESSION_PREFIX}{}", random_string(32))
}

/// A new API key secret.
pub fn new_api_key() -> String {
    format!("{API_KEY_PREFIX}{}", random_string(32))
}

/// The stored form of a token: lowercase hex SHA-256.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_prefixed_and_hash_to_64_hex_chars() {
        let a = new_session_token();
        let b = new_session_token();
        assert_ne!(a, b);
        assert!(a.starts_with(SESSION_PREFIX) && new_api_key().starts_with(API_KEY_PREFIX));
        assert_eq!(digest(&a).len(), 64);
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), digest(&b));
    }
}
