//! The sea-orm adapter of the ads store: the embedded SQLite default and PostgreSQL.

mod ads;
mod analytics;
mod convert;
pub mod entities;
mod etl;
mod markets;
mod metrics;

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::NaiveDate;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Page, PageRequest};
use std::sync::Arc;

use promptsales_kit::Decimal4;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, Statement,
    TransactionTrait,
};
use uuid::Uuid;

use super::{
    Ad, AdChanges, AdFilter, AdMetric, AdsStore, CampaignDecision, ChannelDay,
    ChannelMarketPerformance, ChannelPerformance, DailyPerformance, Market, NewAd, NewAdMetric,
    NewMarket, NewRows, RankBy, RankedAd, StoreResult, Subjects,
};
use crate::domain::{AdChannel, Performance};

/// Campaign locks within this process, striped: SQLite has no advisory locks, and a
/// stripe spares PostgreSQL's pool a connection waiting on a lock this process holds.
const LOCK_STRIPES: usize = 64;

/// The ads store over a sea-orm connection (migrated with `promptsales_migrations::ads::Migrator`).
#[derive(Debug, Clone)]
pub struct SeaAdsStore {
    db: DatabaseConnection,
    locks: Arc<Vec<tokio::sync::Mutex<()>>>,
}

impl SeaAdsStore {
    /// A store over an open, migrated connection (tests attach a query counter to it first).
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            locks: Arc::new(
                (0..LOCK_STRIPES)
                    .map(|_| tokio::sync::Mutex::new(()))
                    .collect(),
            ),
        }
    }
}

/// The first 8 bytes of a campaign id: its advisory lock key and stripe.
fn lock_key(campaign_id: Uuid) -> i64 {
    let b = campaign_id.as_bytes();
    i64::from_be_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]])
}

/// Rows of `column`'s organization within `scope`.
fn in_scope(column: impl ColumnTrait, scope: TenantScope) -> Condition {
    match scope.organization() {
        Some(org) => Condition::all().add(column.eq(org)),
        None => Condition::all(),
    }
}

#[async_trait]
impl AdsStore for SeaAdsStore {
    async fn write_under_campaign_lock(
        &self,
        scope: TenantScope,
        campaign_id: Uuid,
        decide: CampaignDecision,
    ) -> StoreResult<Result<Vec<Ad>, promptsales_kit::ApiError>> {
        let key = lock_key(campaign_id);
        let stripe = usize::try_from(key.unsigned_abs() % LOCK_STRIPES as u64).unwrap_or(0);
        let _held = self.locks[stripe].lock().await;
        let txn = self.db.begin().await?;
        if txn.get_database_backend() == DbBackend::Postgres {
            // Other instances of the subgraph wait here until this transaction ends.
            txn.execute(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [key.into()],
            ))
            .await?;
        }
        let current = ads::of_campaign(&txn, scope, campaign_id).await?;
        let ids: Vec<Uuid> = current.iter().map(|a| a.id).collect();
        let spent: HashMap<Uuid, Decimal4> = metrics::totals_of_ads(&txn, scope, &ids)
            .await?
            .into_iter()
            .map(|(id, p)| (id, p.spend))
            .collect();
        let write = match decide(&current, &spent) {
            Ok(write) => write,
            Err(refused) => return Ok(Err(refused)),
        };
        let inserted: Vec<Uuid> = write
            .insert
            .iter()
            .map(|n| n.id.unwrap_or_else(promptsales_kit::new_id))
            .collect();
        let news: Vec<NewAd> = write
            .insert
            .into_iter()
            .zip(&inserted)
            .map(|(n, id)| NewAd { id: Some(*id), ..n })
            .collect();
        ads::insert_many(&txn, news).await?;
        let mut written = ads::by_id(&txn, TenantScope::All, &inserted).await?;
        written.sort_by_key(|ad| inserted.iter().position(|id| *id == ad.id));
        for (id, changes) in write.update {
            if let Some(ad) = ads::update(&txn, scope, id, changes).await? {
                written.push(ad);
            }
        }
        txn.commit().await?;
        Ok(Ok(written))
    }

    async fn insert_market(&self, market: NewMarket) -> StoreResult<Market> {
        markets::insert(&self.db, market).await
    }

    async fn markets(&self, scope: TenantScope) -> StoreResult<Vec<Market>> {
        markets::list(&self.db, scope).await
    }

    async fn market(&self, scope: TenantScope, id: Uuid) -> StoreResult<Option<Market>> {
        markets::get(&self.db, scope, id).await
    }

    async fn insert_ad(&self, ad: NewAd) -> StoreResult<Ad> {
        // The ad and its creative rows together.
        let txn = self.db.begin().await?;
        let ad = ads::insert(&txn, ad).await?;
        txn.commit().await?;
        Ok(ad)
    }

    async fn update_ad(
        &self,
        scope: TenantScope,
        id: Uuid,
        changes: AdChanges,
    ) -> StoreResult<Option<Ad>> {
        let txn = self.db.begin().await?;
        let ad = ads::update(&txn, scope, id, changes).await?;
        txn.commit().await?;
        Ok(ad)
    }

    async fn ads_using_assets(
        &self,
        scope: TenantScope,
        asset_ids: &[Uuid],
    ) -> StoreResult<Vec<(Uuid, Ad)>> {
        ads::using_assets(&self.db, scope, asset_ids).await
    }

    async fn ads_by_id(&self, scope: TenantScope, ids: &[Uuid]) -> StoreResult<Vec<Ad>> {
        ads::by_id(&self.db, scope, ids).await
    }

    async fn ads(
        &self,
        scope: TenantScope,
        filter: &AdFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Ad>> {
        ads::page(&self.db, scope, filter, page).await
    }

    async fn ads_of_campaigns(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
        filter: &AdFilter,
        page: &PageRequest,
    ) -> StoreResult<HashMap<Uuid, Page<Ad>>> {
        ads::of_campaigns(&self.db, scope, campaign_ids, filter, page).await
    }

    async fn record_metric(&self, metric: NewAdMetric) -> StoreResult<AdMetric> {
        metrics::record(&self.db, metric).await
    }

    async fn metrics_of_ads(
        &self,
        scope: TenantScope,
        ad_ids: &[Uuid],
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<AdMetric>> {
        metrics::of_ads(&self.db, scope, ad_ids, from, to).await
    }

    async fn totals_of_ads(
        &self,
        scope: TenantScope,
        ad_ids: &[Uuid],
    ) -> StoreResult<HashMap<Uuid, Performance>> {
        metrics::totals_of_ads(&self.db, scope, ad_ids).await
    }

    async fn totals_of_campaigns(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> StoreResult<HashMap<Uuid, Performance>> {
        metrics::totals_of_campaigns(&self.db, scope, campaign_ids).await
    }

    async fn channel_totals_of_campaigns(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> StoreResult<Vec<ChannelPerformance>> {
        metrics::channel_totals_of_campaigns(&self.db, scope, campaign_ids).await
    }

    async fn insert_ads(&self, news: Vec<NewAd>) -> StoreResult<Vec<Ad>> {
        let ids: Vec<Uuid> = news
            .iter()
            .map(|n| n.id.unwrap_or_else(promptsales_kit::new_id))
            .collect();
        let news: Vec<NewAd> = news
            .into_iter()
            .zip(&ids)
            .map(|(n, id)| NewAd { id: Some(*id), ..n })
            .collect();
        let txn = self.db.begin().await?;
        ads::insert_many(&txn, news).await?;
        let mut inserted = ads::by_id(&txn, TenantScope::All, &ids).await?;
        txn.commit().await?;
        inserted.sort_by_key(|ad| ids.iter().position(|id| *id == ad.id));
        Ok(inserted)
    }

    async fn ads_of_campaign(&self, scope: TenantScope, campaign_id: Uuid) -> StoreResult<Vec<Ad>> {
        ads::of_campaign(&self.db, scope, campaign_id).await
    }

    async fn ads_by_external_id(
        &self,
        scope: TenantScope,
        platform: &str,
        external_ids: &[String],
    ) -> StoreResult<Vec<Ad>> {
        ads::by_external_id(&self.db, scope, platform, external_ids).await
    }

    async fn record_metrics(&self, news: Vec<NewAdMetric>) -> StoreResult<Vec<AdMetric>> {
        let txn = self.db.begin().await?;
        let recorded = metrics::record_many(&txn, news).await?;
        txn.commit().await?;
        Ok(recorded)
    }

    async fn performance_by_channel_market(
        &self,
        scope: TenantScope,
        subjects: &Subjects,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<ChannelMarketPerformance>> {
        analytics::by_channel_market(&self.db, scope, subjects, from, to).await
    }

    async fn ad_ranking(
        &self,
        scope: TenantScope,
        subjects: &Subjects,
        from: NaiveDate,
        to: NaiveDate,
        by: RankBy,
    ) -> StoreResult<Vec<RankedAd>> {
        analytics::ranking(&self.db, scope, subjects, from, to, by).await
    }

    async fn channels_converting_only_in(
        &self,
        scope: TenantScope,
        subjects: &Subjects,
        current: (NaiveDate, NaiveDate),
        previous: (NaiveDate, NaiveDate),
    ) -> StoreResult<Vec<(Uuid, AdChannel)>> {
        analytics::converting_only_in(&self.db, scope, subjects, current, previous).await
    }

    async fn daily_performance(
        &self,
        scope: TenantScope,
        subjects: &Subjects,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<DailyPerformance>> {
        analytics::daily(&self.db, scope, subjects, from, to).await
    }

    async fn channel_days(
        &self,
        scope: TenantScope,
        subjects: &Subjects,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<ChannelDay>> {
        analytics::channel_days(&self.db, scope, subjects, from, to).await
    }

    async fn insert_rows(&self, rows: NewRows) -> StoreResult<()> {
        let txn = self.db.begin().await?;
        markets::insert_many(&txn, rows.markets).await?;
        ads::insert_many(&txn, rows.ads).await?;
        metrics::insert_many(&txn, rows.metrics).await?;
        txn.commit().await?;
        Ok(())
    }

    async fn metric_changes(
        &self,
        window: promptsales_kit::changes::ChangeWindow,
    ) -> StoreResult<Vec<promptsales_kit::changes::Change>> {
        etl::metric_changes(&self.db, window).await
    }

    async fn campaign_day_figures(
        &self,
        keys: &[(Uuid, NaiveDate)],
    ) -> StoreResult<Vec<super::CampaignDayFigures>> {
        etl::campaign_day_figures(&self.db, keys).await
    }
}
