//! Recurring sessions (`/api/v1/session-series`): a rule in a named time zone expands into sessions
//! that keep their local wall-clock time across daylight-saving changes. The whole series is checked
//! before anything is written — a 409 lists every conflicting occurrence. A session of a series is
//! changed or cancelled alone, with the ones after it, or with all of them (`apply_to`, applied by
//! the sessions service).

pub mod model;
pub mod repo;
pub mod routes;
pub mod service;

pub use super::model::ApplyTo;
pub use model::{CreateSeries, LIMIT, Series, SeriesWithSessions};
pub use routes::{create_series, get_series, router};
pub use service::{create_series as create, create_series_in};
