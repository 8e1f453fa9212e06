//! The ads store: the narrow interface the schema uses, and its domain types.
//!
//! Every read takes the request's [`TenantScope`]; a row outside it is absent.
//! Inserts take the organization explicitly (resolvers decide it from the
//! scope, seeds and tests from their plan) and accept caller-given ids.

pub mod sea;

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Decimal4, Page, PageRequest, StoreError};
use uuid::Uuid;

use crate::domain::{AdChannel, AdStatus, BidStrategy, Performance};

pub use sea::SeaAdsStore;

/// Shorthand for store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// A country where a tenant runs ads, with its currency and language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Market {
    /// Its id.
    pub id: Uuid,
    /// The tenant.
    pub organization_id: Uuid,
    /// ISO 3166-1 alpha-2 country (upper case).
    pub country: String,
    /// ISO 4217 currency of budgets and spend there.
    pub currency: String,
    /// ISO 639-1 language (lower case).
    pub language: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A market to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMarket {
    /// Its id; a new UUID v7 when `None`.
    pub id: Option<Uuid>,
    /// The tenant.
    pub organization_id: Uuid,
    /// ISO 3166-1 alpha-2 country.
    pub country: String,
    /// ISO 4217 currency.
    pub currency: String,
    /// ISO 639-1 language.
    pub language: String,
}

/// An ad of a campaign on one channel in one market.
#[derive(Debug, Clone, PartialEq)]
pub struct Ad {
    /// Its id.
    pub id: Uuid,
    /// The tenant.
    pub organization_id: Uuid,
    /// The campaign (owned by the sales subgraph).
    pub campaign_id: Uuid,
    /// Where it runs.
    pub channel: AdChannel,
    /// Its market (read with the ad: the budget's currency comes from it).
    pub market: Market,
    /// Its name.
    pub name: String,
    /// Its life-cycle status as it reads today ([`AdStatus::as_of`] of the written one).
    pub status: AdStatus,
    /// The status last written; it differs from `status` only where the ad's dates changed
    /// what it reads (past its end date a written RUNNING ad reads ENDED).
    pub written_status: AdStatus,
    /// The audience segment (a sales `Target` id), if any.
    pub audience_segment_id: Option<Uuid>,
    /// The creatives it shows (content `MediaAsset` ids), in order.
    pub creative_ids: Vec<Uuid>,
    /// The daily budget, in the market's currency.
    pub daily_budget: Decimal4,
    /// How it bids.
    pub bid_strategy: BidStrategy,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day.
    pub end_date: NaiveDate,
    /// The ad platform that serves it (`meta`, `google_ads`...).
    pub platform: Option<String>,
    /// Its id on that platform.
    pub external_id: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// An ad to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAd {
    /// Its id; a new UUID v7 when `None`.
    pub id: Option<Uuid>,
    /// The tenant; must be the market's.
    pub organization_id: Uuid,
    /// The campaign.
    pub campaign_id: Uuid,
    /// The channel.
    pub channel: AdChannel,
    /// The market (of the same organization).
    pub market_id: Uuid,
    /// The name.
    pub name: String,
    /// The status.
    pub status: AdStatus,
    /// The audience segment.
    pub audience_segment_id: Option<Uuid>,
    /// The creatives.
    pub creative_ids: Vec<Uuid>,
    /// The daily budget (>= 0).
    pub daily_budget: Decimal4,
    /// The bid strategy.
    pub bid_strategy: BidStrategy,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day (>= first day).
    pub end_date: NaiveDate,
    /// The ad platform.
    pub platform: Option<String>,
    /// Its id on that platform (needs a platform).
    pub external_id: Option<String>,
}

/// The new values of everything an update may change (the result of applying a patch to an ad).
#[derive(Debug, Clone, PartialEq)]
pub struct AdChanges {
    /// The name.
    pub name: String,
    /// The status.
    pub status: AdStatus,
    /// The audience segment.
    pub audience_segment_id: Option<Uuid>,
    /// The creatives.
    pub creative_ids: Vec<Uuid>,
    /// The daily budget.
    pub daily_budget: Decimal4,
    /// The bid strategy.
    pub bid_strategy: BidStrategy,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day.
    pub end_date: NaiveDate,
    /// The ad platform.
    pub platform: Option<String>,
    /// Its id on that platform.
    pub external_id: Option<String>,
}

/// Which ads a list shows; every criterion given must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AdFilter {
    /// Only this campaign's.
    pub campaign_id: Option<Uuid>,
    /// Only on this channel.
    pub channel: Option<AdChannel>,
    /// Only in this status.
    pub status: Option<AdStatus>,
}

/// One day of one ad's delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct AdMetric {
    /// Its id.
    pub id: Uuid,
    /// The tenant.
    pub organization_id: Uuid,
    /// The ad.
    pub ad_id: Uuid,
    /// The day.
    pub day: NaiveDate,
    /// The figures.
    pub performance: Performance,
    /// When the day was first recorded.
    pub created_at: DateTime<Utc>,
    /// When it was last recorded.
    pub updated_at: DateTime<Utc>,
}

/// One day of figures to record (replacing what was recorded for that ad and day).
#[derive(Debug, Clone, PartialEq)]
pub struct NewAdMetric {
    /// Its id when the day is new; a new UUID v7 when `None`. A replaced day keeps its id.
    pub id: Option<Uuid>,
    /// The tenant; must be the ad's.
    pub organization_id: Uuid,
    /// The ad.
    pub ad_id: Uuid,
    /// The day.
    pub day: NaiveDate,
    /// The figures.
    pub performance: Performance,
}

/// The summed figures of one campaign on one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelPerformance {
    /// The campaign.
    pub campaign_id: Uuid,
    /// The channel.
    pub channel: AdChannel,
    /// The sums.
    pub performance: Performance,
}

/// Rows to insert together, all or none (seeds, imports).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewRows {
    /// Markets first, since ads point at them.
    pub markets: Vec<NewMarket>,
    /// Then ads.
    pub ads: Vec<NewAd>,
    /// Then days of metrics.
    pub metrics: Vec<NewAdMetric>,
}

/// Whose ads an analytics read groups by: campaigns or organizations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubjectKind {
    /// Each campaign's ads.
    Campaign,
    /// Each organization's ads.
    Organization,
}

/// The subjects of one analytics read (rows come back per subject: many parents, one statement).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subjects {
    /// Campaigns or organizations.
    pub kind: SubjectKind,
    /// Their ids.
    pub ids: Vec<Uuid>,
}

/// What ads are ranked by within their channel (best first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RankBy {
    /// Click-through rate.
    Ctr,
    /// Conversions.
    Conversions,
    /// Return on ad spend.
    Roas,
}

/// Sums of one channel in one market over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelMarketPerformance {
    /// The campaign or organization the row belongs to.
    pub subject_id: Uuid,
    /// The channel.
    pub channel: AdChannel,
    /// The market's country.
    pub country: String,
    /// The market's currency (the money's).
    pub currency: String,
    /// The sums.
    pub performance: Performance,
}

/// An ad's sums over a period and its rank within its channel (1 is best; ties share a rank).
#[derive(Debug, Clone, PartialEq)]
pub struct RankedAd {
    /// The campaign or organization the row belongs to.
    pub subject_id: Uuid,
    /// The ad.
    pub ad_id: Uuid,
    /// Its channel.
    pub channel: AdChannel,
    /// Its rank within the channel.
    pub rank: i64,
    /// Its sums.
    pub performance: Performance,
}

/// Sums of one day (in one currency).
#[derive(Debug, Clone, PartialEq)]
pub struct DailyPerformance {
    /// The campaign or organization the row belongs to.
    pub subject_id: Uuid,
    /// The day.
    pub day: NaiveDate,
    /// The money's currency.
    pub currency: String,
    /// The sums.
    pub performance: Performance,
}

/// Spend and conversion value of one channel on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelDay {
    /// The campaign or organization the row belongs to.
    pub subject_id: Uuid,
    /// The channel.
    pub channel: AdChannel,
    /// The day.
    pub day: NaiveDate,
    /// Spend.
    pub spend: Decimal4,
    /// Conversion value.
    pub conversion_value: Decimal4,
}

/// One (campaign, day) key's metrics summed per channel and currency (what the ETL recomputes from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignDayFigures {
    /// The tenant.
    pub organization_id: Uuid,
    /// The campaign.
    pub campaign_id: Uuid,
    /// The day.
    pub day: NaiveDate,
    /// The ads' channel code, as stored.
    pub channel: String,
    /// The ads' market currency, as stored.
    pub currency: String,
    /// Impressions.
    pub impressions: i64,
    /// Clicks.
    pub clicks: i64,
    /// Reach.
    pub reach: i64,
    /// Engagement.
    pub engagement: i64,
    /// Spend, ten-thousandths of `currency`.
    pub spend: i64,
    /// Conversions.
    pub conversions: i64,
    /// Conversion value, ten-thousandths of `currency`.
    pub conversion_value: i64,
}

/// What a write under a campaign's lock does, decided from the campaign's ads and each
/// ad's recorded spend as they are while the lock is held (see [`AdsStore::write_under_campaign_lock`]).
pub type CampaignDecision = Box<
    dyn FnOnce(&[Ad], &HashMap<Uuid, Decimal4>) -> Result<CampaignWrite, promptsales_kit::ApiError>
        + Send,
>;

/// The writes a [`CampaignDecision`] asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CampaignWrite {
    /// Ads to insert.
    pub insert: Vec<NewAd>,
    /// Ads to change.
    pub update: Vec<(Uuid, AdChanges)>,
}

/// The ads store.
#[async_trait]
pub trait AdsStore: Send + Sync {
    /// Holds `campaign_id`'s lock (one writer per campaign across every instance), reads its
    /// ads in `scope` and their spend, lets `decide` check them, and applies its writes in the
    /// same transaction: two launches on one campaign never both pass a budget check.
    /// Answers the written ads (inserted first), or `decide`'s refusal.
    async fn write_under_campaign_lock(
        &self,
        scope: TenantScope,
        campaign_id: Uuid,
        decide: CampaignDecision,
    ) -> StoreResult<Result<Vec<Ad>, promptsales_kit::ApiError>>;
    /// Inserts a market.
    async fn insert_market(&self, market: NewMarket) -> StoreResult<Market>;
    /// The markets in scope, by country then language.
    async fn markets(&self, scope: TenantScope) -> StoreResult<Vec<Market>>;
    /// One market, if in scope.
    async fn market(&self, scope: TenantScope, id: Uuid) -> StoreResult<Option<Market>>;

    /// Inserts an ad.
    async fn insert_ad(&self, ad: NewAd) -> StoreResult<Ad>;
    /// Replaces an ad's changeable fields; `None` when the ad is not in scope.
    async fn update_ad(
        &self,
        scope: TenantScope,
        id: Uuid,
        changes: AdChanges,
    ) -> StoreResult<Option<Ad>>;
    /// The ads among `ids` that are in scope (any order).
    async fn ads_by_id(&self, scope: TenantScope, ids: &[Uuid]) -> StoreResult<Vec<Ad>>;
    /// A page of the ads in scope matching `filter`, in id order.
    async fn ads(
        &self,
        scope: TenantScope,
        filter: &AdFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Ad>>;
    /// The same page of ads for each of several campaigns, in one read.
    async fn ads_of_campaigns(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
        filter: &AdFilter,
        page: &PageRequest,
    ) -> StoreResult<HashMap<Uuid, Page<Ad>>>;

    /// Records one day of an ad (inserted, or replacing that day's figures).
    async fn record_metric(&self, metric: NewAdMetric) -> StoreResult<AdMetric>;
    /// The days of several ads within `from..=to`, by ad then day.
    async fn metrics_of_ads(
        &self,
        scope: TenantScope,
        ad_ids: &[Uuid],
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<AdMetric>>;
    /// Lifetime sums per ad (ads in scope without metrics get zeros).
    async fn totals_of_ads(
        &self,
        scope: TenantScope,
        ad_ids: &[Uuid],
    ) -> StoreResult<HashMap<Uuid, Performance>>;
    /// Sums per campaign over its ads in scope (campaigns without ads are absent).
    async fn totals_of_campaigns(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> StoreResult<HashMap<Uuid, Performance>>;
    /// Sums per campaign and channel, by campaign then channel.
    async fn channel_totals_of_campaigns(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> StoreResult<Vec<ChannelPerformance>>;

    /// Inserts a campaign's launched ads, all in one transaction or none.
    async fn insert_ads(&self, ads: Vec<NewAd>) -> StoreResult<Vec<Ad>>;
    /// The ads in scope that show any of `asset_ids` (content `MediaAsset`s), as (asset, ad) pairs.
    async fn ads_using_assets(
        &self,
        scope: TenantScope,
        asset_ids: &[Uuid],
    ) -> StoreResult<Vec<(Uuid, Ad)>>;
    /// Every ad of one campaign in scope (launch checks the budget they commit).
    async fn ads_of_campaign(&self, scope: TenantScope, campaign_id: Uuid) -> StoreResult<Vec<Ad>>;
    /// The ads in scope with `platform` and one of `external_ids` (webhooks find ads by their platform id).
    async fn ads_by_external_id(
        &self,
        scope: TenantScope,
        platform: &str,
        external_ids: &[String],
    ) -> StoreResult<Vec<Ad>>;
    /// Records days in one transaction (each inserted, or replacing that ad's day); all or none.
    async fn record_metrics(&self, metrics: Vec<NewAdMetric>) -> StoreResult<Vec<AdMetric>>;

    /// Sums per channel and market within `from..=to`, by channel then country.
    async fn performance_by_channel_market(
        &self,
        scope: TenantScope,
        subjects: &Subjects,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<ChannelMarketPerformance>>;
    /// Ads with figures within `from..=to`, ranked within their channel by `by` (SQL `RANK()`), by channel then rank.
    async fn ad_ranking(
        &self,
        scope: TenantScope,
        subjects: &Subjects,
        from: NaiveDate,
        to: NaiveDate,
        by: RankBy,
    ) -> StoreResult<Vec<RankedAd>>;
    /// Per subject, the channels with conversions within `current` and none within
    /// `previous` (SQL `EXCEPT`), by subject then channel.
    async fn channels_converting_only_in(
        &self,
        scope: TenantScope,
        subjects: &Subjects,
        current: (NaiveDate, NaiveDate),
        previous: (NaiveDate, NaiveDate),
    ) -> StoreResult<Vec<(Uuid, AdChannel)>>;
    /// Sums per day (and currency) within `from..=to`, days without figures absent.
    async fn daily_performance(
        &self,
        scope: TenantScope,
        subjects: &Subjects,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<DailyPerformance>>;
    /// Spend and value per channel and day within `from..=to`.
    async fn channel_days(
        &self,
        scope: TenantScope,
        subjects: &Subjects,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<ChannelDay>>;

    /// Inserts markets, ads and metrics in one transaction.
    async fn insert_rows(&self, rows: NewRows) -> StoreResult<()>;

    /// The metric days changed within `window`, in `(updated_at, id)` order, each with its
    /// campaign's day, channel and currency (the ETL's delta read; every tenant).
    async fn metric_changes(
        &self,
        window: promptsales_kit::changes::ChangeWindow,
    ) -> StoreResult<Vec<promptsales_kit::changes::Change>>;
    /// The metrics of these (campaign, day) keys, summed per key, channel and currency
    /// (the source truth the ETL recomputes summaries from; keys without metrics are absent).
    async fn campaign_day_figures(
        &self,
        keys: &[(Uuid, NaiveDate)],
    ) -> StoreResult<Vec<CampaignDayFigures>>;
}

/// Whether a store failure is a uniqueness rule being hit (a `CONFLICT` for the client).
pub fn is_unique_violation(err: &StoreError) -> bool {
    matches!(err, StoreError::Db(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))))
}
