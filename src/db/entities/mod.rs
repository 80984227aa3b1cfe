//! sea-orm entities, one per table. Repositories map them to domain types; handlers never see them.

pub mod api_keys;
pub mod audit_events;
pub mod calendar_feeds;
pub mod class_bookings;
pub mod classes;
pub mod client_consents;
pub mod client_notes;
pub mod client_status_changes;
pub mod client_tags;
pub mod client_trainers;
pub mod clients;
pub mod idempotency_keys;
pub mod import_items;
pub mod imports;
pub mod jobs;
pub mod locations;
pub mod mfa_recovery_codes;
pub mod organizations;
pub mod outbox;
pub mod session_series;
pub mod sessions;
pub mod trainer_hours;
pub mod trainer_time_off;
pub mod trainers;
pub mod training_sessions;
pub mod users;
