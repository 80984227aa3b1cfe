//! The class pages of the staff and trainer app: `/app/classes` (the list with its filters and the
//! form to schedule one, in `list`) and `/app/classes/{id}` (the roster, the waitlist, booking,
//! cancelling and check-in, in `roster`). Every rule lives in the class service; these pages read
//! forms, call it and render the outcome.

mod list;
mod roster;

use std::collections::HashMap;

use axum::Router;
use axum::routing::{get, post};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::repo;
use crate::error::AppResult;
use crate::organizations::OrgId;
use crate::state::AppState;

/// The pages of group classes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app/classes", get(list::list_classes))
        .route("/app/classes/new", post(list::create_class))
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
}

/// Trainers' full names by id ("a trainer" for one not found).
struct TrainerNames(HashMap<Uuid, (String, String)>);

impl TrainerNames {
    async fn load(
        db: &impl ConnectionTrait,
        org: OrgId,
        ids: impl IntoIterator<Item = Uuid>,
    ) -> AppResult<Self> {
        Ok(Self(
            repo::trainer_names(db, org, ids.into_iter().collect()).await?,
        ))
    }

    fn of(&self, id: &Uuid) -> String {
        self.0
            .get(id)
            .map_or_else(|| "a trainer".to_owned(), |(f, l)| format!("{f} {l}"))
    }
}
