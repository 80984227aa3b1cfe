//! Scheduling: locations, trainer working hours and time off, one-to-one sessions and recurring
//! series, group classes with bookings and waitlists, check-in, agendas and calendar feeds.

pub mod access;
pub mod agenda;
pub mod classes;
pub mod conflicts;
pub mod feeds;
pub mod hours;
pub mod ics;
pub mod locations;
pub mod pages;
pub mod recurrence;
pub mod sessions;

pub use sessions::series;
