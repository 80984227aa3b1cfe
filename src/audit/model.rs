//! The audit event as the API shows it, the genesis hash of every chain, and the rule for names.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::context::Source;
use crate::auth::Role;

/// The `prev_hash` of the first event (seq 1) of every chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry of the audit trail.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEvent {
    /// Id.
    pub id: Uuid,
    /// Position in the organization's chain: 1, 2, 3, ... without gaps.
    pub seq: i64,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// `user`, `api_key`, `system` or `anonymous`.
    pub actor_kind: String,
    /// The user or API key that acted; null for the system and anonymous callers.
    pub actor_id: Option<Uuid>,
    /// The actor's role at the time.
    pub actor_role: Option<Role>,
    /// Where the change came from.
    pub source: Source,
    /// What happened, such as `user.updated` or `auth.login`.
    pub action: String,
    /// The kind of record it happened to, such as `user` or `api_key`.
    pub entity_type: String,
    /// The record it happened to.
    pub entity_id: Option<Uuid>,
    /// The client (person) the event is about, if any.
    pub subject_client_id: Option<Uuid>,
    /// The names of the fields that changed (never their values).
    pub changed_fields: Vec<String>,
    /// The `X-Request-Id` of the request that caused it.
    pub request_id: Option<String>,
    /// The client's IP address.
    pub ip: Option<String>,
}

/// Whether `s` is a name the audit trail stores for actions, entity types and field names: 1 to 64
/// characters of `a-z`, `0-9`, `_` and `.`, starting with a letter. Values (emails, names, free text)
/// do not pass, which keeps personal data out of the trail by construction.
pub fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    s.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowercase_identifiers_and_never_values() {
        for ok in ["user.created", "api_key", "password", "a1"] {
            assert!(is_name(ok), "{ok}");
        }
        for bad in [
            "",
            "User",
            "anna@example.com",
            "two words",
            "1st",
            &"a".repeat(65),
        ] {
            assert!(!is_name(bad), "{bad}");
        }
    }
}
