//! The live bus: events pushed to the subscribers of this instance at once and
//! to the other instances through Redis pub/sub, so a subscriber connected to
//! any replica hears what any replica published.
//!
//! Publishing never waits for Redis and never fails: events go to one
//! background task, in order, through a bounded queue; when Redis is down (or
//! the queue is full) the other instances miss them and a warning is logged,
//! while this instance's subscribers still get every event. Each instance tags
//! what it publishes with its own id and ignores its own messages coming back,
//! so a local subscriber gets each event once. The listener reconnects while
//! Redis is down.
//!
//! ```no_run
//! # #[derive(Clone, serde::Serialize, serde::Deserialize)] struct Ping;
//! # async fn example() {
//! let bus: promptsales_kit::bus::Bus<Ping> = promptsales_kit::bus::Bus::from_env("demo:pings", "pings");
//! let mut pings = bus.subscribe();
//! bus.publish(Ping);
//! let _ = pings.recv().await;
//! # }
//! ```

use std::sync::{Arc, Weak};
use std::time::Duration;

use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, watch};
use uuid::Uuid;

use crate::config::REDIS_URL_ENV;

/// Events a slow local subscriber may fall behind by before it skips some.
const BUFFER: usize = 1_024;
/// Batches waiting for Redis before new ones are dropped (for the other instances only).
const OUTBOX: usize = 4_096;
/// How long the publisher waits for Redis (connecting or publishing) before giving up on a batch.
const REDIS_TIMEOUT: Duration = Duration::from_secs(1);
/// Pause before the listener tries Redis again.
const RETRY: Duration = Duration::from_secs(1);

/// What travels between instances: who sent it, and the events.
#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    origin: Uuid,
    events: Vec<T>,
}

struct Inner<T> {
    instance: Uuid,
    local: broadcast::Sender<T>,
    outbox: Option<mpsc::Sender<Vec<T>>>,
    channel: Option<String>,
    listening: watch::Sender<bool>,
    /// Batches queued for Redis so far, and batches the publisher has dealt with.
    queued: std::sync::atomic::AtomicU64,
    handled: watch::Sender<u64>,
}

/// The bus of one instance for events of type `T` (cheap to clone; every clone is the same bus).
pub struct Bus<T>(Arc<Inner<T>>);

impl<T> Clone for Bus<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> std::fmt::Debug for Bus<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus")
            .field("instance", &self.0.instance)
            .field("channel", &self.0.channel)
            .finish()
    }
}

impl<T> Bus<T>
where
    T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
{
    /// Local subscribers only (no other instance hears of this one's events).
    pub fn local_only() -> Self {
        Self(Arc::new(Inner {
            instance: Uuid::now_v7(),
            local: broadcast::channel(BUFFER).0,
            outbox: None,
            channel: None,
            listening: watch::channel(false).0,
            queued: Default::default(),
            handled: watch::channel(0).0,
        }))
    }

    /// Local subscribers plus the other instances through Redis at `url`, on pub/sub
    /// channel `channel` (the caller adds any key prefix). Starts the publisher and
    /// listener tasks when called within a tokio runtime.
    pub fn with_redis(url: &str, channel: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let (outbox, queued) = mpsc::channel(OUTBOX);
        let bus = Self(Arc::new(Inner {
            instance: Uuid::now_v7(),
            local: broadcast::channel(BUFFER).0,
            outbox: Some(outbox),
            channel: Some(channel.to_string()),
            listening: watch::channel(false).0,
            queued: Default::default(),
            handled: watch::channel(0).0,
        }));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            // The publisher ends with the bus (its queue closes); the listener holds a weak reference.
            runtime.spawn(publish_loop(
                client.clone(),
                channel.to_string(),
                bus.0.instance,
                queued,
                bus.0.handled.clone(),
            ));
            runtime.spawn(listen(Arc::downgrade(&bus.0), client, channel.to_string()));
        }
        Ok(bus)
    }

    /// On `channel` through `PROMPTSALES_REDIS_URL` (default [`crate::config::DEFAULT_REDIS_URL`]; `off`:
    /// local only); local only when the URL is unusable. `what` names the events in logs.
    pub fn from_env(channel: &str, what: &str) -> Self {
        Self::on(
            crate::config::redis_url_from_env().as_deref(),
            channel,
            what,
        )
    }

    /// On `channel` through the Redis at `redis_url` (`None`: local only, as when
    /// `PROMPTSALES_REDIS_URL` is `off`); local only when the URL is unusable.
    pub fn on(redis_url: Option<&str>, channel: &str, what: &str) -> Self {
        match redis_url {
            None => Self::local_only(),
            Some(url) => match Self::with_redis(url, channel) {
                Ok(bus) => bus,
                Err(e) => {
                    tracing::warn!(error = %e, "{REDIS_URL_ENV} is unusable; {what} stay on this instance");
                    Self::local_only()
                }
            },
        }
    }

    /// This instance's id (the origin its messages carry).
    pub fn instance(&self) -> Uuid {
        self.0.instance
    }

    /// The Redis channel, when the bus has one.
    pub fn channel(&self) -> Option<&str> {
        self.0.channel.as_deref()
    }

    /// How many subscribers on this instance are listening now.
    pub fn subscribers(&self) -> usize {
        self.0.local.receiver_count()
    }

    /// A receiver of every event from now on (filter by tenant and subject yourself).
    pub fn subscribe(&self) -> broadcast::Receiver<T> {
        self.0.local.subscribe()
    }

    /// Resolves once the Redis listener is subscribed (at once without Redis; never while Redis is down).
    pub async fn listening(&self) {
        if self.0.channel.is_none() {
            return;
        }
        let mut rx = self.0.listening.subscribe();
        let _ = rx.wait_for(|up| *up).await;
    }

    /// Whether this instance currently listens on Redis.
    pub fn is_listening(&self) -> bool {
        *self.0.listening.borrow()
    }

    /// Pushes `event` to this instance's subscribers now, and queues it for the others.
    pub fn publish(&self, event: T) {
        self.publish_all(vec![event]);
    }

    /// Pushes `events` to this instance's subscribers now, and queues them (one message) for the others.
    pub fn publish_all(&self, events: Vec<T>) {
        if events.is_empty() {
            return;
        }
        for event in &events {
            // No receiver is not an error: nobody is watching.
            let _ = self.0.local.send(event.clone());
        }
        if let Some(outbox) = &self.0.outbox {
            match outbox.try_send(events) {
                Ok(()) => {
                    self.0
                        .queued
                        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                Err(mpsc::error::TrySendError::Full(_)) => tracing::warn!(
                    channel = self.0.channel.as_deref().unwrap_or_default(),
                    "Redis is behind; other instances miss some live events"
                ),
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
    }

    /// Waits (at most `timeout`) until what was published so far went to Redis or was given up
    /// on; a process about to exit calls it so its last events are not lost in the queue.
    pub async fn flushed(&self, timeout: Duration) {
        let target = self.0.queued.load(std::sync::atomic::Ordering::SeqCst);
        let mut rx = self.0.handled.subscribe();
        let _ = tokio::time::timeout(timeout, rx.wait_for(|n| *n >= target)).await;
    }
}

impl<T> Inner<T> {
    fn channel_name(&self) -> &str {
        self.channel.as_deref().unwrap_or_default()
    }
}

async fn publish_loop<T: Serialize>(
    client: redis::Client,
    channel: String,
    origin: Uuid,
    mut queued: mpsc::Receiver<Vec<T>>,
    handled: watch::Sender<u64>,
) {
    let mut connection: Option<redis::aio::MultiplexedConnection> = None;
    while let Some(events) = queued.recv().await {
        publish_one(&client, &channel, origin, events, &mut connection).await;
        handled.send_modify(|n| *n += 1);
    }
}

async fn publish_one<T: Serialize>(
    client: &redis::Client,
    channel: &str,
    origin: Uuid,
    events: Vec<T>,
    connection: &mut Option<redis::aio::MultiplexedConnection>,
) {
    let payload = match serde_json::to_string(&Envelope { origin, events }) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, channel, "cannot encode live events");
            return;
        }
    };
    if connection.is_none() {
        match tokio::time::timeout(REDIS_TIMEOUT, client.get_multiplexed_async_connection()).await {
            Ok(Ok(c)) => *connection = Some(c),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, channel, "Redis unavailable; live events reach this instance only");
                return;
            }
            Err(_) => {
                tracing::warn!(
                    channel,
                    "Redis did not answer in time; live events reach this instance only"
                );
                return;
            }
        }
    }
    let Some(c) = connection.as_mut() else {
        return;
    };
    let sent: Result<Result<i64, _>, _> = tokio::time::timeout(
        REDIS_TIMEOUT,
        redis::cmd("PUBLISH")
            .arg(channel)
            .arg(&payload)
            .query_async(c),
    )
    .await;
    if !matches!(sent, Ok(Ok(_))) {
        tracing::warn!(channel, "cannot publish live events to Redis");
        // A fresh connection next time rather than one stuck reconnecting.
        *connection = None;
    }
}

async fn listen<T>(bus: Weak<Inner<T>>, client: redis::Client, channel: String)
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    loop {
        let Some(strong) = bus.upgrade() else {
            return;
        };
        let (instance, local, listening) = (
            strong.instance,
            strong.local.clone(),
            strong.listening.clone(),
        );
        debug_assert_eq!(strong.channel_name(), channel);
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
                    match serde_json::from_str::<Envelope<T>>(&payload) {
                        Ok(envelope) if envelope.origin != instance => {
                            for event in envelope.events {
                                let _ = local.send(event);
                            }
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, channel = %channel, "unreadable live event")
                        }
                    }
                }
                listening.send_replace(false);
                tracing::warn!(channel = %channel, "Redis subscription lost; retrying");
            }
            Err(e) => {
                tracing::debug!(error = %e, channel = %channel, "Redis unavailable for live events; retrying")
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
