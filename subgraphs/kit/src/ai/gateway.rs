//! `AiGateway`: the models behind the Redis cache, the usage counters and the plan limit.
//!
//! A request of one or more generations ([`AiGateway::generate_all`]) goes:
//! cache (`ai:gen:{model}:{sha256}`, tenant in the hash; a hit costs no
//! tokens and no generation) -> plan limit (the misses are reserved at once,
//! all or nothing, in the one monthly counter `ai:tokens:{org}:{yyyymm}`
//! field `generations` by [`crate::quota::reserve`], refused past `plan:{org}`
//! field `ai_generations_per_month` or the configured default; a refusal adds
//! nothing) -> the models -> tokens counted (`tokens_in`, `tokens_out` in the
//! same hash, 35 days) and the answers cached (24 h). When any generation of
//! the request fails, the request fails and its whole reservation is given
//! back: a refused or failed request consumes no quota. Every call, hit,
//! refusal or failure, reaches the [`CallRecorder`] (the request log).
//!
//! Redis down: generation still works, uncached. The limit then follows the one
//! setting of every quota ([`crate::quota::admit`], the same that sales' `recordUsage`
//! follows): **open** by default (the call is unmetered, counted in
//! [`AiGateway::unmetered_generations`] and recorded `metered = false`), or
//! closed (`PROMPTSALES_AI_LIMIT_WITHOUT_REDIS=closed`: refused as
//! [`AiError::MeteringUnavailable`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::cache::RedisCache;
use super::config::{AiConfig, LimitWithoutRedis};
use super::{AiError, ChatModel, ChatOutput, ChatRequest, Embedder, Embeddings, TokenUsage};

pub use crate::quota::{USAGE_TTL, current_month, usage_key};
/// The plan hash field the sales subgraph publishes.
pub const PLAN_FIELD: &str = "ai_generations_per_month";

/// One AI call, as the request log keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    /// The tenant, when the call was made for one.
    pub organization: Option<Uuid>,
    /// Who served it (`openai-compatible`, `offline`, `cache`).
    pub service: String,
    /// The model.
    pub model: String,
    /// What the caller was doing (`content.generate`, `crm.copilot`...).
    pub operation: String,
    /// SHA-256 (hex) of the request: identical requests share it.
    pub request_digest: String,
    /// `ok` or an [`AiError::status`].
    pub status: String,
    /// Time spent, cache and model included.
    pub latency_ms: u64,
    /// Prompt tokens consumed (0 from the cache).
    pub tokens_in: u64,
    /// Completion tokens consumed (0 from the cache).
    pub tokens_out: u64,
    /// Served from the cache.
    pub from_cache: bool,
    /// Counted against the organization's plan.
    pub metered: bool,
}

/// Where call records go.
#[async_trait]
pub trait CallRecorder: Send + Sync {
    /// Keeps one record; failures are the recorder's to log, never the caller's.
    async fn record(&self, record: CallRecord);
}

/// A recorder that only writes a tracing event (for callers without a request log).
#[derive(Debug, Default, Clone)]
pub struct TracingRecorder;

#[async_trait]
impl CallRecorder for TracingRecorder {
    async fn record(&self, r: CallRecord) {
        tracing::info!(
            operation = %r.operation,
            model = %r.model,
            status = %r.status,
            latency_ms = r.latency_ms,
            tokens_in = r.tokens_in,
            tokens_out = r.tokens_out,
            from_cache = r.from_cache,
            metered = r.metered,
            "ai call"
        );
    }
}

/// The plan limit's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitPolicy {
    /// Monthly generations when `plan:{org}` publishes none.
    pub default_generations_per_month: u64,
    /// What to do when Redis is down.
    pub without_redis: LimitWithoutRedis,
}

impl Default for LimitPolicy {
    fn default() -> Self {
        Self {
            default_generations_per_month: super::config::DEFAULT_GENERATIONS_PER_MONTH,
            without_redis: LimitWithoutRedis::Open,
        }
    }
}

/// A generation and how it was served.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// The answer; its usage is zero when it came from the cache.
    pub output: ChatOutput,
    /// Served from the cache.
    pub from_cache: bool,
    /// Counted against the plan.
    pub metered: bool,
    /// The request's digest.
    pub digest: String,
}

/// An organization's AI usage in one month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MonthlyUsage {
    /// Generations made (cache hits excluded).
    pub generations: u64,
    /// Prompt tokens.
    pub tokens_in: u64,
    /// Completion tokens.
    pub tokens_out: u64,
    /// The limit in force.
    pub limit: u64,
}

/// The one entry point to AI models: cached, metered, limited and recorded.
pub struct AiGateway {
    chat: Arc<dyn ChatModel>,
    embedder: Arc<dyn Embedder>,
    cache: Option<Arc<RedisCache>>,
    cache_ttl: Duration,
    limits: LimitPolicy,
    recorder: Arc<dyn CallRecorder>,
    unmetered: AtomicU64,
}

impl std::fmt::Debug for AiGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AiGateway")
            .field("chat", &self.chat.model())
            .field("embedder", &self.embedder.model())
            .field("cache", &self.cache.is_some())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// The plan hash the sales subgraph publishes for `organization`.
pub fn plan_key(organization: Uuid) -> String {
    format!("plan:{organization}")
}

fn digest(organization: Option<Uuid>, model: &str, request: &ChatRequest) -> String {
    let mut hasher = Sha256::new();
    hasher.update(organization.map(|o| o.to_string()).unwrap_or_default());
    hasher.update([0]);
    hasher.update(model.as_bytes());
    hasher.update([0]);
    // Serialising a request of strings and numbers cannot fail; an empty body would only weaken the cache key.
    hasher.update(serde_json::to_vec(request).unwrap_or_default());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Generations reserved for one request.
enum Reservation {
    /// `count` generations reserved in this usage hash.
    Reserved { key: String, count: u64 },
    /// Not metered (no tenant, or Redis down and failing open).
    Unmetered,
}

impl AiGateway {
    /// A gateway over `chat` and `embedder`, without cache or metering, recording to tracing.
    pub fn new(chat: Arc<dyn ChatModel>, embedder: Arc<dyn Embedder>) -> Self {
        Self {
            chat,
            embedder,
            cache: None,
            cache_ttl: super::config::DEFAULT_CACHE_TTL,
            limits: LimitPolicy::default(),
            recorder: Arc::new(TracingRecorder),
            unmetered: AtomicU64::new(0),
        }
    }

    /// The gateway the configuration describes (models, Redis, TTL, limits), recording to `recorder`.
    pub fn from_config(
        config: &AiConfig,
        recorder: Arc<dyn CallRecorder>,
    ) -> Result<Self, AiError> {
        let (chat, embedder) = super::models_from_config(config)?;
        let mut gateway = Self::new(chat, embedder)
            .with_recorder(recorder)
            .with_limits(LimitPolicy {
                default_generations_per_month: config.default_generations_per_month,
                without_redis: config.limit_without_redis,
            });
        if let Some(url) = &config.redis_url {
            let cache = RedisCache::open(url, "")
                .map_err(|e| AiError::Config(format!("PROMPTSALES_REDIS_URL: {e}")))?;
            gateway = gateway.with_cache(Arc::new(cache), config.cache_ttl);
        }
        Ok(gateway)
    }

    /// With a Redis cache whose entries live `ttl`.
    pub fn with_cache(mut self, cache: Arc<RedisCache>, ttl: Duration) -> Self {
        self.cache = Some(cache);
        self.cache_ttl = ttl;
        self
    }

    /// With a recorder (the request log).
    pub fn with_recorder(mut self, recorder: Arc<dyn CallRecorder>) -> Self {
        self.recorder = recorder;
        self
    }

    /// With limit defaults.
    pub fn with_limits(mut self, limits: LimitPolicy) -> Self {
        self.limits = limits;
        self
    }

    /// The chat model behind the gateway.
    pub fn chat_model(&self) -> &Arc<dyn ChatModel> {
        &self.chat
    }

    /// The embedder behind the gateway.
    pub fn embedder(&self) -> &Arc<dyn Embedder> {
        &self.embedder
    }

    /// The Redis cache, when configured (other caches of the caller may share it).
    pub fn cache(&self) -> Option<&Arc<RedisCache>> {
        self.cache.as_ref()
    }

    /// Generations made without metering because Redis was down (since start).
    pub fn unmetered_generations(&self) -> u64 {
        self.unmetered.load(Ordering::Relaxed)
    }

    async fn limit_of(&self, cache: &RedisCache, organization: Uuid) -> Result<u64, ()> {
        let published: Option<String> = cache
            .run(
                redis::cmd("HGET")
                    .arg(cache.key(&plan_key(organization)))
                    .arg(PLAN_FIELD),
            )
            .await
            .map_err(|_| ())?;
        Ok(published
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(self.limits.default_generations_per_month))
    }

    /// Reserves `count` generations of `organization`'s month at once, or refuses them all.
    async fn reserve(
        &self,
        organization: Option<Uuid>,
        count: u64,
    ) -> Result<Reservation, AiError> {
        let Some(organization) = organization else {
            return Ok(Reservation::Unmetered);
        };
        if count == 0 {
            return Ok(Reservation::Unmetered);
        }
        // Redis down (no cache configured, no connection, an error or no answer in time):
        // `quota::admit` applies the one setting every quota follows.
        let key = self
            .cache
            .as_ref()
            .map(|cache| cache.key(&usage_key(organization, &current_month())))
            .unwrap_or_default();
        let mut limit = self.limits.default_generations_per_month;
        let attempt = async {
            let cache = self
                .cache
                .as_ref()
                .ok_or_else(|| "no Redis configured".to_string())?;
            limit = self
                .limit_of(cache, organization)
                .await
                .map_err(|()| "the plan limit could not be read".to_string())?;
            let mut connection = cache
                .connection()
                .await
                .ok_or_else(|| "no connection".to_string())?;
            tokio::time::timeout(
                super::cache::COMMAND_TIMEOUT,
                crate::quota::reserve(
                    &mut connection,
                    &key,
                    crate::quota::GENERATIONS_FIELD,
                    count,
                    limit,
                ),
            )
            .await
            .map_err(|_| format!("no answer within {:?}", super::cache::COMMAND_TIMEOUT))?
            .map_err(|e| e.to_string())
        };
        let admission = crate::quota::admit(
            self.limits.without_redis,
            "ai gateway",
            organization,
            count,
            attempt,
        )
        .await
        .map_err(|_| AiError::MeteringUnavailable)?;
        match admission {
            crate::quota::Admission::Granted { .. } => Ok(Reservation::Reserved { key, count }),
            crate::quota::Admission::Refused { used } => {
                Err(AiError::PlanLimitReached { limit, used })
            }
            crate::quota::Admission::Unmetered => {
                self.unmetered.fetch_add(count, Ordering::Relaxed);
                Ok(Reservation::Unmetered)
            }
        }
    }

    /// Gives a failed request's whole reservation back.
    async fn release(&self, reservation: &Reservation) {
        let (Reservation::Reserved { key, count }, Some(cache)) = (reservation, &self.cache) else {
            return;
        };
        let released = async {
            let mut connection = cache.connection().await.ok_or(())?;
            tokio::time::timeout(
                super::cache::COMMAND_TIMEOUT,
                crate::quota::release(
                    &mut connection,
                    key,
                    crate::quota::GENERATIONS_FIELD,
                    *count,
                ),
            )
            .await
            .map_err(|_| ())?
            .map_err(|_| ())
        }
        .await;
        if released.is_err() {
            tracing::warn!(
                count,
                "AI quota not released (Redis unavailable): the month's counter reads high"
            );
        }
    }

    /// Adds a generation's tokens to the month's hash.
    async fn count_tokens(&self, reservation: &Reservation, usage: TokenUsage) {
        let (Reservation::Reserved { key, .. }, Some(cache)) = (reservation, &self.cache) else {
            return;
        };
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("HINCRBY")
            .arg(key)
            .arg("tokens_in")
            .arg(usage.input)
            .ignore()
            .cmd("HINCRBY")
            .arg(key)
            .arg("tokens_out")
            .arg(usage.output)
            .ignore();
        if let Err(e) = cache.run_pipeline::<()>(&pipe).await {
            tracing::warn!(error = %e, "AI token usage not updated");
        }
    }

    fn record_of(
        &self,
        organization: Option<Uuid>,
        operation: &str,
        digest: &str,
        started: Instant,
        outcome: (&str, TokenUsage, bool, bool),
    ) -> CallRecord {
        let (status, usage, from_cache, metered) = outcome;
        CallRecord {
            organization,
            service: if from_cache {
                "cache".to_string()
            } else {
                self.chat.provider().to_string()
            },
            model: self.chat.model().to_string(),
            operation: operation.to_string(),
            request_digest: digest.to_string(),
            status: status.to_string(),
            latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            tokens_in: usage.input,
            tokens_out: usage.output,
            from_cache,
            metered,
        }
    }

    /// Generates one answer for `organization` (None: an operator's or internal call, unlimited).
    pub async fn generate(
        &self,
        organization: Option<Uuid>,
        operation: &str,
        request: &ChatRequest,
    ) -> Result<Generation, AiError> {
        let mut all = self
            .generate_all(organization, operation, std::slice::from_ref(request), 1)
            .await?;
        all.pop()
            .ok_or_else(|| AiError::InvalidResponse("no generation".into()))
    }

    /// Generates an answer to each of `requests` (in order, `in_flight` at a time) as one
    /// request against the plan: the uncached ones are reserved together (refused together
    /// past the limit), and when one fails the request fails and the reservation is given back.
    #[tracing::instrument(name = "ai.generate", skip_all, fields(operation = operation, count = requests.len()))]
    pub async fn generate_all(
        &self,
        organization: Option<Uuid>,
        operation: &str,
        requests: &[ChatRequest],
        in_flight: usize,
    ) -> Result<Vec<Generation>, AiError> {
        use futures::StreamExt;
        let started = Instant::now();
        let model = self.chat.model().to_string();
        let mut slots: Vec<(String, Option<ChatOutput>)> = Vec::with_capacity(requests.len());
        for request in requests {
            let digest = digest(organization, &model, request);
            let mut hit = None;
            if let Some(cache) = &self.cache
                && let Some(text) = cache.get(&format!("ai:gen:{model}:{digest}")).await
                && let Ok(mut output) = serde_json::from_str::<ChatOutput>(&text)
            {
                output.usage = TokenUsage::default();
                hit = Some(output);
            }
            slots.push((digest, hit));
        }
        let misses = slots.iter().filter(|(_, hit)| hit.is_none()).count() as u64;
        let reservation = match self.reserve(organization, misses).await {
            Ok(r) => r,
            Err(refused) => {
                for (digest, hit) in &slots {
                    if hit.is_none() {
                        self.recorder
                            .record(self.record_of(
                                organization,
                                operation,
                                digest,
                                started,
                                (refused.status(), TokenUsage::default(), false, true),
                            ))
                            .await;
                    }
                }
                return Err(refused);
            }
        };
        let metered = matches!(reservation, Reservation::Reserved { .. });
        let held = &reservation;
        // Boxed as Send futures: an unboxed closure over these borrows trips the compiler's
        // higher-ranked Send inference in callers (rust-lang/rust#102211).
        type Call<'a> = std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<Generation, AiError>> + Send + 'a>,
        >;
        let calls: Vec<Call<'_>> = slots
            .iter()
            .zip(requests)
            .map(|((digest, hit), request)| -> Call<'_> {
                Box::pin(async move {
                    if let Some(output) = hit {
                        self.recorder
                            .record(self.record_of(
                                organization,
                                operation,
                                digest,
                                started,
                                ("ok", TokenUsage::default(), true, false),
                            ))
                            .await;
                        return Ok(Generation {
                            output: output.clone(),
                            from_cache: true,
                            metered: false,
                            digest: digest.clone(),
                        });
                    }
                    match self.chat.generate(request).await {
                        Ok(output) => {
                            self.count_tokens(held, output.usage).await;
                            if let Some(cache) = &self.cache
                                && let Ok(text) = serde_json::to_string(&output)
                            {
                                cache
                                    .set(
                                        &format!("ai:gen:{}:{digest}", self.chat.model()),
                                        &text,
                                        self.cache_ttl,
                                    )
                                    .await;
                            }
                            self.recorder
                                .record(self.record_of(
                                    organization,
                                    operation,
                                    digest,
                                    started,
                                    ("ok", output.usage, false, metered),
                                ))
                                .await;
                            Ok(Generation {
                                output,
                                from_cache: false,
                                metered,
                                digest: digest.clone(),
                            })
                        }
                        Err(e) => {
                            self.recorder
                                .record(self.record_of(
                                    organization,
                                    operation,
                                    digest,
                                    started,
                                    (e.status(), TokenUsage::default(), false, metered),
                                ))
                                .await;
                            Err(e)
                        }
                    }
                })
            })
            .collect();
        let results: Vec<Result<Generation, AiError>> = futures::stream::iter(calls)
            .buffered(in_flight.max(1))
            .collect()
            .await;
        let mut generations = Vec::with_capacity(results.len());
        for result in results {
            match result {
                Ok(g) => generations.push(g),
                Err(e) => {
                    self.release(&reservation).await;
                    return Err(e);
                }
            }
        }
        Ok(generations)
    }

    /// Embeds `texts` (recorded; not cached here: callers keep vectors with what they describe).
    #[tracing::instrument(name = "ai.embed", skip_all, fields(operation = operation, count = texts.len()))]
    pub async fn embed(
        &self,
        organization: Option<Uuid>,
        operation: &str,
        texts: &[String],
    ) -> Result<Embeddings, AiError> {
        let started = Instant::now();
        let mut hasher = Sha256::new();
        for text in texts {
            hasher.update(text.as_bytes());
            hasher.update([0]);
        }
        let request_digest = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let result = self.embedder.embed(texts).await;
        let usage = result.as_ref().map(|e| e.usage).unwrap_or_default();
        self.recorder
            .record(CallRecord {
                organization,
                service: self.embedder.provider().to_string(),
                model: self.embedder.model().to_string(),
                operation: operation.to_string(),
                request_digest,
                status: match &result {
                    Ok(_) => "ok".to_string(),
                    Err(e) => e.status().to_string(),
                },
                latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                tokens_in: usage.input,
                tokens_out: usage.output,
                from_cache: false,
                metered: false,
            })
            .await;
        result
    }

    /// `organization`'s usage this month and its limit; `None` without Redis.
    pub async fn monthly_usage(&self, organization: Uuid) -> Option<MonthlyUsage> {
        let cache = self.cache.as_ref()?;
        let limit = self.limit_of(cache, organization).await.ok()?;
        let key = cache.key(&usage_key(organization, &current_month()));
        let (generations, tokens_in, tokens_out): (Option<u64>, Option<u64>, Option<u64>) = cache
            .run(
                redis::cmd("HMGET")
                    .arg(&key)
                    .arg(crate::quota::GENERATIONS_FIELD)
                    .arg("tokens_in")
                    .arg("tokens_out"),
            )
            .await
            .ok()?;
        Some(MonthlyUsage {
            generations: generations.unwrap_or(0),
            tokens_in: tokens_in.unwrap_or(0),
            tokens_out: tokens_out.unwrap_or(0),
            limit,
        })
    }
}
