//! The `promptsales` command: runs the whole platform or one component of it.

mod cli;

use clap::Parser;

// The router's allocator (mimalloc) serves the subgraphs just as well.
#[global_allocator]
static GLOBAL: promptsales_router::hive_router::RouterGlobalAllocator =
    promptsales_router::hive_router::RouterGlobalAllocator;

fn main() -> std::process::ExitCode {
    let command = cli::Cli::parse();
    match command.run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("promptsales: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
