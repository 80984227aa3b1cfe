//! The application state: what every handler can reach. A leaf: nothing it holds imports a router.

use std::sync::Arc;
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusHandle;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use crate::auth::cache::{self, CredentialCache};
use crate::auth::guard::Guard;
use crate::config::{Config, redact_url_password};
use crate::dashboard::cache::DashboardCache;
use crate::db::Db;
use crate::http::client::{ClientPolicy, parse_cidrs};
use crate::limits::Limits;
use crate::limits::requests::RequestLimits;

/// What every handler can reach: one shared [`Shared`] behind an `Arc`, so that the clone every layer
/// and extractor makes of it is one reference count, not one per cache and pool it holds (which,
/// on every request and across cores, cost more than some handlers).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct Shared {
    /// The database.
    pub db: Db,
    /// The effective configuration.
    pub config: Arc<Config>,
    /// The Prometheus recorder.
    pub metrics: PrometheusHandle,
    /// Redis, when configured. Connected lazily: an unreachable Redis neither fails nor delays
    /// start-up; the manager connects on first use and reconnects after failures, and the app runs on
    /// in-process state meanwhile (`/health/ready` reports Redis as `unavailable` but stays ready).
    pub redis: Option<redis::aio::ConnectionManager>,
    /// Resolved credentials (see [`crate::auth::cache`]).
    pub credentials: CredentialCache,
    /// The dashboard's figures (see [`crate::dashboard::cache`]).
    pub dashboard: DashboardCache,
    /// Rate limits and the counters of the brute-force defences (see [`crate::limits`]).
    pub limits: RequestLimits,
    /// Which proxies may name the client (see [`crate::http::client`]).
    pub client_policy: ClientPolicy,
    /// The brute-force defence of logins and check-in codes (see [`crate::auth::guard`]).
    pub guard: Guard,
}

impl AppState {
    /// Builds the state: prepares the (lazy) Redis connection when configured and installs the
    /// metrics recorder.
    pub async fn new(db: Db, config: Config) -> anyhow::Result<Self> {
        crate::db::sealed::keys::register(&db).await?;
        let redis = match &config.redis_url {
            Some(url) => {
                let client = redis::Client::open(url.expose_secret())?;
                // Short limits and one retry: a command against a Redis that is down fails fast, and
                // the next one tries to connect again.
                let options = redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(Duration::from_secs(1)))
                    .set_response_timeout(Some(Duration::from_secs(1)))
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_millis(200));
                Some(redis::aio::ConnectionManager::new_lazy_with_config(
                    client, options,
                )?)
            }
            None => None,
        };
        let credentials = CredentialCache::new(config.auth_cache_ttl);
        let local = credentials.clone();
        db.on_change(move |change| local.apply(change));
        if let (Some(url), Some(conn)) = (&config.redis_url, &redis) {
            let conn = conn.clone();
            db.on_change(move |change| cache::publish(&conn, change));
            let client = redis::Client::open(url.expose_secret())?;
            tokio::spawn(cache::subscribe(client, credentials.clone()));
        }
        // Instances on one database count together; deployments that share a Redis but not a
        // database do not.
        let store = match &redis {
            Some(conn) => {
                let url = redact_url_password(config.database_url.expose_secret());
                let namespace = hex::encode(&Sha256::digest(url.as_bytes())[..8]);
                Limits::shared(conn.clone(), &namespace)
            }
            None => Limits::in_memory(),
        };
        let guard = Guard::new(store.clone(), &config);
        let limits = RequestLimits::new(
            store,
            config.rate_limit_auth,
            config.rate_limit_write,
            config.rate_limit_read,
        );
        let client_policy = ClientPolicy::new(
            parse_cidrs(&config.trusted_proxies).map_err(anyhow::Error::msg)?,
            config
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://")),
        );
        Ok(Self(Arc::new(Shared {
            db,
            config: Arc::new(config),
            metrics: crate::telemetry::metrics_handle()?,
            redis,
            credentials,
            dashboard: DashboardCache::new(),
            limits,
            client_policy,
            guard,
        })))
    }
}
