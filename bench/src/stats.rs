//! Latency percentiles per scenario, the speed targets, and their rendering as a table and as JSON.

use std::time::Duration;

use serde_json::{Value, json};

/// The latencies of one scenario in one run.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Scenario name.
    pub scenario: &'static str,
    /// Measured requests.
    pub requests: usize,
    /// Median, ms.
    pub p50: f64,
    /// 95th percentile, ms.
    pub p95: f64,
    /// 99th percentile, ms.
    pub p99: f64,
    /// Slowest, ms.
    pub max: f64,
    /// Mean, ms.
    pub mean: f64,
    /// Booking scenarios: (201 created, 409 conflict) answers among the measured requests.
    pub outcomes: Option<(u64, u64)>,
}

/// The p95 target of a scenario in ms, from the issue.
pub fn target_p95(scenario: &str) -> Option<f64> {
    match scenario {
        "list" => Some(10.0),
        "search" => Some(15.0),
        "get" => Some(5.0),
        "create" => Some(10.0),
        "agenda-week" => Some(10.0),
        "session-create" => Some(15.0),
        "series-52" => Some(100.0),
        _ => None,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The nearest-rank percentile `p` (0–100) of sorted samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl Summary {
    /// Summarises the latencies of one scenario.
    pub fn of(scenario: &'static str, mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        let total: Duration = samples.iter().sum();
        Self {
            scenario,
            requests: samples.len(),
            p50: ms(percentile(&samples, 50.0)),
            p95: ms(percentile(&samples, 95.0)),
            p99: ms(percentile(&samples, 99.0)),
            max: ms(samples.last().copied().unwrap_or_default()),
            mean: ms(total) / samples.len().max(1) as f64,
            outcomes: None,
        }
    }

    /// Per scenario, the median over runs of each figure (one run: that run).
    pub fn median_of_runs(runs: &[Vec<Summary>]) -> Vec<Summary> {
        let Some(first) = runs.first() else {
            return Vec::new();
        };
        first
            .iter()
            .map(|s| {
                let of = |f: fn(&Summary) -> f64| {
                    let mut v: Vec<f64> = runs
                        .iter()
                        .filter_map(|r| r.iter().find(|x| x.scenario == s.scenario))
                        .map(f)
                        .collect();
                    v.sort_by(f64::total_cmp);
                    v.get(v.len() / 2).copied().unwrap_or_default()
                };
                Summary {
                    scenario: s.scenario,
                    requests: s.requests,
                    p50: of(|x| x.p50),
                    p95: of(|x| x.p95),
                    p99: of(|x| x.p99),
                    max: of(|x| x.max),
                    mean: of(|x| x.mean),
                    // Over all runs.
                    outcomes: s.outcomes.map(|_| {
                        runs.iter()
                            .filter_map(|r| r.iter().find(|x| x.scenario == s.scenario))
                            .filter_map(|x| x.outcomes)
                            .fold((0, 0), |a, o| (a.0 + o.0, a.1 + o.1))
                    }),
                }
            })
            .collect()
    }

    /// Whether the p95 meets the target (true when there is none).
    pub fn met(&self) -> bool {
        target_p95(self.scenario).is_none_or(|t| self.p95 < t)
    }

    /// As JSON.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "scenario": self.scenario,
            "requests": self.requests,
            "p50_ms": round(self.p50),
            "p95_ms": round(self.p95),
            "p99_ms": round(self.p99),
            "max_ms": round(self.max),
            "mean_ms": round(self.mean),
            "target_p95_ms": target_p95(self.scenario),
            "met": self.met(),
        });
        if let Some((created, conflicts)) = self.outcomes {
            v["created_201"] = json!(created);
            v["conflict_409"] = json!(conflicts);
        }
        v
    }
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A text table of summaries with their targets.
pub fn table(title: &str, rows: &[Summary]) -> String {
    let mut out = format!("{title}\n");
    out.push_str(&format!(
        "{:<14} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>12}  {}\n",
        "scenario",
        "requests",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "mean ms",
        "target p95",
        "met"
    ));
    for s in rows {
        let target = target_p95(s.scenario).map_or_else(|| "-".to_owned(), |t| format!("< {t}"));
        out.push_str(&format!(
            "{:<14} {:>8} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>12}  {}{}\n",
            s.scenario,
            s.requests,
            s.p50,
            s.p95,
            s.p99,
            s.max,
            s.mean,
            target,
            if s.met() { "yes" } else { "NO" },
            s.outcomes
                .map(|(c, x)| format!("  (201: {c}, 409: {x})"))
                .unwrap_or_default()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let s = Summary::of("get", samples);
        assert_eq!(s.p50, 50.0);
        assert_eq!(s.p95, 95.0);
        assert_eq!(s.p99, 99.0);
        assert_eq!(s.max, 100.0);
        assert!(!s.met(), "a p95 of 95 ms misses the 5 ms target");
        let one = Summary::of("list", vec![Duration::from_millis(3)]);
        assert_eq!((one.p50, one.p99), (3.0, 3.0));
        assert!(one.met());
    }

    #[test]
    fn the_median_of_runs_is_taken_per_figure() {
        let run = |p95: u64| vec![Summary::of("search", vec![Duration::from_millis(p95); 10])];
        let m = Summary::median_of_runs(&[run(30), run(10), run(20)]);
        assert_eq!(m[0].p95, 20.0);
    }
}
