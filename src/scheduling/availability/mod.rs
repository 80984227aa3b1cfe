//! Availability: trainer working hours (per weekday, local time) and time off, and the check that a
//! booking lies within them. A trainer with no working hours set has no restriction.
//!
//! `model` (the week, periods away, validation) → `repo` (every query) → `service` (rules, audit) →
//! `routes` (API) and `pages` (the trainer page's forms).

pub mod model;
pub mod pages;
pub mod repo;
pub mod routes;
pub mod service;

pub use model::{CreateTimeOff, TimeOff, WorkingBlock, WorkingHours};
pub use routes::router;
pub use service::{
    add_time_off, check_availability, remove_time_off, set_hours, time_off, working_hours,
};
