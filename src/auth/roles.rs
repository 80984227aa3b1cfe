//! Roles and the rules between them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::AppError;

/// What a user or API key may do in its organization. Ordered from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including billing, settings and ownership.
    Owner,
    /// Everything but ownership.
    Admin,
    /// Front desk: clients, schedule, check-in, payments; no health data.
    Staff,
    /// Their own schedule and the clients assigned to them.
    Trainer,
    /// Their own portal.
    Client,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 5] = [
        Role::Owner,
        Role::Admin,
        Role::Staff,
        Role::Trainer,
        Role::Client,
    ];

    /// Higher is more powerful.
    pub fn rank(self) -> u8 {
        match self {
            Role::Owner => 5,
            Role::Admin => 4,
            Role::Staff => 3,
            Role::Trainer => 2,
            Role::Client => 1,
        }
    }

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Trainer => "trainer",
            Role::Client => "client",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this role is at least as powerful as `other`.
    pub fn at_least(self, other: Role) -> bool {
        self.rank() >= other.rank()
    }

    /// Whether this role manages users and API keys (owner and admin).
    pub fn manages_accounts(self) -> bool {
        self.at_least(Role::Admin)
    }

    /// Nobody grants a role above their own, nor acts on an account above their own.
    pub fn may_grant(self, role: Role) -> bool {
        self.at_least(role)
    }

    /// `Ok` when this role is at least `needed`, 403 otherwise.
    pub fn require(self, needed: Role) -> Result<(), AppError> {
        if self.at_least(needed) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "This needs the {} role or higher.",
                needed.as_str()
            )))
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn nobody_grants_a_role_above_their_own() {
        assert!(Role::Owner.may_grant(Role::Owner));
        assert!(Role::Admin.may_grant(Role::Admin));
        assert!(!Role::Admin.may_grant(Role::Owner));
        assert!(!Role::Staff.may_grant(Role::Admin));
        assert!(Role::Staff.may_grant(Role::Client));
        assert!(Role::Admin.manages_accounts() && !Role::Staff.manages_accounts());
    }
}
