//! The scheduling pages of the staff and trainer app: the calendar and "my day", sessions (with
//! recurring series), group classes with their rosters, and trainers with their working hours.
//! Every rule lives in the domain services (`sessions::service::create_session`,
//! `series::service::create_series`, `classes::book`, ...); these pages only read forms (`Form`),
//! call them and end with `respond` (or, for a conflict, the form again with its conflicts box).

mod booking;
mod calendar;
mod classes;
mod form;
mod roster;
mod sessions;
mod shared;
mod trainers;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

// The class, roster and trainer pages still name these through this module; the session, booking
// and calendar pages import `shared` and `form` directly.
pub(crate) use crate::web::form::Choice;
use form::{Fields, parse_id, parse_instant, parse_number, rename_fields, require_id};
use shared::{
    ConflictView, Names, client_choices, describe_conflicts, location_choices, trainer_choices,
};

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
        .route("/app/classes", get(classes::list_classes))
        .route("/app/classes/new", post(classes::create_class))
        .route("/app/classes/{id}", get(roster::show_class))
        .route("/app/classes/{id}/bookings", post(roster::book_client))
        .route(
            "/app/classes/{id}/bookings/{booking_id}/cancel",
            post(roster::cancel_booking),
        )
        .route(
            "/app/classes/{id}/bookings/{booking_id}/check-in",
            post(roster::check_in_booking),
        )
        .route("/app/trainers", get(trainers::list_trainers))
        .route("/app/trainers/new", post(trainers::create_trainer))
        .route(
            "/app/trainers/{id}",
            get(trainers::show_trainer).post(trainers::update_trainer),
        )
        .route("/app/trainers/{id}/hours", post(trainers::set_hours))
        .route("/app/trainers/{id}/time-off", post(trainers::add_time_off))
        .route(
            "/app/trainers/{id}/time-off/{time_off_id}/delete",
            post(trainers::delete_time_off),
        )
        .route("/app/trainers/{id}/feed", post(trainers::calendar_feed))
}
