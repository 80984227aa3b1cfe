//! The application state: what every handler can reach. A leaf: nothing it holds imports a router.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use secrecy::ExposeSecret;

use crate::config::Config;
use crate::db::Db;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The effective configuration.
    pub config: Arc<Config>,
    /// The Prometheus recorder.
    pub metrics: PrometheusHandle,
    /// Redis, when configured.
    pub redis: Option<redis::aio::ConnectionManager>,
}

impl AppState {
    /// Builds the state: connects Redis when configured and installs the metrics recorder.
    pub async fn new(db: Db, config: Config) -> anyhow::Result<Self> {
        let redis = match &config.redis_url {
            Some(url) => {
                let client = redis::Client::open(url.expose_secret())?;
                Some(redis::aio::ConnectionManager::new(client).await?)
            }
            None => None,
        };
        Ok(Self {
            db,
            config: Arc::new(config),
            metrics: crate::telemetry::metrics_handle()?,
            redis,
        })
    }
}
