//! The client CRM: clients, their lifecycle, trainer assignments, notes and timeline, imports and
//! exports.

pub mod access;
pub mod export;
pub mod import;
pub mod model;
pub mod notes;
pub mod pages;
pub mod repo;
pub mod routes;
pub mod service;

pub use model::Client;

use uuid::Uuid;

use crate::audit::Event;

/// An audit event about one client: the client is also the subject (for the GDPR export).
pub(crate) fn client_event<'a>(action: &'a str, id: Uuid, fields: Vec<String>) -> Event<'a> {
    let mut event = Event::new(action, "client", Some(id)).with_fields(fields);
    event.subject_client_id = Some(id);
    event
}
