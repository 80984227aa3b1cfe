//! `/api/v1/me/mfa/totp`: setting up, confirming and turning off two-factor authentication.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use secrecy::SecretString;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{RecoveryCodes, TotpSetup};
use crate::auth::Actor;
use crate::error::{AppResult, Problem};
use crate::http::ApiJson;
use crate::http::idempotency::shown_once;
use crate::state::AppState;

/// The routes of this module, under `/api/v1/me/mfa`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(begin, disable))
        .routes(routes!(confirm))
}

/// Starts setting up TOTP: a new secret for the authenticator app, shown once. It takes effect
/// when a first code confirms it.
#[utoipa::path(post, path = "/totp", tag = "auth",
    responses(
        (status = 200, description = "The secret, to type in or scan", body = TotpSetup),
        (status = 400, description = "An API key has no account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Two-factor authentication is already on", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn begin(State(state): State<AppState>, actor: Actor) -> AppResult<Response> {
    Ok(shown_once(Json(super::begin(&state, &actor).await?)))
}

/// `POST /api/v1/me/mfa/totp/confirm`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmTotp {
    /// The code the authenticator app shows now.
    #[schema(max_length = 16, example = "123456")]
    pub code: String,
}

/// Turns TOTP on with a first code, and hands out ten single-use recovery codes (shown once).
#[utoipa::path(post, path = "/totp/confirm", tag = "auth", request_body = ConfirmTotp,
    responses(
        (status = 200, description = "On; keep the recovery codes somewhere safe", body = RecoveryCodes),
        (status = 400, description = "An API key has no account", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(input): ApiJson<ConfirmTotp>,
) -> AppResult<Response> {
    Ok(shown_once(Json(
        super::confirm(&state, &actor, &input.code).await?,
    )))
}

/// `DELETE /api/v1/me/mfa/totp`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableTotp {
    /// The account's password.
    #[schema(value_type = String, max_length = 1024, format = Password)]
    pub password: SecretString,
}

/// Turns TOTP off (the secret and the recovery codes are forgotten), given the password.
#[utoipa::path(delete, path = "/totp", tag = "auth", request_body = DisableTotp,
    responses(
        (status = 204, description = "Off"),
        (status = 400, description = "An API key has no account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The password is wrong", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn disable(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(input): ApiJson<DisableTotp>,
) -> AppResult<StatusCode> {
    super::disable(&state, &actor, input.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
