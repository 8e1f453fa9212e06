//! Live updates of the agent queue: which leads are new, re-prioritised, claimed or closed.
//!
//! Events travel through the kit's live bus (`kit::bus`, Redis pub/sub on
//! `crm:queue`), so that a subscriber connected to one crm instance hears about
//! changes made on another. When Redis is down an event still reaches this
//! instance's subscribers: live updates degrade to one instance, they never
//! fail a mutation.

use std::sync::Arc;

use promptsales_kit::bus::Bus;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

/// Its default.
pub use promptsales_kit::config::DEFAULT_REDIS_URL;
/// Environment variable naming the Redis server.
pub use promptsales_kit::config::REDIS_URL_ENV;
/// The pub/sub channel.
pub const CHANNEL: &str = "crm:queue";

/// What happened to a lead in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueueEventKind {
    /// A lead entered the queue (a capture).
    New,
    /// Its priority changed (an interaction, a merge, a new score).
    Reprioritised,
    /// An agent claimed it.
    Claimed,
    /// It left the queue (won or lost).
    Closed,
}

/// One change of the queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueEvent {
    /// The tenant.
    pub organization_id: Uuid,
    /// The lead.
    pub lead_id: Uuid,
    /// The agent it is assigned to (none: the unassigned pool).
    pub agent_id: Option<Uuid>,
    /// What happened.
    pub kind: QueueEventKind,
    /// Its stored queue key (priority = key + hours now).
    pub queue_key: Option<f64>,
}

/// The bus: Redis when reachable, this process otherwise.
#[derive(Debug)]
pub struct QueueBus(Bus<QueueEvent>);

impl QueueBus {
    /// A bus for this process only.
    pub fn local() -> Arc<Self> {
        Arc::new(Self(Bus::local_only()))
    }

    /// A bus over Redis at `url`, listening in the background (reconnecting while Redis is down).
    /// Must be called inside a tokio runtime.
    pub fn with_redis(url: &str) -> Result<Arc<Self>, redis::RedisError> {
        Ok(Arc::new(Self(Bus::with_redis(url, CHANNEL)?)))
    }

    /// From `PROMPTSALES_REDIS_URL` (default `redis://127.0.0.1:6379`; `off`: local only); a bad URL means local only.
    pub fn from_env() -> Arc<Self> {
        Arc::new(Self(Bus::from_env(CHANNEL, "agent queue updates")))
    }

    /// Through the Redis at `redis_url` (`None`: local only); a bad URL means local only.
    pub fn on(redis_url: Option<&str>) -> Arc<Self> {
        Arc::new(Self(Bus::on(redis_url, CHANNEL, "agent queue updates")))
    }

    /// Waits until this instance listens on Redis (returns at once for a local bus).
    pub async fn wait_listening(&self) {
        self.0.listening().await
    }

    /// Whether this instance currently listens on Redis.
    pub fn is_listening(&self) -> bool {
        self.0.is_listening()
    }

    /// Subscribes to every event this instance hears.
    pub fn subscribe(&self) -> broadcast::Receiver<QueueEvent> {
        self.0.subscribe()
    }

    /// Publishes an event; never fails (this instance's subscribers get it at once, the others
    /// through Redis when it is up).
    pub async fn publish(&self, event: QueueEvent) {
        self.0.publish(event);
    }
}
