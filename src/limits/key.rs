//! What is counted ([`Key`]) and what a count says ([`Count`]).

use std::net::IpAddr;
use std::time::Duration;

use sha2::{Digest, Sha256};

/// One counter: a purpose and a subject (`login:pair`, `<hash>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key(String);

impl Key {
    /// A key whose subject is safe to keep as it is (an id, a class name).
    pub fn new(purpose: &str, subject: impl std::fmt::Display) -> Self {
        Self(format!("{purpose}:{subject}"))
    }

    /// A key whose subject is personal (an email) or long: kept as a hash.
    pub fn hashed(purpose: &str, parts: &[&str]) -> Self {
        let mut hash = Sha256::new();
        for part in parts {
            hash.update(part.as_bytes());
            hash.update([0u8]);
        }
        Self(format!("{purpose}:{}", hex::encode(&hash.finalize()[..16])))
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The subject an address is counted as: an IPv4 address, or the /64 an IPv6 address belongs to
/// (one subscriber commonly holds a whole /64).
pub fn address_subject(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// A counter's state after an event (or a look).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    /// Events in the current window.
    pub n: u64,
    /// Until the window ends (zero when there is no window).
    pub resets_in: Duration,
}

impl Count {
    /// Whole seconds until the window ends, at least one: the `Retry-After` of a refusal.
    pub fn retry_after_secs(&self) -> u64 {
        self.resets_in.as_secs_f64().ceil().max(1.0) as u64
    }
}
