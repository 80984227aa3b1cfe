//! Per operation: an HDR histogram of latencies (µs, 3 significant digits), counts of outcomes,
//! and a few samples of the first errors. Each virtual user records into its own, merged at the end.

use std::time::Duration;

use hdrhistogram::Histogram;

use super::outcome::{Op, Outcome};

/// Errors kept as samples (the first ones seen by each virtual user, then merged).
pub const ERROR_SAMPLES: usize = 10;
/// The histograms' range: 1 µs to 5 minutes.
const MAX_MICROS: u64 = 300_000_000;

/// What one operation kind saw.
#[derive(Debug, Clone)]
pub struct OpStats {
    /// Latency of every answer (and of every failure, up to when it failed), µs.
    pub latency: Histogram<u64>,
    /// Answers counted as [`Outcome::Ok`].
    pub ok: u64,
    /// Answers counted as [`Outcome::Refused`].
    pub refused: u64,
    /// [`Outcome::Error`]s.
    pub errors: u64,
}

impl OpStats {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            latency: Histogram::new_with_bounds(1, MAX_MICROS, 3)?,
            ok: 0,
            refused: 0,
            errors: 0,
        })
    }

    /// Every operation counted.
    pub fn count(&self) -> u64 {
        self.ok + self.refused + self.errors
    }
}

/// The recordings of one virtual user, or of all after merging.
#[derive(Debug, Clone)]
pub struct Recorder {
    /// Per operation, in [`Op::ALL`] order.
    pub ops: Vec<OpStats>,
    /// The first errors: what was asked and what came back.
    pub error_samples: Vec<String>,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            ops: Op::ALL
                .iter()
                .map(|_| OpStats::new())
                .collect::<anyhow::Result<_>>()?,
            error_samples: Vec::new(),
        })
    }

    /// Records one operation. `error` describes an error outcome (kept if among the first).
    pub fn record(&mut self, op: Op, took: Duration, outcome: Outcome, error: Option<String>) {
        let Some(s) = self.ops.get_mut(op.index()) else {
            return;
        };
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1);
        s.latency.saturating_record(micros);
        match outcome {
            Outcome::Ok => s.ok += 1,
            Outcome::Refused => s.refused += 1,
            Outcome::Error => {
                s.errors += 1;
                if self.error_samples.len() < ERROR_SAMPLES {
                    self.error_samples
                        .push(error.unwrap_or_else(|| format!("{}: error", op.name())));
                }
            }
        }
    }

    /// Adds another recorder's figures to this one.
    pub fn merge(&mut self, other: &Recorder) -> anyhow::Result<()> {
        for (mine, theirs) in self.ops.iter_mut().zip(&other.ops) {
            mine.latency.add(&theirs.latency)?;
            mine.ok += theirs.ok;
            mine.refused += theirs.refused;
            mine.errors += theirs.errors;
        }
        for e in &other.error_samples {
            if self.error_samples.len() < ERROR_SAMPLES {
                self.error_samples.push(e.clone());
            }
        }
        Ok(())
    }

    /// Every operation together.
    pub fn overall(&self) -> anyhow::Result<OpStats> {
        let mut all = OpStats::new()?;
        for s in &self.ops {
            all.latency.add(&s.latency)?;
            all.ok += s.ok;
            all.refused += s.refused;
            all.errors += s.errors;
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recordings_merge_into_percentiles_per_operation() {
        let mut a = Recorder::new().unwrap();
        let mut b = Recorder::new().unwrap();
        for ms in 1..=50 {
            a.record(Op::Search, Duration::from_millis(ms), Outcome::Ok, None);
        }
        for ms in 51..=100 {
            b.record(Op::Search, Duration::from_millis(ms), Outcome::Ok, None);
        }
        b.record(Op::Book, Duration::from_millis(3), Outcome::Refused, None);
        b.record(
            Op::Book,
            Duration::from_secs(10),
            Outcome::Error,
            Some("book: timeout".into()),
        );
        a.merge(&b).unwrap();
        let search = &a.ops[Op::Search.index()];
        assert_eq!(search.count(), 100);
        let p99 = search.latency.value_at_quantile(0.99) as f64 / 1000.0;
        assert!((98.9..=99.1).contains(&p99), "{p99}");
        let book = &a.ops[Op::Book.index()];
        assert_eq!((book.ok, book.refused, book.errors), (0, 1, 1));
        assert_eq!(a.error_samples, ["book: timeout"]);
        let all = a.overall().unwrap();
        assert_eq!(all.count(), 102);
        assert_eq!(all.errors, 1);
        assert!(all.latency.max() >= 9_990_000);
    }

    #[test]
    fn only_the_first_errors_are_kept_as_samples() {
        let mut r = Recorder::new().unwrap();
        for i in 0..25 {
            r.record(
                Op::Dashboard,
                Duration::from_millis(1),
                Outcome::Error,
                Some(format!("e{i}")),
            );
        }
        assert_eq!(r.error_samples.len(), ERROR_SAMPLES);
        assert_eq!(r.error_samples[0], "e0");
        assert_eq!(r.ops[Op::Dashboard.index()].errors, 25);
    }
}
