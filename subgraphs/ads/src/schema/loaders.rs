//! DataLoaders, one per relation, made per request with the request's tenant scope.
//!
//! A loader gathers the keys every resolver asks for in one tick and reads
//! them in one store call, so a page of 30 campaigns (or 30 `_entities`
//! representations) costs the same number of statements as a page of 3.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use chrono::NaiveDate;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{LoadError, Page, PageRequest};
use uuid::Uuid;

use crate::domain::{AdChannel, Performance};
use crate::store::{
    Ad, AdFilter, AdMetric, AdsStore, ChannelMarketPerformance, ChannelPerformance,
    DailyPerformance, RankBy, RankedAd, SubjectKind, Subjects,
};

/// What every loader reads from: the store, within one request's scope.
#[derive(Clone)]
pub struct Source {
    store: Arc<dyn AdsStore>,
    scope: TenantScope,
}

/// Ads by id.
pub struct AdLoader(Source);

impl Loader<Uuid> for AdLoader {
    type Value = Ad;
    type Error = LoadError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Ad>, LoadError> {
        let ads = self.0.store.ads_by_id(self.0.scope, ids).await?;
        Ok(ads.into_iter().map(|ad| (ad.id, ad)).collect())
    }
}

/// Lifetime totals by ad id.
pub struct AdTotalsLoader(Source);

impl Loader<Uuid> for AdTotalsLoader {
    type Value = Performance;
    type Error = LoadError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Performance>, LoadError> {
        Ok(self.0.store.totals_of_ads(self.0.scope, ids).await?)
    }
}

/// The days of one ad within a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AdDays {
    /// The ad.
    pub ad_id: Uuid,
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
}

/// Daily metrics by ad and range; one read per distinct range (usually one).
pub struct AdMetricsLoader(Source);

impl Loader<AdDays> for AdMetricsLoader {
    type Value = Vec<AdMetric>;
    type Error = LoadError;

    async fn load(&self, keys: &[AdDays]) -> Result<HashMap<AdDays, Vec<AdMetric>>, LoadError> {
        let mut ranges: HashMap<(NaiveDate, NaiveDate), Vec<Uuid>> = HashMap::new();
        for key in keys {
            ranges
                .entry((key.from, key.to))
                .or_default()
                .push(key.ad_id);
        }
        let mut out: HashMap<AdDays, Vec<AdMetric>> = HashMap::new();
        for ((from, to), ad_ids) in ranges {
            for day in self
                .0
                .store
                .metrics_of_ads(self.0.scope, &ad_ids, from, to)
                .await?
            {
                out.entry(AdDays {
                    ad_id: day.ad_id,
                    from,
                    to,
                })
                .or_default()
                .push(day);
            }
        }
        Ok(out)
    }
}

/// One page of one campaign's ads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CampaignAds {
    /// The campaign.
    pub campaign_id: Uuid,
    /// The filter (its campaign id unused).
    pub filter: AdFilter,
    /// Page size.
    pub first: u64,
    /// Cursor.
    pub after: Option<Uuid>,
}

impl CampaignAds {
    /// The key of `page` of `campaign_id`'s ads matching `filter`.
    pub fn new(campaign_id: Uuid, filter: AdFilter, page: PageRequest) -> Self {
        Self {
            campaign_id,
            filter,
            first: page.first,
            after: page.after,
        }
    }
}

/// Pages of campaigns' ads; one read per distinct (filter, page) (usually one).
pub struct CampaignAdsLoader(Source);

impl Loader<CampaignAds> for CampaignAdsLoader {
    type Value = Page<Ad>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[CampaignAds],
    ) -> Result<HashMap<CampaignAds, Page<Ad>>, LoadError> {
        let mut groups: HashMap<(AdFilter, u64, Option<Uuid>), Vec<Uuid>> = HashMap::new();
        for key in keys {
            groups
                .entry((key.filter, key.first, key.after))
                .or_default()
                .push(key.campaign_id);
        }
        let mut out = HashMap::new();
        for ((filter, first, after), campaign_ids) in groups {
            let page = PageRequest { first, after };
            let pages = self
                .0
                .store
                .ads_of_campaigns(self.0.scope, &campaign_ids, &filter, &page)
                .await?;
            for (campaign_id, ads) in pages {
                out.insert(CampaignAds::new(campaign_id, filter, page), ads);
            }
        }
        Ok(out)
    }
}

/// Totals by campaign id.
pub struct CampaignTotalsLoader(Source);

impl Loader<Uuid> for CampaignTotalsLoader {
    type Value = Performance;
    type Error = LoadError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Performance>, LoadError> {
        Ok(self.0.store.totals_of_campaigns(self.0.scope, ids).await?)
    }
}

/// Per-channel totals by campaign id.
pub struct ChannelBreakdownLoader(Source);

impl Loader<Uuid> for ChannelBreakdownLoader {
    type Value = Vec<ChannelPerformance>;
    type Error = LoadError;

    async fn load(
        &self,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<ChannelPerformance>>, LoadError> {
        let mut out: HashMap<Uuid, Vec<ChannelPerformance>> = HashMap::new();
        for row in self
            .0
            .store
            .channel_totals_of_campaigns(self.0.scope, ids)
            .await?
        {
            out.entry(row.campaign_id).or_default().push(row);
        }
        Ok(out)
    }
}

/// One subject (campaign or organization) over one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeriodKey {
    /// Campaign or organization.
    pub kind: SubjectKind,
    /// Its id.
    pub id: Uuid,
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
}

/// A subject's ranking over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RankKey {
    /// Campaign or organization.
    pub kind: SubjectKind,
    /// Its id.
    pub id: Uuid,
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// The ranking metric.
    pub by: RankBy,
}

/// A subject's channels converting in `current` and not in `previous`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShiftKey {
    /// Campaign or organization.
    pub kind: SubjectKind,
    /// Its id.
    pub id: Uuid,
    /// The period with conversions.
    pub current: (NaiveDate, NaiveDate),
    /// The period without.
    pub previous: (NaiveDate, NaiveDate),
}

/// Groups keys by everything but the subject id: one store call per group (usually one).
fn groups<K: Copy, G: std::hash::Hash + Eq>(
    keys: &[K],
    group: impl Fn(&K) -> (G, SubjectKind, Uuid),
) -> HashMap<(G, SubjectKind), Vec<Uuid>> {
    let mut out: HashMap<(G, SubjectKind), Vec<Uuid>> = HashMap::new();
    for key in keys {
        let (g, kind, id) = group(key);
        out.entry((g, kind)).or_default().push(id);
    }
    out
}

/// Per channel and market, by subject and period.
pub struct ChannelMarketLoader(Source);

impl Loader<PeriodKey> for ChannelMarketLoader {
    type Value = Vec<ChannelMarketPerformance>;
    type Error = LoadError;

    async fn load(&self, keys: &[PeriodKey]) -> Result<HashMap<PeriodKey, Self::Value>, LoadError> {
        let mut out: HashMap<PeriodKey, Self::Value> = HashMap::new();
        for (((from, to), kind), ids) in groups(keys, |k| ((k.from, k.to), k.kind, k.id)) {
            let subjects = Subjects { kind, ids };
            for row in self
                .0
                .store
                .performance_by_channel_market(self.0.scope, &subjects, from, to)
                .await?
            {
                let key = PeriodKey {
                    kind,
                    id: row.subject_id,
                    from,
                    to,
                };
                out.entry(key).or_default().push(row);
            }
        }
        Ok(out)
    }
}

/// Rankings, by subject, period and metric.
pub struct RankingLoader(Source);

impl Loader<RankKey> for RankingLoader {
    type Value = Vec<RankedAd>;
    type Error = LoadError;

    async fn load(&self, keys: &[RankKey]) -> Result<HashMap<RankKey, Self::Value>, LoadError> {
        let mut out: HashMap<RankKey, Self::Value> = HashMap::new();
        for (((from, to, by), kind), ids) in groups(keys, |k| ((k.from, k.to, k.by), k.kind, k.id))
        {
            let subjects = Subjects { kind, ids };
            for row in self
                .0
                .store
                .ad_ranking(self.0.scope, &subjects, from, to, by)
                .await?
            {
                let key = RankKey {
                    kind,
                    id: row.subject_id,
                    from,
                    to,
                    by,
                };
                out.entry(key).or_default().push(row);
            }
        }
        Ok(out)
    }
}

/// Channels converting in one period and not another, by subject and periods.
pub struct ShiftLoader(Source);

impl Loader<ShiftKey> for ShiftLoader {
    type Value = Vec<AdChannel>;
    type Error = LoadError;

    async fn load(&self, keys: &[ShiftKey]) -> Result<HashMap<ShiftKey, Self::Value>, LoadError> {
        let mut out: HashMap<ShiftKey, Self::Value> = HashMap::new();
        for (((current, previous), kind), ids) in
            groups(keys, |k| ((k.current, k.previous), k.kind, k.id))
        {
            let subjects = Subjects { kind, ids };
            for (id, channel) in self
                .0
                .store
                .channels_converting_only_in(self.0.scope, &subjects, current, previous)
                .await?
            {
                let key = ShiftKey {
                    kind,
                    id,
                    current,
                    previous,
                };
                out.entry(key).or_default().push(channel);
            }
        }
        Ok(out)
    }
}

/// Daily sums, by subject and period.
pub struct DailyLoader(Source);

impl Loader<PeriodKey> for DailyLoader {
    type Value = Vec<DailyPerformance>;
    type Error = LoadError;

    async fn load(&self, keys: &[PeriodKey]) -> Result<HashMap<PeriodKey, Self::Value>, LoadError> {
        let mut out: HashMap<PeriodKey, Self::Value> = HashMap::new();
        for (((from, to), kind), ids) in groups(keys, |k| ((k.from, k.to), k.kind, k.id)) {
            let subjects = Subjects { kind, ids };
            for row in self
                .0
                .store
                .daily_performance(self.0.scope, &subjects, from, to)
                .await?
            {
                let key = PeriodKey {
                    kind,
                    id: row.subject_id,
                    from,
                    to,
                };
                out.entry(key).or_default().push(row);
            }
        }
        Ok(out)
    }
}

/// The ads showing each asset, by asset id.
pub struct AssetAdsLoader(Source);

impl Loader<Uuid> for AssetAdsLoader {
    type Value = Vec<Ad>;
    type Error = LoadError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Ad>>, LoadError> {
        let mut out: HashMap<Uuid, Vec<Ad>> = HashMap::new();
        for (asset, ad) in self.0.store.ads_using_assets(self.0.scope, ids).await? {
            out.entry(asset).or_default().push(ad);
        }
        Ok(out)
    }
}

/// Every loader of one request.
pub struct Loaders {
    /// Ads by id (`ad`, `_entities`).
    pub ad: DataLoader<AdLoader>,
    /// `Ad.totals`.
    pub ad_totals: DataLoader<AdTotalsLoader>,
    /// `Ad.metrics`.
    pub ad_metrics: DataLoader<AdMetricsLoader>,
    /// `Campaign.ads`.
    pub campaign_ads: DataLoader<CampaignAdsLoader>,
    /// `Campaign.adTotals`.
    pub campaign_totals: DataLoader<CampaignTotalsLoader>,
    /// `Campaign.channelBreakdown`.
    pub channel_breakdown: DataLoader<ChannelBreakdownLoader>,
    /// `adPerformance` of campaigns and organizations.
    pub channel_market: DataLoader<ChannelMarketLoader>,
    /// `adRanking`.
    pub ranking: DataLoader<RankingLoader>,
    /// `adConversionShift`.
    pub shift: DataLoader<ShiftLoader>,
    /// `adDailySeries`.
    pub daily: DataLoader<DailyLoader>,
    /// `MediaAsset.ads`.
    pub asset_ads: DataLoader<AssetAdsLoader>,
}

impl Loaders {
    /// Fresh loaders (empty caches) for one request within `scope`.
    pub fn new(store: Arc<dyn AdsStore>, scope: TenantScope) -> Self {
        let source = Source { store, scope };
        Self {
            ad: DataLoader::new(AdLoader(source.clone()), tokio::spawn),
            ad_totals: DataLoader::new(AdTotalsLoader(source.clone()), tokio::spawn),
            ad_metrics: DataLoader::new(AdMetricsLoader(source.clone()), tokio::spawn),
            campaign_ads: DataLoader::new(CampaignAdsLoader(source.clone()), tokio::spawn),
            campaign_totals: DataLoader::new(CampaignTotalsLoader(source.clone()), tokio::spawn),
            channel_breakdown: DataLoader::new(
                ChannelBreakdownLoader(source.clone()),
                tokio::spawn,
            ),
            channel_market: DataLoader::new(ChannelMarketLoader(source.clone()), tokio::spawn),
            ranking: DataLoader::new(RankingLoader(source.clone()), tokio::spawn),
            shift: DataLoader::new(ShiftLoader(source.clone()), tokio::spawn),
            daily: DataLoader::new(DailyLoader(source.clone()), tokio::spawn),
            asset_ads: DataLoader::new(AssetAdsLoader(source), tokio::spawn),
        }
    }
}
