//! Account self-service for every role: changing one's own password, seeing one's sessions and
//! ending them. The API (`/api/v1/me/...`) and the web page (`/account`) call these.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Actor, Credential, password, repo};
use crate::audit::{self, Event};
use crate::db::changes::Change;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::state::AppState;
use crate::users::model::UserChanges;
use crate::users::repo as user_repo;

/// One of the caller's sessions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionInfo {
    /// Session id (for `DELETE /api/v1/me/sessions/{id}`).
    pub id: Uuid,
    /// When it was opened (the login).
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the minute).
    pub last_seen_at: DateTime<Utc>,
    /// When it ends at the latest.
    pub expires_at: DateTime<Utc>,
    /// The address it was opened from.
    pub ip: Option<String>,
    /// The browser or program it was opened with (its `User-Agent`).
    pub user_agent: Option<String>,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// The caller's user id and session id: 400 for an API key, which has neither.
pub(crate) fn signed_in(actor: &Actor) -> AppResult<(Uuid, Uuid)> {
    match actor.caller()?.credential {
        Credential::User {
            user_id,
            session_id,
        } => Ok((user_id, session_id)),
        Credential::ApiKey { .. } => Err(AppError::BadRequest(
            "An API key has no account, password or sessions of its own.".into(),
            None,
        )),
    }
}

/// Changes the caller's own password, given the current one, and ends every other session of the
/// account. Wrong current passwords count against the login defence like failed logins.
pub async fn change_password(
    state: &AppState,
    actor: &Actor,
    current: SecretString,
    new: SecretString,
) -> AppResult<()> {
    let (user_id, session_id) = signed_in(actor)?;
    let org = actor.org();
    let row = user_repo::find_row(state.db.conn(), org, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let ip = actor.audit.ip.as_deref().and_then(|ip| ip.parse().ok());
    let attempt = state.guard.login_attempt(&row.email, ip);
    state.guard.admit(&attempt).await?;
    let mut errors = FieldErrors::new();
    if let Err(message) = password::check_policy(new.expose_secret(), &row.email) {
        errors.add("new_password", message);
    }
    if !password::verify(current, Some(row.password_hash.clone())).await? {
        let failure = state.guard.failed(&attempt).await;
        if failure.locked_out {
            audit::record_detached(
                &state.db,
                actor.audit.clone(),
                "auth.locked_out",
                "user",
                Some(user_id),
            );
        }
        errors.add("current_password", "is not your current password");
    }
    errors.into_result(())?;
    let hash = password::hash(new).await?;
    let txn = state.db.begin_write().await?;
    user_repo::update(
        &txn,
        org,
        user_id,
        None,
        UserChanges {
            password_hash: Some(hash),
            ..UserChanges::default()
        },
    )
    .await?;
    repo::revoke_user_sessions(&txn, org, user_id, Some(session_id)).await?;
    audit::record(
        &txn,
        &actor.audit,
        Event::new("auth.password_changed", "user", Some(user_id)),
    )
    .await?;
    txn.commit().await?;
    state.db.changed(Change::User(user_id));
    Ok(())
}

/// The caller's live sessions, the most recently used first.
pub async fn sessions(state: &AppState, actor: &Actor) -> AppResult<Vec<SessionInfo>> {
    let (user_id, current) = signed_in(actor)?;
    let rows = repo::list_live_sessions(
        state.db.conn(),
        actor.org(),
        user_id,
        state.config.session_idle_timeout,
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|s| SessionInfo {
            id: s.id,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
            ip: s.ip,
            user_agent: s.user_agent,
            current: s.id == current,
        })
        .collect())
}

/// Ends one of the caller's sessions (404 when it is not theirs or already ended).
pub async fn end_session(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<()> {
    let (user_id, _) = signed_in(actor)?;
    let txn = state.db.begin_write().await?;
    if !repo::revoke_own_session(&txn, actor.org(), user_id, id).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &txn,
        &actor.audit,
        Event::new("auth.session_revoked", "user", Some(user_id)),
    )
    .await?;
    txn.commit().await?;
    state.db.changed(Change::Session(id));
    Ok(())
}

/// Ends every session of the caller's account, this one included ("log out everywhere").
pub async fn end_all_sessions(state: &AppState, actor: &Actor) -> AppResult<()> {
    let (user_id, _) = signed_in(actor)?;
    let txn = state.db.begin_write().await?;
    repo::revoke_user_sessions(&txn, actor.org(), user_id, None).await?;
    audit::record(
        &txn,
        &actor.audit,
        Event::new("auth.logged_out_everywhere", "user", Some(user_id)),
    )
    .await?;
    txn.commit().await?;
    state.db.changed(Change::User(user_id));
    Ok(())
}

/// Whether the caller uses two-factor authentication, and how many recovery codes are left.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct MfaState {
    /// TOTP is on.
    pub on: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: u64,
}

/// The caller's two-factor state.
pub async fn mfa_state(state: &AppState, actor: &Actor) -> AppResult<MfaState> {
    let (user_id, _) = signed_in(actor)?;
    let db = state.db.conn();
    let row = user_repo::find_row(db, actor.org(), user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let on = row.totp_enabled_at.is_some();
    let recovery_codes_left = if on {
        super::mfa::repo::recovery_codes_left(db, actor.org(), user_id).await?
    } else {
        0
    };
    Ok(MfaState {
        on,
        recovery_codes_left,
    })
}
