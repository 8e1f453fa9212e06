//! Automatic persisted queries (Apollo's protocol) in Redis, and the
//! trusted-documents mode that accepts only the operations of a manifest.
//!
//! APQ, as Apollo Client sends it: a request carries
//! `extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex>"}`, over
//! POST or GET (`?extensions=...`).
//! - hash only: the text stored at `pq:{hash}` runs; unknown (or Redis
//!   unavailable) gives `PersistedQueryNotFound` (code
//!   `PERSISTED_QUERY_NOT_FOUND`), and the client resends with the text;
//! - hash and text: the text must hash to it (else
//!   `PERSISTED_QUERY_HASH_MISMATCH`), is stored for `ttl`, and runs.
//!
//! Trusted documents (`trusted_documents` set): only manifest operations run,
//! named by `extensions.persistedQuery.sha256Hash` or `documentId`, or sent as
//! their exact text; anything else gets `PERSISTED_QUERY_NOT_IN_LIST` (an
//! unknown id) or `PERSISTED_QUERY_REQUIRED` (free text). APQ registration is
//! off in that mode.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hive_router::GraphQLError;
use hive_router::executor::hooks::on_graphql_params::{
    OnGraphQLParamsStartHookPayload, OnGraphQLParamsStartHookResult,
};
use hive_router::executor::hooks::on_plugin_init::{OnPluginInitPayload, OnPluginInitResult};
use hive_router::executor::plugin_trait::{RouterPlugin, StartHookPayload};
use hive_router::http::{Method, StatusCode};
use serde::Deserialize;

use crate::graphql_request::{RequestParams, sha256_hex};
use crate::redis_conn::{self, Redis, RedisSettings};
use crate::settings::{de_bool, de_duration, de_opt_text};
use crate::trusted_documents::TrustedDocuments;

/// Unknown hash: the client should resend the operation text (Apollo's code).
pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
/// The operation text does not hash to the hash sent with it.
pub const PERSISTED_QUERY_HASH_MISMATCH: &str = "PERSISTED_QUERY_HASH_MISMATCH";
/// A `persistedQuery` version other than 1.
pub const PERSISTED_QUERY_VERSION_NOT_SUPPORTED: &str = "PERSISTED_QUERY_VERSION_NOT_SUPPORTED";
/// Trusted documents: the id is not in the manifest.
pub const PERSISTED_QUERY_NOT_IN_LIST: &str = "PERSISTED_QUERY_NOT_IN_LIST";
/// Trusted documents: free-text operations are not accepted.
pub const PERSISTED_QUERY_REQUIRED: &str = "PERSISTED_QUERY_REQUIRED";

const FEATURE: &str = "apq";

/// `plugins.promptsales_persisted_queries.config` in `router.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersistedQueriesConfig {
    /// Whether clients may register operations by hash (`PROMPTSALES_APQ`).
    #[serde(default = "yes", deserialize_with = "de_bool")]
    pub apq: bool,
    /// How long a registered operation is kept (`PROMPTSALES_APQ_TTL`).
    #[serde(default = "default_ttl", deserialize_with = "de_duration")]
    pub ttl: Duration,
    /// A manifest file: only its operations run (`PROMPTSALES_TRUSTED_DOCUMENTS`).
    #[serde(default, deserialize_with = "de_opt_text")]
    pub trusted_documents: Option<String>,
    /// The Redis registered operations live in.
    #[serde(default)]
    pub redis: RedisSettings,
}

fn yes() -> bool {
    true
}

fn default_ttl() -> Duration {
    Duration::from_secs(30 * 24 * 3600)
}

/// The persisted-queries plugin.
pub struct PersistedQueriesPlugin {
    redis: Arc<Redis>,
    apq: bool,
    ttl_secs: u64,
    trusted: Option<TrustedDocuments>,
}

/// What to do with a request.
#[derive(Debug, PartialEq)]
enum Decision {
    /// Let Hive handle the request as sent.
    AsSent,
    /// Run this operation text instead.
    Run(String),
    /// Refuse with this code and message.
    Refuse(&'static str, String, StatusCode),
}

#[hive_router::async_trait]
impl RouterPlugin for PersistedQueriesPlugin {
    type Config = PersistedQueriesConfig;

    fn plugin_name() -> &'static str {
        "promptsales_persisted_queries"
    }

    fn on_plugin_init(payload: OnPluginInitPayload<Self>) -> OnPluginInitResult<Self> {
        let config = payload.config()?;
        let trusted = match &config.trusted_documents {
            Some(path) => {
                let documents = TrustedDocuments::load(&PathBuf::from(path))?;
                tracing::info!(operations = documents.len(), %path, "trusted documents: only manifest operations run");
                Some(documents)
            }
            None => None,
        };
        if !config.apq && trusted.is_none() {
            return payload.disable_plugin();
        }
        let redis = redis_conn::shared(&config.redis)?;
        payload.initialize_plugin(Self {
            redis,
            apq: config.apq,
            ttl_secs: config.ttl.as_secs().max(1),
            trusted,
        })
    }

    async fn on_graphql_params<'exec>(
        &'exec self,
        mut payload: OnGraphQLParamsStartHookPayload<'exec>,
    ) -> OnGraphQLParamsStartHookResult<'exec> {
        // WebSocket operations arrive parsed; HTTP ones are read here only when they may matter.
        let parsed = payload.graphql_params.take();
        let from_socket = parsed.is_some();
        let params = match parsed {
            Some(params) => Some(RequestParams::from_params(params)),
            None => self.read_http(&payload),
        };
        let Some(params) = params else {
            return payload.proceed();
        };
        let decision = match &self.trusted {
            Some(trusted) => trusted_decision(trusted, &params),
            None => self.apq_decision(&params).await,
        };
        match decision {
            Decision::AsSent if from_socket => payload
                .with_graphql_params(params.into_graphql_params())
                .proceed(),
            Decision::AsSent => payload.proceed(),
            Decision::Run(query) => {
                let params = params.into_params(query);
                payload.with_graphql_params(params).proceed()
            }
            Decision::Refuse(code, message, status) => payload
                .end_with_graphql_error(GraphQLError::from_message_and_code(message, code), status),
        }
    }
}

impl PersistedQueriesPlugin {
    /// The parameters of an HTTP request, read only when they may matter (a hash, an id, or trusted mode).
    fn read_http(&self, payload: &OnGraphQLParamsStartHookPayload<'_>) -> Option<RequestParams> {
        let request = payload.router_http_request;
        if *request.method == Method::GET {
            let qs = request.query_string;
            (self.trusted.is_some() || qs.contains("persistedQuery") || qs.contains("documentId"))
                .then(|| RequestParams::from_get(qs))
                .flatten()
        } else {
            let body = &payload.body;
            let mentions = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
            (self.trusted.is_some() || mentions(b"persistedQuery"))
                .then(|| RequestParams::from_post(body))
                .flatten()
        }
    }

    async fn apq_decision(&self, params: &RequestParams) -> Decision {
        let Some(persisted) = params.persisted_query() else {
            return Decision::AsSent;
        };
        if !self.apq {
            return Decision::AsSent;
        }
        if persisted.version != Some(1) {
            return Decision::Refuse(
                PERSISTED_QUERY_VERSION_NOT_SUPPORTED,
                "Unsupported persisted query version; only version 1 is supported".into(),
                StatusCode::BAD_REQUEST,
            );
        }
        let Some(hash) = persisted.sha256_hash.map(|h| h.to_ascii_lowercase()) else {
            return Decision::Refuse(
                PERSISTED_QUERY_HASH_MISMATCH,
                "extensions.persistedQuery.sha256Hash is missing".into(),
                StatusCode::BAD_REQUEST,
            );
        };
        let key = self.redis.key(&format!("pq:{hash}"));
        match &params.query {
            Some(query) => {
                if sha256_hex(query) != hash {
                    return Decision::Refuse(
                        PERSISTED_QUERY_HASH_MISMATCH,
                        "provided sha256Hash does not match the query".into(),
                        StatusCode::BAD_REQUEST,
                    );
                }
                let mut set = redis::cmd("SET");
                set.arg(&key).arg(query).arg("EX").arg(self.ttl_secs);
                // Registration failing (Redis down) only means the next hash-only request misses.
                let _: Result<(), _> = self.redis.query(FEATURE, &set).await;
                Decision::AsSent
            }
            None => {
                let mut get = redis::cmd("GET");
                get.arg(&key);
                match self.redis.query::<Option<String>>(FEATURE, &get).await {
                    Ok(Some(query)) => Decision::Run(query),
                    // Unknown, or Redis unavailable: the client resends the text.
                    Ok(None) | Err(_) => Decision::Refuse(
                        PERSISTED_QUERY_NOT_FOUND,
                        "PersistedQueryNotFound".into(),
                        StatusCode::OK,
                    ),
                }
            }
        }
    }
}

/// Trusted-documents mode: only manifest operations run.
fn trusted_decision(trusted: &TrustedDocuments, params: &RequestParams) -> Decision {
    let id = params
        .persisted_query()
        .and_then(|p| p.sha256_hash)
        .or_else(|| params.document_id.clone());
    match (id, &params.query) {
        (Some(id), sent) => match trusted.get(&id) {
            Some(body) => match sent {
                Some(text) if text.as_str() != body.as_ref() => Decision::Refuse(
                    PERSISTED_QUERY_HASH_MISMATCH,
                    format!("the query sent is not the manifest operation {id}"),
                    StatusCode::BAD_REQUEST,
                ),
                _ => Decision::Run(body.to_string()),
            },
            None => Decision::Refuse(
                PERSISTED_QUERY_NOT_IN_LIST,
                format!("operation {id} is not in the trusted documents manifest"),
                StatusCode::BAD_REQUEST,
            ),
        },
        (None, Some(text)) if trusted.contains_text(text) => Decision::AsSent,
        (None, Some(_)) => Decision::Refuse(
            PERSISTED_QUERY_REQUIRED,
            "only trusted documents are accepted: send a manifest operation's id".into(),
            StatusCode::BAD_REQUEST,
        ),
        (None, None) => Decision::AsSent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> TrustedDocuments {
        let body = "query Q { __typename }";
        TrustedDocuments::parse(&format!(r#"{{"{}": "{body}"}}"#, sha256_hex(body))).unwrap()
    }

    fn params(query: Option<&str>, hash: Option<&str>) -> RequestParams {
        let extensions = hash.map(|h| {
            let value =
                hive_router::sonic_rs::json!({"persistedQuery": {"version": 1, "sha256Hash": h}});
            [(
                "persistedQuery".to_string(),
                value["persistedQuery"].clone(),
            )]
            .into_iter()
            .collect()
        });
        RequestParams {
            query: query.map(str::to_string),
            extensions,
            ..RequestParams::default()
        }
    }

    #[test]
    fn trusted_mode_runs_only_manifest_operations() {
        let trusted = manifest();
        let body = "query Q { __typename }";
        let id = sha256_hex(body);
        assert_eq!(
            trusted_decision(&trusted, &params(None, Some(&id))),
            Decision::Run(body.into())
        );
        assert_eq!(
            trusted_decision(&trusted, &params(Some(body), None)),
            Decision::AsSent
        );
        let code = |d: Decision| match d {
            Decision::Refuse(code, _, _) => code,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert_eq!(
            code(trusted_decision(
                &trusted,
                &params(Some("{ __typename }"), None)
            )),
            PERSISTED_QUERY_REQUIRED
        );
        assert_eq!(
            code(trusted_decision(
                &trusted,
                &params(None, Some(&sha256_hex("other")))
            )),
            PERSISTED_QUERY_NOT_IN_LIST
        );
        assert_eq!(
            code(trusted_decision(
                &trusted,
                &params(Some("{ other }"), Some(&id))
            )),
            PERSISTED_QUERY_HASH_MISMATCH
        );
        let by_document_id = RequestParams {
            document_id: Some(id.clone()),
            ..RequestParams::default()
        };
        assert_eq!(
            trusted_decision(&trusted, &by_document_id),
            Decision::Run(body.into())
        );
    }
}
