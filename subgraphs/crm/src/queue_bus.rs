//! Live updates of the agent queue: which leads are new, re-prioritised, claimed or closed.
//!
//! Events travel through Redis pub/sub (`crm:queue:{organization}`) so that a
//! subscriber connected to one crm instance hears about changes made on
//! another. Every instance listens on `crm:queue:*` and hands what it hears to
//! its local subscribers. When Redis is down (or nobody is listening on it),
//! an event is delivered to this instance's subscribers directly: live
//! updates degrade to one instance, they never fail a mutation.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, broadcast, watch};
use uuid::Uuid;

/// Environment variable naming the Redis server.
pub const REDIS_URL_ENV: &str = "PROMPTSALES_REDIS_URL";
/// Its default.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";
/// The channel prefix.
pub const CHANNEL_PREFIX: &str = "crm:queue:";

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
pub struct QueueBus {
    local: broadcast::Sender<QueueEvent>,
    redis: Option<redis::Client>,
    publisher: Mutex<Option<redis::aio::MultiplexedConnection>>,
    listening: watch::Sender<bool>,
}

impl std::fmt::Debug for QueueBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueBus")
            .field("redis", &self.redis.is_some())
            .finish_non_exhaustive()
    }
}

const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

impl QueueBus {
    /// A bus for this process only.
    pub fn local() -> Arc<Self> {
        Arc::new(Self {
            local: broadcast::channel(1024).0,
            redis: None,
            publisher: Mutex::new(None),
            listening: watch::channel(false).0,
        })
    }

    /// A bus over Redis at `url`, listening in the background (reconnecting while Redis is down).
    /// Must be called inside a tokio runtime.
    pub fn with_redis(url: &str) -> Result<Arc<Self>, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let bus = Arc::new(Self {
            local: broadcast::channel(1024).0,
            redis: Some(client.clone()),
            publisher: Mutex::new(None),
            listening: watch::channel(false).0,
        });
        tokio::spawn(listen(client, Arc::downgrade(&bus)));
        Ok(bus)
    }

    /// From `PROMPTSALES_REDIS_URL` (default `redis://127.0.0.1:6379`); a bad URL means local only.
    pub fn from_env() -> Arc<Self> {
        let url = std::env::var(REDIS_URL_ENV)
            .ok()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_REDIS_URL.to_string());
        match Self::with_redis(&url) {
            Ok(bus) => bus,
            Err(e) => {
                tracing::warn!(error = %e, "invalid {REDIS_URL_ENV}; agent queue updates stay on this instance");
                Self::local()
            }
        }
    }

    /// Waits until this instance listens on Redis (returns at once for a local bus).
    pub async fn wait_listening(&self) {
        if self.redis.is_none() {
            return;
        }
        let mut receiver = self.listening.subscribe();
        // Only fails if the bus is gone, and `self` holds it.
        let _ = receiver.wait_for(|listening| *listening).await;
    }

    /// Whether this instance currently listens on Redis.
    pub fn is_listening(&self) -> bool {
        *self.listening.borrow()
    }

    /// Subscribes to every event this instance hears.
    pub fn subscribe(&self) -> broadcast::Receiver<QueueEvent> {
        self.local.subscribe()
    }

    /// Publishes an event; never fails (falls back to this instance's subscribers).
    pub async fn publish(&self, event: QueueEvent) {
        if self.publish_redis(&event).await {
            return;
        }
        // No subscriber anywhere is not an error: nobody is watching.
        let _ = self.local.send(event);
    }

    /// Whether Redis took the event and at least one listener (this instance's, at least) got it.
    async fn publish_redis(&self, event: &QueueEvent) -> bool {
        let Some(client) = &self.redis else {
            return false;
        };
        let Ok(payload) = serde_json::to_string(event) else {
            return false;
        };
        let channel = format!("{CHANNEL_PREFIX}{}", event.organization_id);
        let mut guard = self.publisher.lock().await;
        if guard.is_none() {
            match tokio::time::timeout(CONNECT_TIMEOUT, client.get_multiplexed_async_connection())
                .await
            {
                Ok(Ok(connection)) => *guard = Some(connection),
                _ => return false,
            }
        }
        let Some(connection) = guard.as_mut() else {
            return false;
        };
        let sent: Result<Result<i64, _>, _> = tokio::time::timeout(
            CONNECT_TIMEOUT,
            redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(&payload)
                .query_async(connection),
        )
        .await;
        match sent {
            Ok(Ok(receivers)) => receivers > 0,
            _ => {
                // Reconnect next time.
                *guard = None;
                false
            }
        }
    }
}

async fn listen(client: redis::Client, bus: std::sync::Weak<QueueBus>) {
    let mut delay = Duration::from_millis(200);
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => {
                if pubsub
                    .psubscribe(format!("{CHANNEL_PREFIX}*"))
                    .await
                    .is_ok()
                {
                    delay = Duration::from_millis(200);
                    if let Some(bus) = bus.upgrade() {
                        bus.listening.send_replace(true);
                    }
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        let Some(bus) = bus.upgrade() else { return };
                        let Ok(payload) = message.get_payload::<String>() else {
                            continue;
                        };
                        match serde_json::from_str::<QueueEvent>(&payload) {
                            Ok(event) => {
                                let _ = bus.local.send(event);
                            }
                            Err(e) => tracing::warn!(error = %e, "unreadable agent queue event"),
                        }
                    }
                }
            }
            Err(e) => tracing::debug!(error = %e, "agent queue listener cannot reach Redis"),
        }
        match bus.upgrade() {
            Some(bus) => {
                bus.listening.send_replace(false);
            }
            None => return,
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}
