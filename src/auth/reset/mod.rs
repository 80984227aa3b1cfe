//! Forgotten passwords: anyone may ask for a reset link for an email, and gets the same answer
//! whether or not an account has it — the lookup and the mail happen in a job, so that the answer
//! does not even take longer for a known address. The link is single-use, lasts an hour, is kept
//! only as a SHA-256 hash, and setting a new password through it ends every session of the account.
//! Links are built from `public_url` (else the listen address), never from the request's `Host`,
//! which an attacker could set to send a victim's link to their own site.

pub mod pages;
pub mod repo;
pub mod routes;

use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::{password, repo as auth_repo, tokens};
use crate::audit::{self, AuditContext, Event, RequestOrigin};
use crate::db::{Db, now};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::jobs::model::{Job, NewJob};
use crate::jobs::service as jobs;
use crate::mail::model::Email;
use crate::mail::service as mail;
use crate::organizations::OrgId;
use crate::users::model::UserChanges;
use crate::users::repo as user_repo;
use crate::validation::EmailAddress;

/// The job that looks an address up and mails its link.
pub const SEND_LINK: &str = "auth.password_reset";

/// How long a link works.
pub fn lifetime() -> Duration {
    Duration::hours(1)
}

/// Asks for a reset link for `email`. The same `Ok` whether or not an account has it.
pub async fn request(db: &Db, email: &str) -> AppResult<()> {
    let email = EmailAddress::parse(email).map_err(|m| AppError::field("email", m))?;
    jobs::enqueue(
        db.conn(),
        NewJob::now(SEND_LINK, json!({ "email": email.as_str() })),
    )
    .await?;
    Ok(())
}

/// The job: when an active account has the address, makes a link and mails it (both or neither).
pub async fn send_link(db: &Db, base_url: &str, job: &Job) -> anyhow::Result<()> {
    let Some(email) = job.payload["email"].as_str() else {
        anyhow::bail!("a {SEND_LINK} job without an email");
    };
    let Some(user) = user_repo::find_by_email(db.conn(), email).await? else {
        return Ok(());
    };
    if !user.active {
        return Ok(());
    }
    let token = tokens::new_session_token();
    let link = format!("{}/reset/{token}", base_url.trim_end_matches('/'));
    let at = now();
    let txn = db.begin_write().await?;
    repo::insert(
        &txn,
        user.organization_id,
        user.id,
        tokens::digest(&token),
        at,
        at + lifetime(),
    )
    .await?;
    let text = format!(
        "Hello {name},\n\nsomeone (we hope you) asked to reset the password of your FitnessCRM account. \
         To choose a new one, open this link within the hour:\n\n{link}\n\nIt works once. If you did not \
         ask, ignore this message: your password stays as it is.\n",
        name = user.name
    );
    let html = format!(
        "<p>Hello {name},</p><p>someone (we hope you) asked to reset the password of your FitnessCRM \
         account. To choose a new one, open this link within the hour:</p><p><a href=\"{link}\">Choose a \
         new password</a></p><p>It works once. If you did not ask, ignore this message: your password \
         stays as it is.</p>",
        name = html_escape(&user.name)
    );
    mail::queue(
        &txn,
        Email {
            organization_id: Some(user.organization_id),
            to: user.email.clone(),
            subject: "Reset your FitnessCRM password".to_owned(),
            text,
            html: Some(html),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes the links that can no longer be used (housekeeping).
pub async fn purge_expired(db: &Db) -> AppResult<u64> {
    repo::purge(db.conn(), now()).await
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Sets a new password with a link's token; every session of the account ends, and every other
/// link it had stops working.
pub async fn confirm(
    db: &Db,
    token: &str,
    new: SecretString,
    origin: RequestOrigin,
) -> AppResult<()> {
    let invalid = || AppError::field("token", "is invalid, used or expired: ask for a new link");
    let digest = tokens::digest(token);
    let at = now();
    // Checked (and the new password hashed) before the write, which takes the link once.
    let Some((org, user_id)) = repo::peek(db.conn(), &digest, at).await? else {
        return Err(invalid());
    };
    let row = user_repo::find_row(db.conn(), OrgId(org), user_id)
        .await?
        .ok_or_else(invalid)?;
    if !row.active {
        return Err(invalid());
    }
    let mut errors = FieldErrors::new();
    if let Err(message) = password::check_policy(new.expose_secret(), &row.email) {
        errors.add("new_password", message);
    }
    errors.into_result(())?;
    let hash = password::hash(new).await?;
    let txn = db.begin_write().await?;
    if repo::take(&txn, &digest, at).await?.is_none() {
        return Err(invalid());
    }
    user_repo::update(
        &txn,
        OrgId(org),
        user_id,
        None,
        UserChanges {
            password_hash: Some(hash),
            ..UserChanges::default()
        },
    )
    .await?;
    repo::end_all(&txn, user_id, at).await?;
    auth_repo::revoke_user_sessions(&txn, OrgId(org), user_id, None).await?;
    audit::record(
        &txn,
        &AuditContext::anonymous(OrgId(org), origin),
        Event::new("auth.password_reset", "user", Some(user_id)),
    )
    .await?;
    txn.commit().await?;
    db.changed(crate::db::changes::Change::User(user_id));
    Ok(())
}
