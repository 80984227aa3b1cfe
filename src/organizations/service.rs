//! Creating an organization together with its first owner: sign-up, the shell and the demo seed all
//! come through here, each saying who is acting for the audit trail.

use sea_orm::ConnectionTrait;
use secrecy::{ExposeSecret, SecretString};

use super::OrgId;
use super::model::{
    Organization, UpdateOrganization, parse_currency, parse_locale, parse_org_name, parse_timezone,
    slugify,
};
use super::repo::{self, NewOrganization, OrganizationChanges};
use crate::audit::{self, AuditContext, Event};
use crate::auth::mfa::repo as mfa_repo;
use crate::auth::{Actor, Role, password};
use crate::db::Db;
use crate::db::changes::Change;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::users::User;
use crate::users::model::{EmailAddress, NewUser, parse_text};

/// What a new business tells us about itself and its owner.
#[derive(Debug)]
pub struct Signup {
    /// Business name.
    pub organization_name: String,
    /// Owner's name.
    pub name: String,
    /// Owner's login email.
    pub email: String,
    /// Owner's password.
    pub password: SecretString,
    /// IANA time zone; UTC when absent.
    pub timezone: Option<String>,
    /// ISO currency; EUR when absent.
    pub currency: Option<String>,
    /// Locale; `en` when absent.
    pub locale: Option<String>,
}

/// Validates every field at once, then creates the organization and its owner in one transaction,
/// with their `organization.created` and `user.created` audit events. `audit` says who is acting,
/// given the new organization and owner (the owner through the API; the system from the shell).
pub async fn create_with_owner(
    db: &Db,
    signup: Signup,
    audit: impl FnOnce(OrgId, &User) -> AuditContext,
) -> AppResult<(Organization, User)> {
    let mut errors = FieldErrors::new();
    let org_name = errors.check(
        "organization_name",
        parse_org_name(&signup.organization_name),
    );
    let name = errors.check("name", parse_text(&signup.name, 100));
    let email = errors.check("email", EmailAddress::parse(&signup.email));
    errors.check(
        "password",
        password::check_policy(signup.password.expose_secret(), &signup.email),
    );
    let timezone = errors.check(
        "timezone",
        parse_timezone(signup.timezone.as_deref().unwrap_or("UTC")),
    );
    let currency = errors.check(
        "currency",
        super::model::parse_currency(signup.currency.as_deref().unwrap_or("EUR")),
    );
    let locale = errors.check(
        "locale",
        super::model::parse_locale(signup.locale.as_deref().unwrap_or("en")),
    );
    let (
        Some(org_name),
        Some(name),
        Some(email),
        Some(timezone),
        Some(currency),
        Some(locale),
        true,
    ) = (
        org_name,
        name,
        email,
        timezone,
        currency,
        locale,
        errors.is_empty(),
    )
    else {
        return Err(AppError::Validation(errors));
    };
    let password_hash = password::hash(signup.password).await?;

    let txn = db.begin_write().await?;
    let org = repo::insert(
        &txn,
        NewOrganization {
            slug: slugify(&org_name),
            name: org_name,
            timezone,
            currency,
            locale,
        },
    )
    .await?;
    let user = crate::users::repo::insert(
        &txn,
        OrgId(org.id),
        NewUser {
            name,
            email,
            role: Role::Owner,
            password_hash,
            active: true,
        },
    )
    .await?;
    let ctx = audit(OrgId(org.id), &user);
    audit::record(
        &txn,
        &ctx,
        Event::new("organization.created", "organization", Some(org.id))
            .with_fields(["name", "slug", "timezone", "currency", "locale"]),
    )
    .await?;
    audit::record(
        &txn,
        &ctx,
        Event::new("user.created", "user", Some(user.id))
            .with_fields(crate::users::service::CREATED_FIELDS),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(org.id = %org.id, user.id = %user.id, "organization created");
    Ok((org, user))
}

/// The actor's organization.
pub async fn get_organization(db: &impl ConnectionTrait, actor: &Actor) -> AppResult<Organization> {
    repo::get(db, actor.org()).await?.ok_or(AppError::NotFound)
}

fn bounded(
    errors: &mut FieldErrors,
    field: &str,
    v: Option<i32>,
    min: i32,
    max: i32,
) -> Option<i32> {
    match v {
        Some(x) if !(min..=max).contains(&x) => {
            errors.add(field, format!("must be between {min} and {max}"));
            None
        }
        other => other,
    }
}

/// Changes the organization's settings (owner and admin), every field validated at once, checking the
/// version the change is based on.
pub async fn update_organization(
    db: &Db,
    actor: &Actor,
    expected: Option<i64>,
    input: UpdateOrganization,
) -> AppResult<Organization> {
    actor.require(Role::Admin)?;
    let mut e = FieldErrors::new();
    let changes = OrganizationChanges {
        name: input.name.and_then(|v| e.check("name", parse_org_name(&v))),
        timezone: input
            .timezone
            .and_then(|v| e.check("timezone", parse_timezone(&v))),
        currency: input
            .currency
            .and_then(|v| e.check("currency", parse_currency(&v))),
        locale: input
            .locale
            .and_then(|v| e.check("locale", parse_locale(&v))),
        late_cancel_hours: bounded(&mut e, "late_cancel_hours", input.late_cancel_hours, 0, 168),
        clients_may_cancel: input.clients_may_cancel,
        booking_opens_days: bounded(
            &mut e,
            "booking_opens_days",
            input.booking_opens_days,
            1,
            365,
        ),
        booking_closes_minutes: bounded(
            &mut e,
            "booking_closes_minutes",
            input.booking_closes_minutes,
            0,
            1440,
        ),
        require_mfa: input.require_mfa,
    };
    let changes = e.into_result(changes)?;
    let mut fields = Vec::new();
    for (set, name) in [
        (changes.name.is_some(), "name"),
        (changes.timezone.is_some(), "timezone"),
        (changes.currency.is_some(), "currency"),
        (changes.locale.is_some(), "locale"),
        (changes.late_cancel_hours.is_some(), "late_cancel_hours"),
        (changes.clients_may_cancel.is_some(), "clients_may_cancel"),
        (changes.booking_opens_days.is_some(), "booking_opens_days"),
        (
            changes.booking_closes_minutes.is_some(),
            "booking_closes_minutes",
        ),
        (changes.require_mfa.is_some(), "require_mfa"),
    ] {
        if set {
            fields.push(name);
        }
    }
    let requiring = changes.require_mfa == Some(true);
    let txn = db.begin_write().await?;
    if changes.require_mfa.is_some() {
        may_set_mfa_policy(&txn, actor, requiring).await?;
    }
    let org = repo::update(&txn, actor.org(), expected, changes).await?;
    let restricted = if requiring {
        mfa_repo::restrict_sessions_without_mfa(&txn, actor.org()).await?
    } else {
        Vec::new()
    };
    audit::record(
        &txn,
        &actor.audit,
        Event::new("organization.updated", "organization", Some(org.id)).with_fields(fields),
    )
    .await?;
    txn.commit().await?;
    for user in restricted {
        db.changed(Change::User(user));
    }
    Ok(org)
}

/// Only an owner changes whether MFA is required, and only an owner who uses it turns it on (who
/// would otherwise be held to setting it up at once).
async fn may_set_mfa_policy(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    requiring: bool,
) -> AppResult<()> {
    actor.require(Role::Owner)?;
    if !requiring {
        return Ok(());
    }
    let uses_mfa = match actor.caller.and_then(|c| c.user_id()) {
        Some(id) => crate::users::repo::find_row(txn, actor.org(), id)
            .await?
            .is_some_and(|u| u.totp_enabled_at.is_some()),
        None => false,
    };
    if uses_mfa {
        Ok(())
    } else {
        Err(AppError::field(
            "require_mfa",
            "turn on two-factor authentication for your own account first",
        ))
    }
}
