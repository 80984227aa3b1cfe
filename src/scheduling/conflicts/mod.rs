//! Double-booking checks: a trainer or a client already busy in an overlapping session or class.
//!
//! Two intervals overlap when each starts before the other ends (back-to-back is fine). On PostgreSQL
//! the check and the write that follows run under per-trainer and per-client transaction locks, so two
//! concurrent bookings cannot both pass; on SQLite write transactions are already serial.

pub mod model;
pub mod repo;

pub use model::Conflict;
pub use repo::{find, lock_people};
