//! The scheduling pages of the staff and trainer app: the calendar and "my day", sessions (with
//! recurring series). Classes (`scheduling::classes::pages`), trainers (`trainers::pages`) and
//! locations have their own.
//! Every rule lives in the domain services (`sessions::service::create_session`,
//! `series::service::create_series`, `classes::book`, ...); these pages only read forms (`Form`),
//! call them and end with `respond` (or, for a conflict, the form again with its conflicts box).

mod booking;
mod calendar;
pub(crate) mod form;
mod sessions;
pub(crate) mod shared;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// The pages of this domain.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app/calendar", get(calendar::show_calendar))
        .route("/app/my-day", get(calendar::my_day))
        .route(
            "/app/sessions/new",
            get(booking::new_session).post(booking::create_session),
        )
        .route("/app/sessions/{id}", get(sessions::show_session))
        .route("/app/sessions/{id}/move", post(sessions::move_session))
        .route("/app/sessions/{id}/cancel", post(sessions::cancel_session))
        .route("/app/sessions/{id}/status", post(sessions::set_status))
        .route("/app/sessions/{id}/check-in", post(sessions::check_in))
}
