//! The audit event as the API shows it, and the one definition of what an event's hash covers.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Source;
use crate::auth::Role;
use crate::db::entities::audit_events;

/// The `prev_hash` of the first event (seq 1) of every chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Tags version 1 of the hashed serialization; a later format would use a new tag.
const HASH_FORMAT: &str = "fitnesscrm.audit_event.v1";

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

impl TryFrom<audit_events::Model> for AuditEvent {
    type Error = anyhow::Error;

    fn try_from(m: audit_events::Model) -> Result<Self, Self::Error> {
        let source = Source::parse(&m.source)
            .ok_or_else(|| anyhow::anyhow!("audit event {} has an unknown source", m.id))?;
        let actor_role = match &m.actor_role {
            Some(r) => Some(
                Role::parse(r)
                    .ok_or_else(|| anyhow::anyhow!("audit event {} has an unknown role", m.id))?,
            ),
            None => None,
        };
        let changed_fields: Vec<String> = serde_json::from_str(&m.changed_fields).map_err(|e| {
            anyhow::anyhow!("audit event {} has malformed changed_fields: {e}", m.id)
        })?;
        Ok(Self {
            id: m.id,
            seq: m.seq,
            occurred_at: m.occurred_at,
            actor_kind: m.actor_kind,
            actor_id: m.actor_id,
            actor_role,
            source,
            action: m.action,
            entity_type: m.entity_type,
            entity_id: m.entity_id,
            subject_client_id: m.subject_client_id,
            changed_fields,
            request_id: m.request_id,
            ip: m.ip,
        })
    }
}

/// The hash of an event: lowercase hex SHA-256 over a canonical serialization of every column but
/// `hash` itself. This is the only definition; appending and verifying both call it.
///
/// The serialization (version 1) is a sequence of items, each either
/// - `0x00` for NULL, or
/// - `0x01`, the length of the value's UTF-8 text as a 4-byte big-endian integer, then that text,
///
/// in this order: the format tag `fitnesscrm.audit_event.v1`, `id`, `organization_id`, `seq`,
/// `occurred_at`, `actor_kind`, `actor_id`, `actor_role`, `source`, `action`, `entity_type`,
/// `entity_id`, `subject_client_id`, `changed_fields`, `request_id`, `ip`, `prev_hash`.
///
/// Texts: UUIDs lowercase and hyphenated; `seq` in decimal; `occurred_at` in RFC 3339 UTC with exactly
/// six fractional digits (`2026-11-25T09:30:00.000000Z`, the microsecond both databases store);
/// `changed_fields` as stored (a JSON array of strings); every other column as stored. Every item has
/// an explicit length or is a NULL marker, so no two different rows serialise to the same bytes.
pub fn event_hash(event: &audit_events::Model) -> String {
    // Destructured without `..`: a new column does not compile until it is hashed (or excluded here).
    let audit_events::Model {
        id,
        organization_id,
        seq,
        occurred_at,
        actor_kind,
        actor_id,
        actor_role,
        source,
        action,
        entity_type,
        entity_id,
        subject_client_id,
        changed_fields,
        request_id,
        ip,
        prev_hash,
        hash: _,
    } = event;
    let uuid = |u: &Uuid| u.hyphenated().to_string();
    let items: [Option<String>; 17] = [
        Some(HASH_FORMAT.to_owned()),
        Some(uuid(id)),
        Some(uuid(organization_id)),
        Some(seq.to_string()),
        Some(occurred_at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()),
        Some(actor_kind.clone()),
        actor_id.as_ref().map(uuid),
        actor_role.clone(),
        Some(source.clone()),
        Some(action.clone()),
        Some(entity_type.clone()),
        entity_id.as_ref().map(uuid),
        subject_client_id.as_ref().map(uuid),
        Some(changed_fields.clone()),
        request_id.clone(),
        ip.clone(),
        Some(prev_hash.clone()),
    ];
    let mut hasher = Sha256::new();
    for item in &items {
        match item {
            None => hasher.update([0u8]),
            Some(text) => {
                // Stored texts are bounded far below 4 GiB; saturating keeps the function total.
                let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
                hasher.update([1u8]);
                hasher.update(len.to_be_bytes());
                hasher.update(text.as_bytes());
            }
        }
    }
    hex::encode(hasher.finalize())
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

    fn sample() -> audit_events::Model {
        audit_events::Model {
            id: Uuid::nil(),
            organization_id: Uuid::max(),
            seq: 1,
            occurred_at: DateTime::parse_from_rfc3339("2026-11-25T09:30:00.123456Z")
                .unwrap()
                .with_timezone(&Utc),
            actor_kind: "user".into(),
            actor_id: Some(Uuid::nil()),
            actor_role: Some("owner".into()),
            source: "api".into(),
            action: "user.updated".into(),
            entity_type: "user".into(),
            entity_id: None,
            subject_client_id: None,
            changed_fields: r#"["name"]"#.into(),
            request_id: Some("abc".into()),
            ip: None,
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        }
    }

    #[test]
    fn the_hash_is_hex_sha256_and_ignores_only_the_hash_column() {
        let a = sample();
        let h = event_hash(&a);
        assert_eq!(h.len(), 64);
        assert!(
            h.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        let mut b = a.clone();
        b.hash = "anything".into();
        assert_eq!(event_hash(&b), h);
    }

    #[test]
    fn changing_any_column_changes_the_hash() {
        let base = event_hash(&sample());
        let changes: [fn(&mut audit_events::Model); 16] = [
            |m| m.id = Uuid::max(),
            |m| m.organization_id = Uuid::nil(),
            |m| m.seq = 2,
            |m| m.occurred_at += chrono::Duration::microseconds(1),
            |m| m.actor_kind = "system".into(),
            |m| m.actor_id = None,
            |m| m.actor_role = None,
            |m| m.source = "ui".into(),
            |m| m.action = "user.deleted".into(),
            |m| m.entity_type = "client".into(),
            |m| m.entity_id = Some(Uuid::nil()),
            |m| m.subject_client_id = Some(Uuid::nil()),
            |m| m.changed_fields = "[]".into(),
            |m| m.request_id = None,
            |m| m.ip = Some("127.0.0.1".into()),
            |m| m.prev_hash = "1".repeat(64),
        ];
        for (i, change) in changes.iter().enumerate() {
            let mut m = sample();
            change(&mut m);
            assert_ne!(event_hash(&m), base, "change #{i} did not change the hash");
        }
    }

    #[test]
    fn moving_text_between_adjacent_columns_changes_the_hash() {
        let mut a = sample();
        a.action = "user.up".into();
        a.entity_type = "dateduser".into();
        let mut b = sample();
        b.action = "user.updated".into();
        b.entity_type = "user".into();
        assert_ne!(event_hash(&a), event_hash(&b));
        // NULL and the empty text differ too.
        let mut c = sample();
        c.request_id = Some(String::new());
        let mut d = sample();
        d.request_id = None;
        assert_ne!(event_hash(&c), event_hash(&d));
    }

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
