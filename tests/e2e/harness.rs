//! The graph under test: four subgraphs on PostgreSQL and the router.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use promptsales_kit::testing::free_port;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `promptsales` binary under test.
pub fn promptsales_bin() -> &'static str {
    env!("CARGO_BIN_EXE_promptsales")
}

/// A subgraph served from this process on a free port; it stops when dropped.
pub struct ServedSubgraph {
    /// Its GraphQL URL.
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl ServedSubgraph {
    /// Serves `router` on a free loopback port.
    pub async fn start(router: axum::Router) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let task = tokio::spawn(async move {
            let never = futures::future::pending::<()>();
            if let Err(e) = promptsales_kit::server::serve_on(listener, router, never).await {
                eprintln!("subgraph server failed: {e}");
            }
        });
        Ok(Self {
            url: format!("http://127.0.0.1:{port}/graphql"),
            task,
        })
    }
}

impl Drop for ServedSubgraph {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The router, a child process of the test.
pub struct Router {
    /// Its GraphQL endpoint.
    pub url: String,
    child: Child,
    client: reqwest::Client,
}

impl Router {
    /// Starts `promptsales router` over the committed supergraph, pointed at the given subgraph URLs
    /// (`[sales, ads, crm, content]`), validating tokens with the keys at `jwks_url` (the sales subgraph's).
    pub async fn start(subgraph_urls: [&str; 4], jwks_url: &str) -> anyhow::Result<Self> {
        Self::start_with_env(subgraph_urls, jwks_url, &[]).await
    }

    /// Like [`Self::start`], with more environment variables for the router process
    /// (Redis URLs, limits...): `extra_env` is applied last, so it can override anything.
    pub async fn start_with_env(
        subgraph_urls: [&str; 4],
        jwks_url: &str,
        extra_env: &[(&str, String)],
    ) -> anyhow::Result<Self> {
        let port = free_port();
        let mut command = Command::new(promptsales_bin());
        command
            .arg("router")
            .env("PROMPTSALES_ROUTER_PORT", port.to_string())
            .env(
                "PROMPTSALES_SUPERGRAPH",
                repo_root().join("schema/supergraph.graphql"),
            )
            .env("PROMPTSALES_ROUTER_LOG_LEVEL", "warn")
            .env_remove("ROUTER_CONFIG_FILE_PATH")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        for (name, url) in ["SALES", "ADS", "CRM", "CONTENT"].iter().zip(subgraph_urls) {
            command.env(format!("PROMPTSALES_{name}_URL"), url);
        }
        command.env("PROMPTSALES_JWKS_URL", jwks_url);
        // The test Redis, under a prefix no other router shares (APQ, response cache, rate limit).
        let redis = promptsales_kit::testing::redis().await;
        command
            .env("PROMPTSALES_REDIS_URL", redis.url())
            .env("PROMPTSALES_REDIS_KEY_PREFIX", redis.fresh_prefix());
        for (name, value) in extra_env {
            command.env(name, value);
        }
        let child = command.spawn().context("starting the router")?;
        let mut router = Self {
            url: format!("http://127.0.0.1:{port}/graphql"),
            child,
            client: reqwest::Client::new(),
        };
        // `/health` answers before the supergraph is loaded; `/readiness` once it can serve.
        router
            .wait_ready(&format!("http://127.0.0.1:{port}/readiness"))
            .await?;
        Ok(router)
    }

    /// The router process's id (its memory is read from `/proc`).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    async fn wait_ready(&mut self, health: &str) -> anyhow::Result<()> {
        wait_for_http(&self.client, health, &mut self.child, "router").await
    }

    /// Posts a GraphQL operation with the given headers and returns the JSON response.
    pub async fn post(
        &self,
        query: &str,
        variables: Value,
        headers: &[(&str, String)],
    ) -> anyhow::Result<Value> {
        post_graphql(&self.client, &self.url, query, variables, headers).await
    }
}

/// Polls `url` until it answers 2xx; fails early if `child` dies.
pub async fn wait_for_http(
    client: &reqwest::Client,
    url: &str,
    child: &mut Child,
    what: &str,
) -> anyhow::Result<()> {
    for _ in 0..600 {
        if let Ok(r) = client.get(url).timeout(Duration::from_secs(2)).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            bail!("{what} exited with {status} before becoming ready");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("{what} did not become ready at {url}")
}

/// The `Authorization` header carrying `token`, in the form [`Router::post`] takes.
pub fn bearer(token: &str) -> Vec<(&'static str, String)> {
    vec![("authorization", format!("Bearer {token}"))]
}

/// Posts a GraphQL operation and returns the JSON body.
pub async fn post_graphql(
    client: &reqwest::Client,
    url: &str,
    query: &str,
    variables: Value,
    headers: &[(&str, String)],
) -> anyhow::Result<Value> {
    let mut request = client
        .post(url)
        .header(
            "accept",
            "application/graphql-response+json, application/json",
        )
        .json(&json!({ "query": query, "variables": variables }));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await?;
    let status = response.status();
    let body = response.text().await?;
    serde_json::from_str(&body).with_context(|| format!("HTTP {status}: not JSON: {body}"))
}

/// The `extensions.code` of every error of a response.
pub fn error_codes(response: &Value) -> Vec<String> {
    response["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or("<none>")
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts a response has no errors and returns its data.
pub fn data(response: &Value) -> &Value {
    assert!(
        response
            .get("errors")
            .is_none_or(|e| e.as_array().is_some_and(|a| a.is_empty())),
        "unexpected errors: {response:#}"
    );
    &response["data"]
}
