//! The types of a client's history: notes, the timeline and its cursor, status and consent records.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// A note on a client.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Note {
    /// Id.
    pub id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// The account that wrote it.
    pub author_id: Option<Uuid>,
    /// The text.
    pub body: String,
    /// Pinned notes are listed first.
    pub pinned: bool,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/clients/{id}/notes`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNote {
    /// 1–10,000 characters.
    #[schema(min_length = 1, max_length = 10000)]
    pub body: String,
    /// Default false.
    #[serde(default)]
    pub pinned: Option<bool>,
}

/// One entry of a client's timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineEntry {
    /// The id of the underlying record.
    pub id: Uuid,
    /// `note`, `status_change`, `trainer_assigned`, `consent`, `session` or `audit`.
    pub kind: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The account that did it, when known.
    pub actor_id: Option<Uuid>,
    /// What happened, by kind: the note text; `{from, to}`; `{trainer_id, role}`;
    /// `{channel, granted, source}`; `{action, changed_fields, source}`.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// A position in a timeline: entries strictly older than it come next.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct TimelineCursor {
    /// When the last entry shown happened.
    pub at: DateTime<Utc>,
    /// Its id (ties at the same time).
    pub id: Uuid,
}

impl TimelineCursor {
    /// Reads a `next_cursor` (400 naming `cursor` when it is not one).
    pub fn decode(raw: &str) -> AppResult<Self> {
        let bad = || AppError::bad_param("cursor", "is not a cursor from this timeline");
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
        serde_json::from_slice(&bytes).map_err(|_| bad())
    }

    /// The opaque form given to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }
}

/// A status change in an export.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusChange {
    /// Previous status (none for the first).
    pub from: Option<String>,
    /// New status.
    pub to: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A consent grant or withdrawal.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentRecord {
    /// `email` or `sms`.
    pub channel: String,
    /// Granted or withdrawn.
    pub granted: bool,
    /// How it was given: api, import, portal, ...
    pub source: String,
    /// When.
    pub at: DateTime<Utc>,
}
