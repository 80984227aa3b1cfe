//! `fitnesscrm jobs list|retry|cancel`: the deployment's background jobs ([`crate::jobs`]), every
//! organization's and its own, from the shell.

use clap::Subcommand;
use uuid::Uuid;

use crate::config::Config;
use crate::jobs::{JobStatus, service};

/// `jobs` subcommands.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// The newest jobs, and how many are queued, running, retrying and dead.
    List {
        /// Only jobs in this state: queued, running, succeeded, dead or cancelled.
        #[arg(long, value_parser = parse_status)]
        status: Option<JobStatus>,
        /// At most this many.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        limit: u64,
    },
    /// Run a dead (or waiting) job again now, its tries counted afresh.
    Retry {
        /// The job's id.
        id: Uuid,
    },
    /// Cancel a queued or dead job.
    Cancel {
        /// The job's id.
        id: Uuid,
    },
}

fn parse_status(s: &str) -> Result<JobStatus, String> {
    JobStatus::parse(s)
        .ok_or_else(|| format!("{s:?} is not one of queued, running, succeeded, dead, cancelled"))
}

/// Runs a `jobs` subcommand.
pub(super) async fn run(config: Config, cmd: JobsCommand) -> anyhow::Result<()> {
    let db = crate::db::Db::connect_migrated(&config).await?;
    match cmd {
        JobsCommand::List { status, limit } => {
            let (jobs, counts) = service::overview(db.conn(), None, status, limit).await?;
            println!(
                "queued {}, running {}, retrying {}, dead {}",
                counts.queued, counts.running, counts.retrying, counts.dead
            );
            for j in jobs {
                let status = if j.is_retrying() {
                    "retrying"
                } else {
                    j.status.as_str()
                };
                println!(
                    "{}  {:<24} {:<9} tries {}/{}  runs at {}{}",
                    j.id,
                    j.kind,
                    status,
                    j.attempts,
                    j.max_attempts,
                    j.run_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    j.last_error
                        .map(|e| format!("  last error: {e}"))
                        .unwrap_or_default()
                );
            }
        }
        JobsCommand::Retry { id } => {
            service::retry(db.conn(), None, id).await?;
            println!("job {id} queued to run now");
        }
        JobsCommand::Cancel { id } => {
            service::cancel(db.conn(), None, id).await?;
            println!("job {id} cancelled");
        }
    }
    db.close().await?;
    Ok(())
}
