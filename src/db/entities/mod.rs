//! sea-orm entities, one per table. Repositories map them to domain types; handlers never see them.

pub mod api_keys;
pub mod audit_events;
pub mod idempotency_keys;
pub mod organizations;
pub mod sessions;
pub mod users;
