//! The `fitnesscrm` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

/// mimalloc rather than the system allocator: faster under many threads, and it gives memory back to
/// the system. With glibc's malloc, the 19 MiB blocks of argon2 password hashing stayed resident in
/// per-thread arenas after use (about 500 MiB after 180 hashes; docs/PERFORMANCE.md, "Memory").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    fitnesscrm::cli::run().await
}
