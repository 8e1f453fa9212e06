//! Progress of outreach batches: every snapshot is pushed to the subscribers of
//! this instance directly and to the other instances through Redis pub/sub (the
//! kit's live bus, `kit::bus`), so a subscriber connected to any instance follows
//! a batch running on any other.
//!
//! Publishing never waits for Redis and never fails: when Redis is down the
//! other instances miss the snapshots, a warning is logged, and the
//! subscribers' periodic re-read of the store still brings them forward.

use promptsales_kit::StrEnum;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use promptsales_kit::bus::Bus;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::domain::channel::Channel;
use crate::domain::outreach::{JobStatus, OutreachJob};

/// Its default.
pub use promptsales_kit::config::DEFAULT_REDIS_URL;
/// The environment variable naming the shared Redis (`off`: this instance only).
pub use promptsales_kit::config::REDIS_URL_ENV;
/// The pub/sub channel (after the configured prefix).
pub const CHANNEL: &str = "content:outreach:progress";
/// Snapshots a slow local subscriber may fall behind by before it skips some (it then re-reads the store).
const BUFFER: usize = 1_024;

/// A snapshot as it travels between instances.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireJob {
    id: Uuid,
    organization_id: Uuid,
    channel: String,
    template_id: Option<Uuid>,
    status: String,
    total: i32,
    succeeded: i32,
    failed: i32,
    finished_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&OutreachJob> for WireJob {
    fn from(j: &OutreachJob) -> Self {
        Self {
            id: j.id,
            organization_id: j.organization_id,
            channel: j.channel.as_str().to_string(),
            template_id: j.template_id,
            status: j.status.as_str().to_string(),
            total: j.total,
            succeeded: j.succeeded,
            failed: j.failed,
            finished_at: j.finished_at,
            created_at: j.created_at,
            updated_at: j.updated_at,
        }
    }
}

impl WireJob {
    fn into_job(self) -> Option<OutreachJob> {
        Some(OutreachJob {
            id: self.id,
            organization_id: self.organization_id,
            channel: Channel::parse(&self.channel)?,
            template_id: self.template_id,
            status: JobStatus::parse(&self.status)?,
            total: self.total,
            succeeded: self.succeeded,
            failed: self.failed,
            finished_at: self.finished_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The progress bus of one instance: snapshots travel as [`WireJob`]s on the kit bus and
/// reach subscribers as [`OutreachJob`]s, in order.
pub struct ProgressBus {
    bus: Bus<WireJob>,
    local: broadcast::Sender<OutreachJob>,
}

impl std::fmt::Debug for ProgressBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgressBus")
            .field("instance", &self.bus.instance())
            .field("channel", &self.bus.channel())
            .finish()
    }
}

impl ProgressBus {
    fn over(bus: Bus<WireJob>) -> Arc<Self> {
        let local = broadcast::channel(BUFFER).0;
        let mut snapshots = bus.subscribe();
        let forward = local.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            // Ends when the bus's sender is gone.
            runtime.spawn(async move {
                loop {
                    match snapshots.recv().await {
                        Ok(wire) => {
                            if let Some(job) = wire.into_job() {
                                // No receiver is not an error: progress is also readable by query.
                                let _ = forward.send(job);
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(missed)) => {
                            tracing::warn!(
                                missed,
                                "outreach progress fell behind; subscribers re-read the store"
                            );
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    }
                }
            });
        }
        Arc::new(Self { bus, local })
    }

    /// Local subscribers only (no other instance hears of this one's batches).
    pub fn local_only() -> Arc<Self> {
        Self::over(Bus::local_only())
    }

    /// Local subscribers plus the other instances through Redis at `url`, on channel
    /// `{prefix}content:outreach:progress`. Starts the bus's tasks; call within a tokio runtime.
    pub fn with_redis(url: &str, prefix: &str) -> Result<Arc<Self>, redis::RedisError> {
        Ok(Self::over(Bus::with_redis(
            url,
            &format!("{prefix}{CHANNEL}"),
        )?))
    }

    /// `PROMPTSALES_REDIS_URL` (default [`DEFAULT_REDIS_URL`]; `off`: local only); local only when unusable.
    pub fn from_env() -> Arc<Self> {
        Self::over(Bus::from_env(CHANNEL, "outreach progress snapshots"))
    }

    /// Through the Redis at `redis_url` (`None`: local only); local only when unusable.
    pub fn on(redis_url: Option<&str>) -> Arc<Self> {
        Self::over(Bus::on(redis_url, CHANNEL, "outreach progress snapshots"))
    }

    /// This instance's id (it also names the owner of the batches it runs).
    pub fn instance(&self) -> Uuid {
        self.bus.instance()
    }

    /// A receiver of every snapshot from now on (filter by batch yourself).
    pub fn subscribe(&self) -> broadcast::Receiver<OutreachJob> {
        self.local.subscribe()
    }

    /// Resolves once the Redis listener is subscribed (at once without Redis; never while Redis is down).
    pub async fn listening(&self) {
        self.bus.listening().await
    }

    /// Pushes a snapshot to this instance's subscribers, and queues it for the others.
    pub fn publish(&self, job: &OutreachJob) {
        self.bus.publish(WireJob::from(job));
    }
}
