//! The `main` of a standalone subgraph binary (`promptsales-<name>`).

use std::future::Future;
use std::process::ExitCode;

use crate::config::ServiceConfig;

/// Sets up logging, reads subgraph `name`'s configuration from the environment,
/// runs `run` on a tokio runtime until it returns, and turns the outcome into an exit code.
pub fn main<F, Fut>(name: &str, run: F) -> ExitCode
where
    F: FnOnce(ServiceConfig) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    crate::telemetry::init();
    let config = match ServiceConfig::from_env(name) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("promptsales-{name}: bad configuration: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("promptsales-{name}: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "the {name} subgraph stopped");
            eprintln!("promptsales-{name}: {e:#}");
            ExitCode::FAILURE
        }
    }
}
