//! Logging: `tracing` with pretty lines on a terminal and JSON lines otherwise (or as configured).
//!
//! Log lines carry ids (request, organization, user), never names, emails, bodies or tokens.
//!
//! Lines are written by a thread of their own, not by the request that logs them: a request hands its
//! line over and goes on (a write to stderr under load, one lock for every thread, used to sit on the
//! request path). When that thread falls 128,000 lines behind, requests wait for it rather than lose lines.

use std::io::IsTerminal;
use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt;
use tracing_subscriber::prelude::*;

use crate::config::{Config, LogFormat};

/// Installs the global subscriber. Calling it twice is harmless (the second call does nothing).
/// Keep the guard it returns until the process ends: dropping it writes out the lines still queued.
#[must_use = "dropping the guard stops the log writer"]
pub fn init(config: &Config) -> tracing_appender::non_blocking::WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("fitnesscrm-log")
        .finish(std::io::stderr());
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match config.log_format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let registry = tracing_subscriber::registry().with(filter);
    let result = if json {
        registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_writer(writer),
            )
            .try_init()
    } else {
        registry.with(fmt::layer().with_writer(writer)).try_init()
    };
    // Already installed (tests start many apps in one process): keep the first.
    let _ = result;
    guard
}

/// Latency buckets in seconds: fine below 100 ms, where the targets are.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide Prometheus recorder's handle, installing it on first use.
pub fn metrics_handle() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    if let Some(h) = HANDLE.get() {
        return Ok(h.clone());
    }
    // One installation at a time: a thread that lost the race used to look for the winner's handle
    // before the winner had stored it, and failed (seen as flaky test start-ups).
    let _installing = INSTALLING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(h) = HANDLE.get() {
        return Ok(h.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)?
        .build_recorder();
    let h = recorder.handle();
    // Another thread may have won the race; then its recorder stays installed and ours is dropped.
    if metrics::set_global_recorder(recorder).is_ok() {
        let _ = HANDLE.set(h);
    }
    HANDLE
        .get()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("a foreign metrics recorder is installed"))
}

/// How often [`run_upkeep`] drains the histograms.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs until dropped: drains the recorder's histogram samples into their buckets every few seconds
/// (the recorder otherwise keeps every raw sample until the next scrape of `/metrics`).
pub async fn run_upkeep(handle: PrometheusHandle) {
    let mut tick = tokio::time::interval(UPKEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        handle.run_upkeep();
    }
}
