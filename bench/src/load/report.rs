//! The result of a load run: per operation and overall latency and outcomes, the server's memory and
//! CPU, the idle connections, the overbooking check, and the targets of issue #10; as a table or JSON.

use serde_json::{Value, json};

use super::idle::IdleResult;
use super::outcome::Op;
use super::procstat::Usage;
use super::record::{OpStats, Recorder};

/// p99 of every request, ms (issue #10).
pub const TARGET_P99_MS: f64 = 100.0;
/// Peak resident memory of the server, MiB (issue #10, "at 1,000 connections").
pub const TARGET_RSS_MIB: f64 = 150.0;
/// The limit on the growth of the resident memory over a 10-minute soak, per cent.
pub const TARGET_SOAK_GROWTH_PCT: f64 = 10.0;

/// One line of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Operation, or `all`.
    pub name: String,
    /// Operations done.
    pub count: u64,
    /// Correct answers.
    pub ok: u64,
    /// Expected refusals (a full class).
    pub refused: u64,
    /// Errors.
    pub errors: u64,
    /// Operations per second of the measured time.
    pub rate: f64,
    /// Latency percentiles, ms.
    pub p50: f64,
    /// 95th.
    pub p95: f64,
    /// 99th.
    pub p99: f64,
    /// Slowest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

impl Row {
    /// The row of an operation's (or the overall) figures over `secs` seconds.
    pub fn of(name: &str, s: &OpStats, secs: f64) -> Row {
        let ms = |micros: u64| micros as f64 / 1000.0;
        let empty = s.latency.is_empty();
        let q = |quantile: f64| {
            if empty {
                0.0
            } else {
                ms(s.latency.value_at_quantile(quantile))
            }
        };
        Row {
            name: name.to_owned(),
            count: s.count(),
            ok: s.ok,
            refused: s.refused,
            errors: s.errors,
            rate: if secs > 0.0 {
                s.count() as f64 / secs
            } else {
                0.0
            },
            p50: q(0.50),
            p95: q(0.95),
            p99: q(0.99),
            max: if empty { 0.0 } else { ms(s.latency.max()) },
            mean: if empty {
                0.0
            } else {
                s.latency.mean() / 1000.0
            },
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "op": self.name,
            "count": self.count,
            "ok": self.ok,
            "refused": self.refused,
            "errors": self.errors,
            "per_second": round(self.rate),
            "p50_ms": round(self.p50),
            "p95_ms": round(self.p95),
            "p99_ms": round(self.p99),
            "max_ms": round(self.max),
            "mean_ms": round(self.mean),
        })
    }
}

/// Classes created for the run and how the overbooking check went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classes {
    /// Classes checked.
    pub checked: usize,
    /// Places per class.
    pub capacity: u32,
    /// Booked places at the end, over every class.
    pub booked: u64,
    /// Waitlisted at the end, over every class.
    pub waitlisted: u64,
    /// Classes with more booked than capacity (by the class or by its roster).
    pub overbooked: usize,
    /// What was wrong, per overbooked class.
    pub details: Vec<String>,
}

/// A whole run.
#[derive(Debug, Clone)]
pub struct Report {
    /// A name for the configuration (sqlite, postgres).
    pub label: String,
    /// Virtual users.
    pub users: usize,
    /// Virtual users per role, `name=count`.
    pub roles: String,
    /// Measured seconds (from the first user's start until the last operation ended).
    pub seconds: f64,
    /// Mean think time, ms.
    pub think_ms: u64,
    /// Per operation, then `all`.
    pub rows: Vec<Row>,
    /// The server's memory and CPU, when `--server-pid` was given.
    pub server: Option<Usage>,
    /// Idle connections.
    pub idle: IdleResult,
    /// The overbooking check.
    pub classes: Classes,
    /// The first errors.
    pub error_samples: Vec<String>,
}

/// A target of the issue and whether the run met it.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// What.
    pub target: String,
    /// What was measured.
    pub measured: String,
    /// Met.
    pub met: bool,
}

impl Report {
    /// The rows of a recorder: every operation that ran, then `all`.
    pub fn rows_of(rec: &Recorder, secs: f64) -> anyhow::Result<Vec<Row>> {
        let mut rows: Vec<Row> = Op::ALL
            .iter()
            .zip(&rec.ops)
            .filter(|(_, s)| s.count() > 0)
            .map(|(op, s)| Row::of(op.name(), s, secs))
            .collect();
        rows.push(Row::of("all", &rec.overall()?, secs));
        Ok(rows)
    }

    fn overall(&self) -> Option<&Row> {
        self.rows.iter().find(|r| r.name == "all")
    }

    /// Errors of every kind: operations, idle connections lost, overbooked classes.
    pub fn failures(&self) -> u64 {
        let ops = self.overall().map_or(0, |r| r.errors);
        let idle = (self.idle.requested - self.idle.usable_at_end.min(self.idle.requested)) as u64;
        ops + idle + self.classes.overbooked as u64
    }

    /// The targets, as measured here.
    pub fn verdicts(&self) -> Vec<Verdict> {
        let all = self.overall();
        let p99 = all.map_or(0.0, |r| r.p99);
        let errors = all.map_or(0, |r| r.errors);
        let mut v = vec![
            Verdict {
                target: format!("p99 of all requests < {TARGET_P99_MS} ms"),
                measured: format!("{p99:.1} ms"),
                met: p99 < TARGET_P99_MS,
            },
            Verdict {
                target: "zero errors".into(),
                measured: errors.to_string(),
                met: errors == 0,
            },
            Verdict {
                target: "zero overbooked classes".into(),
                measured: format!("{} of {}", self.classes.overbooked, self.classes.checked),
                met: self.classes.overbooked == 0,
            },
            Verdict {
                target: format!("{} idle keep-alive connections held", self.idle.requested),
                measured: format!(
                    "{} opened, {} usable at the end",
                    self.idle.opened, self.idle.usable_at_end
                ),
                met: self.idle.usable_at_end == self.idle.requested,
            },
        ];
        if let Some(s) = &self.server {
            v.push(Verdict {
                target: format!("server RSS < {TARGET_RSS_MIB} MB"),
                measured: format!("peak {:.1} MiB", s.rss_peak_mib),
                met: s.rss_peak_mib < TARGET_RSS_MIB,
            });
            if let (Some(warm), Some(growth)) = (s.rss_warm_mib, s.soak_growth_pct()) {
                v.push(Verdict {
                    target: format!("RSS growth < {TARGET_SOAK_GROWTH_PCT} % over the soak"),
                    measured: format!(
                        "{growth:+.1} % ({warm:.1} MiB a minute in, {:.1} at the end)",
                        s.rss_end_mib
                    ),
                    met: growth < TARGET_SOAK_GROWTH_PCT,
                });
            }
        }
        v
    }

    /// The human-readable report.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{}: {} virtual users ({}), think time {} ms mean, {:.1} s measured\n",
            self.label, self.users, self.roles, self.think_ms, self.seconds
        );
        out.push_str(&format!(
            "{:<12} {:>8} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8}\n",
            "op",
            "count",
            "ok",
            "refused",
            "errors",
            "req/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "mean ms"
        ));
        for r in &self.rows {
            out.push_str(&format!(
                "{:<12} {:>8} {:>8} {:>8} {:>7} {:>8.1} {:>8.2} {:>8.2} {:>8.2} {:>9.2} {:>8.2}\n",
                r.name,
                r.count,
                r.ok,
                r.refused,
                r.errors,
                r.rate,
                r.p50,
                r.p95,
                r.p99,
                r.max,
                r.mean
            ));
        }
        if let Some(s) = &self.server {
            out.push_str(&format!(
                "server: RSS {:.1} MiB before the set-up, {:.1} after it, {:.1} with the idle connections open, peak {:.1}, mean {:.1}; CPU peak {:.0} %, mean {:.0} % (of one core); peak {} open files, {} threads; {} samples\n",
                s.rss_before_setup_mib,
                s.rss_after_setup_mib,
                s.rss_start_mib, s.rss_peak_mib, s.rss_mean_mib, s.cpu_peak_pct, s.cpu_mean_pct,
                s.fds_peak, s.threads_peak, s.samples
            ));
        }
        out.push_str(&format!(
            "idle connections: {} requested, {} opened, {} usable at the end\n",
            self.idle.requested, self.idle.opened, self.idle.usable_at_end
        ));
        out.push_str(&format!(
            "classes: {} checked (capacity {}), {} booked and {} waitlisted at the end, {} overbooked\n",
            self.classes.checked,
            self.classes.capacity,
            self.classes.booked,
            self.classes.waitlisted,
            self.classes.overbooked
        ));
        for d in &self.classes.details {
            out.push_str(&format!("  overbooked: {d}\n"));
        }
        for e in self.error_samples.iter().chain(&self.idle.errors) {
            out.push_str(&format!("  error: {e}\n"));
        }
        out.push_str("targets (issue #10):\n");
        for v in self.verdicts() {
            out.push_str(&format!(
                "  {:<3} {:<45} {}\n",
                if v.met { "met" } else { "NO" },
                v.target,
                v.measured
            ));
        }
        out
    }

    /// The report as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "label": self.label,
            "users": self.users,
            "roles": self.roles,
            "seconds": round(self.seconds),
            "think_ms": self.think_ms,
            "ops": self.rows.iter().filter(|r| r.name != "all").map(Row::to_json).collect::<Vec<_>>(),
            "overall": self.overall().map(Row::to_json),
            "server": self.server.as_ref().map(|s| json!({
                "samples": s.samples,
                "rss_before_setup_mib": round(s.rss_before_setup_mib),
                "rss_after_setup_mib": round(s.rss_after_setup_mib),
                "rss_start_mib": round(s.rss_start_mib),
                "rss_peak_mib": round(s.rss_peak_mib),
                "rss_mean_mib": round(s.rss_mean_mib),
                "rss_warm_mib": s.rss_warm_mib.map(round),
                "rss_end_mib": round(s.rss_end_mib),
                "soak_growth_pct": s.soak_growth_pct().map(round),
                "cpu_peak_pct": round(s.cpu_peak_pct),
                "cpu_mean_pct": round(s.cpu_mean_pct),
                "fds_peak": s.fds_peak,
                "threads_peak": s.threads_peak,
            })),
            "idle": {
                "requested": self.idle.requested,
                "opened": self.idle.opened,
                "usable_at_end": self.idle.usable_at_end,
                "errors": self.idle.errors,
            },
            "classes": {
                "checked": self.classes.checked,
                "capacity": self.classes.capacity,
                "booked": self.classes.booked,
                "waitlisted": self.classes.waitlisted,
                "overbooked": self.classes.overbooked,
                "details": self.classes.details,
            },
            "error_samples": self.error_samples,
            "targets": self.verdicts().iter().map(|v| json!({
                "target": v.target, "measured": v.measured, "met": v.met,
            })).collect::<Vec<_>>(),
        })
    }
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::outcome::Outcome;
    use super::*;

    fn report() -> Report {
        let mut rec = Recorder::new().unwrap();
        for ms in 1..=100 {
            rec.record(Op::Search, Duration::from_millis(ms), Outcome::Ok, None);
        }
        rec.record(Op::Book, Duration::from_millis(4), Outcome::Refused, None);
        rec.record(
            Op::Book,
            Duration::from_millis(5),
            Outcome::Error,
            Some("book: 500 Internal Server Error".into()),
        );
        Report {
            label: "sqlite".into(),
            users: 10,
            roles: "front-desk=5,client=5".into(),
            seconds: 10.0,
            think_ms: 1000,
            rows: Report::rows_of(&rec, 10.0).unwrap(),
            server: Some(Usage {
                samples: 10,
                rss_before_setup_mib: 20.0,
                rss_after_setup_mib: 30.0,
                rss_start_mib: 40.0,
                rss_peak_mib: 160.5,
                rss_mean_mib: 120.0,
                rss_warm_mib: None,
                rss_end_mib: 150.0,
                cpu_peak_pct: 190.0,
                cpu_mean_pct: 150.0,
                fds_peak: 1020,
                threads_peak: 6,
            }),
            idle: IdleResult {
                requested: 100,
                opened: 100,
                usable_at_end: 98,
                errors: vec!["at the end: the server closed the connection".into()],
            },
            classes: Classes {
                checked: 3,
                capacity: 8,
                booked: 24,
                waitlisted: 2,
                overbooked: 0,
                details: vec![],
            },
            error_samples: rec.error_samples.clone(),
        }
    }

    #[test]
    fn rows_list_the_operations_that_ran_then_all() {
        let r = report();
        let names: Vec<&str> = r.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["search", "book", "all"]);
        let all = &r.rows[2];
        assert_eq!(
            (all.count, all.ok, all.refused, all.errors),
            (102, 100, 1, 1)
        );
        assert!((all.rate - 10.2).abs() < 1e-9);
        assert!((r.rows[0].p99 - 99.0).abs() < 0.1, "{}", r.rows[0].p99);
    }

    #[test]
    fn the_verdicts_say_what_was_missed() {
        let r = report();
        let v = r.verdicts();
        let met: Vec<bool> = v.iter().map(|v| v.met).collect();
        // p99, errors, overbooking, idle, memory.
        assert_eq!(met, [true, false, true, false, false], "{v:?}");
        assert_eq!(r.failures(), 1 + 2);
    }

    #[test]
    fn a_soak_is_judged_on_its_growth() {
        let mut r = report();
        let server = r.server.as_mut().unwrap();
        server.rss_warm_mib = Some(100.0);
        server.rss_end_mib = 112.0;
        let v = r.verdicts();
        let soak = v.last().unwrap();
        assert!(soak.target.starts_with("RSS growth < 10 %"), "{soak:?}");
        assert_eq!(
            soak.measured,
            "+12.0 % (100.0 MiB a minute in, 112.0 at the end)"
        );
        assert!(!soak.met);
        assert_eq!(r.to_json()["server"]["soak_growth_pct"], 12.0);
        r.server.as_mut().unwrap().rss_end_mib = 104.0;
        assert!(r.verdicts().last().unwrap().met);
    }

    #[test]
    fn the_table_and_the_json_carry_the_figures() {
        let r = report();
        let t = r.table();
        assert!(
            t.starts_with("sqlite: 10 virtual users (front-desk=5,client=5)"),
            "{t}"
        );
        assert!(t.contains("search"), "{t}");
        assert!(t.contains("peak 160.5"), "{t}");
        assert!(
            t.contains("100 requested, 100 opened, 98 usable at the end"),
            "{t}"
        );
        assert!(t.contains("error: book: 500 Internal Server Error"), "{t}");
        assert!(t.contains("NO  zero errors"), "{t}");
        let j = r.to_json();
        assert_eq!(j["overall"]["count"], 102);
        assert_eq!(j["ops"][1]["refused"], 1);
        assert_eq!(j["idle"]["usable_at_end"], 98);
        assert_eq!(j["classes"]["overbooked"], 0);
        assert_eq!(j["server"]["rss_peak_mib"], 160.5);
        assert_eq!(j["targets"][2]["met"], true);
    }
}
