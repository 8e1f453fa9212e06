//! Limits checked on the raw request before Hive Router decodes or parses it.
//!
//! Hive applies `limits.max_depth` and `limits.max_aliases` as validation rules,
//! after graphql-tools' combine parser has built the whole document, and after
//! sonic-rs has decoded `variables` and `extensions`; the parser recurses per
//! bracket and the validation rules per selection and per fragment spread, so
//! a small hostile document costs far more than its size (in debug builds, by
//! orders of magnitude). This plugin, registered first, walks the raw bytes once
//! ([`promptsales_kit::document_guard`], its `http` checks) and refuses, with HTTP 400 and a stable
//! code, JSON nested deeper than `max_json_depth` and documents over the nesting,
//! token, expanded-depth, alias or expanded-field limits, before any of that work.
//! WebSocket operations (already decoded by Hive) get the document checks.

use hive_router::GraphQLError;
use hive_router::executor::hooks::on_graphql_params::{
    OnGraphQLParamsStartHookPayload, OnGraphQLParamsStartHookResult,
};
use hive_router::executor::hooks::on_plugin_init::{OnPluginInitPayload, OnPluginInitResult};
use hive_router::executor::plugin_trait::{RouterPlugin, StartHookPayload};
use hive_router::http::{Method, StatusCode};
use promptsales_kit::document_guard::{self, DocumentLimits, LimitExceeded, check_document};
use serde::Deserialize;

use crate::settings::de_u64;

/// `plugins.promptsales_request_limits.config` in `router.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestLimitsConfig {
    /// Deepest JSON nesting of a body, `variables` or `extensions` (`PROMPTSALES_ROUTER_MAX_JSON_DEPTH`).
    #[serde(default = "default_json_depth", deserialize_with = "de_u64")]
    pub max_json_depth: u64,
    /// Deepest bracket nesting of a document (`PROMPTSALES_ROUTER_MAX_NESTING`).
    #[serde(default = "default_nesting", deserialize_with = "de_u64")]
    pub max_nesting: u64,
    /// Deepest selection with fragments expanded, introspection included
    /// (`PROMPTSALES_ROUTER_MAX_EXPANDED_DEPTH`); Hive's `limits.max_depth` then applies its own.
    #[serde(default = "default_expanded_depth", deserialize_with = "de_u64")]
    pub max_expanded_depth: u64,
    /// Most tokens (`PROMPTSALES_ROUTER_MAX_TOKENS`, the same as Hive's `limits.max_tokens`).
    #[serde(default = "default_tokens", deserialize_with = "de_u64")]
    pub max_tokens: u64,
    /// Most aliases, fragments expanded (`PROMPTSALES_ROUTER_MAX_ALIASES`, as Hive's `limits.max_aliases`).
    #[serde(default = "default_aliases", deserialize_with = "de_u64")]
    pub max_aliases: u64,
    /// Most fields once fragments are expanded (`PROMPTSALES_ROUTER_MAX_FIELDS`).
    #[serde(default = "default_fields", deserialize_with = "de_u64")]
    pub max_fields: u64,
}

fn default_json_depth() -> u64 {
    document_guard::DEFAULT_MAX_JSON_DEPTH as u64
}
fn default_nesting() -> u64 {
    document_guard::DEFAULT_MAX_NESTING as u64
}
fn default_expanded_depth() -> u64 {
    document_guard::DEFAULT_MAX_DEPTH as u64
}
fn default_tokens() -> u64 {
    document_guard::DEFAULT_MAX_TOKENS as u64
}
fn default_aliases() -> u64 {
    document_guard::DEFAULT_MAX_ALIASES as u64
}
fn default_fields() -> u64 {
    document_guard::DEFAULT_MAX_FIELDS as u64
}

impl Default for RequestLimitsConfig {
    fn default() -> Self {
        Self {
            max_json_depth: default_json_depth(),
            max_nesting: default_nesting(),
            max_expanded_depth: default_expanded_depth(),
            max_tokens: default_tokens(),
            max_aliases: default_aliases(),
            max_fields: default_fields(),
        }
    }
}

fn size(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

impl RequestLimitsConfig {
    /// The document limits these settings give.
    pub fn document_limits(&self) -> DocumentLimits {
        DocumentLimits {
            max_depth: size(self.max_expanded_depth),
            max_nesting: size(self.max_nesting),
            max_tokens: size(self.max_tokens),
            max_aliases: size(self.max_aliases),
            max_fields: size(self.max_fields),
        }
    }
}

/// The plugin that applies [`RequestLimitsConfig`] before decoding and parsing.
#[derive(Debug, Default)]
pub struct RequestLimitsPlugin {
    json_depth: usize,
    document: DocumentLimits,
}

impl RequestLimitsPlugin {
    /// The plugin with `config`'s limits (tests build it without the router).
    pub fn new(config: &RequestLimitsConfig) -> Self {
        Self {
            json_depth: size(config.max_json_depth),
            document: config.document_limits(),
        }
    }

    /// Checks an HTTP request's raw parameters: `body` for POST, `query_string` for GET.
    pub fn check_http(
        &self,
        method: &Method,
        query_string: &str,
        body: &[u8],
    ) -> Result<(), LimitExceeded> {
        if *method == Method::GET {
            promptsales_guard::http::check_get_query(query_string, self.json_depth, &self.document)
        } else {
            promptsales_guard::http::check_post_body(body, self.json_depth, &self.document)
        }
    }

    /// Checks an operation's text (WebSocket operations arrive decoded).
    pub fn check_query(&self, query: &str) -> Result<(), LimitExceeded> {
        check_document(query, &self.document).map(|_| ())
    }
}

#[hive_router::async_trait]
impl RouterPlugin for RequestLimitsPlugin {
    type Config = RequestLimitsConfig;

    fn plugin_name() -> &'static str {
        "promptsales_request_limits"
    }

    fn on_plugin_init(payload: OnPluginInitPayload<Self>) -> OnPluginInitResult<Self> {
        let config = payload.config()?;
        let plugin = Self::new(&config);
        payload.initialize_plugin(plugin)
    }

    async fn on_graphql_params<'exec>(
        &'exec self,
        payload: OnGraphQLParamsStartHookPayload<'exec>,
    ) -> OnGraphQLParamsStartHookResult<'exec> {
        let checked = match &payload.graphql_params {
            Some(params) => match &params.query {
                Some(query) => self.check_query(query),
                None => Ok(()),
            },
            None => {
                let request = payload.router_http_request;
                self.check_http(request.method, request.query_string, &payload.body)
            }
        };
        match checked {
            Ok(()) => payload.proceed(),
            Err(exceeded) => {
                tracing::warn!(code = exceeded.code, reason = %exceeded.message, "request refused before parsing");
                let error = GraphQLError::from_message_and_code(exceeded.message, exceeded.code);
                payload.end_with_graphql_error(error, StatusCode::BAD_REQUEST)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plugin() -> RequestLimitsPlugin {
        RequestLimitsPlugin::new(&RequestLimitsConfig::default())
    }

    fn body(query: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({ "query": query })).unwrap()
    }

    #[test]
    fn a_normal_request_passes() {
        let query = "query Q($id: ID!) { campaign(id: $id) { id name ads(first: 5) { edges { node { id } } } } }";
        let body = serde_json::to_vec(&serde_json::json!({
            "query": query, "variables": { "id": "x", "input": { "a": [1, { "b": 2 }] } },
        }))
        .unwrap();
        assert_eq!(plugin().check_http(&Method::POST, "", &body), Ok(()));
        let qs = format!(
            "query={}&variables=%7B%22id%22%3A%22x%22%7D",
            query.replace(' ', "%20")
        );
        assert_eq!(plugin().check_http(&Method::GET, &qs, b""), Ok(()));
    }

    #[test]
    fn deep_documents_and_json_are_refused() {
        let deep = format!("{}{}", "{ a ".repeat(50), "}".repeat(50));
        let err = plugin()
            .check_http(&Method::POST, "", &body(&deep))
            .unwrap_err();
        assert_eq!(err.code, document_guard::MAX_DEPTH_EXCEEDED);
        let json = format!(
            r#"{{"query":"{{ __typename }}","extensions":{{"x":{}1{}}}}}"#,
            "[".repeat(50),
            "]".repeat(50)
        );
        let err = plugin()
            .check_http(&Method::POST, "", json.as_bytes())
            .unwrap_err();
        assert_eq!(err.code, document_guard::MAX_JSON_DEPTH_EXCEEDED);
        let qs = format!("query=%7B__typename%7D&variables={}", "%5B".repeat(100));
        let err = plugin().check_http(&Method::GET, &qs, b"").unwrap_err();
        assert_eq!(err.code, document_guard::MAX_JSON_DEPTH_EXCEEDED);
        let qs = format!("query={}", "%7B".repeat(100));
        let err = plugin().check_http(&Method::GET, &qs, b"").unwrap_err();
        assert_eq!(err.code, document_guard::MAX_DEPTH_EXCEEDED);
    }

    #[test]
    fn garbage_is_left_to_hive() {
        for body in [
            &b"not json"[..],
            b"",
            b"[1,2]",
            b"{\"query\": 5}",
            b"\xff\xfe",
        ] {
            assert_eq!(plugin().check_http(&Method::POST, "", body), Ok(()));
        }
    }
}
