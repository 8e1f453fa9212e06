//! The response cache: whole query responses in Redis, keyed by the normalised
//! operation, its variables and the caller's scope, living as long as the
//! subgraphs' shortest cache hint, tagged by the entities they hold, and
//! invalidated by the mutations that return those entities.
//!
//! Hooks, in request order:
//! - `on_execute` (the token is verified by then): a query is looked up; a hit
//!   is answered at once. A mutation's tags are invalidated when it ends.
//! - `on_subgraph_execute`: every subgraph response's hint and tags are gathered.
//! - `on_http_request`'s end: the response gets `x-cache`, `Age` and
//!   `Cache-Control`, and a cacheable miss is stored in the background.
//!
//! Redis slow or down: the request is answered without the cache (`x-cache:
//! BYPASS`), counted in `promptsales_router_redis_failures`.
//!
//! In front of Redis, each router keeps the responses it found there recently in
//! memory ([`hot`]): a hit then costs no Redis round trip. Every invalidation
//! publishes the keys it deleted, and each router drops them from its memory too,
//! so no replica serves what Redis no longer holds (see [`hot`] for the ordering).
//!
//! Needs Redis 7 or later (`EXPIRE ... NX|GT` keeps a tag set alive as long as
//! its longest-lived response): the version is logged once connected, and on
//! an older server every query is answered `BYPASS`. Every key carries the
//! tenant's hash tag `{rc:<org>}` (`{rc:all}` for callers scoped to none; see
//! `promptsales_kit::cache_tags`), so on Redis Cluster tenants spread over the
//! shards and no command crosses slots.
//!
//! List responses are tagged per tenant: a mutation by a caller scoped to one
//! organization invalidates that organization's lists (and lists read across
//! tenants), never another tenant's (see `hints::invalidation_tags`).

pub mod hints;
pub mod hot;
pub mod key;
pub mod store;
pub mod tags;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hive_router::executor::hooks::on_execute::{
    OnExecuteStartHookPayload, OnExecuteStartHookResult,
};
use hive_router::executor::hooks::on_http_request::{
    OnHttpRequestHookFuture, OnHttpRequestHookPayload,
};
use hive_router::executor::hooks::on_plugin_init::{OnPluginInitPayload, OnPluginInitResult};
use hive_router::executor::hooks::on_subgraph_execute::{
    OnSubgraphExecuteStartHookPayload, OnSubgraphExecuteStartHookResult,
};
use hive_router::executor::plugin_context::PluginContext;
use hive_router::executor::plugin_trait::{
    EarlyHTTPResponse, EndHookPayload, RouterPlugin, StartHookPayload,
};
use hive_router::ntex::http::body::{Body, ResponseBody};
use hive_router::ntex::http::header::{HeaderName, HeaderValue};
use hive_router::ntex::web::WebResponse;
use hive_router::query_planner::state::supergraph_state::OperationKind;
use serde::Deserialize;

use crate::identity;
use crate::metrics;
use crate::redis_conn::{self, Redis, RedisSettings};
use crate::settings::{de_bool, de_duration, de_u64};
use hints::Hints;
use promptsales_kit::cache_tags::response_key;
use store::Entry;
use tags::Invalidations;

/// The response header saying where a response came from: `HIT`, `MISS` or `BYPASS`.
pub const CACHE_STATUS_HEADER: &str = "x-cache";

/// `plugins.promptsales_response_cache.config` in `router.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseCacheConfig {
    /// Whether responses are cached (`PROMPTSALES_RESPONSE_CACHE`).
    #[serde(default = "yes", deserialize_with = "de_bool")]
    pub enabled: bool,
    /// The Redis it uses.
    #[serde(default)]
    pub redis: RedisSettings,
    /// The longest any response is kept, whatever the hints say (`PROMPTSALES_RESPONSE_CACHE_MAX_TTL`).
    #[serde(default = "default_max_ttl", deserialize_with = "de_duration")]
    pub max_ttl: Duration,
    /// Larger responses are not cached (bytes).
    #[serde(default = "default_max_entry_bytes", deserialize_with = "de_u64")]
    pub max_entry_bytes: u64,
    /// The most bytes of responses each router keeps in memory in front of Redis; 0: none
    /// (`PROMPTSALES_RESPONSE_CACHE_MEMORY`).
    #[serde(default = "default_memory_bytes", deserialize_with = "de_u64")]
    pub memory_bytes: u64,
}

fn default_memory_bytes() -> u64 {
    64 * 1024 * 1024
}

fn yes() -> bool {
    true
}

fn default_max_ttl() -> Duration {
    Duration::from_secs(3600)
}

fn default_max_entry_bytes() -> u64 {
    1024 * 1024
}

/// The response cache plugin.
pub struct ResponseCachePlugin {
    redis: Arc<Redis>,
    config: ResponseCacheConfig,
    invalidations: Arc<Invalidations>,
    /// The responses kept in memory in front of Redis.
    hot: Arc<hot::HotCache>,
    /// Whether the refusal of a Redis older than 7 was logged already.
    old_redis_logged: AtomicBool,
}

/// What the cache did for one request (kept in the plugin context).
#[derive(Debug, Clone)]
enum CacheState {
    /// Not looked up (a mutation, an unverifiable caller, Redis unavailable).
    Bypass,
    /// Answered from the cache.
    Hit {
        age: u64,
        max_age: u64,
        /// Scoped to a caller (a user, or a token's tenant): only the client may keep it.
        private: bool,
    },
    /// Executed; stored when the hints allow.
    Miss {
        base: String,
        user: Option<String>,
        generation: u64,
        /// The caller sent a token: the response is theirs, whatever the hints say.
        identified: bool,
        /// The caller's organization (`None`: not scoped to one), which its list tags are scoped to.
        organization: Option<String>,
    },
}

/// The hints gathered from this request's subgraph responses (the hooks only get `&PluginContext`).
#[derive(Debug, Default)]
struct Gathered(Mutex<Hints>);

impl Gathered {
    fn hints(context: &PluginContext) -> Hints {
        context
            .get_ref::<Gathered>()
            .and_then(|g| g.0.lock().ok().map(|h| h.clone()))
            .unwrap_or_default()
    }
}

/// Whether execution ended with errors.
#[derive(Debug, Clone, Copy)]
struct ExecutionErrors(bool);

#[hive_router::async_trait]
impl RouterPlugin for ResponseCachePlugin {
    type Config = ResponseCacheConfig;

    fn plugin_name() -> &'static str {
        "promptsales_response_cache"
    }

    fn on_plugin_init(payload: OnPluginInitPayload<Self>) -> OnPluginInitResult<Self> {
        let config = payload.config()?;
        if !config.enabled {
            return payload.disable_plugin();
        }
        let redis = redis_conn::shared(&config.redis)?;
        // Connected at startup when a runtime already runs, so the server version is logged
        // (and an old one refused) before the first request rather than by it.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let redis = redis.clone();
            runtime.spawn(async move { redis.warm_up().await });
        }
        let memory = usize::try_from(config.memory_bytes).unwrap_or(usize::MAX);
        let hot = Arc::new(hot::HotCache::new(memory));
        if memory > 0 {
            hot.subscribe(&config.redis.url, &config.redis.key_prefix);
        }
        payload.initialize_plugin(Self {
            redis,
            config,
            invalidations: Arc::new(Invalidations::new(hot.clone())),
            hot,
            old_redis_logged: AtomicBool::new(false),
        })
    }

    fn on_http_request<'req>(
        &'req self,
        payload: OnHttpRequestHookPayload<'req>,
    ) -> OnHttpRequestHookFuture<'req> {
        Box::pin(async move {
            payload.on_end(move |end| {
                let state = end.context.get_ref::<CacheState>().map(|s| s.clone());
                let Some(state) = state else {
                    return end.proceed();
                };
                let context = end.context;
                end.map_response(|response| self.finish(state, context, response))
                    .proceed()
            })
        })
    }

    async fn on_execute<'exec>(
        &'exec self,
        payload: OnExecuteStartHookPayload<'exec>,
    ) -> OnExecuteStartHookResult<'exec> {
        let context = payload.context;
        let is_mutation = match payload.operation_for_plan.operation_kind {
            None | Some(OperationKind::Query) => false,
            Some(OperationKind::Mutation) => true,
            Some(OperationKind::Subscription) => return payload.proceed(),
        };
        let headers = payload.router_http_request.headers;
        // A client asking for a fresh response (`Cache-Control: no-cache` or `no-store`) gets
        // one, and a request that bypasses the cache costs nothing more.
        if !is_mutation && (wants_fresh(headers) || self.redis_too_old()) {
            metrics::response_cache("bypass");
            context.insert(CacheState::Bypass);
            return payload.proceed();
        }
        let jwt_verified = payload
            .request_context
            .read()
            .ok()
            .and_then(|read| read.authentication().jwt_status().copied())
            .unwrap_or(false);
        let caller = identity::caller(headers, jwt_verified);

        if is_mutation {
            // The subgraphs' tags of what the mutation returned, gathered for the invalidation.
            context.insert(Gathered::default());
            context.insert(CacheState::Bypass);
            let redis = self.redis.clone();
            let invalidations = self.invalidations.clone();
            let organization = key::organization(&caller).map(str::to_string);
            return payload.on_end(move |end| {
                // The entities a mutation returns are the ones it changed (or created),
                // and its tenant's lists of their types may have changed with them.
                let tags = hints::invalidation_tags(
                    &Gathered::hints(context).tags,
                    organization.as_deref(),
                );
                invalidations.start(redis, organization, tags);
                end.proceed()
            });
        }

        // Shared caches (CDNs) must never keep what a token let through: `private` then.
        let identified = !matches!(caller, identity::Caller::Anonymous);
        let Some(scope) = key::scope(&caller, headers) else {
            metrics::response_cache("bypass");
            context.insert(CacheState::Bypass);
            return payload.proceed();
        };
        let operation = payload.operation_for_plan.to_string();
        let base = key::base_hash(&operation, payload.variable_values.as_ref(), &scope);
        let user = scope.user.as_deref().map(|u| key::user_hash(&base, u));
        let organization = key::organization(&caller).map(str::to_string);

        if !self.invalidations.settled(self.redis.timeout()).await {
            metrics::response_cache("bypass");
            context.insert(CacheState::Bypass);
            return payload.proceed();
        }
        let generation = self.invalidations.generation();
        let now = store::now();
        let prefix = self.redis.prefix();
        let shared_key = response_key(prefix, organization.as_deref(), &base);
        let user_key = user
            .as_deref()
            .map(|u| response_key(prefix, organization.as_deref(), u));
        let found = match self.hot.lookup(&shared_key, user_key.as_deref(), now) {
            Some(entry) => Ok(Some(entry)),
            None => {
                let mark = self.hot.epoch();
                store::lookup(&self.redis, &shared_key, user_key.as_deref())
                    .await
                    .map(|found| self.keep(mark, now, &shared_key, user_key.as_deref(), found))
            }
        };
        match found {
            Ok(Some(entry)) => {
                metrics::response_cache("hit");
                context.insert(CacheState::Hit {
                    age: entry.age(now),
                    max_age: entry.max_age,
                    private: entry.private || identified,
                });
                let response = EarlyHTTPResponse {
                    body: entry.body.clone(),
                    headers: Default::default(),
                    status_code: hive_router::http::StatusCode::OK,
                };
                payload.end_with_response(response)
            }
            Ok(None) => {
                // The hints and tags of the subgraphs' responses decide whether and how it is stored.
                context.insert(Gathered::default());
                context.insert(CacheState::Miss {
                    base,
                    user,
                    generation,
                    identified,
                    organization,
                });
                payload.on_end(move |end| {
                    context.insert(ExecutionErrors(!end.errors.is_empty()));
                    end.proceed()
                })
            }
            Err(_) => {
                metrics::response_cache("bypass");
                context.insert(CacheState::Bypass);
                payload.proceed()
            }
        }
    }

    async fn on_subgraph_execute<'exec>(
        &'exec self,
        payload: OnSubgraphExecuteStartHookPayload<'exec>,
    ) -> OnSubgraphExecuteStartHookResult<'exec> {
        let context = payload.context;
        if !context.contains::<Gathered>() {
            return payload.proceed();
        }
        payload.on_end(move |end| {
            let result = &end.execution_result;
            let has_errors = result.errors.as_ref().is_some_and(|e| !e.is_empty());
            if let Some(gathered) = context.get_ref::<Gathered>()
                && let Ok(mut hints) = gathered.0.lock()
            {
                hints.record(result.extensions.as_ref(), has_errors);
            }
            end.proceed()
        })
    }
}

impl ResponseCachePlugin {
    /// Keeps what a Redis lookup found in memory; returns the response to serve, if any.
    fn keep(
        &self,
        mark: hot::Epoch,
        now: u64,
        shared_key: &str,
        user_key: Option<&str>,
        found: store::Found,
    ) -> Option<Arc<Entry>> {
        match found {
            store::Found::Shared(entry) => {
                let entry = Arc::new(entry);
                self.hot.keep(
                    mark,
                    now,
                    (shared_key, hot::Cached::Response(entry.clone())),
                    None,
                );
                Some(entry)
            }
            store::Found::Private(entry) => {
                let entry = Arc::new(entry);
                if let Some(user_key) = user_key {
                    self.hot.keep(
                        mark,
                        now,
                        (shared_key, hot::Cached::PrivateMarker),
                        Some((user_key, entry.clone())),
                    );
                }
                Some(entry)
            }
            store::Found::Nothing => None,
        }
    }

    /// Whether Redis is known to be older than the cache needs (logged once); an unknown version counts as recent enough.
    fn redis_too_old(&self) -> bool {
        let Some(version) = self.redis.server_version() else {
            return false;
        };
        let too_old = version < redis_conn::RESPONSE_CACHE_MIN_VERSION;
        if too_old && !self.old_redis_logged.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                %version,
                "the response cache needs Redis {} or later; every query bypasses it",
                redis_conn::RESPONSE_CACHE_MIN_VERSION
            );
        }
        too_old
    }

    /// Sets the cache headers and, for a cacheable miss, stores the body.
    fn finish(
        &self,
        state: CacheState,
        context: &PluginContext,
        mut response: WebResponse,
    ) -> WebResponse {
        let (status, cache_control, age) = match state {
            CacheState::Bypass => ("BYPASS", "no-store".to_string(), None),
            CacheState::Hit {
                age,
                max_age,
                private,
            } => ("HIT", cache_control(max_age, private), Some(age)),
            CacheState::Miss {
                base,
                user,
                generation,
                identified,
                organization,
            } => {
                metrics::response_cache("miss");
                let errors = context.get_ref::<ExecutionErrors>().is_none_or(|e| e.0);
                let policy = Gathered::hints(context);
                let tags = hints::storage_tags(&policy.tags, organization.as_deref());
                let policy = if errors {
                    None
                } else {
                    policy.policy(self.config.max_ttl)
                };
                match policy {
                    // A private response needs a user to be keyed by.
                    Some(policy) if !policy.private || user.is_some() => {
                        if response.status().is_success() {
                            self.store_later(
                                &response,
                                StoreTarget {
                                    organization,
                                    base,
                                    user,
                                },
                                generation,
                                policy,
                                tags,
                            );
                        }
                        (
                            "MISS",
                            cache_control(policy.max_age, policy.private || identified),
                            None,
                        )
                    }
                    _ => ("MISS", "no-store".to_string(), None),
                }
            }
        };
        let headers = response.headers_mut();
        headers.insert(
            HeaderName::from_static(CACHE_STATUS_HEADER),
            HeaderValue::from_static(status),
        );
        if let Ok(value) = HeaderValue::from_str(&cache_control) {
            headers.insert(HeaderName::from_static("cache-control"), value);
        }
        if let Some(age) = age {
            headers.insert(HeaderName::from_static("age"), HeaderValue::from(age));
        }
        response
    }

    /// Stores the response body in the background (the response is not held up).
    fn store_later(
        &self,
        response: &WebResponse,
        target: StoreTarget,
        generation: u64,
        policy: hints::Policy,
        tags: Vec<String>,
    ) {
        let body = match response.response().body() {
            ResponseBody::Body(Body::Bytes(bytes)) | ResponseBody::Other(Body::Bytes(bytes)) => {
                bytes.to_vec()
            }
            _ => return,
        };
        if body.len() as u64 > self.config.max_entry_bytes {
            return;
        }
        if self.invalidations.generation() != generation {
            // An invalidation ran while this response was computed: it may be stale already.
            return;
        }
        let entry = Entry {
            stored_at: store::now(),
            max_age: policy.max_age,
            private: policy.private,
            body,
        };
        let StoreTarget {
            organization,
            base,
            user,
        } = target;
        let hash = match (policy.private, user) {
            (true, Some(user)) => user,
            _ => base.clone(),
        };
        let redis = self.redis.clone();
        tokio::spawn(async move {
            let _ =
                store::store(&redis, organization.as_deref(), &base, &hash, &entry, &tags).await;
        });
    }
}

/// Where a response is stored: the caller's organization (its slot), the base hash, the user hash.
struct StoreTarget {
    organization: Option<String>,
    base: String,
    user: Option<String>,
}

/// Whether the request says `Cache-Control: no-cache` or `no-store`.
fn wants_fresh(headers: &hive_router::ntex::http::HeaderMap) -> bool {
    headers
        .get_all("cache-control")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|d| {
            matches!(
                d.trim().to_ascii_lowercase().as_str(),
                "no-cache" | "no-store"
            )
        })
}

/// The `Cache-Control` of a cacheable response.
fn cache_control(max_age: u64, private: bool) -> String {
    format!(
        "{}, max-age={max_age}",
        if private { "private" } else { "public" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hive_router::ntex::http::HeaderMap;

    #[test]
    fn clients_can_ask_for_a_fresh_response() {
        let mut headers = HeaderMap::new();
        assert!(!wants_fresh(&headers));
        headers.insert(
            HeaderName::from_static("cache-control"),
            HeaderValue::from_static("max-age=0, No-Cache"),
        );
        assert!(wants_fresh(&headers));
        headers.insert(
            HeaderName::from_static("cache-control"),
            HeaderValue::from_static("no-store"),
        );
        assert!(wants_fresh(&headers));
    }

    #[test]
    fn cache_control_says_who_may_keep_a_response() {
        assert_eq!(cache_control(30, false), "public, max-age=30");
        assert_eq!(cache_control(30, true), "private, max-age=30");
    }
}
