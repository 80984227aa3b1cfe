//! The web pages of this domain.

use axum::Router;

use crate::app::AppState;

/// The pages of this domain.
pub fn router() -> Router<AppState> {
    Router::new()
}
