//! Scheduling: sessions, classes and calendars.
//!
//! For now this holds the two pure building blocks the rest of scheduling will stand on, with no
//! database and no HTTP: [`recurrence`] (repeating series in a named time zone) and [`ics`] (the
//! iCalendar feed writer). Entities, repos, routes and pages land here later.

pub mod ics;
pub mod recurrence;
