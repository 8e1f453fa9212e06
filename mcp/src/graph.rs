//! The router client: one tool call, one GraphQL request, with the caller's identity.

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::error::McpError;
use crate::identity::Caller;

/// Posts operations to the router.
#[derive(Debug, Clone)]
pub struct GraphClient {
    url: String,
    http: reqwest::Client,
}

impl GraphClient {
    /// A client of the router at `url` (its `/graphql` endpoint).
    pub fn new(url: String, timeout: Duration) -> Result<Self, McpError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| McpError::Router(e.to_string()))?;
        Ok(Self { url, http })
    }

    /// Runs `operation_name` of `document` as `caller`; the GraphQL response as JSON.
    pub async fn execute(
        &self,
        caller: &Caller,
        document: &str,
        operation_name: Option<&str>,
        variables: Map<String, Value>,
    ) -> Result<Value, McpError> {
        let mut body = json!({ "query": document, "variables": variables });
        if let Some(name) = operation_name {
            body["operationName"] = json!(name);
        }
        let mut request = self
            .http
            .post(&self.url)
            .header(
                "accept",
                "application/graphql-response+json, application/json",
            )
            .json(&body);
        if let Some(token) = &caller.token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| McpError::Router(format!("{} unreachable: {e}", self.url)))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| McpError::Router(e.to_string()))?;
        serde_json::from_str(&text).map_err(|_| {
            let head: String = text.chars().take(200).collect();
            McpError::Router(format!("HTTP {status}, not a GraphQL response: {head}"))
        })
    }
}
