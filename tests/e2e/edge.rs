//! The router's edge under test: a router with the Redis plugins pointed at the
//! fixture's subgraphs, and raw HTTP requests that keep status and headers.

use std::time::Duration;

use anyhow::Context;
use promptsales_kit::testing::redis;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use super::fixture::Fixture;
use super::harness::Router;

/// A router of its own for a test: Redis at `redis_url` under a fresh key
/// prefix, the rate limit off unless `extra_env` sets it, then `extra_env`.
pub async fn router(
    f: &Fixture,
    redis_url: &str,
    extra_env: &[(&str, String)],
) -> anyhow::Result<(Router, String)> {
    let prefix = format!("e2e:{}:", uuid::Uuid::now_v7().simple());
    let mut env: Vec<(&str, String)> = vec![
        ("PROMPTSALES_REDIS_URL", redis_url.to_string()),
        ("PROMPTSALES_REDIS_KEY_PREFIX", prefix.clone()),
        // Generous for a loaded test machine; the outage tests do not depend on it.
        ("PROMPTSALES_REDIS_TIMEOUT", "1s".to_string()),
        ("PROMPTSALES_RATE_LIMIT", "0".to_string()),
    ];
    env.extend(extra_env.iter().cloned());
    let urls = [
        f.subgraph_urls[0].as_str(),
        f.subgraph_urls[1].as_str(),
        f.subgraph_urls[2].as_str(),
        f.subgraph_urls[3].as_str(),
    ];
    let router = Router::start_with_env(urls, &f.jwks_url, &env)
        .await
        .context("starting the edge router")?;
    Ok((router, prefix))
}

/// The shared test Redis's URL.
pub async fn shared_redis_url() -> String {
    redis().await.url().to_string()
}

/// A response: status, headers and JSON body.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Value,
}

impl Reply {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `x-cache`.
    pub fn cache(&self) -> &str {
        self.header("x-cache").unwrap_or("<none>")
    }

    /// The `extensions.code`s of its errors.
    pub fn codes(&self) -> Vec<String> {
        super::harness::error_codes(&self.body)
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("a client")
}

/// POSTs a GraphQL body.
pub async fn post(url: &str, body: Value, headers: &[(&str, String)]) -> anyhow::Result<Reply> {
    let mut request = client()
        .post(url)
        .header("accept", "application/json")
        .json(&body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    reply(request).await
}

/// GETs with query parameters.
pub async fn get(
    url: &str,
    params: &[(&str, String)],
    headers: &[(&str, String)],
) -> anyhow::Result<Reply> {
    let mut request = client()
        .get(url)
        .header("accept", "application/json")
        .query(params);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    reply(request).await
}

async fn reply(request: reqwest::RequestBuilder) -> anyhow::Result<Reply> {
    let response = request.send().await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await?;
    let body =
        serde_json::from_str(&text).with_context(|| format!("HTTP {status}: not JSON: {text}"))?;
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// A query request body.
pub fn query(text: &str, variables: Value) -> Value {
    json!({ "query": text, "variables": variables })
}

/// Sends `body` until the cache answers it (the router stores a miss in the
/// background, after answering); gives up after a bounded number of tries.
pub async fn until_hit(
    url: &str,
    body: &Value,
    headers: &[(&str, String)],
) -> anyhow::Result<Reply> {
    let mut last = None;
    for _ in 0..100 {
        let reply = post(url, body.clone(), headers).await?;
        if reply.cache() == "HIT" {
            return Ok(reply);
        }
        last = Some(reply);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    anyhow::bail!("never served from the cache; last reply: {last:#?}")
}

/// A Redis connection to `url`.
pub async fn redis_connection(url: &str) -> anyhow::Result<::redis::aio::MultiplexedConnection> {
    Ok(::redis::Client::open(url)?
        .get_multiplexed_async_connection()
        .await?)
}
