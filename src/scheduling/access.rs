//! Whose schedule a caller sees: staff and above everything; a trainer their own sessions and classes
//! (through the trainer profile linked to their account); a client their own sessions and bookings
//! (through the client record linked to their portal account).

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::auth::{Actor, CurrentUser, Role};
use crate::clients::repo as client_repo;
use crate::error::AppResult;
use crate::organizations::OrgId;
use crate::trainers::repo as trainer_repo;

/// Whose schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Everyone's (staff and above).
    All,
    /// This trainer's.
    Trainer(Uuid),
    /// This client's.
    Client(Uuid),
    /// Nobody's (an account linked to no trainer or client).
    Nobody,
}

/// The caller's view of the schedule.
#[derive(Debug, Clone, Copy)]
pub struct ScheduleScope {
    /// The tenant.
    pub org: OrgId,
    /// Whose schedule.
    pub who: Who,
    /// The caller's role.
    pub role: Role,
}

impl ScheduleScope {
    /// Works out the scope of a caller.
    pub async fn of(db: &impl ConnectionTrait, caller: &CurrentUser) -> AppResult<Self> {
        let who = match (caller.role, caller.user_id()) {
            (Role::Owner | Role::Admin | Role::Staff, _) => Who::All,
            (Role::Trainer, Some(user)) => {
                match trainer_repo::find_by_user(db, caller.org, user).await? {
                    Some(t) => Who::Trainer(t),
                    None => Who::Nobody,
                }
            }
            (Role::Client, Some(user)) => {
                match client_repo::id_by_user(db, caller.org, user).await? {
                    Some(c) => Who::Client(c),
                    None => Who::Nobody,
                }
            }
            _ => Who::Nobody,
        };
        Ok(Self {
            org: caller.org,
            who,
            role: caller.role,
        })
    }

    /// Works out the scope of an actor; the system sees every schedule.
    pub async fn for_actor(db: &impl ConnectionTrait, actor: &Actor) -> AppResult<Self> {
        match &actor.caller {
            Some(caller) => Self::of(db, caller).await,
            None => Ok(Self {
                org: actor.org(),
                who: Who::All,
                role: Role::Owner,
            }),
        }
    }

    /// Whether the caller sees an item with this trainer and (for sessions) client.
    pub fn sees(&self, trainer: Uuid, client: Option<Uuid>) -> bool {
        match self.who {
            Who::All => true,
            Who::Trainer(t) => t == trainer,
            Who::Client(c) => client == Some(c),
            Who::Nobody => false,
        }
    }

    /// Whether the caller runs the schedule of others (staff and above).
    pub fn is_front_desk(&self) -> bool {
        self.who == Who::All
    }

    /// Whether the caller may override conflicts and working hours (owner, admin).
    pub fn may_override(&self) -> bool {
        self.role.at_least(Role::Admin)
    }
}
