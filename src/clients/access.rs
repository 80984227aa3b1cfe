//! Who sees which clients, decided once per request and applied inside every client query:
//! - owner, admin: every client, with medical notes;
//! - staff: every client, never medical notes;
//! - trainer: only the clients assigned to the trainer linked to their account, with medical notes;
//! - client: only their own record (portal), without medical notes.
//!
//! The condition a query applies for a scope is `repo::visible`.

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::auth::{Actor, CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::organizations::OrgId;
use crate::trainers::repo as trainer_repo;

/// Which clients a caller can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// All clients of the organization.
    All,
    /// The clients assigned to this trainer.
    Assigned(Uuid),
    /// The client record linked to this account.
    Own(Uuid),
    /// None (a trainer account not linked to a trainer, a trainer-role API key).
    Nothing,
}

/// The caller's view of the clients of their organization.
#[derive(Debug, Clone, Copy)]
pub struct ClientScope {
    /// The tenant.
    pub org: OrgId,
    /// Which clients.
    pub visibility: Visibility,
    /// Whether medical notes are shown and may be written.
    pub medical: bool,
    /// The caller's role.
    pub role: Role,
    /// The acting account, for history records.
    pub actor_id: Option<Uuid>,
}

impl ClientScope {
    /// Works out the scope of a caller (one query for trainers, none otherwise).
    pub async fn of(db: &impl ConnectionTrait, caller: &CurrentUser) -> AppResult<Self> {
        let (visibility, medical) = match caller.role {
            Role::Owner | Role::Admin => (Visibility::All, true),
            Role::Staff => (Visibility::All, false),
            Role::Trainer => match caller.user_id() {
                Some(user) => match trainer_repo::find_by_user(db, caller.org, user).await? {
                    Some(trainer) => (Visibility::Assigned(trainer), true),
                    None => (Visibility::Nothing, false),
                },
                None => (Visibility::Nothing, false),
            },
            Role::Client => match caller.user_id() {
                Some(user) => (Visibility::Own(user), false),
                None => (Visibility::Nothing, false),
            },
        };
        Ok(Self {
            org: caller.org,
            visibility,
            medical,
            role: caller.role,
            actor_id: caller.user_id(),
        })
    }

    /// Works out the scope of an actor; the system sees every client.
    pub async fn for_actor(db: &impl ConnectionTrait, actor: &Actor) -> AppResult<Self> {
        match &actor.caller {
            Some(caller) => Self::of(db, caller).await,
            // The system's rights; history records name the person it acts for, if any.
            None => Ok(Self {
                actor_id: actor.audit.actor_id,
                ..Self::system(actor.org())
            }),
        }
    }

    /// A scope that sees everything in an organization (the shell, imports run by the system).
    pub fn system(org: OrgId) -> Self {
        Self {
            org,
            visibility: Visibility::All,
            medical: true,
            role: Role::Owner,
            actor_id: None,
        }
    }

    /// 403 unless the caller may create and edit clients (not the client portal).
    pub fn require_editor(&self) -> AppResult<()> {
        self.role.require(Role::Trainer)
    }

    /// 403 unless the caller may work with clients of the whole organization (assignments).
    pub fn require_front_desk(&self) -> AppResult<()> {
        self.role.require(Role::Staff)
    }

    /// 403 when the caller may not write medical notes.
    pub fn require_medical(&self) -> AppResult<()> {
        if self.medical {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "Only owners, admins and the client's trainers handle medical notes.".into(),
            ))
        }
    }
}
