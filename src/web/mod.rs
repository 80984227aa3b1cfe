//! The web UI: server-rendered pages from askama templates (`templates/`), hand-written CSS and a small
//! script (`assets/`), embedded in the binary. Every page gathers its data through the same
//! repositories and services as the API.
//!
//! - `public`: landing page, pricing, sign-up, login, logout.
//! - the domains' own `pages` modules: clients, scheduling, the client portal, administration.

pub mod assets;
pub mod chart;
pub mod form;
pub mod format;
pub mod page;
pub mod page_error;
pub mod picker;
pub mod public;
pub mod session;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::AppError;
use crate::state::AppState;

/// The Content-Security-Policy of every page: nothing inline, nothing from elsewhere.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; \
base-uri 'none'";

/// Every page, with the session/CSRF middleware and the page headers.
pub fn router(state: AppState) -> Router<AppState> {
    let pages = Router::new()
        .merge(public::router())
        .route("/app", get(crate::dashboard::pages::dashboard))
        .merge(crate::clients::pages::router())
        .merge(crate::scheduling::pages::router())
        .merge(crate::scheduling::classes::pages::router())
        .merge(crate::trainers::pages::router())
        .merge(crate::scheduling::availability::pages::router())
        .merge(crate::scheduling::locations::pages::router())
        .merge(crate::portal::pages::router())
        .merge(crate::users::pages::router())
        .merge(crate::auth::pages::router())
        .merge(crate::auth::account_pages::router())
        .merge(crate::auth::reset::pages::router())
        .merge(crate::audit::pages::router())
        .merge(crate::jobs::pages::router())
        .merge(crate::organizations::pages::router())
        .layer(from_fn_with_state(state, session::web_context))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ));
    Router::new()
        .route("/assets/{file}", get(assets::serve))
        .merge(pages)
}

/// For unknown paths: an HTML page for browsers, problem+json for the API and other clients.
pub async fn not_found(req: Request) -> Response {
    let wants_html = !req.uri().path().starts_with("/api/")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"));
    if wants_html {
        let mut response = page::PageError::App(AppError::NotFound).into_response();
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        response
    } else {
        AppError::NotFound.into_response()
    }
}
