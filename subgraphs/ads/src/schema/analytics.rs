//! Analytics fields shared by `Campaign` and `Organization`: performance by
//! channel and market, rankings within channel, channels that started or
//! stopped converting, a daily series, and (campaigns) a budget suggestion.

use std::collections::{BTreeMap, BTreeSet};

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{Duration, NaiveDate};
use promptsales_kit::{ApiError, Decimal4};
use uuid::Uuid;

use super::ad::{Ad, MAX_METRIC_DAYS};
use super::enums::AdChannel;
use super::loaders::{PeriodKey, RankKey};
use super::loaders_of;
use super::totals::AdTotals;
use crate::domain::Performance;
use crate::domain::allocation::{AllocationSuggestion, ChannelAllocation, ReturnBasis};
use crate::store::{RankBy, SubjectKind};

/// Checks a period (`from..=to`, at most 366 days).
pub fn period(from: NaiveDate, to: NaiveDate) -> Result<(NaiveDate, NaiveDate), ApiError> {
    if to < from {
        return Err(ApiError::bad_input(
            "to",
            format!("to ({to}) must not be before from ({from})"),
        ));
    }
    if (to - from).num_days() >= MAX_METRIC_DAYS {
        return Err(ApiError::bad_input(
            "to",
            format!("a period spans at most {MAX_METRIC_DAYS} days"),
        ));
    }
    Ok((from, to))
}

/// What ads are ranked by.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "AdRankingMetric")]
pub enum AdRankingMetric {
    /// Click-through rate (ads without impressions rank last).
    Ctr,
    /// Conversions.
    Conversions,
    /// Return on ad spend (ads without spend rank last).
    Roas,
}

impl From<AdRankingMetric> for RankBy {
    fn from(m: AdRankingMetric) -> Self {
        match m {
            AdRankingMetric::Ctr => Self::Ctr,
            AdRankingMetric::Conversions => Self::Conversions,
            AdRankingMetric::Roas => Self::Roas,
        }
    }
}

/// A channel's figures in one market over a period.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
#[graphql(cache_control(max_age = 30))]
pub struct AdChannelMarketPerformance {
    /// The channel.
    pub channel: AdChannel,
    /// The market's country.
    pub country: String,
    /// The currency of the money figures.
    pub currency: String,
    /// The sums over the period and their ratios.
    pub totals: AdTotals,
}

/// An ad's place within its channel over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedAd {
    rank: i64,
    ad_id: Uuid,
    channel: crate::domain::AdChannel,
    totals: Performance,
}

/// An ad's place within its channel over a period.
#[Object(cache_control(max_age = 30))]
impl RankedAd {
    /// 1 is the best; ads that tie share a rank (SQL `RANK()`).
    async fn rank(&self) -> i64 {
        self.rank
    }

    /// The channel it is ranked within.
    async fn channel(&self) -> AdChannel {
        self.channel.into()
    }

    /// The ad.
    async fn ad(&self, ctx: &Context<'_>) -> Result<Option<Ad>> {
        Ok(loaders_of(ctx)?.ad.load_one(self.ad_id).await?.map(Ad))
    }

    /// Its sums over the period.
    async fn totals(&self) -> AdTotals {
        AdTotals(self.totals)
    }
}

/// Channels that converted in a period and not in the one before, and the reverse.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
#[graphql(cache_control(max_age = 30))]
pub struct AdConversionShift {
    /// First day of the period.
    pub from: NaiveDate,
    /// Last day of the period.
    pub to: NaiveDate,
    /// First day of the previous period (as long, just before).
    pub previous_from: NaiveDate,
    /// Last day of the previous period.
    pub previous_to: NaiveDate,
    /// Channels with conversions in the period and none in the previous one.
    pub gained: Vec<AdChannel>,
    /// Channels with conversions in the previous period and none in this one.
    pub lost: Vec<AdChannel>,
}

/// One day's figures (days without figures count zero).
#[derive(SimpleObject, Debug, Clone, PartialEq)]
#[graphql(cache_control(max_age = 30))]
pub struct AdDailyPoint {
    /// The day.
    pub day: NaiveDate,
    /// The currency of the money figures.
    pub currency: String,
    /// The day's sums.
    pub totals: AdTotals,
}

/// How a channel's marginal return was estimated.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "AdReturnBasis")]
pub enum AdReturnBasis {
    /// The slope of daily conversion value against daily spend.
    Slope,
    /// The average return (too few days, or spend that never varied).
    Average,
    /// Nothing was spent.
    Unknown,
}

/// One channel in a budget suggestion.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
#[graphql(cache_control(max_age = 30))]
pub struct AdChannelAllocation {
    /// The channel.
    pub channel: AdChannel,
    /// The daily budget of its live ads now.
    pub current_daily_budget: Decimal4,
    /// The daily budget suggested.
    pub suggested_daily_budget: Decimal4,
    /// Conversion value per extra unit of spend; null when unknown.
    pub marginal_return: Option<f64>,
    /// Conversion value per unit spent over the period; null without spend.
    pub average_return: Option<f64>,
    /// How the marginal return was estimated.
    pub basis: AdReturnBasis,
}

/// A budget re-allocation toward the channels with the best marginal return, and why.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
#[graphql(cache_control(max_age = 30))]
pub struct AdBudgetSuggestion {
    /// The currency of the budgets (null when the ads spend in several).
    pub currency: Option<String>,
    /// Daily budget moved in total.
    pub moved: Decimal4,
    /// Every channel with live ads or spend, best marginal return first.
    pub channels: Vec<AdChannelAllocation>,
    /// The reasoning, in words.
    pub reasoning: String,
}

impl AdBudgetSuggestion {
    /// The GraphQL face of a domain suggestion.
    pub fn new(currency: Option<String>, s: AllocationSuggestion) -> Self {
        let channel = |c: ChannelAllocation| AdChannelAllocation {
            channel: c.channel.into(),
            current_daily_budget: c.current_daily_budget,
            suggested_daily_budget: c.suggested_daily_budget,
            marginal_return: c.marginal_return,
            average_return: c.average_return,
            basis: match c.basis {
                ReturnBasis::Slope => AdReturnBasis::Slope,
                ReturnBasis::Average => AdReturnBasis::Average,
                ReturnBasis::Unknown => AdReturnBasis::Unknown,
            },
        };
        Self {
            currency,
            moved: s.moved,
            channels: s.channels.into_iter().map(channel).collect(),
            reasoning: s.reasoning,
        }
    }
}

/// `performance` of one subject.
pub async fn performance(
    ctx: &Context<'_>,
    kind: SubjectKind,
    id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<AdChannelMarketPerformance>> {
    let (from, to) = period(from, to)?;
    let key = PeriodKey { kind, id, from, to };
    let rows = loaders_of(ctx)?.channel_market.load_one(key).await?;
    Ok(rows
        .unwrap_or_default()
        .into_iter()
        .map(|r| AdChannelMarketPerformance {
            channel: r.channel.into(),
            country: r.country,
            currency: r.currency,
            totals: AdTotals(r.performance),
        })
        .collect())
}

/// `ranking` of one subject; `top` keeps the ads ranked 1..=top in each channel.
pub async fn ranking(
    ctx: &Context<'_>,
    kind: SubjectKind,
    id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    by: AdRankingMetric,
    top: Option<i32>,
) -> Result<Vec<RankedAd>> {
    let (from, to) = period(from, to)?;
    if top.is_some_and(|t| t < 1) {
        return Err(ApiError::bad_input("top", "top must be 1 or more").into());
    }
    let key = RankKey {
        kind,
        id,
        from,
        to,
        by: by.into(),
    };
    let rows = loaders_of(ctx)?.ranking.load_one(key).await?;
    Ok(rows
        .unwrap_or_default()
        .into_iter()
        .filter(|r| top.is_none_or(|t| r.rank <= i64::from(t)))
        .map(|r| RankedAd {
            rank: r.rank,
            ad_id: r.ad_id,
            channel: r.channel,
            totals: r.performance,
        })
        .collect())
}

/// `conversionShift` of one subject: this period against the one as long just before it.
pub async fn conversion_shift(
    ctx: &Context<'_>,
    kind: SubjectKind,
    id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<AdConversionShift> {
    let (from, to) = period(from, to)?;
    let length = (to - from).num_days() + 1;
    let (previous_from, previous_to) = (from - Duration::days(length), from - Duration::days(1));
    let loaders = loaders_of(ctx)?;
    let gained_key = super::loaders::ShiftKey {
        kind,
        id,
        current: (from, to),
        previous: (previous_from, previous_to),
    };
    let lost_key = super::loaders::ShiftKey {
        kind,
        id,
        current: (previous_from, previous_to),
        previous: (from, to),
    };
    let (gained, lost) = futures::try_join!(
        loaders.shift.load_one(gained_key),
        loaders.shift.load_one(lost_key)
    )?;
    let to_gql = |v: Option<Vec<crate::domain::AdChannel>>| {
        v.unwrap_or_default().into_iter().map(Into::into).collect()
    };
    Ok(AdConversionShift {
        from,
        to,
        previous_from,
        previous_to,
        gained: to_gql(gained),
        lost: to_gql(lost),
    })
}

/// `dailySeries` of one subject: every day of the period for each currency with figures.
pub async fn daily_series(
    ctx: &Context<'_>,
    kind: SubjectKind,
    id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<AdDailyPoint>> {
    let (from, to) = period(from, to)?;
    let key = PeriodKey { kind, id, from, to };
    let rows = loaders_of(ctx)?
        .daily
        .load_one(key)
        .await?
        .unwrap_or_default();
    let currencies: BTreeSet<String> = rows.iter().map(|r| r.currency.clone()).collect();
    let mut by_day: BTreeMap<(NaiveDate, String), Performance> = BTreeMap::new();
    for r in rows {
        by_day.insert((r.day, r.currency), r.performance);
    }
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        for currency in &currencies {
            let totals = by_day
                .get(&(day, currency.clone()))
                .copied()
                .unwrap_or_default();
            out.push(AdDailyPoint {
                day,
                currency: currency.clone(),
                totals: AdTotals(totals),
            });
        }
        day += Duration::days(1);
    }
    Ok(out)
}

/// The id of an entity key, for fields that resolve from it.
pub fn id_of(id: Uuid) -> ID {
    ID(id.to_string())
}
