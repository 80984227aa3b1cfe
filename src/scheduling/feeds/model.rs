//! Calendar feeds as the domain sees them: whose calendar a feed is, its address, and the rows a
//! feed turns into events.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::ics::{self, EventStatus};

/// A feed's address.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedUrl {
    /// Subscribe to this URL in a calendar app. Keep it secret; create the feed again to rotate it.
    pub url: String,
}

/// Whose calendar a feed shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedOwner {
    /// A trainer's sessions and classes.
    Trainer,
    /// A client's sessions and booked classes.
    Client,
    /// Everything at a location.
    Location,
}

impl FeedOwner {
    /// The stored `owner_type` (also the audit entity type).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trainer => "trainer",
            Self::Client => "client",
            Self::Location => "location",
        }
    }

    /// The owner of a stored `owner_type` (anything unknown reads as a location, as before).
    pub fn parse(s: &str) -> Self {
        match s {
            "trainer" => Self::Trainer,
            "client" => Self::Client,
            _ => Self::Location,
        }
    }
}

/// A stored feed: whose calendar, in which organization.
#[derive(Debug, Clone, Copy)]
pub struct Feed {
    /// The tenant.
    pub organization_id: Uuid,
    /// Whose calendar.
    pub owner: FeedOwner,
    /// The trainer, client or location.
    pub owner_id: Uuid,
}

/// A one-to-one session as a feed shows it.
#[derive(Debug, Clone)]
pub struct FeedSession {
    /// Id.
    pub id: Uuid,
    /// The trainer.
    pub trainer_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// Raised on every change.
    pub sequence: i32,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// Whether it was cancelled.
    pub cancelled: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A group class as a feed shows it.
#[derive(Debug, Clone)]
pub struct FeedClass {
    /// Id.
    pub id: Uuid,
    /// Its name (the event's title).
    pub name: String,
    /// Raised on every change.
    pub sequence: i32,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// Whether it was cancelled.
    pub cancelled: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

fn status(cancelled: bool) -> EventStatus {
    if cancelled {
        EventStatus::Cancelled
    } else {
        EventStatus::Confirmed
    }
}

impl FeedSession {
    /// The event, titled with the other party's name.
    pub fn event(&self, summary: String) -> ics::Event {
        ics::Event {
            uid: format!("session-{}@fitnesscrm", self.id),
            sequence: u32::try_from(self.sequence).unwrap_or(0),
            start: self.starts_at,
            end: self.ends_at,
            summary,
            description: None,
            location: None,
            status: status(self.cancelled),
            last_modified: self.updated_at,
            created: self.created_at,
        }
    }
}

impl FeedClass {
    /// The event, titled with the class's name.
    pub fn event(self) -> ics::Event {
        ics::Event {
            uid: format!("class-{}@fitnesscrm", self.id),
            sequence: u32::try_from(self.sequence).unwrap_or(0),
            start: self.starts_at,
            end: self.ends_at,
            summary: self.name,
            description: None,
            location: None,
            status: status(self.cancelled),
            last_modified: self.updated_at,
            created: self.created_at,
        }
    }
}
