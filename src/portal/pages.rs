//! The portal's router: the public booking pages (`booking`) and the logged-in client's portal
//! (`mine`). What their screens share is in `view`.

use axum::Router;
use axum::routing::{get, post};

use super::{booking, mine};
use crate::state::AppState;

/// The pages of this domain.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/book/{slug}", get(booking::show_schedule))
        .route(
            "/book/{slug}/signup",
            get(booking::signup_form).post(booking::signup),
        )
        .route("/portal", get(mine::my_bookings))
        .route("/portal/classes", get(mine::list_classes))
        .route("/portal/classes/{id}", get(mine::show_class))
        .route("/portal/classes/{id}/book", post(mine::book_class))
        .route("/portal/classes/{id}/cancel", post(mine::cancel_booking))
        .route("/portal/sessions/{id}/cancel", post(mine::cancel_session))
        .route("/portal/profile", get(mine::show_profile))
        .route("/portal/data", get(mine::show_data))
        .route("/portal/data/export.json", get(mine::export_data))
}
