//! The PromptSales MCP adapter: AI agents use the graph through tools.
//!
//! Every named operation in the operation folder becomes a tool; a call runs it on the
//! router with the caller's own identity, so an agent never does more than the person or
//! service it acts for. Built-in tools explore the schema. Served over stdio (with the
//! adapter's service credential) and streamable HTTP (each caller's bearer token).

pub mod args;
pub mod ask;
pub mod builtin;
pub mod completion;
pub mod config;
pub mod error;
pub mod graph;
pub mod http;
pub mod identity;
pub mod json_schema;
pub mod jsonrpc_errors;
pub mod operations;
pub mod prompts;
pub mod resources;
pub mod results;
pub mod resume;
pub mod risk;
pub mod schema;
pub mod server;
#[cfg(test)]
mod stored_names;
pub mod supervision;
pub mod watch;

use std::future::Future;

use rmcp::ServiceExt;
use tokio_util::sync::CancellationToken;

pub use config::Config;
pub use error::McpError;
use server::{Adapter, Shared, Transport};

/// How long the adapter waits at start for Redis, where content announces template changes
/// (with Redis down it serves anyway, and hears them once Redis is back).
const BUS_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Serves one client over stdin/stdout until it disconnects.
pub async fn serve_stdio(config: Config) -> Result<(), McpError> {
    let shared = Shared::new(config)?;
    let _watcher = watch::start(shared.clone())?;
    warn_if_development(&shared.config);
    shared.wait_for_template_changes(BUS_WAIT).await;
    if shared.config.client.is_none() && shared.config.auth {
        tracing::warn!(
            "no service credential (PROMPTSALES_MCP_CLIENT_ID/SECRET): only the schema tools are listed"
        );
    }
    let service = Adapter::new(shared, Transport::Stdio)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| McpError::Io(std::io::Error::other(e.to_string())))?;
    service
        .waiting()
        .await
        .map_err(|e| McpError::Io(std::io::Error::other(e.to_string())))?;
    Ok(())
}

/// Serves streamable HTTP on the configured address until `shutdown` completes.
pub async fn serve_http(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), McpError> {
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    serve_http_on(listener, config, shutdown).await
}

/// Serves streamable HTTP on a bound listener.
pub async fn serve_http_on(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), McpError> {
    let shared = Shared::new(config)?;
    let _watcher = watch::start(shared.clone())?;
    warn_if_development(&shared.config);
    shared.wait_for_template_changes(BUS_WAIT).await;
    let cancel = CancellationToken::new();
    let app = http::app(shared.clone(), cancel.clone());
    tracing::info!(
        address = %listener.local_addr()?,
        tools = shared.catalog().await.operations.len(),
        "MCP adapter listening at /mcp"
    );
    // hyper's own refusals of unparsable requests leave as JSON-RPC errors too.
    promptsales_kit::server::wire::serve_json_refusals(
        listener,
        app,
        crate::jsonrpc_errors::wire_refusal,
        async move {
            shutdown.await;
            cancel.cancel();
        },
    )
    .await?;
    Ok(())
}

/// Says loudly, at start, that token checks are off (it is never the default).
fn warn_if_development(config: &Config) {
    if !config.auth {
        tracing::warn!(
            address = %config.listen,
            "PROMPTSALES_MCP_AUTH is off (development only): no token is checked here and every \
             tool is listed; calls carry only a token the graph verifies itself (the caller's \
             bearer over HTTP, the service credential over stdio) and, without one, the graph \
             refuses data (UNAUTHENTICATED)"
        );
    }
}

/// Logs to stderr (stdio mode: stdout carries the protocol), filter from `PROMPTSALES_LOG`.
pub fn init_stderr_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PROMPTSALES_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .try_init();
}
