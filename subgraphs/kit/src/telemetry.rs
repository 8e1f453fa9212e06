//! Logging and tracing set-up.

use tracing_subscriber::EnvFilter;

use crate::config::{LogSettings, Vars};

/// Installs the global `tracing` subscriber: filter from `PROMPTSALES_LOG` (default `info`),
/// format from `PROMPTSALES_LOG_FORMAT` (`text` or `json`). Calling it twice is harmless.
pub fn init() {
    init_with(&LogSettings::from_vars(&Vars::from_env()));
}

/// [`init`] with the log settings already read (a filter that does not parse: `info`).
pub fn init_with(log: &LogSettings) {
    let filter = log
        .filter
        .as_deref()
        .and_then(|f| EnvFilter::builder().parse(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = if log.json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
