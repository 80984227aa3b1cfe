//! The command line: `serve` (default), `migrate`, `config`, `user create-owner|reset-password`,
//! `seed --demo`, `seed --clients N`, `audit verify`, `keys new|rotate`.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use axum::Router;
use clap::{Args, Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpListener;

use crate::app::{AppState, build_router_with};
use crate::audit::{self, AuditContext, Event};
use crate::config::Config;
use crate::db::Db;
use crate::organizations::OrgId;
use crate::organizations::service::{Signup, create_with_owner};
use crate::users::model::{EmailAddress, UserChanges};

mod jobs;
mod keys;

pub use keys::KeysCommand;

/// FitnessCRM: the CRM personal trainers, studios and gyms run their business on.
#[derive(Debug, Parser)]
#[command(name = "fitnesscrm", version, about)]
pub struct Cli {
    /// A TOML configuration file (also FITNESSCRM_CONFIG).
    #[arg(long, global = true, env = "FITNESSCRM_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate (SQLite, or when migrate_on_start is set) and serve the API.
    Serve(ServeArgs),
    /// Apply pending database migrations once (the deploy step on PostgreSQL).
    Migrate,
    /// Print the effective configuration with secrets redacted.
    Config,
    /// Account recovery and bootstrap from the shell.
    #[command(subcommand)]
    User(UserCommand),
    /// Fill the database with demo data, or with large synthetic data for benchmarks.
    Seed(SeedArgs),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The data keys that seal the sensitive fields at rest.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The background jobs: list them, retry or cancel one.
    #[command(subcommand)]
    Jobs(jobs::JobsCommand),
}

/// `serve` options.
#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// HOST:PORT to listen on (overrides the `listen` setting).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
}

/// `user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an organization and its owner account.
    CreateOwner {
        /// The business name.
        #[arg(long)]
        organization: String,
        /// The owner's name.
        #[arg(long)]
        name: String,
        /// The owner's login email.
        #[arg(long)]
        email: String,
        /// IANA time zone of the business.
        #[arg(long, default_value = "UTC")]
        timezone: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password for an account and end its sessions.
    ResetPassword {
        /// The account's login email.
        #[arg(long)]
        email: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// `audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute every event's hash and check every chain link; fails naming the first broken seq.
    Verify {
        /// Only this organization's chain (its id); every organization's when omitted.
        #[arg(long)]
        organization: Option<uuid::Uuid>,
    },
}

/// `seed` options: `--demo`, or `--clients N` with the options after it.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// A small realistic demo organization with a printed login.
    #[arg(long, conflicts_with = "clients")]
    pub demo: bool,
    /// Synthetic data for benchmarks: an organization with N clients, trainers and a printed login.
    #[arg(long, value_name = "N")]
    pub clients: Option<u64>,
    /// With --clients: also a second organization with N clients (it must never show in the first).
    #[arg(long, value_name = "N", requires = "clients")]
    pub second_org_clients: Option<u64>,
    /// With --clients: trainers per organization [default: 12].
    #[arg(long, value_name = "N", requires = "clients", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub trainers: Option<u32>,
    /// With --clients: also N one-to-one sessions in the main organization, spread over its trainers
    /// (non-overlapping per trainer) from a year ago to a year ahead.
    #[arg(long, value_name = "N", requires = "clients")]
    pub sessions: Option<u64>,
    /// With --clients: seed of the random generator; the same seed makes the same people [default: 1].
    #[arg(long, value_name = "SEED", requires = "clients")]
    pub rng_seed: Option<u64>,
}

/// Parses the command line and runs the command.
pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    let mut config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("fitnesscrm: {e}");
            return ExitCode::from(2);
        }
    };
    let _log_writer = crate::telemetry::init(&config);
    let result = match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => {
            if let Some(listen) = args.listen {
                config.listen = listen;
            }
            serve(config).await
        }
        Command::Migrate => Db::migrate(config.database_url.expose_secret())
            .await
            .map(|()| {
                println!("migrations applied");
            }),
        Command::Config => {
            print!("{}", config.redacted_toml());
            Ok(())
        }
        Command::User(cmd) => user_command(config, cmd).await,
        Command::Seed(args) => seed(config, args).await,
        Command::Audit(cmd) => audit_command(config, cmd).await,
        Command::Keys(cmd) => keys::run(config, cmd).await,
        Command::Jobs(cmd) => jobs::run(config, cmd).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fitnesscrm: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Migrates when configured, then serves until SIGTERM or Ctrl-C.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    serve_with(config, Router::new()).await
}

/// [`serve`] with `extra` routes merged into the product's router ([`build_router_with`]).
pub async fn serve_with(config: Config, extra: Router<AppState>) -> anyhow::Result<()> {
    raise_nofile_limit();
    if config.is_sqlite() || config.migrate_on_start {
        Db::migrate(config.database_url.expose_secret()).await?;
    }
    let db = Db::connect_migrated(&config).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {} (setting listen): {e}", config.listen))?;
    let grace = config.shutdown_grace;
    let state = AppState::new(db.clone(), config).await?;
    tracing::info!(address = %listener.local_addr()?, "FitnessCRM is serving");
    serve_until_with(listener, state, extra, shutdown_signal(), grace).await?;
    db.close().await.ok();
    tracing::info!("stopped");
    Ok(())
}

/// Raises the soft limit of open files to the hard limit: every connection is a file, and the soft
/// limit (often 1,024) would refuse connections long before memory or the CPU run out.
fn raise_nofile_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::info!(
            nofile.limit = limit,
            "open-files limit raised to the hard limit"
        ),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-files limit"),
    }
}

/// Serves on `listener` until `signal` completes, then gives in-flight requests `grace` to finish.
pub async fn serve_until(
    listener: TcpListener,
    state: AppState,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> anyhow::Result<()> {
    serve_until_with(listener, state, Router::new(), signal, grace).await
}

async fn serve_until_with(
    listener: TcpListener,
    state: AppState,
    extra: Router<AppState>,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> anyhow::Result<()> {
    // Keeps the dashboard's figures current for as long as this serves (aborted when it returns or
    // is dropped).
    let _refresher = AbortOnDrop(tokio::spawn(crate::dashboard::refresh::run(
        state.db.clone(),
        state.dashboard.clone(),
    )));
    // Folds the histograms' raw samples into their buckets between scrapes, so that they do not pile
    // up in memory when nothing scrapes `/metrics` for a while.
    let _metrics_upkeep = AbortOnDrop(tokio::spawn(crate::telemetry::run_upkeep(
        state.metrics.clone(),
    )));
    // Runs the background jobs (among them the housekeeping sweep, once across the deployment).
    let _jobs = if state.config.jobs_concurrency > 0 {
        let handlers = crate::jobs::handlers(state.db.clone(), &state.config)?;
        let config = crate::jobs::RunnerConfig {
            concurrency: state.config.jobs_concurrency,
            lease: state.config.jobs_lease,
            ..crate::jobs::RunnerConfig::default()
        };
        let runner = crate::jobs::Runner::new(state.db.clone(), handlers, config);
        Some(AbortOnDrop(tokio::spawn(runner.run())))
    } else {
        None
    };
    let header_read_timeout = state.config.header_read_timeout;
    let app = build_router_with(state, extra);
    crate::http::server::serve(listener, app, header_read_timeout, signal, grace).await;
    Ok(())
}

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

fn read_or_generate_password(from_stdin: bool) -> anyhow::Result<(SecretString, bool)> {
    if from_stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        let p = s.trim_end_matches(['\n', '\r']).to_owned();
        Ok((SecretString::from(p), false))
    } else {
        Ok((SecretString::from(crate::auth::password::generate()), true))
    }
}

async fn user_command(config: Config, cmd: UserCommand) -> anyhow::Result<()> {
    Db::migrate(config.database_url.expose_secret()).await?;
    let db = Db::connect(&config).await?;
    crate::db::sealed::keys::register(&db).await?;
    match cmd {
        UserCommand::CreateOwner {
            organization,
            name,
            email,
            timezone,
            password_stdin,
        } => {
            let (password, generated) = read_or_generate_password(password_stdin)?;
            let shown = generated.then(|| password.expose_secret().to_owned());
            let (org, user) = create_with_owner(
                &db,
                Signup {
                    organization_name: organization,
                    name,
                    email,
                    password,
                    timezone: Some(timezone),
                    currency: None,
                    locale: None,
                },
                |org, _| AuditContext::system(org),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
            println!(
                "organization {} ({}) created; owner {}",
                org.name, org.slug, user.email
            );
            if let Some(p) = shown {
                println!("password: {p}");
            }
        }
        UserCommand::ResetPassword {
            email,
            password_stdin,
        } => {
            let email = EmailAddress::parse(&email).map_err(|m| anyhow::anyhow!("--email {m}"))?;
            let user = crate::users::repo::find_by_email(db.conn(), email.as_str())
                .await
                .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?
                .ok_or_else(|| anyhow::anyhow!("no account has that email"))?;
            let (password, generated) = read_or_generate_password(password_stdin)?;
            crate::auth::password::check_policy(password.expose_secret(), email.as_str())
                .map_err(|m| anyhow::anyhow!("password {m}"))?;
            let shown = generated.then(|| password.expose_secret().to_owned());
            let hash = crate::auth::password::hash(password).await?;
            let org = OrgId(user.organization_id);
            let txn = db.begin_write().await?;
            crate::users::repo::update(
                &txn,
                org,
                user.id,
                None,
                UserChanges {
                    password_hash: Some(hash),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
            crate::auth::repo::revoke_user_sessions(&txn, org, user.id, None)
                .await
                .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
            audit::record(
                &txn,
                &AuditContext::system(org),
                Event::new("user.updated", "user", Some(user.id)).with_fields(["password"]),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
            txn.commit().await?;
            if let Some(url) = &config.redis_url {
                // Running instances drop the account's cached sessions at once (otherwise within
                // `auth_cache_ttl`).
                let change = crate::db::changes::Change::User(user.id);
                if let Err(e) = crate::auth::cache::announce(url.expose_secret(), change).await {
                    eprintln!("warning: could not tell running instances through Redis: {e}");
                }
            }
            println!(
                "password reset for {}; every session of the account ended",
                email.as_str()
            );
            if let Some(p) = shown {
                println!("password: {p}");
            }
        }
    }
    db.close().await.ok();
    Ok(())
}

fn describe(e: &crate::error::AppError) -> String {
    match e {
        crate::error::AppError::Validation(errors) => errors
            .0
            .iter()
            .map(|(f, m)| format!("{f}: {}", m.join(", ")))
            .collect::<Vec<_>>()
            .join("; "),
        other => other
            .to_problem()
            .detail
            .unwrap_or_else(|| other.to_string()),
    }
}

/// Walks the chains and prints one line per organization; an error (a non-zero exit) names the first
/// broken seq of each broken chain.
async fn audit_command(config: Config, cmd: AuditCommand) -> anyhow::Result<()> {
    let AuditCommand::Verify { organization } = cmd;
    let db = Db::connect_migrated(&config).await?;
    let reports = audit::verify(db.conn(), organization.map(OrgId))
        .await
        .map_err(|e| match e {
            crate::error::AppError::NotFound => anyhow::anyhow!("no such organization"),
            other => anyhow::anyhow!("{}", describe(&other)),
        })?;
    db.close().await.ok();
    for report in &reports {
        println!("{report}");
    }
    let broken: Vec<String> = reports
        .iter()
        .filter_map(|r| {
            r.broken
                .as_ref()
                .map(|b| format!("organization {} at seq {}", r.org, b.seq))
        })
        .collect();
    if broken.is_empty() {
        println!("{} chain(s) verified intact", reports.len());
        Ok(())
    } else {
        anyhow::bail!("the audit trail is broken: {}", broken.join("; "))
    }
}

async fn seed(config: Config, args: SeedArgs) -> anyhow::Result<()> {
    if !args.demo && args.clients.is_none() {
        anyhow::bail!("say what to seed: --demo, or --clients N [--second-org-clients N]");
    }
    Db::migrate(config.database_url.expose_secret()).await?;
    let db = Db::connect(&config).await?;
    crate::db::sealed::keys::register(&db).await?;
    if let Some(clients) = args.clients {
        let defaults = crate::seed::synthetic::Plan::default();
        let plan = crate::seed::synthetic::Plan {
            clients,
            second_org_clients: args.second_org_clients.unwrap_or(0),
            trainers: args.trainers.unwrap_or(defaults.trainers),
            sessions: args.sessions.unwrap_or(0),
            rng_seed: args.rng_seed.unwrap_or(defaults.rng_seed),
        };
        for org in crate::seed::synthetic::run(&db, &plan).await? {
            println!(
                "organization {} ({}) created: {} clients in {:.1} s, {} trainers",
                org.name,
                org.owner.slug,
                org.clients,
                org.took.as_secs_f64(),
                org.trainer_ids.len()
            );
            if org.sessions > 0 {
                println!(
                    "{} sessions in {:.1} s",
                    org.sessions,
                    org.sessions_took.as_secs_f64()
                );
            }
            println!(
                "log in as {} with password {}",
                org.owner.email, org.owner.password
            );
            println!("trainer login {} (same password)", org.trainer_email);
        }
    } else {
        let login = crate::seed::demo(&db).await?;
        println!("demo organization {} created", login.slug);
        println!("log in as {} with password {}", login.email, login.password);
    }
    db.close().await.ok();
    Ok(())
}
