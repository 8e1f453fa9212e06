//! The PromptSales router: a custom build of Hive Router (`hive-router` 0.2.19) with
//! the PromptSales plugins and its default configuration (`router/router.yaml`).
//!
//! [`run`] starts the router from a plain synchronous `main` (it starts its own ntex
//! runtime, so it must not be called from inside a tokio runtime).

// Release builds compute the layout of Hive's nested ntex service stack (TLS, five
// middlewares, our plugins) past the default query depth of 128 and fail to compile.
#![recursion_limit = "256"]

use std::io::Write as _;
use std::path::{Path, PathBuf};

use hive_router::error::RouterInitError;
use hive_router::ntex::rt::{DefaultRuntime, System};
use hive_router::{PluginRegistry, init_rustls_crypto_provider};

pub use hive_router;

/// The default router configuration (`router/router.yaml`), embedded in the crate.
pub const DEFAULT_CONFIG: &str = include_str!("../router.yaml");

/// Environment variable Hive Router reads the path of its config file from.
pub const CONFIG_PATH_ENV: &str = "ROUTER_CONFIG_FILE_PATH";

/// Environment variable the default config reads the supergraph file path from.
pub const SUPERGRAPH_ENV: &str = "PROMPTSALES_SUPERGRAPH";

/// Stack of the router's worker threads unless `RUST_MIN_STACK` says otherwise (see [`run`]).
pub const WORKER_STACK_BYTES: usize = 512 << 20;

/// Supergraph file used by the default config when none is given (relative to the current directory).
pub const DEFAULT_SUPERGRAPH_PATH: &str = "schema/supergraph.graphql";

pub mod apq;
pub mod error_codes;
pub mod forwarded;
pub mod graphiql;
pub mod graphql_request;
pub mod identity;
pub mod metrics;
pub mod rate_limit;
pub mod redis_conn;
pub mod request_limits;
pub mod response_cache;
pub mod server;
pub mod settings;
pub mod trusted_documents;

/// The registry of the PromptSales router plugins (each also enabled in `router.yaml`'s `plugins`).
///
/// Hooks run in this order: GraphiQL answers browser page and asset requests (and ends
/// them, so nothing below counts or caches them), the request limits refuse hostile input
/// before anything decodes or parses it, persisted queries resolve the operation text, the
/// rate limit counts the request (cache hits too), then the response cache answers or executes;
/// last, the client's address is written for the subgraphs (`X-Forwarded-For`).
pub fn plugins() -> PluginRegistry {
    PluginRegistry::new()
        .register::<graphiql::GraphiqlPlugin>()
        .register::<request_limits::RequestLimitsPlugin>()
        .register::<error_codes::ErrorCodesPlugin>()
        .register::<apq::PersistedQueriesPlugin>()
        .register::<rate_limit::RateLimitPlugin>()
        .register::<response_cache::ResponseCachePlugin>()
        .register::<forwarded::ForwardedPlugin>()
}

/// What [`run`] starts the router with; `Default` gives the embedded config and the default supergraph.
#[derive(Debug, Clone, Default)]
pub struct RouterOptions {
    /// Router config file (YAML/JSON); `None`: `$ROUTER_CONFIG_FILE_PATH` if set, else [`DEFAULT_CONFIG`].
    pub config_path: Option<PathBuf>,
    /// Supergraph file, exported as an absolute `$PROMPTSALES_SUPERGRAPH`; `None`: that variable, else [`DEFAULT_SUPERGRAPH_PATH`] with the default config.
    pub supergraph_path: Option<PathBuf>,
}

/// Why the router could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RouterError {
    /// The current directory (the base of relative paths) cannot be read.
    #[error("cannot read the current directory: {0}")]
    CurrentDir(#[source] std::io::Error),
    /// The given router config file does not exist.
    #[error("router config file {} not found", .0.display())]
    ConfigNotFound(PathBuf),
    /// The supergraph file does not exist.
    #[error(
        "supergraph file {} not found; compose it first (`node tools/compose/compose.mjs`)",
        .0.display()
    )]
    SupergraphNotFound(PathBuf),
    /// The embedded config could not be written to a temporary file.
    #[error("cannot write the embedded router config to a temporary file: {0}")]
    WriteConfig(#[source] std::io::Error),
    /// `run` was called from inside a tokio runtime.
    #[error(
        "the router must be started outside of any tokio runtime (it runs its own ntex runtime)"
    )]
    InsideRuntime,
    /// Hive Router failed to load its config, the supergraph, or to serve.
    #[error(transparent)]
    Router(#[from] RouterInitError),
}

/// Starts the router and blocks until it stops (Ctrl-C / SIGTERM, or an error).
///
/// Sets `ROUTER_CONFIG_FILE_PATH` and `PROMPTSALES_SUPERGRAPH` for Hive Router, so call it
/// from the main thread before any other thread is started, and outside of any tokio runtime.
pub fn run(opts: RouterOptions) -> Result<(), RouterError> {
    if hive_router::tokio::runtime::Handle::try_current().is_ok() {
        return Err(RouterError::InsideRuntime);
    }
    let cwd = std::env::current_dir().map_err(RouterError::CurrentDir)?;

    // The config: the given file, else Hive Router's own variable, else the embedded one
    // written to a temporary file (kept, and deleted, by `embedded` when the router stops).
    let config_path = opts
        .config_path
        .clone()
        .or_else(|| non_empty_env(CONFIG_PATH_ENV).map(PathBuf::from))
        .map(|path| absolute(&cwd, &path));
    let (config_path, embedded) = match config_path {
        Some(path) => {
            if !path.is_file() {
                return Err(RouterError::ConfigNotFound(path));
            }
            (path, None)
        }
        None => {
            let file = write_embedded_config().map_err(RouterError::WriteConfig)?;
            (file.path().to_path_buf(), Some(file))
        }
    };

    // The supergraph: relative paths are taken from the current directory, not from the
    // config file's folder (which, for the embedded config, is a temporary folder).
    let supergraph = opts
        .supergraph_path
        .clone()
        .or_else(|| non_empty_env(SUPERGRAPH_ENV).map(PathBuf::from))
        .or_else(|| {
            embedded
                .as_ref()
                .map(|_| PathBuf::from(DEFAULT_SUPERGRAPH_PATH))
        })
        .map(|path| absolute(&cwd, &path));
    if let Some(path) = &supergraph
        && !path.is_file()
    {
        return Err(RouterError::SupergraphNotFound(path.clone()));
    }

    // SAFETY: documented precondition of `run`: called from the main thread before other
    // threads exist, so nothing reads the environment concurrently.
    unsafe {
        // Hive decodes WebSocket frames (up to 64 KiB, so JSON up to ~32,000 levels deep)
        // recursively before any plugin sees them; a debug build's frames overflow the
        // default 2 MiB worker stack far sooner than a release build's, and ntex's SIGSEGV
        // handler then symbolises a backtrace of the whole debug binary, growing without
        // end. A larger stack for the workers (virtual: unused pages cost nothing) keeps
        // every frame the transport accepts within bounds. HTTP bodies are checked first
        // by `request_limits`.
        if std::env::var_os("RUST_MIN_STACK").is_none() {
            std::env::set_var("RUST_MIN_STACK", WORKER_STACK_BYTES.to_string());
        }
        std::env::set_var(CONFIG_PATH_ENV, &config_path);
        if let Some(path) = &supergraph {
            std::env::set_var(SUPERGRAPH_ENV, path);
        }
    }

    init_rustls_crypto_provider();

    // What `#[hive_router::main]` (`#[ntex::main]`) expands to, around Hive's entry point
    // with JSON answers to unparsable requests (`server::serve`).
    System::build()
        .name("promptsales-router")
        .build(DefaultRuntime)
        .block_on(async move { server::serve(plugins()).await })?;
    Ok(())
}

/// `path` made absolute against `base` (lexically; the file need not exist).
fn absolute(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// Writes [`DEFAULT_CONFIG`] to a temporary `.yaml` file (the extension tells Hive Router the format).
fn write_embedded_config() -> std::io::Result<tempfile::NamedTempFile> {
    let mut file = tempfile::Builder::new()
        .prefix("promptsales-router-")
        .suffix(".yaml")
        .tempfile()?;
    file.write_all(DEFAULT_CONFIG.as_bytes())?;
    file.flush()?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hive_router::config::{
        HiveRouterConfig, override_subgraph_urls::UrlOrExpression, parse_yaml_config,
        supergraph::SupergraphSource, traffic_shaping::DurationOrExpression,
    };
    use std::sync::Mutex;
    use std::time::Duration;

    /// Tests here change the process environment: one at a time.
    static ENV: Mutex<()> = Mutex::new(());

    const VARS: &[&str] = &[
        SUPERGRAPH_ENV,
        "PROMPTSALES_SUPERGRAPH_POLL_INTERVAL",
        "PROMPTSALES_ROUTER_HOST",
        "PROMPTSALES_ROUTER_PORT",
        "PROMPTSALES_ROUTER_LABORATORY",
        "PROMPTSALES_ROUTER_LOG_LEVEL",
        "PROMPTSALES_ROUTER_MASK_ERRORS",
        "PROMPTSALES_SUBGRAPH_TIMEOUT",
        "PROMPTSALES_SALES_URL",
        "PROMPTSALES_ADS_URL",
        "PROMPTSALES_CRM_URL",
        "PROMPTSALES_CONTENT_URL",
        "PROMPTSALES_REDIS_URL",
        "PROMPTSALES_REDIS_KEY_PREFIX",
        "PROMPTSALES_REDIS_TIMEOUT",
        "PROMPTSALES_APQ",
        "PROMPTSALES_APQ_TTL",
        "PROMPTSALES_TRUSTED_DOCUMENTS",
        "PROMPTSALES_RATE_LIMIT",
        "PROMPTSALES_RATE_LIMIT_WINDOW",
        "PROMPTSALES_RESPONSE_CACHE",
        "PROMPTSALES_RESPONSE_CACHE_MAX_TTL",
        "PROMPTSALES_RESPONSE_CACHE_MEMORY",
        "PROMPTSALES_ROUTER_MAX_DEPTH",
        "PROMPTSALES_ROUTER_MAX_ALIASES",
        "PROMPTSALES_ROUTER_MAX_TOKENS",
        "PROMPTSALES_ROUTER_MAX_BODY_SIZE",
        "PROMPTSALES_ROUTER_MAX_JSON_DEPTH",
        "PROMPTSALES_ROUTER_MAX_NESTING",
        "PROMPTSALES_ROUTER_MAX_EXPANDED_DEPTH",
        "PROMPTSALES_ROUTER_MAX_FIELDS",
    ];

    /// Parses the embedded config with only `vars` set (plus a supergraph file that exists).
    fn parse_with(vars: &[(&str, &str)]) -> HiveRouterConfig {
        let _guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
        let supergraph = tempfile::NamedTempFile::new().unwrap();
        unsafe {
            for var in VARS {
                std::env::remove_var(var);
            }
            std::env::set_var(SUPERGRAPH_ENV, supergraph.path());
            for (name, value) in vars {
                std::env::set_var(name, value);
            }
        }
        let parsed = parse_yaml_config(DEFAULT_CONFIG.to_string());
        unsafe {
            for var in VARS {
                std::env::remove_var(var);
            }
        }
        parsed.expect("the embedded router.yaml parses")
    }

    fn subgraph_url(config: &HiveRouterConfig, name: &str) -> String {
        match config.override_subgraph_urls.get_subgraph_url(name) {
            Some(UrlOrExpression::Url(url)) => url.clone(),
            other => panic!("no static URL override for {name}: {other:?}"),
        }
    }

    #[test]
    fn embedded_config_parses_with_defaults() {
        let config = parse_with(&[]);
        assert_eq!(config.address(), "127.0.0.1:4000");
        assert_eq!(config.graphql_path(), "/graphql");
        assert!(
            !config.laboratory.enabled,
            "Hive's own page is off: the promptsales_graphiql plugin serves the explorer"
        );
        let graphiql: graphiql::GraphiqlConfig = plugin_config(&config, "promptsales_graphiql");
        assert!(graphiql.enabled);
        assert!(
            !config.error_masking.enabled,
            "subgraph errors pass through in dev"
        );
        for (name, port) in [
            ("sales", 4001),
            ("ads", 4002),
            ("crm", 4003),
            ("content", 4004),
        ] {
            assert_eq!(
                subgraph_url(&config, name),
                format!("http://127.0.0.1:{port}/graphql")
            );
        }
        match &config.supergraph {
            SupergraphSource::File {
                path,
                poll_interval,
            } => {
                assert!(path.is_some());
                assert_eq!(*poll_interval, Some(Duration::from_secs(2)));
            }
            other => panic!("expected a file supergraph source, got {other:?}"),
        }
        assert!(matches!(
            config.traffic_shaping.all.request_timeout,
            DurationOrExpression::Duration(d) if d == Duration::from_secs(10)
        ));
        assert_eq!(config.websocket_path(), Some("/graphql"));
        assert!(config.subscriptions.enabled);
        let ws = config
            .subscriptions
            .websocket
            .as_ref()
            .expect("subgraph websockets");
        assert_eq!(
            ws.all
                .as_ref()
                .and_then(|all| all.path.as_ref())
                .map(|p| p.as_str()),
            Some("/graphql")
        );
        let rules = config
            .headers
            .all
            .as_ref()
            .and_then(|all| all.request.as_ref());
        // Only `authorization` and `x-request-id` are forwarded: identity comes from the token alone.
        assert_eq!(rules.map(Vec::len), Some(1), "header propagation rules");
    }

    #[test]
    fn embedded_config_reads_the_promptsales_env() {
        let config = parse_with(&[
            ("PROMPTSALES_ROUTER_HOST", "0.0.0.0"),
            ("PROMPTSALES_ROUTER_PORT", "4100"),
            ("PROMPTSALES_ROUTER_MASK_ERRORS", "true"),
            ("PROMPTSALES_SUBGRAPH_TIMEOUT", "3s"),
            ("PROMPTSALES_SALES_URL", "http://sales:8080/graphql"),
            ("PROMPTSALES_CONTENT_URL", "http://content:8080/graphql"),
        ]);
        assert_eq!(config.address(), "0.0.0.0:4100");
        assert!(config.error_masking.enabled);
        assert_eq!(subgraph_url(&config, "sales"), "http://sales:8080/graphql");
        assert_eq!(
            subgraph_url(&config, "ads"),
            "http://127.0.0.1:4002/graphql"
        );
        assert_eq!(
            subgraph_url(&config, "content"),
            "http://content:8080/graphql"
        );
        assert!(matches!(
            config.traffic_shaping.all.request_timeout,
            DurationOrExpression::Duration(d) if d == Duration::from_secs(3)
        ));
    }

    fn plugin_config<T: serde::de::DeserializeOwned>(config: &HiveRouterConfig, name: &str) -> T {
        let plugin = config.plugins.get(name).expect("the plugin is configured");
        assert!(plugin.enabled, "{name} is enabled");
        serde_json::from_value(plugin.config.clone()).expect("its config parses")
    }

    #[test]
    fn edge_plugins_and_limits_parse_with_defaults() {
        let config = parse_with(&[]);
        let pq: apq::PersistedQueriesConfig =
            plugin_config(&config, "promptsales_persisted_queries");
        assert!(pq.apq);
        assert_eq!(pq.ttl, Duration::from_secs(30 * 86_400));
        assert_eq!(pq.trusted_documents, None);
        assert_eq!(pq.redis, redis_conn::RedisSettings::default());
        assert_eq!(pq.redis.timeout, Duration::from_millis(50));
        let rl: rate_limit::RateLimitConfig = plugin_config(&config, "promptsales_rate_limit");
        assert_eq!((rl.limit, rl.window), (1000, Duration::from_secs(60)));
        assert!(!rl.trust_forwarded_for);
        let rc: response_cache::ResponseCacheConfig =
            plugin_config(&config, "promptsales_response_cache");
        assert!(rc.enabled);
        assert_eq!(rc.max_ttl, Duration::from_secs(3600));
        assert_eq!(rc.memory_bytes, 64 * 1024 * 1024);
        let limits = &config.limits;
        assert_eq!(limits.max_depth.as_ref().map(|d| d.n), Some(15));
        assert_eq!(limits.max_aliases.as_ref().map(|a| a.n), Some(30));
        assert_eq!(limits.max_tokens.as_ref().map(|t| t.n), Some(4000));
        assert_eq!(limits.max_request_body_size.to_bytes(), 2_000_000);
        let rl: request_limits::RequestLimitsConfig =
            plugin_config(&config, "promptsales_request_limits");
        assert_eq!(rl, request_limits::RequestLimitsConfig::default());
    }

    #[test]
    fn edge_plugins_and_limits_read_the_promptsales_env() {
        let config = parse_with(&[
            ("PROMPTSALES_REDIS_URL", "redis://cache:6380/2"),
            ("PROMPTSALES_REDIS_KEY_PREFIX", "staging:"),
            ("PROMPTSALES_REDIS_TIMEOUT", "200ms"),
            ("PROMPTSALES_APQ_TTL", "1d"),
            (
                "PROMPTSALES_TRUSTED_DOCUMENTS",
                "/etc/promptsales/manifest.json",
            ),
            ("PROMPTSALES_RATE_LIMIT", "5"),
            ("PROMPTSALES_RATE_LIMIT_WINDOW", "10s"),
            ("PROMPTSALES_RESPONSE_CACHE", "false"),
            ("PROMPTSALES_ROUTER_MAX_DEPTH", "7"),
            ("PROMPTSALES_ROUTER_MAX_BODY_SIZE", "64KB"),
            ("PROMPTSALES_ROUTER_MAX_JSON_DEPTH", "9"),
        ]);
        let pq: apq::PersistedQueriesConfig =
            plugin_config(&config, "promptsales_persisted_queries");
        assert_eq!(pq.ttl, Duration::from_secs(86_400));
        assert_eq!(
            pq.trusted_documents.as_deref(),
            Some("/etc/promptsales/manifest.json")
        );
        assert_eq!(pq.redis.url, "redis://cache:6380/2");
        assert_eq!(pq.redis.key_prefix, "staging:");
        assert_eq!(pq.redis.timeout, Duration::from_millis(200));
        let rl: rate_limit::RateLimitConfig = plugin_config(&config, "promptsales_rate_limit");
        assert_eq!((rl.limit, rl.window), (5, Duration::from_secs(10)));
        assert_eq!(rl.redis, pq.redis);
        let rc: response_cache::ResponseCacheConfig =
            plugin_config(&config, "promptsales_response_cache");
        assert!(!rc.enabled);
        assert_eq!(rc.redis, pq.redis, "one redis section serves all three");
        let off = parse_with(&[("PROMPTSALES_ROUTER_LABORATORY", "false")]);
        let graphiql: graphiql::GraphiqlConfig = plugin_config(&off, "promptsales_graphiql");
        assert!(!graphiql.enabled);
        assert!(!off.laboratory.enabled);
        assert_eq!(config.limits.max_depth.as_ref().map(|d| d.n), Some(7));
        assert_eq!(config.limits.max_request_body_size.to_bytes(), 65_536);
        let rl: request_limits::RequestLimitsConfig =
            plugin_config(&config, "promptsales_request_limits");
        assert_eq!((rl.max_json_depth, rl.max_tokens), (9, 4000));
        assert_eq!(rl.document_limits().max_depth, 32);
    }

    #[test]
    fn relative_paths_are_taken_from_the_base() {
        let base = Path::new("/work/here");
        assert_eq!(
            absolute(base, Path::new("schema/s.graphql")),
            base.join("schema/s.graphql")
        );
        assert_eq!(
            absolute(base, Path::new("/abs/s.graphql")),
            PathBuf::from("/abs/s.graphql")
        );
    }

    #[test]
    fn embedded_config_is_written_as_yaml() {
        let file = write_embedded_config().unwrap();
        assert!(file.path().extension().is_some_and(|ext| ext == "yaml"));
        assert_eq!(
            std::fs::read_to_string(file.path()).unwrap(),
            DEFAULT_CONFIG
        );
    }

    #[test]
    fn plugins_registry_builds() {
        let _registry = plugins();
    }
}
