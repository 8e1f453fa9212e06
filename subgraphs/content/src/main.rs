//! The standalone content subgraph service (`promptsales-content`).

use std::process::ExitCode;

use promptsales_content::{NAME, run};
use promptsales_kit::ServiceConfig;

fn main() -> ExitCode {
    promptsales_kit::telemetry::init();
    let config = match ServiceConfig::from_env(NAME) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("promptsales-{NAME}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("promptsales-{NAME}: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "the content subgraph stopped");
            eprintln!("promptsales-{NAME}: {e:#}");
            ExitCode::FAILURE
        }
    }
}
