//! One-to-one sessions (`/api/v1/sessions`) and their recurring series (`/api/v1/session-series`):
//! booking with conflict and working-hours checks, moving, the status lifecycle, cancellation under
//! the organization's policy, and check-in.
//!
//! `model` (types, checks without a database) → `repo` (every query) → `checks` (booking checks)
//! → `service` (rules, transactions, audit) → `routes` (API). The scheduling pages call the same services.

pub mod checks;
pub mod model;
pub mod repo;
pub mod routes;
pub mod series;
pub mod service;

pub use checks::{check_parties, check_slot, is_late, zone_of};
pub use model::{
    ApplyTo, Booking, BookingOverrides, CheckIn, CreateSession, ListSessions, Session, SessionKind,
    SessionStatus, UpdateSession, check_in_code, check_in_method, check_times,
};
pub use repo::{new_row, scope_condition};
pub use routes::{
    cancel_session, check_in_session, create_session, get_session, list_sessions, router,
    update_session,
};
