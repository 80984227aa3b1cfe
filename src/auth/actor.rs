//! [`Actor`]: who is acting, as every service takes it. The tenant, the role and the credential of the
//! caller, and the audit context (acting as what, from where) that its changes are recorded with.
//!
//! API handlers extract it directly; pages get it from their `Viewer`; the shell, seeding and jobs
//! build one with [`Actor::system`]. Services derive their scope (what the actor may see and change)
//! from it themselves, so a front end cannot hand a service a scope wider than the caller's.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use uuid::Uuid;

use super::principal::CurrentUser;
use super::roles::Role;
use crate::audit::{AuditContext, RequestOrigin};
use crate::error::{AppError, AppResult};
use crate::organizations::OrgId;

/// Who is acting and how their changes are recorded.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The tenant, role and credential; `None` for the system acting on its own.
    pub caller: Option<CurrentUser>,
    /// What the audit trail records of this actor.
    pub audit: AuditContext,
}

impl Actor {
    /// An authenticated caller, with the audit context of its request.
    pub fn new(caller: CurrentUser, audit: AuditContext) -> Self {
        Self {
            caller: Some(caller),
            audit,
        }
    }

    /// The system acting on its own in `org` (the shell, seeding, jobs): every right, no person.
    pub fn system(org: OrgId) -> Self {
        Self {
            caller: None,
            audit: AuditContext::system(org),
        }
    }

    /// The tenant.
    pub fn org(&self) -> OrgId {
        self.audit.org
    }

    /// The role: the system acts as an owner.
    pub fn role(&self) -> Role {
        self.caller.map_or(Role::Owner, |c| c.role)
    }

    /// The user acting, when a person (not an API key or the system) acts.
    pub fn user_id(&self) -> Option<Uuid> {
        self.caller.and_then(|c| c.user_id())
    }

    /// The caller, or 403 for the system (for operations only a person or key may do).
    pub fn caller(&self) -> AppResult<&CurrentUser> {
        self.caller
            .as_ref()
            .ok_or_else(|| AppError::Forbidden("This needs a signed-in caller.".into()))
    }

    /// 403 unless the actor's role is at least `role`.
    pub fn require(&self, role: Role) -> AppResult<()> {
        self.role().require(role)
    }
}

/// Extractor for API handlers: the authenticated caller (401 otherwise) with the request id and
/// client address in its audit context.
impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = CurrentUser::from_request_parts(parts, state).await?;
        let origin = RequestOrigin::from_extensions(&parts.extensions);
        let audit = AuditContext::for_caller(&caller, origin.request_id, origin.ip);
        Ok(Self::new(caller, audit))
    }
}
