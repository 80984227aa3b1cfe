//! `fitnesscrm-bench load`: the mixed load of issue #10. Virtual users in four roles — front desk
//! (search, open a client file), trainers (their week, a check-in), clients (book a class, sometimes
//! cancel), owners (the dashboard) — act in a closed loop with think time, each on its own keep-alive
//! connection, while N idle keep-alive connections are held open. Before the clock starts, the
//! owner creates a few accounts and small classes through the API (`setup`); at the end every class
//! is read back to check that none is overbooked. Latency per operation goes into HDR histograms;
//! the server's RSS and CPU are sampled from `/proc` when its PID is given.

mod api;
mod idle;
mod mix;
mod outcome;
mod procstat;
mod record;
mod report;
mod setup;
mod users;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use reqwest::{Client, Url};
use tokio::sync::watch;

use crate::common::login;
use api::{Api, text};
use mix::{Mix, Role};
use record::Recorder;
use report::{Classes, Report};

/// A mixed closed-loop load of many virtual users, with idle keep-alive connections (issue #10).
#[derive(Debug, Parser)]
#[command(
    name = "fitnesscrm-bench load",
    bin_name = "fitnesscrm-bench load",
    version
)]
struct Args {
    /// Base URL of the server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Login email of an owner of the seeded organization.
    #[arg(long, env = "BENCH_EMAIL")]
    email: String,
    /// The owner's password.
    #[arg(long, env = "BENCH_PASSWORD", hide_env_values = true)]
    password: String,
    /// Virtual users (closed loop: each acts, thinks, acts again).
    #[arg(long, default_value_t = 1000)]
    users: usize,
    /// How long the users act: `60s`, `2m`, `500ms` or seconds.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    duration: Duration,
    /// Mean think time between two actions, ms; each pause is uniform in [0.5, 1.5] × this.
    #[arg(long, default_value_t = 2000)]
    think_ms: u64,
    /// Idle keep-alive connections held open through the run.
    #[arg(long, default_value_t = 0)]
    idle: usize,
    /// Weights of the roles among the users.
    #[arg(long, default_value = Mix::DEFAULT)]
    mix: Mix,
    /// The server's PID, to sample its RSS and CPU from /proc every second.
    #[arg(long)]
    server_pid: Option<u32>,
    /// A request slower than this is an error (`10s`).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    request_timeout: Duration,
    /// Front-desk (`staff`) accounts the front-desk users share.
    #[arg(long, default_value_t = 10)]
    staff_accounts: usize,
    /// Trainer accounts (linked to seeded trainers) the trainer users share.
    #[arg(long, default_value_t = 20)]
    trainer_accounts: usize,
    /// Client portal accounts (linked to seeded clients) the client users share.
    #[arg(long, default_value_t = 60)]
    client_accounts: usize,
    /// Classes created for the run.
    #[arg(long, default_value_t = 50)]
    classes: usize,
    /// Places per class: small, so that bookings contend.
    #[arg(long, default_value_t = 8)]
    capacity: u32,
    /// Waitlist places per class.
    #[arg(long, default_value_t = 2)]
    waitlist: u32,
    /// Chance in % that a client user holding a booking cancels one instead of booking.
    #[arg(long, default_value_t = 35, value_parser = clap::value_parser!(u64).range(0..=100))]
    cancel_percent: u64,
    /// A name for this configuration in the output (e.g. sqlite, postgres).
    #[arg(long, default_value = "fitnesscrm")]
    label: String,
    /// Seed of the random choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON instead of the table.
    #[arg(long)]
    json: bool,
    /// Also write the JSON result to this file.
    #[arg(long, value_name = "PATH")]
    json_file: Option<std::path::PathBuf>,
    /// Exit with status 1 on any error: a failed operation, an idle connection lost, an overbooked
    /// class.
    #[arg(long)]
    fail_on_error: bool,
}

/// Parses `60s`, `2m`, `1h`, `500ms` or plain seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}`: expected a number with s, m, h or ms"))?;
    match unit.trim() {
        "" | "s" => Ok(Duration::from_secs(n)),
        "ms" => Ok(Duration::from_millis(n)),
        "m" | "min" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        other => Err(format!("`{s}`: unknown unit `{other}` (s, m, h, ms)")),
    }
}

/// Reads back every class of the run: booked ≤ capacity, by the class's count and by its roster.
async fn check_classes(
    api: &Api,
    owner: &str,
    classes: &[String],
    capacity: u32,
) -> anyhow::Result<Classes> {
    let mut out = Classes {
        capacity,
        ..Classes::default()
    };
    for id in classes {
        let class = api
            .get(&format!("/api/v1/classes/{id}"), &[], owner)
            .await?;
        let roster = api
            .get(&format!("/api/v1/classes/{id}/bookings"), &[], owner)
            .await?;
        let cap = class["capacity"].as_u64().unwrap_or(0);
        let booked = class["booked"].as_u64().unwrap_or(0);
        let count = |status: &str| {
            roster["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|b| b["status"] == status)
                .count() as u64
        };
        let (on_roster, waiting) = (count("booked"), count("waitlisted"));
        out.checked += 1;
        out.booked += booked;
        out.waitlisted += waiting;
        if booked > cap || on_roster > cap {
            out.overbooked += 1;
            out.details.push(format!(
                "class {id}: capacity {cap}, booked {booked}, {on_roster} booked on the roster ({})",
                text(&class, "name")
            ));
        }
    }
    Ok(out)
}

async fn run(args: Args) -> anyhow::Result<Report> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) if (n as usize) < args.idle + args.users + 64 => eprintln!(
            "warning: the open-files limit is {n}: too low for {} idle connections and {} users",
            args.idle, args.users
        ),
        Ok(_) => {}
        Err(e) => eprintln!("warning: cannot raise the open-files limit: {e}"),
    }
    let base = Url::parse(&args.url).context("--url")?;
    let api = Api {
        http: Client::builder().timeout(Duration::from_secs(60)).build()?,
        base: base.clone(),
    };
    let owner = login(&api.http, &base, &args.email, &args.password).await?;
    let before_setup = args
        .server_pid
        .and_then(procstat::read)
        .map_or(0, |r| r.rss_kib);
    let plan = setup::Plan {
        staff: args.staff_accounts.max(1),
        trainers: args.trainer_accounts.max(1),
        clients: args.client_accounts.max(1),
        classes: args.classes.max(1),
        capacity: args.capacity,
        waitlist: args.waitlist,
        seed: args.seed,
    };
    let world = setup::prepare(&api, owner.clone(), &plan).await?;

    let after_setup = args
        .server_pid
        .and_then(procstat::read)
        .map_or(0, |r| r.rss_kib);
    let host = base.host_str().unwrap_or("127.0.0.1").to_owned();
    let port = base.port_or_known_default().unwrap_or(80);
    let addr = tokio::net::lookup_host((host.as_str(), port))
        .await?
        .next()
        .context("--url: no address")?;
    let host_header = format!("{host}:{port}");
    eprintln!("opening {} idle keep-alive connections...", args.idle);
    let idle = idle::open(addr, host_header.clone(), args.idle).await;
    let start_rss = args
        .server_pid
        .and_then(procstat::read)
        .map_or(0, |r| r.rss_kib);
    eprintln!(
        "{} idle connections open ({} failed); {} users for {:?}...",
        idle.conns.len(),
        idle.failed,
        args.users,
        args.duration
    );

    let (stop_tx, stop_rx) = watch::channel(false);
    let sampler = args
        .server_pid
        .map(|pid| tokio::spawn(procstat::sample(pid, stop_rx)));
    let started = Instant::now();
    let shared = Arc::new(users::Shared {
        world,
        base,
        think: Duration::from_millis(args.think_ms.max(1)),
        deadline: started + args.duration,
        timeout: args.request_timeout,
        cancel_percent: args.cancel_percent as usize,
    });
    let roles = args.mix.assign(args.users);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, role) in roles.iter().enumerate() {
        tasks.spawn(users::run(Arc::clone(&shared), *role, i, args.seed));
    }
    let mut rec = Recorder::new()?;
    while let Some(done) = tasks.join_next().await {
        rec.merge(&done??)?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = stop_tx.send(true);
    let server = match sampler {
        Some(s) => Some(procstat::summarise(
            [before_setup, after_setup, start_rss],
            &s.await?,
        )),
        None => None,
    };
    eprintln!("checking the idle connections and the classes...");
    let idle = idle::recheck(idle, host_header).await;
    let classes = check_classes(&api, &owner, &shared.world.classes, args.capacity).await?;
    let split = args.mix.split(args.users);
    let roles_text: Vec<String> = Role::ALL
        .iter()
        .zip(split)
        .filter(|(_, n)| *n > 0)
        .map(|(r, n)| format!("{}={n}", r.name()))
        .collect();
    Ok(Report {
        label: args.label.clone(),
        users: args.users,
        roles: roles_text.join(","),
        seconds,
        think_ms: args.think_ms,
        rows: Report::rows_of(&rec, seconds)?,
        server,
        idle,
        classes,
        error_samples: rec.error_samples,
    })
}

/// Runs the load with these command-line arguments (the program name first).
pub fn main(args: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    let args = Args::parse_from(args);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fitnesscrm-bench load: cannot start the runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let (json, json_file, fail_on_error) = (args.json, args.json_file.clone(), args.fail_on_error);
    let report = match runtime.block_on(run(args)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fitnesscrm-bench load: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    let value = report.to_json();
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    if let Some(path) = json_file
        && let Err(e) = std::fs::write(&path, &text)
    {
        eprintln!("fitnesscrm-bench load: writing {}: {e}", path.display());
    }
    if json {
        println!("{text}");
    } else {
        print!("{}", report.table());
    }
    if fail_on_error && report.failures() > 0 {
        eprintln!(
            "fitnesscrm-bench load: {} failure(s) (errors, idle connections lost, overbooked classes)",
            report.failures()
        );
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units() {
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5 days").is_err());
    }

    #[test]
    fn the_command_line_has_sensible_defaults() {
        let a = Args::try_parse_from([
            "fitnesscrm-bench load",
            "--email",
            "o@example.test",
            "--password",
            "x",
        ])
        .unwrap();
        assert_eq!(
            (a.users, a.duration, a.idle),
            (1000, Duration::from_secs(60), 0)
        );
        assert_eq!(a.mix.to_string(), Mix::DEFAULT);
        assert!(a.staff_accounts + a.trainer_accounts + a.client_accounts <= 100);
        let b = Args::try_parse_from([
            "load",
            "--email",
            "o@x.test",
            "--password",
            "x",
            "--mix",
            "client=1",
            "--idle",
            "10",
            "--duration",
            "20s",
            "--server-pid",
            "42",
        ])
        .unwrap();
        assert_eq!(b.mix.split(3), [0, 0, 3, 0]);
        assert_eq!((b.idle, b.server_pid), (10, Some(42)));
        assert!(
            Args::try_parse_from(["load", "--email", "e", "--password", "p", "--mix", "x=1"])
                .is_err()
        );
    }
}
