//! The user account, its request types and the validated values they are made of.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Role, password};
use crate::error::{AppError, FieldErrors};

/// A login account of an organization.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    /// Id.
    pub id: Uuid,
    /// The organization the account belongs to.
    pub organization_id: Uuid,
    /// Display name.
    pub name: String,
    /// Login email, lower case; unique across the deployment.
    pub email: String,
    /// What the account may do.
    pub role: Role,
    /// Inactive accounts cannot log in and their sessions end.
    pub active: bool,
    /// Last successful login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version; send it back as `If-Match` or `version` when updating.
    pub version: i64,
}

/// `POST /api/v1/users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Display name, 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Login email.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// Role; not above the caller's own.
    pub role: Role,
    /// Initial password, 10–128 characters, not the email.
    #[schema(value_type = String, min_length = 10, max_length = 128, format = Password)]
    pub password: SecretString,
    /// Defaults to true.
    #[serde(default)]
    pub active: Option<bool>,
}

/// `PATCH /api/v1/users/{id}`: every field optional.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// Display name, 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    #[serde(default)]
    pub name: Option<String>,
    /// Login email.
    #[schema(format = Email, max_length = 254)]
    #[serde(default)]
    pub email: Option<String>,
    /// Role; not above the caller's own.
    #[serde(default)]
    pub role: Option<Role>,
    /// Deactivating ends every session of the account.
    #[serde(default)]
    pub active: Option<bool>,
    /// New password; ends every other session of the account.
    #[schema(value_type = Option<String>, min_length = 10, max_length = 128, format = Password)]
    #[serde(default)]
    pub password: Option<SecretString>,
    /// The version the change is based on (alternative to `If-Match`).
    #[serde(default)]
    pub version: Option<i64>,
}

/// A validated new account.
#[derive(Debug)]
pub struct NewUser {
    /// Display name.
    pub name: String,
    /// Normalised email.
    pub email: EmailAddress,
    /// Role.
    pub role: Role,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Whether it can log in.
    pub active: bool,
}

/// A validated change to an account; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct UserChanges {
    /// New display name.
    pub name: Option<String>,
    /// New email.
    pub email: Option<EmailAddress>,
    /// New role.
    pub role: Option<Role>,
    /// New active flag.
    pub active: Option<bool>,
    /// New password hash.
    pub password_hash: Option<String>,
}

impl CreateUser {
    /// Checks every field at once and hashes the password.
    pub async fn validate(self) -> Result<NewUser, AppError> {
        use secrecy::ExposeSecret;
        let mut errors = FieldErrors::new();
        let name = errors.check("name", parse_text(&self.name, 100));
        let email = errors.check("email", EmailAddress::parse(&self.email));
        errors.check(
            "password",
            password::check_policy(self.password.expose_secret(), &self.email),
        );
        let (Some(name), Some(email), true) = (name, email, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        Ok(NewUser {
            name,
            email,
            role: self.role,
            password_hash: password::hash(self.password).await?,
            active: self.active.unwrap_or(true),
        })
    }
}

impl UpdateUser {
    /// Checks every field at once and hashes a new password. `current_email` is what the password
    /// must differ from when the email itself does not change.
    pub async fn validate(self, current_email: &str) -> Result<UserChanges, AppError> {
        use secrecy::ExposeSecret;
        let mut errors = FieldErrors::new();
        let name = match &self.name {
            Some(n) => errors.check("name", parse_text(n, 100)),
            None => None,
        };
        let email = match &self.email {
            Some(e) => errors.check("email", EmailAddress::parse(e)),
            None => None,
        };
        if let Some(p) = &self.password {
            let against = email.as_ref().map_or(current_email, |e| e.as_str());
            errors.check(
                "password",
                password::check_policy(p.expose_secret(), against),
            );
        }
        errors.into_result(())?;
        let password_hash = match self.password {
            Some(p) => Some(password::hash(p).await?),
            None => None,
        };
        Ok(UserChanges {
            name,
            email,
            role: self.role,
            active: self.active,
            password_hash,
        })
    }
}

pub use crate::validation::{EmailAddress, normalize, parse_text};
