//! Committed changes that in-process caches must hear about at once.
//!
//! A service that has committed a change which a cache may hold a stale copy of (a revoked session, a
//! deactivated account, a changed role, a revoked API key) calls [`Db::changed`] after the commit.
//! Every listener registered on the handle runs synchronously, before the service returns, so the
//! instance that made the change never answers from the stale copy afterwards. Listeners that tell
//! other instances (the Redis bridge) do their sending in the background.
//!
//! This module knows nothing of what the caches hold: it only carries ids.

use std::sync::{Arc, RwLock};

use uuid::Uuid;

use super::Db;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// One login session was revoked.
    Session(Uuid),
    /// An account changed in a way that affects its credentials: deactivated, role or password
    /// changed, sessions revoked.
    User(Uuid),
    /// An API key was revoked.
    ApiKey(Uuid),
}

impl Change {
    /// The wire form shared between instances: `session:<id>`, `user:<id>`, `api_key:<id>`.
    pub fn encode(&self) -> String {
        match self {
            Self::Session(id) => format!("session:{id}"),
            Self::User(id) => format!("user:{id}"),
            Self::ApiKey(id) => format!("api_key:{id}"),
        }
    }

    /// Reads the wire form back; `None` for anything else.
    pub fn decode(s: &str) -> Option<Self> {
        let (kind, id) = s.split_once(':')?;
        let id = Uuid::parse_str(id).ok()?;
        match kind {
            "session" => Some(Self::Session(id)),
            "user" => Some(Self::User(id)),
            "api_key" => Some(Self::ApiKey(id)),
            _ => None,
        }
    }
}

type Listener = Arc<dyn Fn(Change) + Send + Sync>;

/// The listeners of one database handle (shared by its clones).
#[derive(Clone, Default)]
pub struct Listeners(Arc<RwLock<Vec<Listener>>>);

impl std::fmt::Debug for Listeners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.read().map(|l| l.len()).unwrap_or(0);
        write!(f, "Listeners({n})")
    }
}

impl Db {
    /// Registers a listener for committed changes (for the life of the handle and its clones).
    pub fn on_change(&self, listener: impl Fn(Change) + Send + Sync + 'static) {
        if let Ok(mut listeners) = self.listeners.0.write() {
            listeners.push(Arc::new(listener));
        }
    }

    /// Tells every listener that `change` has been committed. Call it after the commit.
    pub fn changed(&self, change: Change) {
        let listeners: Vec<Listener> = match self.listeners.0.read() {
            Ok(l) => l.clone(),
            Err(_) => return,
        };
        for listener in listeners {
            listener(change);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_survive_the_wire() {
        let id = Uuid::now_v7();
        for c in [Change::Session(id), Change::User(id), Change::ApiKey(id)] {
            assert_eq!(Change::decode(&c.encode()), Some(c));
        }
        assert_eq!(Change::decode("user:not-a-uuid"), None);
        assert_eq!(Change::decode(&format!("org:{id}")), None);
        assert_eq!(Change::decode("nothing"), None);
    }
}
