//! Progress of outreach batches: every snapshot is pushed to the subscribers of
//! this instance directly and to the other instances through Redis pub/sub, so
//! a subscriber connected to any instance follows a batch running on any other.
//!
//! Publishing never waits for Redis and never fails: snapshots go to one
//! background task, in order, through a bounded queue; when Redis is down (or
//! the queue is full) the other instances miss them, a warning is logged, and
//! the subscribers' periodic re-read of the store still brings them forward.
//! Each instance tags what it publishes with its id and ignores its own
//! messages coming back, so a local subscriber gets each snapshot once.

use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, watch};
use uuid::Uuid;

use crate::domain::channel::Channel;
use crate::domain::outreach::{JobStatus, OutreachJob};

/// The environment variable naming the shared Redis (`off`: this instance only).
pub const REDIS_URL_ENV: &str = "PROMPTSALES_REDIS_URL";
/// Its default.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";
/// The pub/sub channel (after the configured prefix).
pub const CHANNEL: &str = "content:outreach:progress";
/// Snapshots a slow local subscriber may fall behind by before it skips some (it then re-reads the store).
const BUFFER: usize = 1_024;
/// Snapshots waiting for Redis before new ones are dropped (for the other instances only).
const OUTBOX: usize = 4_096;
/// How long the publisher waits for Redis (connecting or publishing) before giving up on a snapshot.
const REDIS_TIMEOUT: Duration = Duration::from_secs(1);
/// Pause before the listener tries Redis again.
const RETRY: Duration = Duration::from_secs(1);

/// A snapshot as it travels between instances.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct WireJob {
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

#[derive(Serialize, Deserialize)]
struct Envelope {
    origin: Uuid,
    job: WireJob,
}

/// The progress bus of one instance.
pub struct ProgressBus {
    instance: Uuid,
    local: broadcast::Sender<OutreachJob>,
    outbox: Option<mpsc::Sender<OutreachJob>>,
    channel: Option<String>,
    listening: watch::Sender<bool>,
}

impl std::fmt::Debug for ProgressBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgressBus")
            .field("instance", &self.instance)
            .field("channel", &self.channel)
            .finish()
    }
}

impl ProgressBus {
    /// Local subscribers only (no other instance hears of this one's batches).
    pub fn local_only() -> Arc<Self> {
        Arc::new(Self {
            instance: Uuid::now_v7(),
            local: broadcast::channel(BUFFER).0,
            outbox: None,
            channel: None,
            listening: watch::channel(false).0,
        })
    }

    /// Local subscribers plus the other instances through Redis at `url`, on channel
    /// `{prefix}content:outreach:progress`. Starts the publisher and listener tasks; call within a tokio runtime.
    pub fn with_redis(url: &str, prefix: &str) -> Result<Arc<Self>, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let channel = format!("{prefix}{CHANNEL}");
        let (outbox, queued) = mpsc::channel(OUTBOX);
        let bus = Arc::new(Self {
            instance: Uuid::now_v7(),
            local: broadcast::channel(BUFFER).0,
            outbox: Some(outbox),
            channel: Some(channel.clone()),
            listening: watch::channel(false).0,
        });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            // The publisher ends with the bus (its queue closes); the listener holds a weak reference.
            runtime.spawn(publish_loop(
                client.clone(),
                channel.clone(),
                bus.instance,
                queued,
            ));
            runtime.spawn(listen(Arc::downgrade(&bus), client, channel));
        }
        Ok(bus)
    }

    /// `PROMPTSALES_REDIS_URL` (default [`DEFAULT_REDIS_URL`]; `off`: local only); local only when unusable.
    pub fn from_env() -> Arc<Self> {
        let url = std::env::var(REDIS_URL_ENV)
            .ok()
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| DEFAULT_REDIS_URL.to_string());
        if url.eq_ignore_ascii_case("off") {
            return Self::local_only();
        }
        match Self::with_redis(&url, "") {
            Ok(bus) => bus,
            Err(e) => {
                tracing::warn!(error = %e, "PROMPTSALES_REDIS_URL is unusable; outreach progress stays on this instance");
                Self::local_only()
            }
        }
    }

    /// This instance's id (it also names the owner of the batches it runs).
    pub fn instance(&self) -> Uuid {
        self.instance
    }

    /// A receiver of every snapshot from now on (filter by batch yourself).
    pub fn subscribe(&self) -> broadcast::Receiver<OutreachJob> {
        self.local.subscribe()
    }

    /// Resolves once the Redis listener is subscribed (at once without Redis; never while Redis is down).
    pub async fn listening(&self) {
        if self.channel.is_none() {
            return;
        }
        let mut rx = self.listening.subscribe();
        let _ = rx.wait_for(|up| *up).await;
    }

    /// Pushes a snapshot to this instance's subscribers now, and queues it for the others.
    pub fn publish(&self, job: &OutreachJob) {
        // No receiver is not an error: progress is also readable by query.
        let _ = self.local.send(job.clone());
        if let Some(outbox) = &self.outbox
            && let Err(mpsc::error::TrySendError::Full(_)) = outbox.try_send(job.clone())
        {
            tracing::warn!(job = %job.id, "Redis is behind; other instances miss an outreach progress snapshot");
        }
    }
}

async fn publish_loop(
    client: redis::Client,
    channel: String,
    origin: Uuid,
    mut queued: mpsc::Receiver<OutreachJob>,
) {
    let mut connection: Option<redis::aio::MultiplexedConnection> = None;
    while let Some(job) = queued.recv().await {
        let payload = match serde_json::to_string(&Envelope {
            origin,
            job: WireJob::from(&job),
        }) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "cannot encode outreach progress");
                continue;
            }
        };
        if connection.is_none() {
            match tokio::time::timeout(REDIS_TIMEOUT, client.get_multiplexed_async_connection())
                .await
            {
                Ok(Ok(c)) => connection = Some(c),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "Redis unavailable; outreach progress reaches this instance only");
                    continue;
                }
                Err(_) => {
                    tracing::warn!(
                        "Redis did not answer in time; outreach progress reaches this instance only"
                    );
                    continue;
                }
            }
        }
        let Some(c) = connection.as_mut() else {
            continue;
        };
        let sent: Result<Result<i64, _>, _> =
            tokio::time::timeout(REDIS_TIMEOUT, c.publish(&channel, payload)).await;
        if !matches!(sent, Ok(Ok(_))) {
            tracing::warn!("cannot publish outreach progress to Redis");
            // A fresh connection next time rather than one stuck reconnecting.
            connection = None;
        }
    }
}

async fn listen(bus: Weak<ProgressBus>, client: redis::Client, channel: String) {
    loop {
        let Some(strong) = bus.upgrade() else {
            return;
        };
        let (instance, local, listening) = (
            strong.instance,
            strong.local.clone(),
            strong.listening.clone(),
        );
        drop(strong);
        match subscribe(&client, &channel).await {
            Ok(mut pubsub) => {
                listening.send_replace(true);
                let mut messages = pubsub.on_message();
                while let Some(message) = messages.next().await {
                    if bus.strong_count() == 0 {
                        return;
                    }
                    let Ok(payload) = message.get_payload::<String>() else {
                        continue;
                    };
                    match serde_json::from_str::<Envelope>(&payload) {
                        Ok(envelope) if envelope.origin != instance => {
                            if let Some(job) = envelope.job.into_job() {
                                let _ = local.send(job);
                            }
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "unreadable outreach progress message")
                        }
                    }
                }
                listening.send_replace(false);
                tracing::warn!("Redis subscription lost; retrying");
            }
            Err(e) => {
                tracing::debug!(error = %e, "Redis unavailable for outreach progress; retrying")
            }
        }
        tokio::time::sleep(RETRY).await;
    }
}

async fn subscribe(
    client: &redis::Client,
    channel: &str,
) -> redis::RedisResult<redis::aio::PubSub> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    Ok(pubsub)
}
