//! Publishes each organization's plan limits to Redis as the hash
//! `plan:{org}` (field = feature name, value = limit), for the subgraphs
//! that enforce them without asking sales (the content subgraph's AI
//! generations per month). Published on every subscription change, at
//! start-up and every few hours, with a TTL longer than that interval.
//!
//! Redis is a cache here: when it is down a sales mutation still succeeds;
//! the failure is logged and counted, and the next publication repairs it.
//!
//! The same Redis holds the one monthly counter of AI generations
//! (`kit::quota`, `ai:tokens:{org}:{yyyymm}`): `subscriptionUsage` and
//! `recordUsage` read and reserve in it, as the AI gateway does, so sales and
//! content report the same figure. Without Redis, `subscriptionUsage` answers
//! `SERVICE_UNAVAILABLE` (the counter cannot be read), and a reservation follows the
//! one setting every quota follows, `PROMPTSALES_AI_LIMIT_WITHOUT_REDIS`
//! (`kit::quota::admit`; `open` by default: admitted unmetered), as the AI gateway does.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use promptsales_kit::context::TenantScope;
use promptsales_kit::quota::{Admission, MeteringUnavailable, WithoutRedis};
use redis::aio::ConnectionManager;
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::domain::subscription::effective_limits;
use crate::store::SalesStore;

/// Environment variable naming the Redis server.
pub const REDIS_URL_VAR: &str = "PROMPTSALES_REDIS_URL";
/// Its default (the kit's, defined once).
pub const DEFAULT_REDIS_URL: &str = promptsales_kit::config::DEFAULT_REDIS_URL;
/// How long a published hash lives without being republished.
pub const TTL_SECONDS: i64 = 48 * 3600;
/// How often every organization's limits are republished.
pub const REFRESH_EVERY: Duration = Duration::from_secs(6 * 3600);
/// The most a publication may take before it counts as failed (a mutation never waits longer).
pub const TIMEOUT: Duration = Duration::from_millis(800);

/// Publishes plan limits; cheap to share (`Arc`), connects lazily.
pub struct PlanLimitsPublisher {
    url: String,
    prefix: String,
    connection: Mutex<Option<ConnectionManager>>,
    failures: AtomicU64,
    without_redis: WithoutRedis,
}

impl std::fmt::Debug for PlanLimitsPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlanLimitsPublisher")
            .field("url", &promptsales_kit::db::redacted(&self.url))
            .field("failures", &self.failures())
            .finish()
    }
}

impl PlanLimitsPublisher {
    /// A publisher to `url`, its keys prefixed with `prefix` (tests isolate themselves so).
    pub fn new(url: impl Into<String>, prefix: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: prefix.into(),
            connection: Mutex::new(None),
            failures: AtomicU64::new(0),
            without_redis: WithoutRedis::default(),
        }
    }

    /// With what a reservation does when Redis cannot be reached (default: `open`).
    pub fn with_without_redis(mut self, without_redis: WithoutRedis) -> Self {
        self.without_redis = without_redis;
        self
    }

    /// What a reservation, and a read of the counter, do when Redis cannot be reached.
    pub fn without_redis(&self) -> WithoutRedis {
        self.without_redis
    }

    /// A publisher to the sales Redis (`PROMPTSALES_REDIS_URL`), reserving as
    /// `PROMPTSALES_AI_LIMIT_WITHOUT_REDIS` says.
    pub fn from_settings(settings: &crate::Settings) -> Self {
        Self::new(settings.redis_url.clone(), "").with_without_redis(settings.without_redis)
    }

    /// The key of an organization's limits.
    pub fn key(&self, organization: Uuid) -> String {
        format!("{}plan:{organization}", self.prefix)
    }

    /// Publications that failed so far (Redis down or slow).
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    async fn connection(&self) -> Result<ConnectionManager, String> {
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Ok(connection.clone());
        }
        let client = redis::Client::open(self.url.as_str()).map_err(|e| e.to_string())?;
        let connection = client
            .get_connection_manager()
            .await
            .map_err(|e| e.to_string())?;
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// Replaces the hash of `organization` with `limits` (an empty map deletes it).
    /// Never fails: returns whether it worked, logging and counting when not.
    pub async fn publish(&self, organization: Uuid, limits: &BTreeMap<String, i64>) -> bool {
        let key = self.key(organization);
        let attempt = async {
            let mut connection = self.connection().await?;
            let mut pipe = redis::pipe();
            pipe.atomic().del(&key).ignore();
            if !limits.is_empty() {
                let fields: Vec<(&str, i64)> =
                    limits.iter().map(|(k, v)| (k.as_str(), *v)).collect();
                pipe.hset_multiple(&key, &fields).ignore();
                pipe.expire(&key, TTL_SECONDS).ignore();
            }
            pipe.query_async::<()>(&mut connection)
                .await
                .map_err(|e| e.to_string())
        };
        let outcome = match tokio::time::timeout(TIMEOUT, attempt).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {TIMEOUT:?}")),
        };
        match outcome {
            Ok(()) => true,
            Err(error) => {
                let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::warn!(%error, %key, failures, "could not publish plan limits to Redis; the next publication repairs it");
                false
            }
        }
    }
}

impl PlanLimitsPublisher {
    /// The one monthly AI generations counter of `organization` (`kit::quota`, the hash the
    /// AI gateway reserves in and content's `aiUsage` reads), with this publisher's prefix.
    fn ai_usage_key(&self, organization: Uuid) -> String {
        format!(
            "{}{}",
            self.prefix,
            promptsales_kit::quota::usage_key(
                organization,
                &promptsales_kit::quota::current_month()
            )
        )
    }

    /// AI generations `organization` used this calendar month (UTC); `Err` when Redis is unavailable.
    pub async fn ai_generations_used(&self, organization: Uuid) -> Result<u64, String> {
        let key = self.ai_usage_key(organization);
        let attempt = async {
            let mut connection = self.connection().await?;
            promptsales_kit::quota::used(
                &mut connection,
                &key,
                promptsales_kit::quota::GENERATIONS_FIELD,
            )
            .await
            .map_err(|e| e.to_string())
        };
        tokio::time::timeout(TIMEOUT, attempt)
            .await
            .map_err(|_| format!("no answer within {TIMEOUT:?}"))?
    }

    /// Reserves `n` AI generations of this month within `limit` (atomic; a refusal adds
    /// nothing); with Redis unreachable, what [`WithoutRedis`] says (`kit::quota::admit`).
    pub async fn reserve_ai_generations(
        &self,
        organization: Uuid,
        n: u64,
        limit: u64,
    ) -> Result<Admission, MeteringUnavailable> {
        let key = self.ai_usage_key(organization);
        let attempt = async {
            let mut connection = self.connection().await?;
            promptsales_kit::quota::reserve(
                &mut connection,
                &key,
                promptsales_kit::quota::GENERATIONS_FIELD,
                n,
                limit,
            )
            .await
            .map_err(|e| e.to_string())
        };
        let attempt = async {
            tokio::time::timeout(TIMEOUT, attempt)
                .await
                .map_err(|_| format!("no answer within {TIMEOUT:?}"))?
        };
        promptsales_kit::quota::admit(self.without_redis, "recordUsage", organization, n, attempt)
            .await
    }
}

static SHARED: std::sync::OnceLock<Arc<PlanLimitsPublisher>> = std::sync::OnceLock::new();

/// The process's publisher (resolvers use it unless the schema was given another, as tests
/// do): the one [`install`]ed at start, else one from the environment's settings.
pub fn shared() -> &'static Arc<PlanLimitsPublisher> {
    SHARED.get_or_init(|| {
        let vars = promptsales_kit::config::Vars::from_env();
        Arc::new(
            PlanLimitsPublisher::new(crate::settings::redis_url(&vars), "")
                .with_without_redis(crate::settings::without_redis(&vars)),
        )
    })
}

/// Makes `publisher` the process's (a running subgraph's, from its settings); a second
/// call, or one after [`shared`] was first used, changes nothing.
pub fn install(publisher: PlanLimitsPublisher) -> &'static Arc<PlanLimitsPublisher> {
    SHARED.get_or_init(|| Arc::new(publisher))
}

/// Publishes the current limits of one organization (after a subscription change).
pub async fn publish_organization(
    store: &dyn SalesStore,
    publisher: &PlanLimitsPublisher,
    organization: Uuid,
) -> bool {
    match store
        .live_features(TenantScope::All, Some(organization))
        .await
    {
        Ok(features) => {
            let features: Vec<_> = features.into_iter().map(|(_, f)| f).collect();
            publisher
                .publish(organization, &effective_limits(&features))
                .await
        }
        Err(e) => {
            tracing::warn!(error = %e, %organization, "could not read plan limits to publish");
            false
        }
    }
}

/// Publishes every organization that has a live plan; returns how many were published.
pub async fn publish_all(store: &dyn SalesStore, publisher: &PlanLimitsPublisher) -> usize {
    let features = match store.live_features(TenantScope::All, None).await {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(error = %e, "could not read plan limits to publish");
            return 0;
        }
    };
    let mut per_organization: BTreeMap<Uuid, Vec<_>> = BTreeMap::new();
    for (organization, feature) in features {
        per_organization
            .entry(organization)
            .or_default()
            .push(feature);
    }
    let mut published = 0;
    for (organization, features) in per_organization {
        if publisher
            .publish(organization, &effective_limits(&features))
            .await
        {
            published += 1;
        }
    }
    published
}

/// Publishes everything now and every [`REFRESH_EVERY`].
pub fn spawn_refresh(
    store: Arc<dyn SalesStore>,
    publisher: Arc<PlanLimitsPublisher>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(REFRESH_EVERY);
        loop {
            every.tick().await;
            let published = publish_all(store.as_ref(), &publisher).await;
            tracing::info!(published, "plan limits published to Redis");
        }
    })
}
