//! Messages as the rest of the product sees them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Where a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailStatus {
    /// A send is queued (or being tried again after a failure: see `last_error`).
    Pending,
    /// No mail server is configured: it waits, and goes out once one is.
    Held,
    /// Handed over to the mail server.
    Sent,
}

impl MailStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Pending => "pending",
            MailStatus::Held => "held",
            MailStatus::Sent => "sent",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<MailStatus> {
        [MailStatus::Pending, MailStatus::Held, MailStatus::Sent]
            .into_iter()
            .find(|st| st.as_str() == s)
    }
}

/// An email to send.
#[derive(Debug, Clone)]
pub struct Email {
    /// The organization it is sent for.
    pub organization_id: Option<Uuid>,
    /// The recipient's address.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part, when there is one.
    pub html: Option<String>,
}

/// A message in the outbox.
#[derive(Debug, Clone)]
pub struct OutboxMessage {
    /// Id (and the message's `Message-ID`).
    pub id: Uuid,
    /// The organization it is sent for.
    pub organization_id: Option<Uuid>,
    /// The recipient's address.
    pub recipient: String,
    /// Subject.
    pub subject: String,
    /// The plain-text part.
    pub body_text: String,
    /// The HTML part.
    pub body_html: Option<String>,
    /// Where it is.
    pub status: MailStatus,
    /// Queued.
    pub created_at: DateTime<Utc>,
    /// Handed over.
    pub sent_at: Option<DateTime<Utc>>,
    /// Why the last try failed.
    pub last_error: Option<String>,
}
