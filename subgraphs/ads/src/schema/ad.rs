//! An ad: a campaign's presence on one channel in one market.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};
use promptsales_kit::{ApiError, Money};

use super::campaign::Campaign;
use super::enums::{AdBidStrategy, AdChannel, AdStatus};
use super::loaders::AdDays;
use super::loaders_of;
use super::market::AdMarket;
use super::media_asset::MediaAsset;
use super::metric::AdMetric;
use super::totals::AdTotals;

/// The longest range of days one `metrics` field returns.
pub const MAX_METRIC_DAYS: i64 = 366;

/// An ad of a campaign on one channel in one market.
#[derive(Debug, Clone, PartialEq)]
pub struct Ad(pub crate::store::Ad);

/// An ad of a campaign on one channel in one market.
#[Object(cache_control(max_age = 60))]
impl Ad {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The organization (tenant) it belongs to.
    async fn organization_id(&self) -> ID {
        ID(self.0.organization_id.to_string())
    }

    /// The campaign it serves (resolved by the sales subgraph).
    async fn campaign(&self) -> Campaign {
        Campaign::new(self.0.campaign_id)
    }

    /// The channel it runs on.
    async fn channel(&self) -> AdChannel {
        self.0.channel.into()
    }

    /// The market it runs in.
    async fn market(&self) -> AdMarket {
        AdMarket(self.0.market.clone())
    }

    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Its life-cycle status.
    async fn status(&self) -> AdStatus {
        self.0.status.into()
    }

    /// The audience segment it targets (a sales `Target` id).
    async fn audience_segment_id(&self) -> Option<ID> {
        self.0.audience_segment_id.map(|id| ID(id.to_string()))
    }

    /// The creatives it shows, in rotation order (resolved by the content subgraph).
    async fn creatives(&self) -> Vec<MediaAsset> {
        self.0
            .creative_ids
            .iter()
            .map(|id| MediaAsset::new(*id))
            .collect()
    }

    /// Its daily budget, in its market's currency.
    async fn daily_budget(&self) -> Money {
        Money {
            amount: self.0.daily_budget,
            currency: self.0.market.currency.clone(),
        }
    }

    /// How it bids.
    async fn bid_strategy(&self) -> AdBidStrategy {
        self.0.bid_strategy.into()
    }

    /// First day.
    async fn start_date(&self) -> NaiveDate {
        self.0.start_date
    }

    /// Last day.
    async fn end_date(&self) -> NaiveDate {
        self.0.end_date
    }

    /// The ad platform that serves it.
    async fn platform(&self) -> Option<&str> {
        self.0.platform.as_deref()
    }

    /// Its id on that platform.
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }

    /// Its lifetime totals (money in its market's currency).
    async fn totals(&self, ctx: &Context<'_>) -> Result<AdTotals> {
        let totals = loaders_of(ctx)?.ad_totals.load_one(self.0.id).await?;
        Ok(AdTotals(totals.unwrap_or_default()))
    }

    /// Its recorded days within `from..=to` (at most 366 days), oldest first.
    async fn metrics(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<AdMetric>> {
        if to < from {
            return Err(ApiError::bad_input(
                "to",
                format!("to ({to}) must not be before from ({from})"),
            )
            .into());
        }
        if (to - from).num_days() >= MAX_METRIC_DAYS {
            return Err(ApiError::bad_input(
                "to",
                format!("a range spans at most {MAX_METRIC_DAYS} days"),
            )
            .into());
        }
        let key = AdDays {
            ad_id: self.0.id,
            from,
            to,
        };
        let days = loaders_of(ctx)?.ad_metrics.load_one(key).await?;
        Ok(days.unwrap_or_default().into_iter().map(AdMetric).collect())
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
