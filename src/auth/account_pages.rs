//! `/account`: every signed-in person's own password and sessions, through the same functions as
//! `/api/v1/me/...` (`super::account`).

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use secrecy::SecretString;
use serde::Deserialize;
use uuid::Uuid;

use super::account::{self, SessionInfo};
use crate::state::AppState;
use crate::web::page::{
    FormState, PageError, PageResult, Shell, Viewer, redirect_with, render, render_status,
};

/// The pages of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(show))
        .route("/account/password", post(change_password))
        .route("/account/sessions/{id}/end", post(end_session))
        .route("/account/sessions/end-all", post(end_all))
}

#[derive(Template)]
#[template(path = "auth/account.html")]
struct AccountPage {
    shell: Shell,
    sessions: Vec<SessionInfo>,
    form: FormState,
}

async fn page(state: &AppState, viewer: Viewer, form: FormState) -> Result<AccountPage, PageError> {
    let sessions = account::sessions(state, &viewer.actor()).await?;
    Ok(AccountPage {
        shell: viewer.shell,
        sessions,
        form,
    })
}

async fn show(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    render(&page(&state, viewer, FormState::default()).await?)
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(input): Form<PasswordForm>,
) -> PageResult {
    let result = account::change_password(
        &state,
        &viewer.actor(),
        SecretString::from(input.current_password),
        SecretString::from(input.new_password),
    )
    .await;
    match result {
        Ok(()) => Ok(redirect_with(
            &state,
            "/account",
            "Password changed. Your other sessions have ended.",
        )),
        Err(e) => {
            // Passwords are never shown again in the form.
            let mut form = FormState::default();
            form.take_error(e)?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(&state, viewer, form).await?)
        }
    }
}

async fn end_session(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> PageResult {
    account::end_session(&state, &viewer.actor(), id).await?;
    Ok(redirect_with(&state, "/account", "Session ended."))
}

async fn end_all(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    account::end_all_sessions(&state, &viewer.actor()).await?;
    Ok(axum::response::Redirect::to("/login").into_response())
}
