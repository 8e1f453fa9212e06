//! Live metrics: every recorded day is pushed to the subscribers of its
//! campaign, on this instance directly and on the others through Redis pub/sub.
//!
//! Publishing never waits for Redis and never fails: when Redis is down the
//! local subscribers still get the event, the other instances miss it, and a
//! warning is logged. Each instance tags what it publishes with its own id and
//! ignores its own messages coming back, so a local subscriber gets each event once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;
use promptsales_kit::Decimal4;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, broadcast, watch};
use uuid::Uuid;

use crate::domain::{AdChannel, Performance};
use crate::store::AdMetric;

/// The default Redis (`PROMPTSALES_REDIS_URL`).
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";
/// The pub/sub channel (after the configured prefix).
pub const CHANNEL: &str = "ads:metrics";
/// Events a slow local subscriber may fall behind before it skips some.
const BUFFER: usize = 1_024;
/// How long a publish waits for a connection before giving up on Redis for that event.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Pause before the listener tries Redis again.
const RETRY: Duration = Duration::from_secs(1);

/// One recorded day, as subscribers get it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricEvent {
    /// The tenant.
    pub organization_id: Uuid,
    /// The ad's campaign.
    pub campaign_id: Uuid,
    /// The ad's channel (its code).
    pub channel: String,
    /// The ad's market currency.
    pub currency: String,
    /// The ad.
    pub ad_id: Uuid,
    /// The metric row's id.
    pub metric_id: Uuid,
    /// The day.
    pub day: NaiveDate,
    /// Counts, then money in ten-thousandths.
    pub impressions: i64,
    /// Reach.
    pub reach: i64,
    /// Clicks.
    pub clicks: i64,
    /// Engagement.
    pub engagement: i64,
    /// Spend (ten-thousandths).
    pub spend: i64,
    /// Conversions.
    pub conversions: i64,
    /// Conversion value (ten-thousandths).
    pub conversion_value: i64,
    /// When the day was recorded.
    pub recorded_at: DateTime<Utc>,
}

impl MetricEvent {
    /// The event of `metric`, recorded for an ad of `campaign_id` on `channel` spending in `currency`.
    pub fn new(metric: &AdMetric, campaign_id: Uuid, channel: AdChannel, currency: &str) -> Self {
        let p = metric.performance;
        Self {
            organization_id: metric.organization_id,
            campaign_id,
            channel: channel.code().to_string(),
            currency: currency.to_string(),
            ad_id: metric.ad_id,
            metric_id: metric.id,
            day: metric.day,
            impressions: p.impressions,
            reach: p.reach,
            clicks: p.clicks,
            engagement: p.engagement,
            spend: p.spend.raw(),
            conversions: p.conversions,
            conversion_value: p.conversion_value.raw(),
            recorded_at: metric.updated_at,
        }
    }

    /// The figures.
    pub fn performance(&self) -> Performance {
        Performance {
            impressions: self.impressions,
            reach: self.reach,
            clicks: self.clicks,
            engagement: self.engagement,
            spend: Decimal4(self.spend),
            conversions: self.conversions,
            conversion_value: Decimal4(self.conversion_value),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    origin: Uuid,
    events: Vec<MetricEvent>,
}

struct RedisLink {
    client: redis::Client,
    channel: String,
    publisher: Mutex<Option<redis::aio::ConnectionManager>>,
}

struct Inner {
    instance: Uuid,
    local: broadcast::Sender<MetricEvent>,
    redis: Option<RedisLink>,
    listening: watch::Sender<bool>,
}

/// The live-metrics bus of one instance.
#[derive(Clone)]
pub struct LiveMetrics(Arc<Inner>);

impl std::fmt::Debug for LiveMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveMetrics")
            .field("instance", &self.0.instance)
            .field("redis", &self.0.redis.as_ref().map(|r| r.channel.clone()))
            .finish()
    }
}

impl LiveMetrics {
    /// Local subscribers only (no other instance hears of this one's events).
    pub fn local_only() -> Self {
        let (local, _) = broadcast::channel(BUFFER);
        let (listening, _) = watch::channel(false);
        Self(Arc::new(Inner {
            instance: Uuid::now_v7(),
            local,
            redis: None,
            listening,
        }))
    }

    /// Local subscribers plus the other instances through Redis at `url`, on
    /// channel `{prefix}ads:metrics`. Starts the listener task; call within a tokio runtime.
    pub fn with_redis(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let (local, _) = broadcast::channel(BUFFER);
        let (listening, _) = watch::channel(false);
        let bus = Self(Arc::new(Inner {
            instance: Uuid::now_v7(),
            local,
            redis: Some(RedisLink {
                client,
                channel: format!("{prefix}{CHANNEL}"),
                publisher: Mutex::new(None),
            }),
            listening,
        }));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            // The task holds a weak reference: it ends once the last handle of the bus is gone.
            runtime.spawn(listen(Arc::downgrade(&bus.0)));
        }
        Ok(bus)
    }

    /// `PROMPTSALES_REDIS_URL` (default [`DEFAULT_REDIS_URL`]); local only when the URL is unusable.
    pub fn from_env() -> Self {
        let url = std::env::var("PROMPTSALES_REDIS_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_REDIS_URL.to_string());
        match Self::with_redis(&url, "") {
            Ok(bus) => bus,
            Err(e) => {
                tracing::warn!(error = %e, "PROMPTSALES_REDIS_URL is unusable; live metrics stay on this instance");
                Self::local_only()
            }
        }
    }

    /// How many subscribers on this instance are listening now.
    pub fn subscribers(&self) -> usize {
        self.0.local.receiver_count()
    }

    /// A receiver of every event from now on (filter by campaign and tenant yourself).
    pub fn subscribe(&self) -> broadcast::Receiver<MetricEvent> {
        self.0.local.subscribe()
    }

    /// Resolves once the Redis listener is subscribed (at once when there is no Redis; never while Redis is down).
    pub async fn listening(&self) {
        if self.0.redis.is_none() {
            return;
        }
        let mut rx = self.0.listening.subscribe();
        let _ = rx.wait_for(|up| *up).await;
    }

    /// Pushes `events` to this instance's subscribers now, and to the others through Redis in the background.
    pub fn publish(&self, events: Vec<MetricEvent>) {
        if events.is_empty() {
            return;
        }
        for event in &events {
            // No receiver is not an error: nobody is watching.
            let _ = self.0.local.send(event.clone());
        }
        if self.0.redis.is_some() {
            let inner = self.0.clone();
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move { publish_remote(&inner, events).await });
            }
        }
    }
}

async fn publish_remote(inner: &Inner, events: Vec<MetricEvent>) {
    let Some(link) = &inner.redis else { return };
    let payload = match serde_json::to_string(&Envelope {
        origin: inner.instance,
        events,
    }) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "cannot encode live metrics");
            return;
        }
    };
    let mut guard = link.publisher.lock().await;
    if guard.is_none() {
        let connect = tokio::time::timeout(
            CONNECT_TIMEOUT,
            redis::aio::ConnectionManager::new(link.client.clone()),
        )
        .await;
        match connect {
            Ok(Ok(manager)) => *guard = Some(manager),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "Redis unavailable; live metrics reach this instance only");
                return;
            }
            Err(_) => {
                tracing::warn!(
                    "Redis did not answer in time; live metrics reach this instance only"
                );
                return;
            }
        }
    }
    if let Some(manager) = guard.as_mut() {
        let sent: Result<i64, _> = manager.publish(&link.channel, payload).await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "cannot publish live metrics to Redis");
            // A fresh connection next time rather than a manager stuck reconnecting.
            *guard = None;
        }
    }
}

async fn listen(inner: std::sync::Weak<Inner>) {
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let Some(link) = &strong.redis else { return };
        let (client, channel) = (link.client.clone(), link.channel.clone());
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
                    if inner.strong_count() == 0 {
                        return;
                    }
                    let Ok(payload) = message.get_payload::<String>() else {
                        continue;
                    };
                    match serde_json::from_str::<Envelope>(&payload) {
                        Ok(envelope) if envelope.origin != instance => {
                            for event in envelope.events {
                                let _ = local.send(event);
                            }
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "unreadable live metrics message"),
                    }
                }
                listening.send_replace(false);
                tracing::warn!("Redis subscription lost; retrying");
            }
            Err(e) => tracing::debug!(error = %e, "Redis unavailable for live metrics; retrying"),
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
