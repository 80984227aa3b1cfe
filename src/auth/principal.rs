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

use super::cache::Cached;
pub use super::caller::{Credential, CurrentUser};
use super::{Role, repo, tokens};
use crate::audit::{self, Audit, AuditContext, Event, RequestOrigin, Source};
use crate::db::now;
use crate::error::AppError;
use crate::http::client::ClientAddr;
use crate::http::observe::LogIdentity;
use crate::limits::requests::{Class, classify};
use crate::organizations::OrgId;
use crate::state::AppState;

/// A use of a credential is recorded at most this often, so that reads do not all turn into writes.
const TOUCH_EVERY_SECS: i64 = 60;

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
    match resolve(&state, &token, origin.clone()).await {
        Ok(Some(Resolved { setup_only, .. }))
            if setup_only && !allowed_before_mfa(req.uri().path()) =>
        {
            mfa_setup_required().into_response()
        }
        Ok(Some(Resolved { caller: user, .. })) => {
            if let Err(e) = limit_caller(&state, &user, &req, origin).await {
                return e.into_response();
            }
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

/// The per-caller rate limit of the request's class (`crate::limits::requests`). The first refusal
/// of a window is recorded in the caller's audit trail (`rate_limit.exceeded`).
pub fn limit_caller<'a>(
    state: &'a AppState,
    user: &'a CurrentUser,
    req: &Request,
    origin: RequestOrigin,
) -> impl Future<Output = Result<(), AppError>> + Send + 'a {
    // Read from the request now: the future must not hold it.
    let class = classify(req.method(), req.uri().path()).filter(|c| state.limits.rule(*c).is_on());
    let ip = req.extensions().get::<ClientAddr>().map(|c| c.ip);
    async move {
        match class {
            Some(class) => count_caller(state, user, class, ip, origin).await,
            None => Ok(()),
        }
    }
}

async fn count_caller(
    state: &AppState,
    user: &CurrentUser,
    class: Class,
    ip: Option<std::net::IpAddr>,
    origin: RequestOrigin,
) -> Result<(), AppError> {
    match state.limits.by_caller(class, user.principal_id(), ip).await {
        Ok(()) => Ok(()),
        Err((error, first)) => {
            if first {
                let ctx = AuditContext::for_caller(user, origin.request_id, origin.ip);
                let entity = match user.credential {
                    Credential::User { .. } => "user",
                    Credential::ApiKey { .. } => "api_key",
                };
                let action = match class {
                    Class::Auth => "rate_limit.auth_exceeded",
                    Class::Write => "rate_limit.write_exceeded",
                    Class::Read => "rate_limit.read_exceeded",
                };
                audit::record_detached(&state.db, ctx, action, entity, Some(user.principal_id()));
            }
            Err(error)
        }
    }
}

/// Resolves a login token or API key into the caller; `None` when it is unknown, expired or revoked.
/// The web pages resolve their session cookie through here too. Served from the credential cache
/// ([`super::cache`]) when it holds the token, with no query; from one query otherwise.
pub async fn resolve(
    state: &AppState,
    token: &str,
    origin: RequestOrigin,
) -> Result<Option<Resolved>, AppError> {
    let digest = tokens::digest(token);
    let at = now();
    let idle =
        ChronoDuration::from_std(state.config.session_idle_timeout).unwrap_or(ChronoDuration::MAX);
    let cache = &state.credentials;
    let live = |c: &Cached| {
        c.expires_at.is_none_or(|e| at < e) && c.last_recorded.is_none_or(|l| at < l + idle)
    };
    let found = match cache.get(&digest).filter(live) {
        Some(hit) => hit,
        None => {
            // One read per token at a time: the requests that missed together wait for it.
            let _turn = cache.lookup_turn(&digest).await;
            match cache.get(&digest).filter(live) {
                Some(hit) => hit,
                None => {
                    let epoch = cache.epoch();
                    let is_key = token.starts_with(tokens::API_KEY_PREFIX);
                    let Some(read) = read_credential(state, &digest, is_key).await? else {
                        return Ok(None);
                    };
                    cache.insert(digest.clone(), read, epoch);
                    read
                }
            }
        }
    };
    if found
        .last_recorded
        .is_none_or(|t| at - t > ChronoDuration::seconds(TOUCH_EVERY_SECS))
    {
        record_use(state, &digest, found, origin).await?;
    }
    Ok(Some(Resolved {
        caller: found.caller,
        setup_only: found.setup_only,
    }))
}

/// A resolved credential.
#[derive(Debug, Clone, Copy)]
pub struct Resolved {
    /// The caller.
    pub caller: CurrentUser,
    /// The session may only set up two-factor authentication, which its organization requires
    /// (`auth::mfa`).
    pub setup_only: bool,
}

/// The API paths a session that must first set up MFA may use.
fn allowed_before_mfa(path: &str) -> bool {
    path == "/api/v1/me" || path.starts_with("/api/v1/me/") || path == "/api/v1/auth/logout"
}

/// The refusal of everything else to such a session.
pub fn mfa_setup_required() -> AppError {
    AppError::Forbidden(
        "Your organization requires two-factor authentication for your role: set it up first (POST /api/v1/me/mfa/totp, or your account page)."
            .into(),
    )
}

/// Reads a credential (an API key when `is_key`, a session otherwise) from the database: one query.
async fn read_credential(
    state: &AppState,
    digest: &str,
    is_key: bool,
) -> Result<Option<Cached>, AppError> {
    let db = state.db.conn();
    if is_key {
        let Some(key) = repo::find_live_api_key(db, digest).await? else {
            return Ok(None);
        };
        return Ok(Some(Cached {
            caller: CurrentUser {
                org: OrgId(key.model.organization_id),
                role: key.role,
                credential: Credential::ApiKey {
                    key_id: key.model.id,
                },
            },
            expires_at: None,
            last_recorded: key.model.last_used_at,
            setup_only: false,
        }));
    }
    let Some(session) =
        repo::find_live_session(db, digest, state.config.session_idle_timeout).await?
    else {
        return Ok(None);
    };
    let Some(role) = Role::parse(&session.role) else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "user {} has an unknown role",
            session.user_id
        )));
    };
    Ok(Some(Cached {
        caller: CurrentUser {
            org: OrgId(session.organization_id),
            role,
            credential: Credential::User {
                user_id: session.user_id,
                session_id: session.id,
            },
        },
        expires_at: Some(session.expires_at),
        last_recorded: Some(session.last_seen_at),
        setup_only: session.setup_only,
    }))
}

/// Records a use of the credential (at most once a minute, so reads do not all turn into writes): a
/// session's idle timeout counts from here; an API key's use is audited with it.
///
/// The cache entry is marked as recorded *before* the write, so that the other requests of the same
/// credential arriving meanwhile (hundreds at once under load) do not all write the same row and queue
/// on its lock; if the write fails, the entry is put back as it was and the next request tries again.
async fn record_use(
    state: &AppState,
    digest: &str,
    found: Cached,
    origin: RequestOrigin,
) -> Result<(), AppError> {
    let epoch = state.credentials.epoch();
    state.credentials.insert(
        digest.to_owned(),
        Cached {
            last_recorded: Some(now()),
            ..found
        },
        epoch,
    );
    let written = write_use(state, found.caller, origin).await;
    if written.is_err() {
        state.credentials.insert(digest.to_owned(), found, epoch);
    }
    written
}

async fn write_use(
    state: &AppState,
    caller: CurrentUser,
    origin: RequestOrigin,
) -> Result<(), AppError> {
    let org = caller.org;
    match caller.credential {
        Credential::ApiKey { key_id } => {
            let txn = state.db.begin_write().await?;
            let stale_before = now() - ChronoDuration::seconds(TOUCH_EVERY_SECS);
            if repo::touch_api_key(&txn, org, key_id, stale_before).await? {
                audit::record(
                    &txn,
                    &AuditContext::for_caller(&caller, origin.request_id, origin.ip),
                    Event::new("api_key.used", "api_key", Some(key_id)),
                )
                .await?;
            }
            txn.commit().await?;
        }
        Credential::User { session_id, .. } => {
            repo::touch_session(state.db.conn(), org, session_id).await?;
        }
    }
    Ok(())
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
