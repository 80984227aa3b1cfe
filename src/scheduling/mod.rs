//! Scheduling: locations, trainer working hours and time off, one-to-one sessions and recurring
//! series, group classes with bookings and waitlists, check-in, agendas and calendar feeds.

pub mod access;
pub mod agenda;
pub mod availability;
pub mod classes;
pub mod conflicts;
pub mod feeds;
pub mod locations;
pub mod pages;
pub mod recurrence;
pub mod sessions;

/// The old name of [`availability`], kept for the paths others use (`scheduling::hours::X`).
pub use availability as hours;
/// The iCalendar writer, now part of [`feeds`].
pub use feeds::ics;
pub use sessions::series;
