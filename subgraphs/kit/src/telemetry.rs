//! Logging and tracing set-up.

use tracing_subscriber::EnvFilter;

/// Installs the global `tracing` subscriber: filter from `PROMPTSALES_LOG` (default `info`),
/// format from `PROMPTSALES_LOG_FORMAT` (`text` or `json`). Calling it twice is harmless.
pub fn init() {
    let filter =
        EnvFilter::try_from_env("PROMPTSALES_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let json =
        std::env::var("PROMPTSALES_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
