//! `/api/v1/auth/*` and `/api/v1/me`: sign-up, login, logout and the current account.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::account::{self, SessionInfo};
use super::mfa::SecondFactor;
use super::{CurrentUser, Role, service};
use crate::audit::RequestOrigin;
use crate::auth::Actor;
use crate::error::{AppError, AppResult, Problem};
use crate::http::{ApiJson, created};
use crate::organizations::service::Signup;
use crate::organizations::{Organization, repo as org_repo};
use crate::state::AppState;
use crate::users::{User, repo as user_repo};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(super::reset::routes::request_reset))
        .routes(routes!(super::reset::routes::confirm_reset))
}

/// The `/me` routes: the caller, their password and their sessions.
pub fn me_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_me))
        .routes(routes!(change_password))
        .routes(routes!(list_sessions, end_all_sessions))
        .routes(routes!(end_session))
}

/// `POST /api/v1/auth/signup`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// The business name, 1–200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub organization_name: String,
    /// The owner's name, 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// The owner's login email.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// 10–128 characters, not the email.
    #[schema(value_type = String, min_length = 10, max_length = 128, format = Password)]
    pub password: SecretString,
    /// IANA time zone of the business (default UTC).
    #[serde(default)]
    #[schema(example = "Europe/Berlin")]
    pub timezone: Option<String>,
    /// ISO 4217 currency (default EUR).
    #[serde(default)]
    #[schema(example = "EUR")]
    pub currency: Option<String>,
    /// Locale for formatting (default en).
    #[serde(default)]
    #[schema(example = "de-DE")]
    pub locale: Option<String>,
}

/// The result of a sign-up.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignupResponse {
    /// The owner account.
    pub user: User,
    /// The new organization.
    pub organization: Organization,
    /// A login token for the owner.
    pub token: String,
    /// When the token expires at the latest.
    pub expires_at: DateTime<Utc>,
}

/// Signs up a business: creates the organization and its owner and logs the owner in.
#[utoipa::path(post, path = "/signup", tag = "auth", request_body = SignupRequest,
    responses(
        (status = 201, description = "Signed up", body = SignupResponse, headers(("Location" = String, description = "The owner account"))),
        (status = 403, description = "Sign-up is disabled on this server", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email is taken", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn signup(
    State(state): State<AppState>,
    origin: RequestOrigin,
    ApiJson(input): ApiJson<SignupRequest>,
) -> AppResult<Response> {
    let (organization, login) = service::signup(
        &state,
        Signup {
            organization_name: input.organization_name,
            name: input.name,
            email: input.email,
            password: input.password,
            timezone: input.timezone,
            currency: input.currency,
            locale: input.locale,
        },
        origin,
    )
    .await?;
    let location = format!("/api/v1/users/{}", login.user.id);
    Ok(created(
        location,
        SignupResponse {
            user: login.user,
            organization,
            token: login.token,
            expires_at: login.expires_at,
        },
    ))
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Login email.
    #[schema(max_length = 254)]
    pub email: String,
    /// Password.
    #[schema(value_type = String, max_length = 1024, format = Password)]
    pub password: SecretString,
    /// The authenticator app's current code, for accounts with two-factor authentication.
    #[serde(default)]
    #[schema(max_length = 16, example = "123456")]
    pub totp_code: Option<String>,
    /// One of the account's recovery codes, instead of `totp_code` (each works once).
    #[serde(default)]
    #[schema(max_length = 32)]
    pub recovery_code: Option<String>,
}

/// A login token.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// When the token expires at the latest (it also expires after the idle timeout).
    pub expires_at: DateTime<Utc>,
    /// The account.
    pub user: User,
}

/// Logs in. Wrong email and wrong password get the same 401, in the same time.
#[utoipa::path(post, path = "/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        (status = 401, description = "Wrong email or password, or the account is inactive", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn login(
    State(state): State<AppState>,
    origin: RequestOrigin,
    ApiJson(input): ApiJson<LoginRequest>,
) -> AppResult<Json<LoginResponse>> {
    let second = SecondFactor {
        totp_code: input.totp_code,
        recovery_code: input.recovery_code,
    };
    let login = service::login(&state, &input.email, input.password, &second, origin).await?;
    Ok(Json(LoginResponse {
        token: login.token,
        expires_at: login.expires_at,
        user: login.user,
    }))
}

/// Logs out: the token's session is revoked on the server at once.
#[utoipa::path(post, path = "/logout", tag = "auth",
    responses((status = 204, description = "Logged out; the token no longer works")))]
pub async fn logout(State(state): State<AppState>, actor: Actor) -> AppResult<Response> {
    service::logout(&state.db, &actor).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The caller, their organization and their role.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The account; null when an API key is calling.
    pub user: Option<User>,
    /// The caller's organization.
    pub organization: Organization,
    /// The caller's role.
    pub role: Role,
}

/// Who am I?
#[utoipa::path(get, path = "", tag = "auth", responses((status = 200, description = "The caller", body = Me)))]
pub async fn get_me(State(state): State<AppState>, caller: CurrentUser) -> AppResult<Json<Me>> {
    let db = state.db.conn();
    let organization = org_repo::get(db, caller.org)
        .await?
        .ok_or(AppError::NotFound)?;
    let user = match caller.user_id() {
        Some(id) => user_repo::get(db, caller.org, id).await?,
        None => None,
    };
    Ok(Json(Me {
        user,
        organization,
        role: caller.role,
    }))
}

/// `PUT /api/v1/me/password`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password now.
    #[schema(value_type = String, max_length = 1024, format = Password)]
    pub current_password: SecretString,
    /// The new password: 10–128 characters, not the email.
    #[schema(value_type = String, min_length = 10, max_length = 128, format = Password)]
    pub new_password: SecretString,
}

/// Changes the caller's own password. Every other session of the account ends; this one goes on.
#[utoipa::path(put, path = "/password", tag = "auth", request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; the account's other sessions have ended"),
        (status = 400, description = "An API key has no password", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(input): ApiJson<PasswordChange>,
) -> AppResult<StatusCode> {
    account::change_password(&state, &actor, input.current_password, input.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    /// Live sessions, the most recently used first.
    pub items: Vec<SessionInfo>,
}

/// Lists the caller's live sessions: where and with what each was opened, and when last used.
#[utoipa::path(get, path = "/sessions", tag = "auth",
    responses(
        (status = 200, description = "The sessions", body = SessionList),
        (status = 400, description = "An API key has no sessions", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_sessions(
    State(state): State<AppState>,
    actor: Actor,
) -> AppResult<Json<SessionList>> {
    Ok(Json(SessionList {
        items: account::sessions(&state, &actor).await?,
    }))
}

/// Logs out everywhere: every session of the account ends, this one included.
#[utoipa::path(delete, path = "/sessions", tag = "auth",
    responses(
        (status = 204, description = "Every session has ended"),
        (status = 400, description = "An API key has no sessions", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn end_all_sessions(
    State(state): State<AppState>,
    actor: Actor,
) -> AppResult<StatusCode> {
    account::end_all_sessions(&state, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends one of the caller's sessions (another device, or this one).
#[utoipa::path(delete, path = "/sessions/{id}", tag = "auth",
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "The session has ended"),
        (status = 404, description = "No such live session of yours", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn end_session(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<StatusCode> {
    account::end_session(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
