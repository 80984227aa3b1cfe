//! `fitnesscrm keys new|rotate`: the data keys that seal the sensitive fields at rest
//! ([`crate::db::sealed`]).

use clap::Subcommand;

use crate::config::Config;

/// `keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new random data key (base64), to put first in FITNESSCRM_DATA_KEYS.
    New,
    /// Re-seal every sensitive value not sealed under the first data key (and any still in plain
    /// text) in small batches while the server runs; then forget the retired keys' ids, after which
    /// they may be dropped from FITNESSCRM_DATA_KEYS.
    Rotate {
        /// Rows per transaction.
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        batch: u64,
    },
}

/// Runs a `keys` subcommand.
pub(super) async fn run(config: Config, cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::New => {
            println!("{}", crate::db::sealed::generate_key());
            Ok(())
        }
        KeysCommand::Rotate { batch } => rotate(config, batch).await,
    }
}

/// `keys rotate`: see [`crate::db::sealed::keys::rotate`].
async fn rotate(config: Config, batch: u64) -> anyhow::Result<()> {
    let db = crate::db::Db::connect_migrated(&config).await?;
    let done = crate::db::sealed::keys::rotate(&db, batch).await?;
    println!(
        "sealed under data key {}: {} value(s) re-sealed, {} changed meanwhile by the server",
        crate::db::sealed::keyring().current_id(),
        done.resealed,
        done.skipped
    );
    if done.left > 0 {
        println!(
            "{} value(s) were written under an older key while this ran (is every instance given \
             the new key first?): no key retired; run `fitnesscrm keys rotate` again",
            done.left
        );
    } else if done.retired.is_empty() {
        println!("no key retired");
    } else {
        println!(
            "retired data key(s) {}: they may now be removed from FITNESSCRM_DATA_KEYS",
            done.retired.join(", ")
        );
    }
    db.close().await.ok();
    Ok(())
}
