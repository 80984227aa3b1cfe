//! `fitnesscrm-bench`: measures the client-CRM speed targets against a running `fitnesscrm serve`.
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

mod stats;

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use reqwest::{Client, Method, StatusCode, Url};
use serde_json::{Value, json};

use stats::Summary;

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
const PAGE_SCENARIOS: [&str; 6] = [
    "page-dashboard",
    "page-clients",
    "page-clients-search",
    "page-client",
    "page-calendar-week",
    "page-classes",
];

/// Measures latency of the client API with sequential requests.
#[derive(Debug, Parser)]
#[command(name = "fitnesscrm-bench", version, about)]
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

/// A small deterministic generator (SplitMix64): enough to pick inputs, no dependency.
struct Picker(u64);

impl Picker {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

/// What the server returned, read completely.
struct Reply {
    status: StatusCode,
    body: Vec<u8>,
}

struct Bench {
    http: Client,
    base: Url,
    token: String,
    client_ids: Vec<String>,
    prefixes: Vec<String>,
    names: Vec<(String, String)>,
    trainer_ids: Vec<String>,
    picker: Picker,
    nonce: String,
    created: u64,
    last_status: Option<StatusCode>,
    /// 201 and 409 answers of the measured booking requests, per scenario.
    outcomes: std::collections::HashMap<&'static str, (u64, u64)>,
}

/// Days from 1970-01-01 to a civil date, and back (Howard Hinnant's algorithms): enough date
/// arithmetic for picking days without another dependency.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn today_days() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    (secs / 86_400) as i64
}

/// `YYYY-MM-DD` of a day number.
fn date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDTHH:MM:00` of a day number and a minute of the day (may exceed 1440).
fn local_time(days: i64, minute: i64) -> String {
    let days = days + minute.div_euclid(1440);
    let minute = minute.rem_euclid(1440);
    format!("{}T{:02}:{:02}:00", date(days), minute / 60, minute % 60)
}

impl Bench {
    async fn send(
        &self,
        method: Method,
        url: Url,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<Reply> {
        let mut r = self.http.request(method, url);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(b);
        }
        let resp = r.send().await.context("sending a request")?;
        let status = resp.status();
        let body = resp.bytes().await.context("reading a response")?.to_vec();
        Ok(Reply { status, body })
    }

    fn url(&self, path: &str, query: &[(&str, &str)]) -> anyhow::Result<Url> {
        let mut url = self.base.join(path)?;
        if !query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        Ok(url)
    }

    async fn get_json(&self, path: &str, query: &[(&str, &str)]) -> anyhow::Result<Value> {
        let url = self.url(path, query)?;
        let reply = self.send(Method::GET, url, Some(&self.token), None).await?;
        expect(&reply, StatusCode::OK, path)?;
        Ok(serde_json::from_slice(&reply.body)?)
    }

    /// Collects existing clients (spread over the alphabet), their names, and the trainers.
    async fn sample(&mut self) -> anyhow::Result<()> {
        for letter in 'a'..='z' {
            let page = self
                .get_json(
                    "/api/v1/clients",
                    &[("q", &letter.to_string()), ("limit", "200")],
                )
                .await?;
            for c in page["items"].as_array().into_iter().flatten() {
                if let Some(id) = c["id"].as_str() {
                    self.client_ids.push(id.to_owned());
                }
                let first = c["first_name"].as_str().unwrap_or_default();
                let last = c["last_name"].as_str().unwrap_or_default();
                for name in [first, last] {
                    for len in [2, 3] {
                        if name.chars().count() >= len {
                            self.prefixes.push(name.chars().take(len).collect());
                        }
                    }
                }
                self.names.push((first.to_owned(), last.to_owned()));
            }
        }
        self.prefixes.sort();
        self.prefixes.dedup();
        let trainers = self
            .get_json("/api/v1/trainers", &[("limit", "200")])
            .await?;
        self.trainer_ids = trainers["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["id"].as_str().map(str::to_owned))
            .collect();
        if self.client_ids.is_empty() {
            bail!("the organization has no clients: seed it first (fitnesscrm seed --clients N)");
        }
        Ok(())
    }

    /// The path of one request of a page scenario.
    fn page_path(&mut self, scenario: &str) -> anyhow::Result<String> {
        Ok(match scenario {
            "page-dashboard" => "/app".to_owned(),
            "page-clients" => "/app/clients".to_owned(),
            "page-clients-search" => {
                let prefix = self
                    .picker
                    .pick(&self.prefixes)
                    .cloned()
                    .unwrap_or_default();
                format!("/app/clients?q={prefix}")
            }
            "page-client" => {
                let id = self
                    .picker
                    .pick(&self.client_ids)
                    .cloned()
                    .unwrap_or_default();
                format!("/app/clients/{id}")
            }
            "page-calendar-week" => {
                let trainer = self
                    .picker
                    .pick(&self.trainer_ids)
                    .cloned()
                    .unwrap_or_default();
                let day = today_days() - 360 + self.picker.below(720) as i64;
                format!(
                    "/app/calendar?view=week&trainer_id={trainer}&date={}",
                    date(day)
                )
            }
            "page-classes" => "/app/classes".to_owned(),
            other => bail!("unknown page scenario {other}"),
        })
    }

    /// One GET of a page as a logged-in browser (the login token is also the session cookie's value).
    async fn page_once(&mut self, scenario: &str) -> anyhow::Result<Duration> {
        let path = self.page_path(scenario)?;
        let url = self.url(&path, &[])?;
        let started = Instant::now();
        let resp = self
            .http
            .get(url)
            .header("accept", "text/html")
            .header("cookie", format!("fcrm_session={}", self.token))
            .send()
            .await
            .context("sending a request")?;
        let status = resp.status();
        let body = resp.bytes().await.context("reading a response")?;
        let took = started.elapsed();
        if status != StatusCode::OK || !body.starts_with(b"<!doctype html>") {
            bail!("{scenario}: {status}, not a page");
        }
        Ok(took)
    }

    /// One request of a scenario; returns its latency after checking the reply.
    async fn once(&mut self, scenario: &str) -> anyhow::Result<Duration> {
        if PAGE_SCENARIOS.contains(&scenario) {
            return self.page_once(scenario).await;
        }
        let token = self.token.clone();
        let (method, url, body, status) = match scenario {
            "list" => (
                Method::GET,
                self.url("/api/v1/clients", &[])?,
                None,
                StatusCode::OK,
            ),
            "search" => {
                let prefix = self
                    .picker
                    .pick(&self.prefixes)
                    .cloned()
                    .unwrap_or_default();
                (
                    Method::GET,
                    self.url("/api/v1/clients", &[("q", &prefix)])?,
                    None,
                    StatusCode::OK,
                )
            }
            "get" => {
                let id = self
                    .picker
                    .pick(&self.client_ids)
                    .cloned()
                    .unwrap_or_default();
                (
                    Method::GET,
                    self.url(&format!("/api/v1/clients/{id}"), &[])?,
                    None,
                    StatusCode::OK,
                )
            }
            "create" => {
                self.created += 1;
                let (first, last) = self.picker.pick(&self.names).cloned().unwrap_or_default();
                let mut body = json!({
                    "first_name": first,
                    "last_name": last,
                    "email": format!("bench.{}.{}@example.test", self.nonce, self.created),
                    "phone": format!("+49 151 {:07}", self.picker.below(10_000_000)),
                    "status": "active",
                    "source": "website",
                    "tags": ["Bench", "Morning"],
                    "consent_email": true,
                });
                if let Some(t) = self.picker.pick(&self.trainer_ids) {
                    body["trainer_ids"] = json!([t]);
                }
                (
                    Method::POST,
                    self.url("/api/v1/clients", &[])?,
                    Some(body),
                    StatusCode::CREATED,
                )
            }
            "agenda-week" => {
                // A random trainer's week, anywhere in the seeded two years around today.
                let trainer = self
                    .picker
                    .pick(&self.trainer_ids)
                    .cloned()
                    .unwrap_or_default();
                let day = today_days() - 360 + self.picker.below(720) as i64;
                (
                    Method::GET,
                    self.url(
                        "/api/v1/agenda",
                        &[
                            ("trainer_id", &trainer),
                            ("date", &date(day)),
                            ("view", "week"),
                        ],
                    )?,
                    None,
                    StatusCode::OK,
                )
            }
            "session-create" => {
                // A random trainer and client, an hour at a random time 400–700 days ahead (beyond the
                // seeded sessions, so most bookings succeed; the check still walks the real indexes).
                let day = today_days() + 400 + self.picker.below(300) as i64;
                let minute = 5 * self.picker.below(12 * 23) as i64;
                (
                    Method::POST,
                    self.url("/api/v1/sessions", &[])?,
                    Some(json!({
                        "trainer_id": self.picker.pick(&self.trainer_ids).cloned().unwrap_or_default(),
                        "client_id": self.picker.pick(&self.client_ids).cloned().unwrap_or_default(),
                        "starts_at": format!("{}Z", local_time(day, minute)),
                        "ends_at": format!("{}Z", local_time(day, minute + 60)),
                        "kind": "personal",
                    })),
                    StatusCode::CREATED,
                )
            }
            "series-52" => {
                // 52 weekly hours for a random trainer and client, starting within four weeks, at a
                // night time (22:00–05:55 UTC, outside the seed's 06:00–22:00 grid), so that the series
                // runs through the trainer's and client's seeded year ahead without clashing with it.
                let day = today_days() + 1 + self.picker.below(28) as i64;
                let minute = 22 * 60 + 5 * self.picker.below(12 * 7) as i64;
                (
                    Method::POST,
                    self.url("/api/v1/session-series", &[])?,
                    Some(json!({
                        "trainer_id": self.picker.pick(&self.trainer_ids).cloned().unwrap_or_default(),
                        "client_id": self.picker.pick(&self.client_ids).cloned().unwrap_or_default(),
                        "first_starts_at": local_time(day, minute),
                        "duration_minutes": 60,
                        "timezone": "UTC",
                        "rrule": "FREQ=WEEKLY;COUNT=52",
                    })),
                    StatusCode::CREATED,
                )
            }
            other => bail!("unknown scenario {other}"),
        };
        let started = Instant::now();
        let reply = self.send(method, url, Some(&token), body.as_ref()).await?;
        let took = started.elapsed();
        if matches!(scenario, "session-create" | "series-52") {
            // A 409 is the conflict check doing its job: valid, counted apart.
            if reply.status != StatusCode::CONFLICT {
                expect(&reply, status, scenario)?;
            }
            if scenario == "series-52" && reply.status == StatusCode::CREATED {
                let v: Value = serde_json::from_slice(&reply.body)?;
                let n = v["sessions"].as_array().map_or(0, Vec::len);
                if n != 52 {
                    bail!("series-52: {n} sessions created instead of 52");
                }
            }
            self.last_status = Some(reply.status);
            return Ok(took);
        }
        expect(&reply, status, scenario)?;
        if scenario != "create" {
            let v: Value = serde_json::from_slice(&reply.body)?;
            let empty = v["items"].as_array().is_some_and(Vec::is_empty);
            if empty {
                bail!("{scenario}: an empty page for an existing name; is the data seeded?");
            }
        }
        Ok(took)
    }

    async fn scenario(
        &mut self,
        name: &'static str,
        warmup: usize,
        requests: usize,
    ) -> anyhow::Result<Summary> {
        for _ in 0..warmup {
            self.once(name).await?;
        }
        let mut samples = Vec::with_capacity(requests);
        let mut outcomes = (0, 0);
        for _ in 0..requests {
            self.last_status = None;
            samples.push(self.once(name).await?);
            match self.last_status {
                Some(StatusCode::CREATED) => outcomes.0 += 1,
                Some(StatusCode::CONFLICT) => outcomes.1 += 1,
                _ => {}
            }
        }
        let mut summary = Summary::of(name, samples);
        if matches!(name, "session-create" | "series-52") {
            summary.outcomes = Some(outcomes);
            let total = self.outcomes.entry(name).or_default();
            total.0 += outcomes.0;
            total.1 += outcomes.1;
        }
        Ok(summary)
    }
}

fn expect(reply: &Reply, status: StatusCode, what: &str) -> anyhow::Result<()> {
    if reply.status != status {
        bail!(
            "{what}: expected {status}, got {}: {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
    }
    Ok(())
}

async fn login(http: &Client, base: &Url, email: &str, password: &str) -> anyhow::Result<String> {
    let resp = http
        .post(base.join("/api/v1/auth/login")?)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .with_context(|| format!("cannot reach {base}"))?;
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    if status != StatusCode::OK {
        bail!("login failed with {status}: {body}");
    }
    body["token"]
        .as_str()
        .map(str::to_owned)
        .context("the login response has no token")
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
    let nonce = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis()
    );
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

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let fail_on_miss = args.fail_on_miss;
    match run(args).await {
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
