//! The content engine: what the resolvers call when a request needs more than
//! the store — the AI gateway (cached, metered, logged), the vector index, the
//! search cache, sealing of secrets, and outreach batch jobs.
//!
//! Configuration (env, documented defaults; the AI variables are kit::ai's):
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PROMPTSALES_CONTENT_SEARCH_CACHE_TTL` | `2h` | life of a cached search (`content:search:{hash}`) |
//! | `PROMPTSALES_CONTENT_OUTREACH_CONCURRENCY` | `4` | items of one outreach batch written at once |
//! | `PROMPTSALES_CONTENT_DATA_KEY` | generated once into `<data dir>/content.key` | base64 of the 32-byte key sealing credentials and prospects |
//! | `PROMPTSALES_CONTENT_OUTREACH_LEASE` | `30s` | how long a batch's owner counts as alive without renewing; then another instance resumes the batch |
//! | `PROMPTSALES_REDIS_URL` | `redis://127.0.0.1:6379` | where batch progress reaches the other instances, and template changes the MCP adapters (`content:prompt_templates`; `off`: this instance only) |

pub mod generation;
pub mod jobs;
pub mod outreach;
pub mod recorder;
pub mod registry;
pub mod search;
pub mod search_index;

use std::sync::Arc;
use std::time::Duration;

use promptsales_kit::ApiError;
use promptsales_kit::ai::config::parse_duration;
use promptsales_kit::ai::{AiConfig, AiGateway, RedisCache};
use promptsales_kit::config::{ConfigError, Vars};
use promptsales_kit::template_changes::{self, TemplateBus, TemplateChanged};
use uuid::Uuid;

use self::jobs::ProgressBus;
use self::recorder::StoreRecorder;
use self::search_index::SearchIndex;
use crate::crypto::LazyCipher;
use crate::store::ContentStore;

/// Default life of a cached search.
pub const DEFAULT_SEARCH_CACHE_TTL: Duration = Duration::from_secs(2 * 3600);
/// Default concurrency of an outreach batch.
pub const DEFAULT_OUTREACH_CONCURRENCY: usize = 4;
/// Default lease of a running batch.
pub const DEFAULT_OUTREACH_LEASE: Duration = Duration::from_secs(30);

/// The engine's own settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    /// Life of a cached search.
    pub search_cache_ttl: Duration,
    /// Items of one batch written at once.
    pub outreach_concurrency: usize,
    /// How long a batch's owner counts as alive without renewing its lease (renewed every third of it).
    pub outreach_lease: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            search_cache_ttl: DEFAULT_SEARCH_CACHE_TTL,
            outreach_concurrency: DEFAULT_OUTREACH_CONCURRENCY,
            outreach_lease: DEFAULT_OUTREACH_LEASE,
        }
    }
}

impl EngineConfig {
    /// Reads the table above from `vars`; a bad value is an error naming its variable.
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        if let Some(ttl) = set_var(
            vars,
            "PROMPTSALES_CONTENT_SEARCH_CACHE_TTL",
            "not a duration such as 2h",
            parse_duration,
        )? {
            config.search_cache_ttl = ttl;
        }
        if let Some(n) = set_var(
            vars,
            "PROMPTSALES_CONTENT_OUTREACH_CONCURRENCY",
            "must be 1..64",
            |v| {
                v.trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=64).contains(n))
            },
        )? {
            config.outreach_concurrency = n;
        }
        if let Some(lease) = set_var(
            vars,
            "PROMPTSALES_CONTENT_OUTREACH_LEASE",
            "not a duration of at least 1s such as 30s",
            |v| parse_duration(v).filter(|d| *d >= Duration::from_secs(1)),
        )? {
            config.outreach_lease = lease;
        }
        Ok(config)
    }
}

/// `name` through `parse` when set (blank included: a blank value is refused, as it always was).
fn set_var<T>(
    vars: &Vars,
    name: &str,
    reason: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, ConfigError> {
    match vars.get(name) {
        Some(v) => parse(v)
            .map(Some)
            .ok_or_else(|| ConfigError::invalid(name, v, reason)),
        None => Ok(None),
    }
}

/// Everything beyond the store that the content resolvers use.
pub struct ContentEngine {
    /// The store.
    pub store: Arc<dyn ContentStore>,
    /// The AI gateway, recording to the request log.
    pub ai: Arc<AiGateway>,
    /// The vector index.
    pub index: Arc<SearchIndex>,
    /// Set once the index is built: the dimension of the current model's vectors.
    index_ready: tokio::sync::OnceCell<usize>,
    /// Seals credentials and prospect data.
    pub cipher: LazyCipher,
    /// Progress of outreach batches, shared with the other instances.
    pub progress: Arc<ProgressBus>,
    /// Where template changes are announced (the MCP adapter listens; `kit::template_changes`).
    pub templates: TemplateBus,
    /// Settings.
    pub config: EngineConfig,
}

impl std::fmt::Debug for ContentEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentEngine")
            .field("ai", &self.ai)
            .field("index", &self.index)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ContentEngine {
    /// An engine over `store` with `gateway` (its recorder replaced by the store's request log);
    /// batch progress stays on this instance.
    pub fn new(
        store: Arc<dyn ContentStore>,
        gateway: AiGateway,
        cipher: LazyCipher,
        config: EngineConfig,
    ) -> Arc<Self> {
        Self::with_progress(store, gateway, cipher, config, ProgressBus::local_only())
    }

    /// Like [`Self::new`], publishing batch progress on `progress` (its instance id owns the batches run here).
    pub fn with_progress(
        store: Arc<dyn ContentStore>,
        gateway: AiGateway,
        cipher: LazyCipher,
        config: EngineConfig,
        progress: Arc<ProgressBus>,
    ) -> Arc<Self> {
        Self::build(
            store,
            gateway,
            cipher,
            config,
            progress,
            TemplateBus::local_only(),
        )
    }

    fn build(
        store: Arc<dyn ContentStore>,
        gateway: AiGateway,
        cipher: LazyCipher,
        config: EngineConfig,
        progress: Arc<ProgressBus>,
        templates: TemplateBus,
    ) -> Arc<Self> {
        let ai = gateway.with_recorder(Arc::new(StoreRecorder::new(store.clone())));
        Arc::new(Self {
            store,
            ai: Arc::new(ai),
            index: Arc::new(SearchIndex::new()),
            index_ready: tokio::sync::OnceCell::new(),
            cipher,
            progress,
            templates,
            config,
        })
    }

    /// The engine the environment configures (kit::ai variables, the table above).
    pub fn from_env(store: Arc<dyn ContentStore>) -> anyhow::Result<Arc<Self>> {
        Self::from_env_with_templates(store, template_changes::from_env())
    }

    /// The engine `settings` configure. Call within a tokio runtime (the buses start).
    pub fn from_settings(
        store: Arc<dyn ContentStore>,
        settings: &crate::Settings,
    ) -> anyhow::Result<Arc<Self>> {
        let gateway =
            AiGateway::from_config(&settings.ai, Arc::new(promptsales_kit::ai::TracingRecorder))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        let redis = settings.redis_url.as_deref();
        Ok(Self::build(
            store,
            gateway,
            LazyCipher::configured(settings.data_key.clone(), settings.data_dir.clone()),
            settings.engine,
            ProgressBus::on(redis),
            template_changes::on(redis),
        ))
    }

    /// Like [`Self::from_env`], announcing template changes on `templates` (tests: a bus on
    /// their own Redis).
    pub fn from_env_with_templates(
        store: Arc<dyn ContentStore>,
        templates: TemplateBus,
    ) -> anyhow::Result<Arc<Self>> {
        let vars = Vars::from_env();
        let ai_config = AiConfig::from_vars(&vars).map_err(|e| anyhow::anyhow!("{e}"))?;
        let gateway =
            AiGateway::from_config(&ai_config, Arc::new(promptsales_kit::ai::TracingRecorder))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Self::build(
            store,
            gateway,
            LazyCipher::default(),
            EngineConfig::from_vars(&vars)?,
            ProgressBus::on(promptsales_kit::config::redis_url(&vars).as_deref()),
            templates,
        ))
    }

    /// Tells the listeners (the MCP adapters, on every instance) that a template version of
    /// `organization` was saved or turned on or off. Never waits and never fails (`kit::bus`).
    pub fn template_changed(&self, organization: Uuid, template: Uuid) {
        self.templates.publish(TemplateChanged {
            organization_id: organization,
            template_id: template,
        });
    }

    /// The shared Redis, when configured.
    pub fn cache(&self) -> Option<&Arc<RedisCache>> {
        self.ai.cache()
    }

    /// Builds the vector index once: loads the vectors of the current model, then embeds (in
    /// batches, adding each to the index) the assets that lack one of that model and dimension.
    pub async fn ensure_index(&self) -> Result<(), ApiError> {
        self.embedding_dimensions().await.map(|_| ())
    }

    /// The dimension of the current model's vectors (builds the index first, see [`Self::ensure_index`]).
    pub async fn embedding_dimensions(&self) -> Result<usize, ApiError> {
        self.index_ready
            .get_or_try_init(|| search::backfill_and_build(self))
            .await
            .copied()
    }
}
