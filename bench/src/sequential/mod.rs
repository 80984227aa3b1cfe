//! `fitnesscrm-bench [seq]`: measures the client-CRM speed targets against a running `fitnesscrm serve`.
//!
//! It logs in, samples existing clients and trainers through the API, then runs each scenario as
//! single sequential requests on one keep-alive connection: a warm-up that is not recorded, then the
//! measured requests. Inputs vary like real use: random existing clients for `get`, 2–3 letter
//! prefixes of seeded names for `search`, a new client with a unique email for `create`. Every status
//! is checked. With `--scenarios agenda-week,session-create,series-52` it measures the scheduling
//! targets (data from `fitnesscrm seed --clients N --trainers 100 --sessions M`): a random trainer's
//! week, booking a session (a 409 from the conflict check is a valid outcome and counted apart), and a
//! weekly series of 52 sessions. The `page-*` scenarios GET web pages (dashboard, clients list and search,
//! client file, calendar week, classes) with the session cookie, as a browser does. It prints p50/p95/p99/max per scenario (and the median of several runs) as a table,
//! or as JSON with `--json`.

use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use reqwest::{Client, Url};
use serde_json::json;

use crate::common::{Picker, login};
use crate::stats::{self, Summary};

mod scenarios;

use scenarios::Bench;

/// The client-CRM scenarios, run by default, in the order they run.
const SCENARIOS: [&str; 4] = ["list", "search", "get", "create"];
/// Every scenario `--scenarios` accepts.
const ALL_SCENARIOS: [&str; 13] = [
    "list",
    "search",
    "get",
    "create",
    "agenda-week",
    "session-create",
    "series-52",
    "page-dashboard",
    "page-clients",
    "page-clients-search",
    "page-client",
    "page-calendar-week",
    "page-classes",
];

/// The web pages measured by the `page-*` scenarios: a browser's GET with the session cookie.
pub(crate) const PAGE_SCENARIOS: [&str; 6] = [
    "page-dashboard",
    "page-clients",
    "page-clients-search",
    "page-client",
    "page-calendar-week",
    "page-classes",
];

/// Measures latency of the client API with sequential requests.
#[derive(Debug, Parser)]
#[command(
    name = "fitnesscrm-bench",
    version,
    about,
    after_help = "`fitnesscrm-bench load --help` describes the mixed-load test."
)]
struct Args {
    /// Base URL of the server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Login email (an owner of the seeded organization).
    #[arg(long, env = "BENCH_EMAIL")]
    email: String,
    /// Login password.
    #[arg(long, env = "BENCH_PASSWORD", hide_env_values = true)]
    password: String,
    /// Unrecorded requests per scenario before measuring.
    #[arg(long, default_value_t = 50)]
    warmup: usize,
    /// Measured requests per scenario and run.
    #[arg(long, default_value_t = 500)]
    requests: usize,
    /// Runs of every scenario; the summary is the median over runs.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=20))]
    runs: u32,
    /// Scenarios to run, comma-separated: list, search, get, create (the default), and the scheduling
    /// ones agenda-week, session-create, series-52 (they need seeded sessions: `seed --sessions N`).
    #[arg(long, value_delimiter = ',', default_values_t = SCENARIOS.map(String::from))]
    scenarios: Vec<String>,
    /// A name for this configuration in the output (e.g. sqlite, postgres).
    #[arg(long, default_value = "fitnesscrm")]
    label: String,
    /// Seed of the input choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Also write the JSON result to this file.
    #[arg(long, value_name = "PATH")]
    json_file: Option<std::path::PathBuf>,
    /// Exit with status 1 when a p95 target is missed.
    #[arg(long)]
    fail_on_miss: bool,
}

async fn run(args: Args) -> anyhow::Result<bool> {
    let scenarios: Vec<&'static str> = args
        .scenarios
        .iter()
        .map(|s| {
            ALL_SCENARIOS.into_iter().find(|k| k == s).with_context(|| {
                format!("unknown scenario {s}; known: {}", ALL_SCENARIOS.join(", "))
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let base = Url::parse(&args.url).context("--url")?;
    let http = Client::builder()
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(30))
        .build()?;
    let token = login(&http, &base, &args.email, &args.password).await?;
    let nonce = crate::common::nonce();
    let mut bench = Bench {
        http,
        base,
        token,
        client_ids: Vec::new(),
        prefixes: Vec::new(),
        names: Vec::new(),
        trainer_ids: Vec::new(),
        picker: Picker(args.seed),
        nonce,
        created: 0,
        last_status: None,
        outcomes: Default::default(),
    };
    bench.sample().await?;
    if !args.json {
        println!(
            "{}: {} sampled clients, {} search prefixes, {} trainers; {} warm-up + {} measured requests per scenario, {} run(s)\n",
            args.label,
            bench.client_ids.len(),
            bench.prefixes.len(),
            bench.trainer_ids.len(),
            args.warmup,
            args.requests,
            args.runs
        );
    }
    let mut runs = Vec::new();
    for run in 1..=args.runs {
        let mut summaries = Vec::new();
        for name in &scenarios {
            summaries.push(bench.scenario(name, args.warmup, args.requests).await?);
        }
        if !args.json {
            println!(
                "{}",
                stats::table(
                    &format!("{} run {run}/{}", args.label, args.runs),
                    &summaries
                )
            );
        }
        runs.push(summaries);
    }
    let median = Summary::median_of_runs(&runs);
    let out = json!({
        "label": args.label,
        "url": args.url,
        "warmup": args.warmup,
        "requests": args.requests,
        "sampled_clients": bench.client_ids.len(),
        "runs": runs.iter().map(|r| r.iter().map(Summary::to_json).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "median": median.iter().map(Summary::to_json).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&out)?;
    if let Some(path) = &args.json_file {
        std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
    }
    if args.json {
        println!("{text}");
    } else if args.runs > 1 {
        println!(
            "{}",
            stats::table(
                &format!("{}: median of {} runs", args.label, args.runs),
                &median
            )
        );
    }
    Ok(median.iter().all(Summary::met))
}

/// Runs the sequential bench with these command-line arguments (the program name first).
pub fn main(args: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    let args = Args::parse_from(args);
    let fail_on_miss = args.fail_on_miss;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fitnesscrm-bench: cannot start the runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(met) if met || !fail_on_miss => std::process::ExitCode::SUCCESS,
        Ok(_) => {
            eprintln!("fitnesscrm-bench: a p95 target was missed");
            std::process::ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("fitnesscrm-bench: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
