//! Who the virtual users are: the four roles and their weights (`--mix front-desk=35,trainer=25,…`).

use std::fmt;
use std::str::FromStr;

/// The role a virtual user plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Front desk (a `staff` account): prefix search, then opens a client file.
    FrontDesk,
    /// A trainer: loads their week's agenda, checks a client of it in.
    Trainer,
    /// A client (a portal account): books a class, sometimes cancels one.
    Client,
    /// The owner: opens the dashboard.
    Owner,
}

impl Role {
    /// Every role, in report order.
    pub const ALL: [Role; 4] = [Role::FrontDesk, Role::Trainer, Role::Client, Role::Owner];

    /// The name used in `--mix` and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Role::FrontDesk => "front-desk",
            Role::Trainer => "trainer",
            Role::Client => "client",
            Role::Owner => "owner",
        }
    }

    fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "front-desk" | "frontdesk" | "desk" | "staff" => Some(Role::FrontDesk),
            "trainer" | "trainers" => Some(Role::Trainer),
            "client" | "clients" => Some(Role::Client),
            "owner" | "owners" => Some(Role::Owner),
            _ => None,
        }
    }

    fn index(self) -> usize {
        match self {
            Role::FrontDesk => 0,
            Role::Trainer => 1,
            Role::Client => 2,
            Role::Owner => 3,
        }
    }
}

/// Relative weights of the roles; a role not named gets no virtual users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    weights: [u32; 4],
}

impl Mix {
    /// The default: mostly front desk and clients, a quarter trainers, a few owners.
    pub const DEFAULT: &'static str = "front-desk=35,trainer=25,client=35,owner=5";

    /// The weight of a role.
    pub fn weight(&self, role: Role) -> u32 {
        self.weights[role.index()]
    }

    /// How many of `users` virtual users play each role: proportional to the weights, rounded by
    /// largest remainder so that the counts add up to `users` exactly. Deterministic.
    pub fn split(&self, users: usize) -> [usize; 4] {
        let total: u64 = self.weights.iter().map(|&w| u64::from(w)).sum();
        let mut counts = [0usize; 4];
        if total == 0 {
            return counts;
        }
        let mut remainders = [(0u64, 0usize); 4];
        let mut given = 0usize;
        for (i, &w) in self.weights.iter().enumerate() {
            let exact = users as u64 * u64::from(w);
            counts[i] = (exact / total) as usize;
            remainders[i] = (exact % total, i);
            given += counts[i];
        }
        // Largest remainder first; ties go to the earlier role.
        remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(rem, i) in remainders.iter().take(users.saturating_sub(given)) {
            if rem > 0 || self.weights[i] > 0 {
                counts[i] += 1;
            }
        }
        counts
    }

    /// The role of each virtual user, `users` long: the split, interleaved so that any prefix of
    /// the list has roughly the mix (users start in this order).
    pub fn assign(&self, users: usize) -> Vec<Role> {
        let counts = self.split(users);
        let mut left = counts;
        let mut out = Vec::with_capacity(users);
        while out.len() < users {
            // The role furthest behind its share so far.
            let next = Role::ALL
                .into_iter()
                .filter(|r| left[r.index()] > 0)
                .max_by(|a, b| {
                    let behind = |r: &Role| {
                        let c = counts[r.index()] as f64;
                        (c - left[r.index()] as f64) / c
                    };
                    behind(b).total_cmp(&behind(a))
                });
            match next {
                Some(r) => {
                    left[r.index()] -= 1;
                    out.push(r);
                }
                None => break,
            }
        }
        out
    }
}

impl FromStr for Mix {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut weights = [0u32; 4];
        let mut seen = [false; 4];
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: expected role=weight"))?;
            let role = Role::parse(name).ok_or_else(|| {
                format!("`{name}`: unknown role (front-desk, trainer, client, owner)")
            })?;
            let weight: u32 = weight
                .trim()
                .parse()
                .map_err(|_| format!("`{part}`: the weight must be a whole number"))?;
            if std::mem::replace(&mut seen[role.index()], true) {
                return Err(format!("`{}` is given twice", role.name()));
            }
            weights[role.index()] = weight;
        }
        if weights.iter().all(|&w| w == 0) {
            return Err("the mix needs at least one role with a weight above 0".into());
        }
        Ok(Self { weights })
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = Role::ALL
            .into_iter()
            .map(|r| format!("{}={}", r.name(), self.weight(r)))
            .collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_mix_parses_and_round_trips() {
        let mix: Mix = Mix::DEFAULT.parse().unwrap();
        assert_eq!(mix.weight(Role::FrontDesk), 35);
        assert_eq!(mix.weight(Role::Owner), 5);
        assert_eq!(mix.to_string(), Mix::DEFAULT);
        assert_eq!(mix.to_string().parse::<Mix>().unwrap(), mix);
    }

    #[test]
    fn roles_not_named_get_no_weight_and_aliases_are_accepted() {
        let mix: Mix = " staff = 3 , Owners=1 ".parse().unwrap();
        assert_eq!(mix.weight(Role::FrontDesk), 3);
        assert_eq!(mix.weight(Role::Owner), 1);
        assert_eq!(mix.weight(Role::Client), 0);
        assert_eq!(mix.split(8), [6, 0, 0, 2]);
    }

    #[test]
    fn bad_mixes_are_refused_with_a_reason() {
        for (bad, says) in [
            ("front-desk", "role=weight"),
            ("cook=3", "unknown role"),
            ("client=many", "whole number"),
            ("client=-1", "whole number"),
            ("client=1,clients=2", "twice"),
            ("client=0", "at least one"),
            ("", "at least one"),
        ] {
            let err = bad.parse::<Mix>().unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn the_split_adds_up_and_follows_the_weights() {
        let mix: Mix = Mix::DEFAULT.parse().unwrap();
        assert_eq!(mix.split(1000), [350, 250, 350, 50]);
        for users in [0, 1, 3, 7, 99, 1001] {
            assert_eq!(mix.split(users).iter().sum::<usize>(), users, "{users}");
        }
        let thirds: Mix = "trainer=1,client=1,owner=1".parse().unwrap();
        assert_eq!(thirds.split(10), [0, 4, 3, 3]);
    }

    #[test]
    fn the_assignment_interleaves_the_roles() {
        let mix: Mix = "front-desk=1,client=1".parse().unwrap();
        let roles = mix.assign(6);
        assert_eq!(roles.len(), 6);
        assert_eq!(
            roles.iter().filter(|r| **r == Role::Client).count(),
            3,
            "{roles:?}"
        );
        assert_ne!(roles[0], roles[1], "{roles:?}");
        let default: Mix = Mix::DEFAULT.parse().unwrap();
        let first_20 = &default.assign(1000)[..20];
        assert!(first_20.contains(&Role::Owner), "{first_20:?}");
    }
}
