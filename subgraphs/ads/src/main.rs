//! `promptsales-ads`: the ads subgraph as a standalone service.

use std::process::ExitCode;

use promptsales_ads::{NAME, run};
use promptsales_kit::ServiceConfig;

fn main() -> ExitCode {
    promptsales_kit::telemetry::init();
    let config = match ServiceConfig::from_env(NAME) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("promptsales-ads: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("promptsales-ads: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("promptsales-ads: {e:#}");
            ExitCode::FAILURE
        }
    }
}
