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

use super::Role;
use super::account::{self, MfaState, SessionInfo};
use super::mfa::{self, TotpSetup};
use crate::error::AppError;
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
        .route("/account/mfa", post(begin_mfa))
        .route("/account/mfa/confirm", post(confirm_mfa))
        .route("/account/mfa/disable", post(disable_mfa))
}

#[derive(Template)]
#[template(path = "auth/account.html")]
struct AccountPage {
    shell: Shell,
    sessions: Vec<SessionInfo>,
    form: FormState,
    mfa: MfaState,
    /// A setup in progress: the secret and its QR code (SVG, made here).
    setup: Option<(TotpSetup, String)>,
    /// Recovery codes just handed out.
    recovery: Vec<String>,
    /// The organization requires MFA and this session may do nothing else until it is set up.
    required: bool,
}

async fn page(state: &AppState, viewer: Viewer, form: FormState) -> Result<AccountPage, PageError> {
    let actor = viewer.actor();
    let sessions = account::sessions(state, &actor).await?;
    let mfa = account::mfa_state(state, &actor).await?;
    let required = viewer.org.require_mfa
        && matches!(viewer.caller.role, Role::Owner | Role::Admin)
        && !mfa.on;
    Ok(AccountPage {
        shell: viewer.shell,
        sessions,
        form,
        mfa,
        setup: None,
        recovery: Vec::new(),
        required,
    })
}

/// The page again with the refusal's messages, 422 (no secret typed in is shown again).
async fn refused(state: &AppState, viewer: Viewer, e: AppError) -> PageResult {
    let mut form = FormState::default();
    form.take_error(e)?;
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &page(state, viewer, form).await?,
    )
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
        Err(e) => refused(&state, viewer, e).await,
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

/// A QR code of `text` as an SVG image, drawn on the server.
fn qr_svg(text: &str) -> Result<String, PageError> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| PageError::App(AppError::Internal(anyhow::anyhow!("QR code: {e}"))))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

async fn begin_mfa(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let setup = mfa::begin(&state, &viewer.actor()).await?;
    let svg = qr_svg(&setup.otpauth_uri)?;
    let mut page = page(&state, viewer, FormState::default()).await?;
    page.setup = Some((setup, svg));
    render(&page)
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn confirm_mfa(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(input): Form<CodeForm>,
) -> PageResult {
    match mfa::confirm(&state, &viewer.actor(), &input.code).await {
        Ok(codes) => {
            let mut page = page(&state, viewer, FormState::default()).await?;
            page.recovery = codes.recovery_codes;
            page.required = false;
            render(&page)
        }
        Err(e) => refused(&state, viewer, e).await,
    }
}

#[derive(Deserialize)]
struct PasswordOnly {
    #[serde(default)]
    password: String,
}

async fn disable_mfa(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(input): Form<PasswordOnly>,
) -> PageResult {
    match mfa::disable(&state, &viewer.actor(), SecretString::from(input.password)).await {
        Ok(()) => Ok(redirect_with(
            &state,
            "/account",
            "Two-factor authentication is off.",
        )),
        Err(e) => refused(&state, viewer, e).await,
    }
}
