//! Day and week agendas per trainer or location (what a calendar screen renders), and a client's
//! attendance record: a read model over sessions and classes.
//!
//! `model` (types, periods) → `repo` (every query) → `service` (who sees what) → `routes` (API).

pub mod model;
pub mod repo;
pub mod routes;
pub mod service;

pub use model::{Agenda, AgendaItem, AgendaParams, Attendance, View, period};
pub use repo::items;
pub use routes::{attendance_router, get_agenda, get_attendance, router};
pub use service::{agenda, attendance};
