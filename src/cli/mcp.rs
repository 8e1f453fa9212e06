//! `promptsales mcp`: the MCP adapter (streamable HTTP at `/mcp`, or stdio with `--stdio`).

use anyhow::Context;

/// Runs the adapter until Ctrl-C / SIGTERM (HTTP) or until the client disconnects (stdio).
pub fn run(stdio: bool) -> anyhow::Result<()> {
    super::tokio_main(async move {
        let config = promptsales_mcp::Config::from_env().context("MCP adapter configuration")?;
        if stdio {
            // stdout carries the protocol: logs go to stderr.
            promptsales_mcp::init_stderr_logging();
            promptsales_mcp::serve_stdio(config).await?;
        } else {
            promptsales_kit::telemetry::init();
            let stop = promptsales_kit::server::shutdown_signal();
            promptsales_mcp::serve_http(config, stop).await?;
        }
        Ok(())
    })
}
