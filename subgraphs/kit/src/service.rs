//! The `main` of a standalone subgraph binary (`promptsales-<name>`).

use std::future::Future;
use std::process::ExitCode;

use crate::config::{ConfigError, LogSettings, ServiceConfig, Vars};

/// Sets up logging, reads subgraph `name`'s configuration from the environment,
/// runs `run` on a tokio runtime until it returns, and turns the outcome into an exit code.
pub fn main<F, Fut>(name: &str, run: F) -> ExitCode
where
    F: FnOnce(ServiceConfig) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    main_with(name, |vars| ServiceConfig::from_vars(name, vars), run)
}

/// [`main`] for a subgraph whose whole configuration is its own settings type: the
/// environment is read once, logging set up from it, `settings` parsed from it (a bad
/// value ends the start with the variable named), and `run` given the result.
pub fn main_with<S, P, F, Fut>(name: &str, settings: P, run: F) -> ExitCode
where
    P: FnOnce(&Vars) -> Result<S, ConfigError>,
    F: FnOnce(S) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let vars = Vars::from_env();
    crate::telemetry::init_with(&LogSettings::from_vars(&vars));
    let settings = match settings(&vars) {
        Ok(settings) => settings,
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
    match runtime.block_on(run(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "the {name} subgraph stopped");
            eprintln!("promptsales-{name}: {e:#}");
            ExitCode::FAILURE
        }
    }
}
