//! `POST /api/v1/auth/password-reset` and `.../confirm`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::RequestOrigin;
use crate::error::AppResult;
use crate::http::ApiJson;
use crate::state::AppState;

/// The answer to every reset request, whether or not an account has the email.
pub const ASKED: &str = "If an account has this email, a link to choose a new password is on its way. It works once, within the hour.";

/// `POST /api/v1/auth/password-reset`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    /// The account's login email.
    #[schema(max_length = 254)]
    pub email: String,
}

/// What was done, in words.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// The same for every email.
    pub detail: String,
}

/// Asks for a link to choose a new password. The same answer, in the same time, whether or not an
/// account has the email; the link goes to the account's address.
#[utoipa::path(post, path = "/password-reset", tag = "auth", request_body = PasswordResetRequest,
    responses((status = 202, description = "Asked", body = Accepted)))]
pub async fn request_reset(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<PasswordResetRequest>,
) -> AppResult<Response> {
    super::request(&state.db, &input.email).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            detail: ASKED.to_owned(),
        }),
    )
        .into_response())
}

/// `POST /api/v1/auth/password-reset/confirm`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    /// The token of the link (the last part of its path).
    #[schema(max_length = 256)]
    pub token: String,
    /// The new password: 10–128 characters, not the email.
    #[schema(value_type = String, min_length = 10, max_length = 128, format = Password)]
    pub new_password: SecretString,
}

/// Sets a new password with a link's token. Every session of the account ends; the link, and any
/// other the account had, stops working.
#[utoipa::path(post, path = "/password-reset/confirm", tag = "auth", request_body = PasswordResetConfirm,
    responses((status = 204, description = "Set; log in with the new password")))]
pub async fn confirm_reset(
    State(state): State<AppState>,
    origin: RequestOrigin,
    ApiJson(input): ApiJson<PasswordResetConfirm>,
) -> AppResult<Response> {
    super::confirm(&state.db, &input.token, input.new_password, origin).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
