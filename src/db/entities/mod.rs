//! sea-orm entities, one per table. Repositories map them to domain types; handlers never see them.

pub mod api_keys;
pub mod audit_events;
pub mod client_consents;
pub mod client_notes;
pub mod client_status_changes;
pub mod client_tags;
pub mod client_trainers;
pub mod clients;
pub mod idempotency_keys;
pub mod import_items;
pub mod imports;
pub mod organizations;
pub mod sessions;
pub mod trainers;
pub mod users;
