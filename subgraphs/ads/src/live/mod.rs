//! Live metrics: every recorded day is pushed to the subscribers of its
//! campaign, on this instance directly and on the others through Redis pub/sub
//! (the kit's live bus, `kit::bus`: publishing never waits for Redis and never
//! fails; with Redis down the local subscribers still get every event).

use chrono::{DateTime, NaiveDate, Utc};
use promptsales_kit::Decimal4;
use promptsales_kit::bus::Bus;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::domain::{AdChannel, Performance};
use crate::store::AdMetric;

/// The default Redis (`PROMPTSALES_REDIS_URL`).
pub use promptsales_kit::config::DEFAULT_REDIS_URL;
/// The pub/sub channel (after the configured prefix).
pub const CHANNEL: &str = "ads:metrics";

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

/// The live-metrics bus of one instance.
#[derive(Clone, Debug)]
pub struct LiveMetrics(Bus<MetricEvent>);

impl LiveMetrics {
    /// Local subscribers only (no other instance hears of this one's events).
    pub fn local_only() -> Self {
        Self(Bus::local_only())
    }

    /// Local subscribers plus the other instances through Redis at `url`, on
    /// channel `{prefix}ads:metrics`. Starts the bus's tasks; call within a tokio runtime.
    pub fn with_redis(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        Ok(Self(Bus::with_redis(url, &format!("{prefix}{CHANNEL}"))?))
    }

    /// Through the Redis at `redis_url` (`None`: local only); local only when the URL is unusable.
    pub fn on(redis_url: Option<&str>) -> Self {
        Self(Bus::on(redis_url, CHANNEL, "live metrics"))
    }

    /// How many subscribers on this instance are listening now.
    pub fn subscribers(&self) -> usize {
        self.0.subscribers()
    }

    /// A receiver of every event from now on (filter by campaign and tenant yourself).
    pub fn subscribe(&self) -> broadcast::Receiver<MetricEvent> {
        self.0.subscribe()
    }

    /// Resolves once the Redis listener is subscribed (at once when there is no Redis; never while Redis is down).
    pub async fn listening(&self) {
        self.0.listening().await
    }

    /// Pushes `events` to this instance's subscribers now, and to the others through Redis in the background.
    pub fn publish(&self, events: Vec<MetricEvent>) {
        self.0.publish_all(events);
    }
}
