//! Two-factor authentication with TOTP (RFC 6238: SHA-1, six digits, 30-second steps, one step of
//! skew either way), for every role: set up with a secret shown once (and as a QR code on the
//! account page), confirmed with a first code, which also hands out ten single-use recovery codes;
//! turned off with the password. Each time step is accepted once per account (replay); recovery
//! codes are kept as SHA-256 hashes. API keys stay the non-interactive path and need none of it.
//!
//! An organization may require it of owners and admins (`require_mfa`): their sessions opened
//! without it may only set it up (`mfa_setup_only`), until they do.

pub mod repo;
pub mod routes;

use secrecy::SecretString;
use serde::Serialize;
use sha2::{Digest, Sha256};
use totp_rs::{Builder, Secret, Totp};
use utoipa::ToSchema;
use uuid::Uuid;

use super::account::signed_in;
use super::{Actor, password};
use crate::audit::{self, Event};
use crate::db::changes::Change;
use crate::error::{AppError, AppResult};
use crate::organizations::OrgId;
use crate::state::AppState;
use crate::users::repo::UserRow;

/// How many recovery codes confirming hands out.
pub const RECOVERY_CODES: usize = 10;

const ISSUER: &str = "FitnessCRM";

/// A secret to put into an authenticator app, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpSetup {
    /// The secret, base32 (for typing in).
    pub secret: String,
    /// `otpauth://totp/...` (for a QR code).
    pub otpauth_uri: String,
}

/// The codes that stand in for the app once each, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Ten codes; each works once, instead of a TOTP code.
    pub recovery_codes: Vec<String>,
}

fn totp(secret_base32: &str, account: &str) -> AppResult<Totp> {
    let secret = Secret::try_from_base32(secret_base32)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored TOTP secret: {e}")))?;
    Builder::new()
        .with_secret(secret)
        .with_account_name(account.replace(':', "_"))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("building a TOTP: {e}")))
}

fn unix_now() -> u64 {
    u64::try_from(crate::db::now().timestamp()).unwrap_or(0)
}

/// The time step `code` belongs to, when it is a current code of `secret`.
fn matching_step(secret_base32: &str, account: &str, code: &str) -> AppResult<Option<i64>> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    Ok(totp(secret_base32, account)?
        .check(&code, unix_now())
        .and_then(|step| i64::try_from(step).ok()))
}

/// The stored form of a recovery code: lower case, without dashes or spaces, hashed.
fn recovery_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(format!("fitnesscrm recovery\0{normal}")))
}

/// Ten characters from an alphabet without look-alikes, as `xxxxx-xxxxx`.
fn new_recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    use rand::Rng;
    let mut rng = rand::rng();
    let chars: String = (0..10)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

async fn account_row(state: &AppState, org: OrgId, user_id: Uuid) -> AppResult<UserRow> {
    crate::users::repo::find_row(state.db.conn(), org, user_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Starts the setup: a new secret, kept aside until a first code confirms it.
pub async fn begin(state: &AppState, actor: &Actor) -> AppResult<TotpSetup> {
    let (user_id, _) = signed_in(actor)?;
    let row = account_row(state, actor.org(), user_id).await?;
    if row.totp_enabled_at.is_some() {
        return Err(AppError::conflict(
            "Two-factor authentication is already on; turn it off first to move it to another device.",
        ));
    }
    let secret = Secret::generate().to_base32();
    let otpauth_uri = totp(&secret, &row.email)?
        .to_url()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("TOTP URL: {e}")))?;
    let txn = state.db.begin_write().await?;
    repo::set_pending(&txn, actor.org(), user_id, &secret).await?;
    txn.commit().await?;
    Ok(TotpSetup {
        secret,
        otpauth_uri,
    })
}

/// Confirms the setup with a first code: two-factor authentication is on, and the recovery codes
/// are handed out.
pub async fn confirm(state: &AppState, actor: &Actor, code: &str) -> AppResult<RecoveryCodes> {
    let (user_id, _) = signed_in(actor)?;
    let org = actor.org();
    let row = account_row(state, org, user_id).await?;
    let Some(pending) = row.totp_pending_secret.as_deref() else {
        return Err(AppError::field(
            "code",
            "start the setup first (POST /api/v1/me/mfa/totp)",
        ));
    };
    let pending = repo::open_secret(&repo::PENDING, user_id, pending)?;
    let Some(step) = matching_step(&pending, &row.email, code)? else {
        return Err(AppError::field(
            "code",
            "is not the current code of your authenticator app",
        ));
    };
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(c)).collect();
    let txn = state.db.begin_write().await?;
    repo::enable(&txn, org, user_id, &pending, step).await?;
    repo::replace_recovery_codes(&txn, org, user_id, &hashes).await?;
    repo::release_sessions(&txn, org, user_id).await?;
    audit::record(
        &txn,
        &actor.audit,
        Event::new("auth.mfa_enabled", "user", Some(user_id)),
    )
    .await?;
    txn.commit().await?;
    state.db.changed(Change::User(user_id));
    Ok(RecoveryCodes {
        recovery_codes: codes,
    })
}

/// Turns two-factor authentication off, given the password.
pub async fn disable(state: &AppState, actor: &Actor, secret: SecretString) -> AppResult<()> {
    let (user_id, _) = signed_in(actor)?;
    let org = actor.org();
    let row = account_row(state, org, user_id).await?;
    let ip = actor.audit.ip.as_deref().and_then(|ip| ip.parse().ok());
    let attempt = state.guard.login_attempt(&row.email, ip);
    state.guard.admit(&attempt).await?;
    if !password::verify(secret, Some(row.password_hash.clone())).await? {
        state.guard.failed(&attempt).await;
        return Err(AppError::field("password", "is not your password"));
    }
    let txn = state.db.begin_write().await?;
    repo::disable(&txn, org, user_id).await?;
    audit::record(
        &txn,
        &actor.audit,
        Event::new("auth.mfa_disabled", "user", Some(user_id)),
    )
    .await?;
    txn.commit().await?;
    state.db.changed(Change::User(user_id));
    Ok(())
}

/// What a login offers besides the password.
#[derive(Debug, Default, Clone)]
pub struct SecondFactor {
    /// A code from the authenticator app.
    pub totp_code: Option<String>,
    /// One of the recovery codes.
    pub recovery_code: Option<String>,
}

/// The outcome of checking a login's second factor.
#[derive(Debug, PartialEq, Eq)]
pub enum Checked {
    /// The account does not use MFA, or the code was right (and is now used up).
    Passed,
    /// The account uses MFA and no code came: the caller names the missing field.
    Missing,
    /// A code came and was wrong, or already used.
    Wrong,
}

/// Checks the second factor of a login whose password was right, in the login's transaction (a
/// right code is used up there).
pub async fn check_login(
    txn: &impl sea_orm::ConnectionTrait,
    row: &UserRow,
    offered: &SecondFactor,
) -> AppResult<Checked> {
    let Some(secret) = row.totp_secret.as_deref() else {
        return Ok(Checked::Passed);
    };
    let org = OrgId(row.organization_id);
    let used = match (&offered.totp_code, &offered.recovery_code) {
        (Some(code), _) if !code.trim().is_empty() => {
            let secret = repo::open_secret(&repo::ACTIVE, row.id, secret)?;
            match matching_step(&secret, &row.email, code)? {
                Some(step) => repo::use_step(txn, org, row.id, step).await?,
                None => false,
            }
        }
        (_, Some(code)) if !code.trim().is_empty() => {
            repo::use_recovery_code(txn, org, row.id, &recovery_hash(code)).await?
        }
        _ => return Ok(Checked::Missing),
    };
    Ok(if used {
        Checked::Passed
    } else {
        Checked::Wrong
    })
}

/// Whether an account must set MFA up before doing anything else: its organization requires it of
/// its role and it has none.
pub fn must_set_up(require_mfa: bool, row: &UserRow) -> bool {
    require_mfa && matches!(row.role.as_str(), "owner" | "admin") && row.totp_secret.is_none()
}

/// The current code of a base32 secret (for the tests and the shell).
pub fn current_code(secret_base32: &str) -> AppResult<String> {
    Ok(totp(secret_base32, "x")?.generate(unix_now()).to_string())
}

/// The secret of an `otpauth://` URI (for the tests).
pub fn secret_of(uri: &str) -> Option<String> {
    uri.split(['?', '&'])
        .find_map(|p| p.strip_prefix("secret="))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_normalised_before_hashing_and_look_alikes_are_left_out() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert!(!code.contains(['0', 'o', '1', 'l', 'i']));
        assert_eq!(
            recovery_hash(&code),
            recovery_hash(&code.to_uppercase().replace('-', " "))
        );
        assert_ne!(recovery_hash("aaaaa-aaaaa"), recovery_hash("aaaaa-aaaab"));
    }

    #[test]
    fn a_current_code_matches_its_step_and_others_do_not() {
        let secret = Secret::generate().to_base32();
        let code = current_code(&secret).unwrap();
        let step = matching_step(&secret, "ann@example.com", &code).unwrap();
        let now = i64::try_from(unix_now() / 30).unwrap();
        assert!(
            step.is_some_and(|s| (now - 1..=now + 1).contains(&s)),
            "{step:?}"
        );
        let wrong = if code == "000000" { "111111" } else { "000000" };
        assert_eq!(
            matching_step(&secret, "ann@example.com", wrong).unwrap(),
            None
        );
        let uri = totp(&secret, "ann@example.com").unwrap().to_url().unwrap();
        assert!(
            uri.starts_with("otpauth://totp/FitnessCRM:ann%40example.com?"),
            "{uri}"
        );
        assert_eq!(secret_of(&uri).as_deref(), Some(secret.as_str()));
    }
}
