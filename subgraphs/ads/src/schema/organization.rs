//! `Organization`, owned by the sales subgraph, extended here with its ads' analytics.

use async_graphql::{Context, ID, Object, Result};
use chrono::NaiveDate;
use uuid::Uuid;

use super::analytics::{
    self, AdChannelMarketPerformance, AdConversionShift, AdDailyPoint, AdRankingMetric, RankedAd,
};
use crate::store::SubjectKind;

/// An organization (owned by sales); only the key is known here. Its fields read
/// within the caller's tenant: another tenant's organization shows no figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Organization {
    id: Uuid,
}

impl Organization {
    /// The organization with this id (nothing is read: its fields load on demand).
    pub fn new(id: Uuid) -> Self {
        Self { id }
    }
}

/// An organization (owned by the sales subgraph), with the analytics of all its ads.
#[Object(cache_control(max_age = 30))]
impl Organization {
    /// Its id.
    async fn id(&self) -> ID {
        analytics::id_of(self.id)
    }

    /// Its ads' figures per channel and market within `from..=to` (at most 366 days).
    async fn ad_performance(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<AdChannelMarketPerformance>> {
        analytics::performance(ctx, SubjectKind::Organization, self.id, from, to).await
    }

    /// Its ads with figures within `from..=to`, ranked within their channel (best first).
    async fn ad_ranking(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
        #[graphql(default_with = "AdRankingMetric::Ctr")] by: AdRankingMetric,
        top: Option<i32>,
    ) -> Result<Vec<RankedAd>> {
        analytics::ranking(ctx, SubjectKind::Organization, self.id, from, to, by, top).await
    }

    /// Channels that converted within `from..=to` but not in the period as long just before, and the reverse.
    async fn ad_conversion_shift(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<AdConversionShift> {
        analytics::conversion_shift(ctx, SubjectKind::Organization, self.id, from, to).await
    }

    /// Its ads' figures for every day of `from..=to`, per currency.
    async fn ad_daily_series(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<AdDailyPoint>> {
        analytics::daily_series(ctx, SubjectKind::Organization, self.id, from, to).await
    }
}
