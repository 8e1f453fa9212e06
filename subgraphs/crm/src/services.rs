//! What the crm's resolvers use besides the store: the queue bus, the AI gateway, counters.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use promptsales_kit::ai::{AiGateway, HashingEmbedder, TemplateWriter, TracingRecorder};

use crate::queue_bus::QueueBus;

/// Shared services, one per process.
#[derive(Clone)]
pub struct Services {
    /// Live updates of agent queues.
    pub bus: Arc<QueueBus>,
    /// The AI model interface (the copilot).
    pub ai: Arc<AiGateway>,
    /// Captured leads this process could not score at capture (each is also logged).
    pub capture_scoring_failures: Arc<AtomicU64>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("bus", &self.bus)
            .finish_non_exhaustive()
    }
}

impl Services {
    /// This process only: a local bus and the offline template writer (tests, tools).
    pub fn local() -> Self {
        Self {
            bus: QueueBus::local(),
            ai: Arc::new(AiGateway::new(
                Arc::new(TemplateWriter::new()),
                Arc::new(HashingEmbedder::default()),
            )),
            capture_scoring_failures: Arc::default(),
        }
    }

    /// As `settings` say: Redis pub/sub for the queue, the configured AI model (offline
    /// default when none is configured). Must be called inside a tokio runtime.
    pub fn from_settings(settings: &crate::Settings) -> anyhow::Result<Self> {
        let ai = AiGateway::from_config(&settings.ai, Arc::new(TracingRecorder))
            .map_err(|e| anyhow::anyhow!("AI configuration: {e}"))?;
        Ok(Self {
            bus: QueueBus::on(settings.redis_url.as_deref()),
            ai: Arc::new(ai),
            capture_scoring_failures: Arc::default(),
        })
    }
}
