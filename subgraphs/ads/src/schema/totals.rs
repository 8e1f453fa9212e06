//! Summed delivery figures and the ratios derived from them.

use async_graphql::{Object, SimpleObject};
use promptsales_kit::Decimal4;

use super::enums::AdChannel;
use crate::domain::Performance;

/// Delivery summed over days (and ads); money in the ads' market currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AdTotals(pub Performance);

/// Delivery summed over days (and ads); money in the ads' market currency.
#[Object(cache_control(max_age = 30))]
impl AdTotals {
    /// Times shown.
    async fn impressions(&self) -> i64 {
        self.0.impressions
    }

    /// Sum of daily reach (people reached per day; not de-duplicated across days).
    async fn reach(&self) -> i64 {
        self.0.reach
    }

    /// Clicks.
    async fn clicks(&self) -> i64 {
        self.0.clicks
    }

    /// Likes, shares, comments, saves, views.
    async fn engagement(&self) -> i64 {
        self.0.engagement
    }

    /// Money spent.
    async fn spend(&self) -> Decimal4 {
        self.0.spend
    }

    /// Conversions.
    async fn conversions(&self) -> i64 {
        self.0.conversions
    }

    /// Value of the conversions.
    async fn conversion_value(&self) -> Decimal4 {
        self.0.conversion_value
    }

    /// Click-through rate (clicks / impressions, 0..1); null without impressions.
    async fn ctr(&self) -> Option<f64> {
        self.0.ctr()
    }

    /// Cost per click; null without clicks.
    async fn cpc(&self) -> Option<Decimal4> {
        self.0.cpc()
    }

    /// Cost per acquisition; null without conversions.
    async fn cpa(&self) -> Option<Decimal4> {
        self.0.cpa()
    }

    /// Return on ad spend (conversion value / spend); null without spend.
    async fn roas(&self) -> Option<f64> {
        self.0.roas()
    }
}

/// A campaign's totals on one channel.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
#[graphql(cache_control(max_age = 30))]
pub struct ChannelTotals {
    /// The channel.
    pub channel: AdChannel,
    /// Its totals.
    pub totals: AdTotals,
}
