//! Signing up, logging in and logging out: the rules behind both the API (`auth::routes`) and the web
//! pages (`web::public`), so that neither writes them twice.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::guard::Failure;
use super::mfa::{self, Checked, SecondFactor};
use super::{Actor, Credential, Role, password, repo};
use crate::audit::{self, AuditContext, Event, RequestOrigin};
use crate::db::changes::Change;
use crate::db::{Db, now};
use crate::error::{AppError, AppResult};
use crate::organizations::service::{Signup, create_with_owner};
use crate::organizations::{OrgId, Organization, repo as org_repo};
use crate::state::AppState;
use crate::users::model::EmailAddress;
use crate::users::repo::UserRow;
use crate::users::{User, repo as user_repo};

/// A new login: the secret token (sent as a bearer token or kept in the session cookie), its expiry
/// and the account.
#[derive(Debug)]
pub struct NewLogin {
    /// The secret session token.
    pub token: String,
    /// When the session ends at the latest.
    pub expires_at: DateTime<Utc>,
    /// The account.
    pub user: User,
}

/// Signs up a business: the organization, its owner, and a session for the owner.
pub async fn signup(
    state: &AppState,
    signup: Signup,
    origin: RequestOrigin,
) -> AppResult<(Organization, NewLogin)> {
    if !state.config.signup_enabled {
        return Err(AppError::Forbidden(
            "Sign-up is disabled on this server.".into(),
        ));
    }
    let device = origin.clone();
    let (organization, user) = create_with_owner(&state.db, signup, |org, owner| {
        AuditContext::user(org, owner.id, Role::Owner, origin)
    })
    .await?;
    let (token, expires_at) = repo::create_session(
        state.db.conn(),
        OrgId(organization.id),
        user.id,
        state.config.session_absolute_timeout,
        &device,
        false,
    )
    .await?;
    Ok((
        organization,
        NewLogin {
            token,
            expires_at,
            user,
        },
    ))
}

/// Checks an email and password and opens a session, behind the brute-force defence
/// ([`super::guard`]). Wrong email and wrong password get the same 401, after the same work.
pub async fn login(
    state: &AppState,
    email: &str,
    secret: SecretString,
    second: &SecondFactor,
    origin: RequestOrigin,
) -> AppResult<NewLogin> {
    let ip = origin.ip.as_deref().and_then(|ip| ip.parse().ok());
    let attempt = state.guard.login_attempt(email, ip);
    state.guard.admit(&attempt).await?;
    let db = state.db.conn();
    let email = EmailAddress::parse(email).ok();
    let row = match &email {
        Some(e) => user_repo::find_for_login(db, e.as_str()).await?,
        None => None,
    };
    // Over-long passwords are refused without hashing them, but only after the same work as a miss.
    let too_long = secret.expose_secret().chars().count() > password::MAX_LEN;
    let ok = password::verify(secret, row.as_ref().map(|r| r.password_hash.clone())).await?;
    let wrong = || AppError::Unauthorized("Wrong email or password.".into());
    let refuse = |r: Option<&UserRow>, failure: Failure, origin: RequestOrigin| {
        if let Some(r) = r {
            let ctx = AuditContext::anonymous(OrgId(r.organization_id), origin);
            if failure.audit {
                audit::record_detached(
                    &state.db,
                    ctx.clone(),
                    "auth.login_failed",
                    "user",
                    Some(r.id),
                );
            }
            if failure.locked_out {
                audit::record_detached(&state.db, ctx, "auth.locked_out", "user", Some(r.id));
            }
        }
        tracing::info!("login refused");
    };
    let row = match row {
        Some(r) if ok && !too_long && r.active => r,
        other => {
            refuse(other.as_ref(), state.guard.failed(&attempt).await, origin);
            return Err(wrong());
        }
    };
    let org = OrgId(row.organization_id);
    let txn = state.db.begin_write().await?;
    match mfa::check_login(&txn, &row, second).await? {
        Checked::Passed => {}
        Checked::Missing => {
            return Err(AppError::field(
                "totp_code",
                "is required: this account uses two-factor authentication (or send recovery_code)",
            ));
        }
        Checked::Wrong => {
            drop(txn);
            refuse(Some(&row), state.guard.failed(&attempt).await, origin);
            return Err(AppError::Unauthorized(
                "Wrong or already used one-time code.".into(),
            ));
        }
    }
    state.guard.succeeded(&attempt).await;
    let require_mfa = org_repo::get(&txn, org)
        .await?
        .is_some_and(|o| o.require_mfa);
    let (token, expires_at) = repo::create_session(
        &txn,
        org,
        row.id,
        state.config.session_absolute_timeout,
        &origin,
        mfa::must_set_up(require_mfa, &row),
    )
    .await?;
    user_repo::touch_login(&txn, org, row.id).await?;
    let user = user_repo::get(&txn, org, row.id).await?.ok_or_else(wrong)?;
    audit::record(
        &txn,
        &AuditContext::user(org, user.id, user.role, origin),
        Event::new("auth.login", "user", Some(user.id)),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(org.id = %org, user.id = %user.id, "login");
    Ok(NewLogin {
        token,
        expires_at,
        user,
    })
}

/// Deletes the sessions that can no longer authenticate anyone (expired or revoked); how many. Their
/// logins and logouts stay in the audit trail.
pub async fn purge_dead_sessions(db: &Db) -> AppResult<u64> {
    repo::purge_dead_sessions(db.conn(), now()).await
}

/// Ends the caller's session at once. API keys do not log out (400).
pub async fn logout(db: &Db, actor: &Actor) -> AppResult<()> {
    match actor.caller()?.credential {
        Credential::User {
            session_id,
            user_id,
        } => {
            let txn = db.begin_write().await?;
            repo::revoke_session(&txn, actor.org(), session_id).await?;
            audit::record(
                &txn,
                &actor.audit,
                Event::new("auth.logout", "user", Some(user_id)),
            )
            .await?;
            txn.commit().await?;
            db.changed(Change::Session(session_id));
            Ok(())
        }
        Credential::ApiKey { .. } => Err(AppError::BadRequest(
            "API keys do not log out; revoke them with DELETE /api/v1/api-keys/{id}.".into(),
            None,
        )),
    }
}
