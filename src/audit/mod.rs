//! The audit trail: who did what to which record, acting as what, from where — one append-only,
//! hash-chained sequence of events per organization.
//!
//! Every change to business data calls [`record`] in the transaction that makes the change, so the
//! event and the change commit or roll back together. An event names the fields that changed, never
//! their values, and carries no names, emails or other personal data: only ids.
//!
//! Each event stores the SHA-256 of the previous event of its organization (`prev_hash`) and its own
//! hash over every other column ([`repo::event_hash`]), so `fitnesscrm audit verify` ([`verify()`])
//! detects an event that was modified, deleted or inserted behind the application's back.

pub mod context;
pub mod model;
pub mod pages;
pub mod repo;
pub mod routes;
pub mod service;
pub mod verify;

pub use context::{Audit, AuditContext, Event, RequestOrigin, Source};
pub use model::AuditEvent;
pub use service::{record, record_detached};
pub use verify::{BreakKind, ChainBreak, ChainReport, verify};
