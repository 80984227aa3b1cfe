//! `/forgot` (ask for a link) and `/reset/{token}` (choose the new password), for every role: the
//! web app's and the client portal's accounts log in on the same page.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Form, Router};
use secrecy::SecretString;
use serde::Deserialize;

use super::routes::ASKED;
use crate::audit::RequestOrigin;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::page::{
    FormState, PageError, PageResult, Shell, redirect_with, render, render_status,
};

/// The pages of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/forgot", get(forgot_form).post(forgot))
        .route("/reset/{token}", get(reset_form).post(reset))
}

#[derive(Template)]
#[template(path = "public/forgot.html")]
struct ForgotPage {
    shell: Shell,
    form: FormState,
    asked: bool,
}

async fn forgot_form(shell: Shell) -> PageResult {
    render(&ForgotPage {
        shell,
        form: FormState::default(),
        asked: false,
    })
}

#[derive(Debug, Deserialize)]
struct ForgotInput {
    #[serde(default)]
    email: String,
}

async fn forgot(
    State(state): State<AppState>,
    shell: Shell,
    Form(input): Form<ForgotInput>,
) -> PageResult {
    let mut form = FormState::with_values([("email", input.email.clone())]);
    match super::request(&state.db, &input.email).await {
        Ok(()) => {
            form.message = Some(ASKED.to_owned());
            render(&ForgotPage {
                shell,
                form,
                asked: true,
            })
        }
        Err(e @ AppError::Validation(_)) => {
            form.take_error(e)?;
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ForgotPage {
                    shell,
                    form,
                    asked: false,
                },
            )
        }
        Err(e) => Err(PageError::App(e)),
    }
}

#[derive(Template)]
#[template(path = "public/reset.html")]
struct ResetPage {
    shell: Shell,
    form: FormState,
    token: String,
}

async fn reset_form(shell: Shell, Path(token): Path<String>) -> PageResult {
    render(&ResetPage {
        shell,
        form: FormState::default(),
        token,
    })
}

#[derive(Debug, Deserialize)]
struct ResetInput {
    #[serde(default)]
    new_password: String,
}

async fn reset(
    State(state): State<AppState>,
    shell: Shell,
    origin: RequestOrigin,
    Path(token): Path<String>,
    Form(input): Form<ResetInput>,
) -> PageResult {
    match super::confirm(
        &state.db,
        &token,
        SecretString::from(input.new_password),
        origin,
    )
    .await
    {
        Ok(()) => Ok(redirect_with(
            &state,
            "/login",
            "Your new password is set: log in with it.",
        )),
        Err(e @ AppError::Validation(_)) => {
            let mut form = FormState::default();
            form.take_error(e)?;
            if let Some(why) = form.error("token") {
                form.message = Some(format!("This link {why}."));
            }
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ResetPage { shell, form, token },
            )
        }
        Err(e) => Err(PageError::App(e)),
    }
}
