//! `fitnesscrm-bench`: measures FitnessCRM's speed targets against a running `fitnesscrm serve`.
//!
//! - `fitnesscrm-bench [seq] ...` (the default): single sequential requests per scenario, latency
//!   percentiles (docs/PERFORMANCE.md: clients, scheduling, pages);
//! - `fitnesscrm-bench load ...`: a mixed closed-loop load of many virtual users in four roles, with
//!   idle keep-alive connections, the server's memory and CPU, and an overbooking check (issue #10).

mod common;
mod load;
mod sequential;
mod stats;

use std::ffi::OsString;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    match args.get(1).and_then(|a| a.to_str()) {
        Some("load") => {
            args.remove(1);
            load::main(args)
        }
        Some("seq") => {
            args.remove(1);
            sequential::main(args)
        }
        _ => sequential::main(args),
    }
}
