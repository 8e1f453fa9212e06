//! One day of one ad's delivery.

use async_graphql::{ID, InputObject, Object};
use chrono::{DateTime, NaiveDate, Utc};
use promptsales_kit::Decimal4;

use crate::domain::Performance;

/// The figures of one ad on one day; money in the ad's market currency.
#[derive(Debug, Clone, PartialEq)]
pub struct AdMetric(pub crate::store::AdMetric);

/// The figures of one ad on one day; money in the ad's market currency.
#[Object(cache_control(max_age = 30))]
impl AdMetric {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The ad.
    async fn ad_id(&self) -> ID {
        ID(self.0.ad_id.to_string())
    }

    /// The day.
    async fn day(&self) -> NaiveDate {
        self.0.day
    }

    /// Times shown.
    async fn impressions(&self) -> i64 {
        self.0.performance.impressions
    }

    /// People reached that day.
    async fn reach(&self) -> i64 {
        self.0.performance.reach
    }

    /// Clicks.
    async fn clicks(&self) -> i64 {
        self.0.performance.clicks
    }

    /// Likes, shares, comments, saves, views.
    async fn engagement(&self) -> i64 {
        self.0.performance.engagement
    }

    /// Money spent.
    async fn spend(&self) -> Decimal4 {
        self.0.performance.spend
    }

    /// Conversions.
    async fn conversions(&self) -> i64 {
        self.0.performance.conversions
    }

    /// Value of the conversions.
    async fn conversion_value(&self) -> Decimal4 {
        self.0.performance.conversion_value
    }

    /// Click-through rate (0..1); null without impressions.
    async fn ctr(&self) -> Option<f64> {
        self.0.performance.ctr()
    }

    /// Cost per click; null without clicks.
    async fn cpc(&self) -> Option<Decimal4> {
        self.0.performance.cpc()
    }

    /// Cost per acquisition; null without conversions.
    async fn cpa(&self) -> Option<Decimal4> {
        self.0.performance.cpa()
    }

    /// Return on ad spend; null without spend.
    async fn roas(&self) -> Option<f64> {
        self.0.performance.roas()
    }

    /// When the day was first recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the day was last recorded.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One day of one ad's figures as a platform reports them; recording a day again replaces them.
#[derive(InputObject, Debug, Clone)]
pub struct AdDayMetricsInput {
    /// The ad.
    pub ad_id: ID,
    /// The day.
    pub day: NaiveDate,
    /// Times shown.
    pub impressions: i64,
    /// People reached (at most impressions).
    #[graphql(default)]
    pub reach: i64,
    /// Clicks (at most impressions).
    pub clicks: i64,
    /// Likes, shares, comments, saves, views.
    #[graphql(default)]
    pub engagement: i64,
    /// Money spent, in the market's currency.
    pub spend: Decimal4,
    /// Conversions.
    #[graphql(default)]
    pub conversions: i64,
    /// Value of the conversions, in the market's currency.
    #[graphql(default)]
    pub conversion_value: Decimal4,
}

impl AdDayMetricsInput {
    /// The figures, unchecked.
    pub fn performance(&self) -> Performance {
        Performance {
            impressions: self.impressions,
            reach: self.reach,
            clicks: self.clicks,
            engagement: self.engagement,
            spend: self.spend,
            conversions: self.conversions,
            conversion_value: self.conversion_value,
        }
    }
}
