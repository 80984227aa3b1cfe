//! The server's memory and CPU, sampled from `/proc/<pid>/status` and `/proc/<pid>/stat` every
//! second while the load runs (Linux only), and its open file descriptors.

use std::time::{Duration, Instant};

use tokio::sync::watch;

/// Clock ticks per second of `/proc/<pid>/stat` times: `USER_HZ`, fixed at 100 on Linux for every
/// interface that reports to user space.
const TICKS_PER_SECOND: f64 = 100.0;

/// One reading of the process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// Resident set size, KiB (`VmRSS`).
    pub rss_kib: u64,
    /// User + system CPU time so far, in clock ticks.
    pub cpu_ticks: u64,
    /// Threads.
    pub threads: u64,
    /// Open file descriptors (sockets included).
    pub fds: u64,
}

/// What the sampling found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    /// Samples taken.
    pub samples: usize,
    /// Resident memory before the set-up (as started), MiB.
    pub rss_before_setup_mib: f64,
    /// Resident memory after the set-up (accounts created and logged in: argon2), MiB.
    pub rss_after_setup_mib: f64,
    /// Resident memory with the idle connections open, before the load, MiB.
    pub rss_start_mib: f64,
    /// Peak resident memory, MiB.
    pub rss_peak_mib: f64,
    /// Mean resident memory, MiB.
    pub rss_mean_mib: f64,
    /// Resident memory at the first reading a minute or more into the load (after the warm-up:
    /// pools, caches and buffers filled), MiB; `None` for a run shorter than two minutes.
    pub rss_warm_mib: Option<f64>,
    /// Resident memory at the last reading, MiB.
    pub rss_end_mib: f64,
    /// Peak CPU over one sample interval, % of one core.
    pub cpu_peak_pct: f64,
    /// Mean CPU over the whole run, % of one core.
    pub cpu_mean_pct: f64,
    /// Peak open file descriptors.
    pub fds_peak: u64,
    /// Peak threads.
    pub threads_peak: u64,
}

impl Usage {
    /// Growth of the resident memory from the end of the warm-up to the end of the run, per cent.
    pub fn soak_growth_pct(&self) -> Option<f64> {
        self.rss_warm_mib
            .filter(|w| *w > 0.0)
            .map(|w| (self.rss_end_mib - w) / w * 100.0)
    }
}

/// `VmRSS` and `Threads` of a `/proc/<pid>/status` text.
pub fn parse_status(text: &str) -> Option<(u64, u64)> {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("Threads:")?))
}

/// `utime + stime` (fields 14 and 15) of a `/proc/<pid>/stat` line. The command name (field 2) is
/// in parentheses and may hold spaces and parentheses, so the fields are counted after the last `)`.
pub fn parse_stat(text: &str) -> Option<u64> {
    let after = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state): utime is field 14, so index 11.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Reads the process now; `None` when it is gone or `/proc` is not there.
pub fn read(pid: u32) -> Option<Reading> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (rss_kib, threads) = parse_status(&status)?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count() as u64)
        .unwrap_or(0);
    Some(Reading {
        rss_kib,
        cpu_ticks: parse_stat(&stat)?,
        threads,
        fds,
    })
}

/// How far into the load the soak's growth is counted from, and the shortest run it is counted for.
pub const WARM_UP_SECS: f64 = 60.0;

/// Summarises timed readings (`(seconds since the first, reading)`) of the load, with the RSS before
/// the set-up and at the start of the load.
pub fn summarise(before_kib: [u64; 3], readings: &[(f64, Reading)]) -> Usage {
    let [before_setup_kib, after_setup_kib, start_rss_kib] = before_kib;
    let mib = |kib: u64| kib as f64 / 1024.0;
    let mut usage = Usage {
        samples: readings.len(),
        rss_before_setup_mib: mib(before_setup_kib),
        rss_after_setup_mib: mib(after_setup_kib),
        rss_start_mib: mib(start_rss_kib),
        ..Usage::default()
    };
    if readings.is_empty() {
        return usage;
    }
    let mut rss_sum = 0.0;
    for (_, r) in readings {
        rss_sum += mib(r.rss_kib);
        usage.rss_peak_mib = usage.rss_peak_mib.max(mib(r.rss_kib));
        usage.fds_peak = usage.fds_peak.max(r.fds);
        usage.threads_peak = usage.threads_peak.max(r.threads);
    }
    usage.rss_mean_mib = rss_sum / readings.len() as f64;
    if let Some((end_secs, last)) = readings.last() {
        usage.rss_end_mib = mib(last.rss_kib);
        if *end_secs >= 2.0 * WARM_UP_SECS {
            usage.rss_warm_mib = readings
                .iter()
                .find(|(t, _)| *t >= WARM_UP_SECS)
                .map(|(_, r)| mib(r.rss_kib));
        }
    }
    let pct = |ticks: u64, secs: f64| {
        if secs > 0.0 {
            ticks as f64 / TICKS_PER_SECOND / secs * 100.0
        } else {
            0.0
        }
    };
    for pair in readings.windows(2) {
        let (t0, a) = pair[0];
        let (t1, b) = pair[1];
        let p = pct(b.cpu_ticks.saturating_sub(a.cpu_ticks), t1 - t0);
        usage.cpu_peak_pct = usage.cpu_peak_pct.max(p);
    }
    if let (Some((t0, first)), Some((t1, last))) = (readings.first(), readings.last()) {
        usage.cpu_mean_pct = pct(last.cpu_ticks.saturating_sub(first.cpu_ticks), t1 - t0);
    }
    usage
}

/// Samples `pid` every second until `stop` turns true; returns the readings.
pub async fn sample(pid: u32, mut stop: watch::Receiver<bool>) -> Vec<(f64, Reading)> {
    let started = Instant::now();
    let mut out = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Some(r) = read(pid) {
                    out.push((started.elapsed().as_secs_f64(), r));
                }
            }
            _ = stop.changed() => break,
        }
    }
    if let Some(r) = read(pid) {
        out.push((started.elapsed().as_secs_f64(), r));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_stat_are_parsed() {
        let status = "Name:\tfitnesscrm\nVmPeak:\t  9000 kB\nVmRSS:\t   51234 kB\nThreads:\t5\n";
        assert_eq!(parse_status(status), Some((51_234, 5)));
        assert_eq!(parse_status("Name: x\n"), None);
        let stat = "4242 (fitness crm) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 5 0";
        assert_eq!(parse_stat(stat), Some(300));
        let odd = "7 (a) b) (c) R 1 2 3 4 5 6 7 8 9 10 11 12 13";
        assert_eq!(parse_stat(odd), Some(23));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn the_summary_has_peaks_and_means() {
        let r = |rss_kib, cpu_ticks, fds| Reading {
            rss_kib,
            cpu_ticks,
            threads: 4,
            fds,
        };
        let readings = [
            (0.0, r(10_240, 0, 10)),
            (1.0, r(20_480, 50, 1000)),
            (2.0, r(30_720, 200, 900)),
        ];
        let u = summarise([2_048, 3_072, 5_120], &readings);
        assert_eq!(u.rss_after_setup_mib, 3.0);
        assert_eq!(u.rss_before_setup_mib, 2.0);
        assert_eq!(u.samples, 3);
        assert_eq!(u.rss_start_mib, 5.0);
        assert_eq!(u.rss_peak_mib, 30.0);
        assert_eq!(u.rss_mean_mib, 20.0);
        assert_eq!(u.cpu_peak_pct, 150.0);
        assert_eq!(u.cpu_mean_pct, 100.0);
        assert_eq!(u.fds_peak, 1000);
        assert_eq!(summarise([0; 3], &[]).samples, 0);
        assert_eq!(u.rss_end_mib, 30.0);
        assert_eq!(u.rss_warm_mib, None, "a 2 s run has no soak");
        assert_eq!(u.soak_growth_pct(), None);
    }

    #[test]
    fn the_soak_grows_from_the_end_of_the_warm_up() {
        let r = |rss_kib| Reading {
            rss_kib,
            cpu_ticks: 0,
            threads: 4,
            fds: 10,
        };
        // Climbing during the warm-up does not count; from 100 MiB at 60 s to 110 at the end is 10 %.
        let readings = [
            (0.0, r(20 * 1024)),
            (30.0, r(80 * 1024)),
            (60.5, r(100 * 1024)),
            (300.0, r(105 * 1024)),
            (600.0, r(110 * 1024)),
        ];
        let u = summarise([0; 3], &readings);
        assert_eq!(u.rss_warm_mib, Some(100.0));
        assert_eq!(u.rss_end_mib, 110.0);
        assert_eq!(u.soak_growth_pct(), Some(10.0));
    }

    #[test]
    fn this_process_can_be_read() {
        let me = read(std::process::id()).unwrap();
        assert!(me.rss_kib > 0 && me.threads >= 1 && me.fds >= 1, "{me:?}");
    }
}
