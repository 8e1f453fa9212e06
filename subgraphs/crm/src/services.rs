//! What the crm's resolvers use besides the store: the queue bus, the AI gateway, counters.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use promptsales_kit::ai::{AiConfig, AiGateway, HashingEmbedder, TemplateWriter, TracingRecorder};

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

    /// From the environment: Redis pub/sub for the queue, the configured AI model (offline
    /// default when none is configured). Must be called inside a tokio runtime.
    pub fn from_env() -> anyhow::Result<Self> {
        let config = AiConfig::from_env().map_err(|e| anyhow::anyhow!("AI configuration: {e}"))?;
        let ai = AiGateway::from_config(&config, Arc::new(TracingRecorder))
            .map_err(|e| anyhow::anyhow!("AI configuration: {e}"))?;
        Ok(Self {
            bus: QueueBus::from_env(),
            ai: Arc::new(ai),
            capture_scoring_failures: Arc::default(),
        })
    }
}
