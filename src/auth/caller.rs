//! The authenticated caller, as the request extensions and the credential cache hold it. A leaf: it
//! knows nothing of how a credential is resolved ([`super::principal`]).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use uuid::Uuid;

use super::Role;
use crate::error::AppError;
use crate::organizations::OrgId;

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
