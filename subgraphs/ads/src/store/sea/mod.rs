//! The sea-orm adapter of the ads store: the embedded SQLite default and PostgreSQL.

mod ads;
mod convert;
pub mod entities;
mod markets;
mod metrics;

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::NaiveDate;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Page, PageRequest};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, TransactionTrait};
use uuid::Uuid;

use super::{
    Ad, AdChanges, AdFilter, AdMetric, AdsStore, ChannelPerformance, Market, NewAd, NewAdMetric,
    NewMarket, NewRows, StoreResult,
};
use crate::domain::Performance;

/// The ads store over a sea-orm connection (migrated with `promptsales_migrations::ads::Migrator`).
#[derive(Debug, Clone)]
pub struct SeaAdsStore {
    db: DatabaseConnection,
}

impl SeaAdsStore {
    /// A store over an open, migrated connection (tests attach a query counter to it first).
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
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
        ads::insert(&self.db, ad).await
    }

    async fn update_ad(
        &self,
        scope: TenantScope,
        id: Uuid,
        changes: AdChanges,
    ) -> StoreResult<Option<Ad>> {
        ads::update(&self.db, scope, id, changes).await
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

    async fn insert_rows(&self, rows: NewRows) -> StoreResult<()> {
        let txn = self.db.begin().await?;
        markets::insert_many(&txn, rows.markets).await?;
        ads::insert_many(&txn, rows.ads).await?;
        metrics::insert_many(&txn, rows.metrics).await?;
        txn.commit().await?;
        Ok(())
    }
}
