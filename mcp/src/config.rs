//! Configuration from the environment (every setting has a documented default; README table).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::McpError;

/// The supergraph this build was composed with, for when the adapter runs outside the repository.
pub const BUILT_SUPERGRAPH: &str = include_str!("../../schema/supergraph.graphql");

/// The adapter's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// `PROMPTSALES_MCP_OPERATIONS`: the folder of operation files; `None` serves the embedded ones.
    pub operations_dir: Option<PathBuf>,
    /// `PROMPTSALES_SUPERGRAPH`: the supergraph SDL file; `None` uses the embedded one.
    pub supergraph: Option<PathBuf>,
    /// `PROMPTSALES_ROUTER_URL`: where operations go.
    pub router_url: String,
    /// `PROMPTSALES_MCP_ALLOW_MUTATIONS` (default true): the coarse switch; false refuses
    /// every tool that writes, whatever the tool policy says.
    pub allow_mutations: bool,
    /// `PROMPTSALES_MCP_TOOL_POLICY` (default empty: everyday writes run; launching,
    /// spending, erasing, permissions and secrets wait for a person's approval): what a call
    /// does, per tool or per risk class (`spend=deny,createSale=approve`).
    pub tool_policy: crate::risk::ToolPolicy,
    /// `PROMPTSALES_MCP_REPLAY_EVENTS` (default 64): events kept per HTTP stream for a client
    /// that reconnects with `Last-Event-ID`.
    pub replay_events: usize,
    /// `PROMPTSALES_MCP_REPLAY_SECONDS` (default 60): how long a finished stream's events stay
    /// replayable.
    pub replay_window: Duration,
    /// `PROMPTSALES_MCP_ALLOW_EXECUTE`: whether the arbitrary-operation tool is offered.
    pub allow_execute: bool,
    /// `PROMPTSALES_MCP_HOST` / `PROMPTSALES_MCP_PORT`: the HTTP listen address.
    pub listen: SocketAddr,
    /// `PROMPTSALES_MCP_PUBLIC_URL`: how clients reach this adapter (the protected resource is `<it>/mcp`).
    pub public_url: String,
    /// `PROMPTSALES_MCP_AUTH`: `on` (bearer tokens required over HTTP) or `off` (development only).
    pub auth: bool,
    /// `PROMPTSALES_JWKS_URL`: the sales subgraph's public keys.
    pub jwks_url: String,
    /// `PROMPTSALES_MCP_AUTHORIZATION_SERVER`: the issuer's base URL, advertised in the metadata.
    pub authorization_server: String,
    /// `PROMPTSALES_JWT_ISSUER`: the expected `iss`.
    pub issuer: String,
    /// `PROMPTSALES_JWT_AUDIENCE`: the expected `aud`.
    pub audience: String,
    /// `PROMPTSALES_MCP_TOKEN_URL`: the token endpoint for the service credential.
    pub token_url: String,
    /// `PROMPTSALES_MCP_CLIENT_ID` / `PROMPTSALES_MCP_CLIENT_SECRET`: the stdio service credential.
    pub client: Option<(String, String)>,
    /// `PROMPTSALES_MCP_MAX_RESULT_BYTES`: larger answers are cut with a note.
    pub max_result_bytes: usize,
    /// `PROMPTSALES_MCP_PAGE_SIZE`: tools per `tools/list` page.
    pub page_size: usize,
    /// `PROMPTSALES_MCP_ROUTER_TIMEOUT`: seconds one operation may take.
    pub router_timeout: Duration,
    /// The router's document limits, applied to every client document before it is parsed
    /// (`PROMPTSALES_ROUTER_MAX_TOKENS`, `_MAX_ALIASES`, `_MAX_NESTING`, `_MAX_EXPANDED_DEPTH`,
    /// `_MAX_FIELDS`, with the router's defaults), so a tool never does more than the router would.
    pub document_limits: promptsales_kit::document_guard::DocumentLimits,
    /// `PROMPTSALES_MCP_TOOL_DEADLINE`: seconds a tool may spend parsing and validating a document.
    pub tool_deadline: Duration,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn flag(name: &str, default: bool) -> Result<bool, McpError> {
    match var(name).map(|v| v.to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => Ok(true),
        Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off") => Ok(false),
        Some(v) => Err(McpError::Config(format!("{name}={v} is not true or false"))),
    }
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, McpError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| McpError::Config(format!("{name}={v} is not a number"))),
    }
}

/// The router's document limits from the variables the router reads (same defaults).
fn document_limits() -> Result<promptsales_kit::document_guard::DocumentLimits, McpError> {
    use promptsales_kit::document_guard as guard;
    Ok(guard::DocumentLimits {
        max_depth: number(
            "PROMPTSALES_ROUTER_MAX_EXPANDED_DEPTH",
            guard::DEFAULT_MAX_DEPTH,
        )?,
        max_nesting: number("PROMPTSALES_ROUTER_MAX_NESTING", guard::DEFAULT_MAX_NESTING)?,
        max_tokens: number("PROMPTSALES_ROUTER_MAX_TOKENS", guard::DEFAULT_MAX_TOKENS)?,
        max_aliases: number("PROMPTSALES_ROUTER_MAX_ALIASES", guard::DEFAULT_MAX_ALIASES)?,
        max_fields: number("PROMPTSALES_ROUTER_MAX_FIELDS", guard::DEFAULT_MAX_FIELDS)?,
    })
}

impl Config {
    /// Reads the environment.
    pub fn from_env() -> Result<Self, McpError> {
        let operations_dir = match var("PROMPTSALES_MCP_OPERATIONS") {
            Some(dir) => Some(PathBuf::from(dir)),
            None => {
                let in_repo = PathBuf::from("mcp/operations");
                in_repo.is_dir().then_some(in_repo)
            }
        };
        let supergraph = match var("PROMPTSALES_SUPERGRAPH") {
            Some(file) => Some(PathBuf::from(file)),
            None => {
                let in_repo = PathBuf::from("schema/supergraph.graphql");
                in_repo.is_file().then_some(in_repo)
            }
        };
        let host = var("PROMPTSALES_MCP_HOST").unwrap_or_else(|| "127.0.0.1".into());
        let port: u16 = number("PROMPTSALES_MCP_PORT", 4010)?;
        let listen: SocketAddr = format!("{host}:{port}")
            .parse()
            .map_err(|_| McpError::Config(format!("{host}:{port} is not a listen address")))?;
        let client = match (
            var("PROMPTSALES_MCP_CLIENT_ID"),
            var("PROMPTSALES_MCP_CLIENT_SECRET"),
        ) {
            (Some(id), Some(secret)) => Some((id, secret)),
            (None, None) => None,
            _ => {
                return Err(McpError::Config(
                    "set both PROMPTSALES_MCP_CLIENT_ID and PROMPTSALES_MCP_CLIENT_SECRET, or neither"
                        .into(),
                ));
            }
        };
        // The issuer is the sales subgraph: named, else the origin of the JWKS it publishes.
        let sales = var("PROMPTSALES_MCP_AUTHORIZATION_SERVER")
            .or_else(|| {
                var("PROMPTSALES_JWKS_URL")
                    .and_then(|u| u.strip_suffix("/.well-known/jwks.json").map(str::to_string))
            })
            .unwrap_or_else(|| "http://127.0.0.1:4001".into());
        let allow_mutations = flag("PROMPTSALES_MCP_ALLOW_MUTATIONS", true)?;
        let tool_policy = crate::risk::ToolPolicy::parse(
            &var("PROMPTSALES_MCP_TOOL_POLICY").unwrap_or_default(),
            allow_mutations,
        )?;
        Ok(Self {
            allow_mutations,
            tool_policy,
            replay_events: number::<usize>("PROMPTSALES_MCP_REPLAY_EVENTS", 64)?.clamp(1, 10_000),
            replay_window: Duration::from_secs(number("PROMPTSALES_MCP_REPLAY_SECONDS", 60)?),
            operations_dir,
            supergraph,
            router_url: var("PROMPTSALES_ROUTER_URL")
                .unwrap_or_else(|| "http://127.0.0.1:4000/graphql".into()),
            allow_execute: flag("PROMPTSALES_MCP_ALLOW_EXECUTE", false)?,
            listen,
            public_url: var("PROMPTSALES_MCP_PUBLIC_URL")
                .unwrap_or_else(|| format!("http://127.0.0.1:{port}")),
            auth: flag("PROMPTSALES_MCP_AUTH", true)?,
            jwks_url: var("PROMPTSALES_JWKS_URL")
                .unwrap_or_else(|| format!("{sales}/.well-known/jwks.json")),
            token_url: var("PROMPTSALES_MCP_TOKEN_URL")
                .unwrap_or_else(|| format!("{sales}/oauth/token")),
            authorization_server: sales,
            issuer: var("PROMPTSALES_JWT_ISSUER").unwrap_or_else(|| "promptsales".into()),
            audience: var("PROMPTSALES_JWT_AUDIENCE").unwrap_or_else(|| "promptsales-api".into()),
            client,
            max_result_bytes: number("PROMPTSALES_MCP_MAX_RESULT_BYTES", 16_000)?,
            page_size: number::<usize>("PROMPTSALES_MCP_PAGE_SIZE", 50)?.max(1),
            router_timeout: Duration::from_secs(number("PROMPTSALES_MCP_ROUTER_TIMEOUT", 30)?),
            document_limits: document_limits()?,
            tool_deadline: Duration::from_secs(number("PROMPTSALES_MCP_TOOL_DEADLINE", 10)?.max(1)),
        })
    }
}
