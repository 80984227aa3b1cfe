//! Who is calling: the bearer-token middleware and the `CurrentUser` extractor.
//!
//! The middleware resolves `Authorization: Bearer <token>` (a login token or an API key) once per request
//! and puts the [`CurrentUser`] in the request extensions. A request without credentials goes on
//! anonymously and is refused with 401 by any handler that takes `CurrentUser`; a request with
//! credentials that are wrong, expired or revoked is refused with 401 at once.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Duration as ChronoDuration;
use uuid::Uuid;

use super::{Role, repo, tokens};
use crate::audit::{self, Audit, AuditContext, Event, RequestOrigin, Source};
use crate::db::now;
use crate::error::AppError;
use crate::http::observe::LogIdentity;
use crate::organizations::OrgId;
use crate::state::AppState;

/// A use of a credential is recorded at most this often, so that reads do not all turn into writes.
const TOUCH_EVERY_SECS: i64 = 60;

/// What kind of credential authenticated the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// A user with a login token.
    User {
        /// The account.
        user_id: Uuid,
        /// The session behind the token.
        session_id: Uuid,
    },
    /// An API key.
    ApiKey {
        /// The key.
        key_id: Uuid,
    },
}

/// The authenticated caller: its organization (the tenant) and its role.
#[derive(Debug, Clone, Copy)]
pub struct CurrentUser {
    /// The tenant every repository call is scoped to.
    pub org: OrgId,
    /// What the caller may do.
    pub role: Role,
    /// Who or what is calling.
    pub credential: Credential,
}

impl CurrentUser {
    /// The user id, when a person (not an API key) is calling.
    pub fn user_id(&self) -> Option<Uuid> {
        match self.credential {
            Credential::User { user_id, .. } => Some(user_id),
            Credential::ApiKey { .. } => None,
        }
    }

    /// The id idempotency keys and logs are attributed to: the user or the API key.
    pub fn principal_id(&self) -> Uuid {
        match self.credential {
            Credential::User { user_id, .. } => user_id,
            Credential::ApiKey { key_id } => key_id,
        }
    }

    /// 403 unless the caller manages accounts (owner, admin).
    pub fn require_account_manager(&self) -> Result<(), AppError> {
        self.role.require(Role::Admin)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentUser>()
            .copied()
            .ok_or_else(|| AppError::Unauthorized("Send Authorization: Bearer <token>.".into()))
    }
}

/// Resolves the bearer token, if any, into a [`CurrentUser`].
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(header) = req.headers().get(AUTHORIZATION) else {
        return next.run(req).await;
    };
    let token = header
        .to_str()
        .ok()
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .map(str::to_owned);
    let Some(token) = token else {
        return AppError::Unauthorized("The Authorization header must be Bearer <token>.".into())
            .into_response();
    };
    let origin = RequestOrigin::from_extensions(req.extensions());
    match resolve(&state, &token, origin).await {
        Ok(Some(user)) => {
            req.extensions_mut().insert(user);
            let mut response = next.run(req).await;
            response.extensions_mut().insert(LogIdentity {
                org_id: user.org.0,
                principal_id: user.principal_id(),
            });
            response
        }
        Ok(None) => AppError::Unauthorized("The token is invalid, expired or revoked.".into())
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// Resolves a login token or API key into the caller; `None` when it is unknown, expired or revoked.
/// The web pages resolve their session cookie through here too.
pub async fn resolve(
    state: &AppState,
    token: &str,
    origin: RequestOrigin,
) -> Result<Option<CurrentUser>, AppError> {
    let db = state.db.conn();
    let stale =
        |t: chrono::DateTime<chrono::Utc>| now() - t > ChronoDuration::seconds(TOUCH_EVERY_SECS);
    if token.starts_with(tokens::API_KEY_PREFIX) {
        let Some(key) = repo::find_live_api_key(db, token).await? else {
            return Ok(None);
        };
        let org = OrgId(key.model.organization_id);
        let caller = CurrentUser {
            org,
            role: key.role,
            credential: Credential::ApiKey {
                key_id: key.model.id,
            },
        };
        if key.model.last_used_at.is_none_or(stale) {
            // The use is audited only when it is recorded (at most once a minute), with the touch.
            let txn = state.db.begin_write().await?;
            let stale_before = now() - ChronoDuration::seconds(TOUCH_EVERY_SECS);
            if repo::touch_api_key(&txn, org, key.model.id, stale_before).await? {
                audit::record(
                    &txn,
                    &AuditContext::for_caller(&caller, origin.request_id, origin.ip),
                    Event::new("api_key.used", "api_key", Some(key.model.id)),
                )
                .await?;
            }
            txn.commit().await?;
        }
        return Ok(Some(caller));
    }
    let Some(session) =
        repo::find_live_session(db, token, state.config.session_idle_timeout).await?
    else {
        return Ok(None);
    };
    let org = OrgId(session.user.organization_id);
    let Some(role) = Role::parse(&session.user.role) else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "user {} has an unknown role",
            session.user.id
        )));
    };
    if stale(session.last_seen_at) {
        repo::touch_session(db, org, session.id).await?;
    }
    Ok(Some(CurrentUser {
        org,
        role,
        credential: Credential::User {
            user_id: session.user.id,
            session_id: session.id,
        },
    }))
}

impl AuditContext {
    /// An authenticated API caller: the user or API key behind the request, with its role.
    pub fn for_caller(
        caller: &CurrentUser,
        request_id: Option<String>,
        ip: Option<String>,
    ) -> Self {
        let actor_kind = match caller.credential {
            Credential::User { .. } => "user",
            Credential::ApiKey { .. } => "api_key",
        };
        Self {
            org: caller.org,
            actor_id: Some(caller.principal_id()),
            actor_kind,
            actor_role: Some(caller.role),
            source: Source::Api,
            request_id,
            ip,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Audit {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = CurrentUser::from_request_parts(parts, state).await?;
        let origin = RequestOrigin::from_extensions(&parts.extensions);
        Ok(Self(AuditContext::for_caller(
            &caller,
            origin.request_id,
            origin.ip,
        )))
    }
}
