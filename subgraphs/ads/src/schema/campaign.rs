//! `Campaign`, owned by the sales subgraph, extended here with its ads and their figures.

use async_graphql::connection::{Connection, EmptyFields};
use promptsales_kit::schema::nullable;
use std::collections::{BTreeMap, BTreeSet};

use async_graphql::{Context, ID, Object, Result};
use chrono::NaiveDate;
use promptsales_kit::{ApiError, Decimal4, Page, PageRequest};
use uuid::Uuid;

use super::ad::Ad;
use super::ad_inputs::CampaignAdFilter;
use super::analytics::{
    self, AdBudgetSuggestion, AdChannelMarketPerformance, AdConversionShift, AdDailyPoint,
    AdRankingMetric, RankedAd,
};
use super::loaders::CampaignAds;
use super::totals::{AdTotals, ChannelTotals};
use super::{loaders_of, scope, store};
use crate::domain::AdStatus;
use crate::domain::allocation::{ChannelHistory, suggest};
use crate::store::{SubjectKind, Subjects};

/// A campaign (owned by sales); this subgraph adds its ads. Only the key is known here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Campaign {
    id: Uuid,
}

impl Campaign {
    /// The campaign with this id (nothing is read: its fields load on demand).
    pub fn new(id: Uuid) -> Self {
        Self { id }
    }
}

/// A campaign (owned by the sales subgraph), with its ads and their figures.
#[Object(cache_control(max_age = 60))]
impl Campaign {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// Its ads (of the caller's organization), in creation order.
    async fn ads(
        &self,
        ctx: &Context<'_>,
        filter: Option<CampaignAdFilter>,
        #[graphql(desc = "Page size, 1..100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The endCursor of the previous page.")] after: Option<String>,
    ) -> Result<Option<Connection<String, Ad, EmptyFields, EmptyFields>>> {
        nullable(async {
            let page = PageRequest::new(first, after)?;
            let key = CampaignAds::new(self.id, filter.unwrap_or_default().into_filter(), page);
            let ads = loaders_of(ctx)?
                .campaign_ads
                .load_one(key)
                .await?
                .unwrap_or(Page {
                    items: Vec::new(),
                    has_next: false,
                });
            Ok(ads.into_connection(&page, |ad| ad.id, Ad))
        })
        .await
    }

    /// Totals over all its ads (amounts in the ads' market currency; zeros when it has no ads).
    async fn ad_totals(&self, ctx: &Context<'_>) -> Result<Option<AdTotals>> {
        nullable(async {
            let totals = loaders_of(ctx)?.campaign_totals.load_one(self.id).await?;
            Ok(AdTotals(totals.unwrap_or_default()))
        })
        .await
    }

    /// Totals per channel it has ads on, by channel.
    async fn channel_breakdown(&self, ctx: &Context<'_>) -> Result<Option<Vec<ChannelTotals>>> {
        nullable(async {
            let rows = loaders_of(ctx)?.channel_breakdown.load_one(self.id).await?;
            Ok(rows
                .unwrap_or_default()
                .into_iter()
                .map(|row| ChannelTotals {
                    channel: row.channel.into(),
                    totals: AdTotals(row.performance),
                })
                .collect())
        })
        .await
    }

    /// Its ads' figures per channel and market within `from..=to` (at most 366 days).
    async fn ad_performance(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Option<Vec<AdChannelMarketPerformance>>> {
        nullable(async {
            analytics::performance(ctx, SubjectKind::Campaign, self.id, from, to).await
        })
        .await
    }

    /// Its ads with figures within `from..=to`, ranked within their channel (best first);
    /// `top` keeps the first `top` ranks of each channel.
    async fn ad_ranking(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
        #[graphql(default_with = "AdRankingMetric::Ctr")] by: AdRankingMetric,
        top: Option<i32>,
    ) -> Result<Option<Vec<RankedAd>>> {
        nullable(async {
            analytics::ranking(ctx, SubjectKind::Campaign, self.id, from, to, by, top).await
        })
        .await
    }

    /// Channels that converted within `from..=to` but not in the period as long just before, and the reverse.
    async fn ad_conversion_shift(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Option<AdConversionShift>> {
        nullable(async {
            analytics::conversion_shift(ctx, SubjectKind::Campaign, self.id, from, to).await
        })
        .await
    }

    /// Its ads' figures for every day of `from..=to` (zeros on days without figures), per currency.
    async fn ad_daily_series(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Option<Vec<AdDailyPoint>>> {
        nullable(async {
            analytics::daily_series(ctx, SubjectKind::Campaign, self.id, from, to).await
        })
        .await
    }

    /// A re-allocation of its live ads' daily budgets toward the channels whose extra spend
    /// returned the most within `from..=to`, with the reasoning.
    async fn ad_budget_suggestion(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Option<AdBudgetSuggestion>> {
        nullable(async {
        let (from, to) = analytics::period(from, to)?;
        let (store, scope) = (store(ctx)?, scope(ctx)?);
        let ads = store
            .ads_of_campaign(scope, self.id)
            .await
            .map_err(ApiError::from)?;
        let currencies: BTreeSet<&str> = ads.iter().map(|a| a.market.currency.as_str()).collect();
        if currencies.len() > 1 {
            let list: Vec<&str> = currencies.into_iter().collect();
            return Ok(AdBudgetSuggestion {
                currency: None,
                moved: Decimal4::ZERO,
                channels: Vec::new(),
                reasoning: format!(
                    "No suggestion: its ads spend in several currencies ({}), whose returns cannot be compared without exchange rates.",
                    list.join(", ")
                ),
            });
        }
        let currency = currencies.into_iter().next().map(str::to_string);
        let subjects = Subjects {
            kind: SubjectKind::Campaign,
            ids: vec![self.id],
        };
        let days = store
            .channel_days(scope, &subjects, from, to)
            .await
            .map_err(ApiError::from)?;
        let mut histories: BTreeMap<crate::domain::AdChannel, ChannelHistory> = BTreeMap::new();
        let entry = |map: &mut BTreeMap<_, ChannelHistory>, channel| {
            map.entry(channel).or_insert_with(|| ChannelHistory {
                channel,
                days: Vec::new(),
                daily_budget: Decimal4::ZERO,
            });
        };
        for ad in &ads {
            if matches!(
                ad.status,
                AdStatus::Scheduled | AdStatus::Running | AdStatus::Paused
            ) {
                entry(&mut histories, ad.channel);
                if let Some(h) = histories.get_mut(&ad.channel) {
                    h.daily_budget = Decimal4(h.daily_budget.0.saturating_add(ad.daily_budget.0));
                }
            }
        }
        for d in days {
            entry(&mut histories, d.channel);
            if let Some(h) = histories.get_mut(&d.channel) {
                h.days.push((d.spend, d.conversion_value));
            }
        }
        let histories: Vec<ChannelHistory> = histories.into_values().collect();
        let label = currency.clone().unwrap_or_default();
        Ok(AdBudgetSuggestion::new(
            currency,
            suggest(&histories, &label),
        ))
        })
        .await
    }
}
