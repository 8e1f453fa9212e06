//! `promptsales-sales`: the sales subgraph as a standalone service.

use std::process::ExitCode;

use promptsales_kit::ServiceConfig;
use promptsales_sales::{NAME, run};

fn main() -> ExitCode {
    promptsales_kit::telemetry::init();
    let config = match ServiceConfig::from_env(NAME) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("promptsales-sales: bad configuration: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("promptsales-sales: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "sales subgraph stopped");
            eprintln!("promptsales-sales: {e:#}");
            ExitCode::FAILURE
        }
    }
}
