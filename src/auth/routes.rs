//! `/api/v1/auth/*` and `/api/v1/me`: sign-up, login, logout and the current account.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Actor, CurrentUser, Role, password, repo};
use crate::app::AppState;
use crate::audit::{self, Audit, AuditContext, Event, RequestOrigin};
use crate::db::Db;
use crate::error::{AppError, AppResult, Problem};
use crate::http::{ApiJson, created};
use crate::organizations::service::{Signup, create_with_owner};
use crate::organizations::{OrgId, Organization, repo as org_repo};
use crate::users::model::EmailAddress;
use crate::users::{User, repo as user_repo};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(login))
        .routes(routes!(logout))
}

/// The `/me` route.
pub fn me_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_me))
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
    if !state.config.signup_enabled {
        return Err(AppError::Forbidden(
            "Sign-up is disabled on this server.".into(),
        ));
    }
    let (organization, user) = create_with_owner(
        &state.db,
        Signup {
            organization_name: input.organization_name,
            name: input.name,
            email: input.email,
            password: input.password,
            timezone: input.timezone,
            currency: input.currency,
            locale: input.locale,
        },
        |org, owner| AuditContext::user(org, owner.id, Role::Owner, origin),
    )
    .await?;
    let (token, expires_at) = repo::create_session(
        state.db.conn(),
        OrgId(organization.id),
        user.id,
        state.config.session_absolute_timeout,
    )
    .await?;
    let location = format!("/api/v1/users/{}", user.id);
    Ok(created(
        location,
        SignupResponse {
            user,
            organization,
            token,
            expires_at,
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
    /// One-time code, for accounts with two-factor authentication (accepted; enforced once MFA ships).
    #[serde(default)]
    pub totp_code: Option<String>,
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
    use secrecy::ExposeSecret;
    let db = state.db.conn();
    let email = EmailAddress::parse(&input.email).ok();
    let row = match &email {
        Some(e) => user_repo::find_for_login(db, e.as_str()).await?,
        None => None,
    };
    // Over-long passwords are refused without hashing them, but only after the same work as a miss.
    let too_long = input.password.expose_secret().chars().count() > password::MAX_LEN;
    let ok = password::verify(
        input.password,
        row.as_ref().map(|r| r.password_hash.clone()),
    )
    .await?;
    let wrong = || AppError::Unauthorized("Wrong email or password.".into());
    let row = match row {
        Some(r) if ok && !too_long && r.active => r,
        other => {
            if let Some(r) = other {
                record_failed_login(&state.db, OrgId(r.organization_id), r.id, origin);
            }
            tracing::info!("login refused");
            return Err(wrong());
        }
    };
    let org = OrgId(row.organization_id);
    let txn = state.db.begin_write().await?;
    let (token, expires_at) =
        repo::create_session(&txn, org, row.id, state.config.session_absolute_timeout).await?;
    user_repo::touch_login(&txn, org, row.id).await?;
    let user = user_repo::get(&txn, org, row.id).await?.ok_or_else(wrong)?;
    audit::record(
        &txn,
        state.db.backend(),
        &AuditContext::user(org, user.id, user.role, origin),
        Event::new("auth.login", "user", Some(user.id)),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(org.id = %org, user.id = %user.id, "login");
    Ok(Json(LoginResponse {
        token,
        expires_at,
        user,
    }))
}

/// Records `auth.login_failed` for an attempt on an existing account, in a task of its own: the
/// refusal must take as long for an unknown email (where there is no organization to record it in)
/// as for a wrong password, so the write stays off the response's path.
fn record_failed_login(db: &Db, org: OrgId, user_id: uuid::Uuid, origin: RequestOrigin) {
    let db = db.clone();
    tokio::spawn(async move {
        let result = async {
            let txn = db.begin_write().await?;
            audit::record(
                &txn,
                db.backend(),
                &AuditContext::anonymous(org, origin),
                Event::new("auth.login_failed", "user", Some(user_id)),
            )
            .await?;
            txn.commit().await?;
            Ok::<(), AppError>(())
        }
        .await;
        if let Err(e) = result {
            tracing::error!(org.id = %org, error.cause = %e, "recording a failed login failed");
        }
    });
}

/// Logs out: the token's session is revoked on the server at once.
#[utoipa::path(post, path = "/logout", tag = "auth",
    responses((status = 204, description = "Logged out; the token no longer works")))]
pub async fn logout(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(audit): Audit,
) -> AppResult<Response> {
    match caller.actor {
        Actor::User {
            session_id,
            user_id,
        } => {
            let txn = state.db.begin_write().await?;
            repo::revoke_session(&txn, caller.org, session_id).await?;
            audit::record(
                &txn,
                state.db.backend(),
                &audit,
                Event::new("auth.logout", "user", Some(user_id)),
            )
            .await?;
            txn.commit().await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Actor::ApiKey { .. } => Err(AppError::BadRequest(
            "API keys do not log out; revoke them with DELETE /api/v1/api-keys/{id}.".into(),
            None,
        )),
    }
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
