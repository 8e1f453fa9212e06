//! The sea-orm adapter of [`SalesStore`]: the embedded SQLite default and PostgreSQL.

mod agenda;
mod agent_actions;
mod audit;
mod campaigns;
mod entity;
mod errors;
mod etl;
mod money;
mod organizations;
mod plans;
mod portal;
mod products;
mod reconcile;
mod results;
mod users;
mod workflow;

use std::collections::HashMap;

use async_trait::async_trait;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Page, PageRequest, StoreError};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::{
    Campaign, CampaignFilter, CampaignObjective, CampaignUpdate, NewCampaign, NewOrganization,
    NewProduct, NewUser, Organization, Product, SalesStore, User, UserFilter, WriteError,
};

/// The sales store over a sea-orm connection (migrated by `promptsales_migrations::sales::Migrator`).
#[derive(Debug, Clone)]
pub struct SeaSalesStore {
    db: DatabaseConnection,
}

impl SeaSalesStore {
    /// A store over an open, migrated connection (tests attach a `QueryCounter` to it first).
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl SalesStore for SeaSalesStore {
    async fn insert_organization(&self, new: NewOrganization) -> Result<Organization, WriteError> {
        organizations::insert(&self.db, new).await
    }

    async fn update_organization(
        &self,
        scope: TenantScope,
        organization: Organization,
    ) -> Result<Organization, WriteError> {
        organizations::update(&self.db, scope, organization).await
    }

    async fn organizations_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<Organization>, StoreError> {
        organizations::by_ids(&self.db, scope, ids).await
    }

    async fn list_organizations(
        &self,
        scope: TenantScope,
        page: PageRequest,
    ) -> Result<Page<Organization>, StoreError> {
        organizations::list(&self.db, scope, page).await
    }

    async fn insert_product(&self, new: NewProduct) -> Result<Product, WriteError> {
        products::insert(&self.db, new).await
    }

    async fn products_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<Product>, StoreError> {
        products::by_ids(&self.db, scope, ids).await
    }

    async fn products_by_organizations(
        &self,
        scope: TenantScope,
        organization_ids: &[Uuid],
    ) -> Result<Vec<Product>, StoreError> {
        products::by_organizations(&self.db, scope, organization_ids).await
    }

    async fn products_by_campaigns(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<Vec<(Uuid, Product)>, StoreError> {
        products::by_campaigns(&self.db, scope, campaign_ids).await
    }

    async fn insert_user(&self, new: NewUser) -> Result<User, WriteError> {
        users::insert(&self.db, new).await
    }

    async fn users_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<User>, StoreError> {
        users::by_ids(&self.db, scope, ids).await
    }

    async fn list_users(
        &self,
        scope: TenantScope,
        filter: &UserFilter,
        page: PageRequest,
    ) -> Result<Page<User>, StoreError> {
        users::list(&self.db, scope, filter, page).await
    }

    async fn insert_campaign(&self, new: NewCampaign) -> Result<Campaign, WriteError> {
        campaigns::insert(&self.db, new).await
    }

    async fn update_campaign(
        &self,
        scope: TenantScope,
        update: CampaignUpdate,
    ) -> Result<Campaign, WriteError> {
        campaigns::update(&self.db, scope, update).await
    }

    async fn campaigns_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<Campaign>, StoreError> {
        campaigns::by_ids(&self.db, scope, ids).await
    }

    async fn list_campaigns(
        &self,
        scope: TenantScope,
        filter: &CampaignFilter,
        page: PageRequest,
    ) -> Result<Page<Campaign>, StoreError> {
        campaigns::list(&self.db, scope, filter, page).await
    }

    async fn list_campaigns_of_organizations(
        &self,
        scope: TenantScope,
        organization_ids: &[Uuid],
        filter: &CampaignFilter,
        page: PageRequest,
    ) -> Result<HashMap<Uuid, Page<Campaign>>, StoreError> {
        campaigns::list_per_organization(&self.db, scope, organization_ids, filter, page).await
    }

    async fn objectives_by_campaigns(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<Vec<CampaignObjective>, StoreError> {
        campaigns::objectives(&self.db, scope, campaign_ids).await
    }
}

#[async_trait]
impl crate::store::etl::EtlSink for SeaSalesStore {
    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        ttl: std::time::Duration,
    ) -> Result<Option<crate::store::etl::Lease>, StoreError> {
        etl::acquire_lease(&self.db, name, owner, ttl).await
    }

    async fn release_lease(&self, lease: &crate::store::etl::Lease) -> Result<(), StoreError> {
        etl::release_lease(&self.db, lease).await
    }

    async fn watermark(
        &self,
        source: &str,
    ) -> Result<Option<promptsales_kit::changes::Watermark>, StoreError> {
        etl::watermark(&self.db, source).await
    }

    async fn campaigns(
        &self,
        ids: &[Uuid],
    ) -> Result<Vec<crate::store::etl::EtlCampaign>, StoreError> {
        etl::campaigns(&self.db, ids).await
    }

    async fn commit(
        &self,
        commit: crate::store::etl::EtlCommit,
    ) -> Result<crate::store::etl::CommitOutcome, StoreError> {
        etl::commit(&self.db, commit).await
    }

    async fn record_run(&self, run: &crate::store::etl::EtlRun) -> Result<(), StoreError> {
        etl::record_run(&self.db, run).await
    }

    async fn purge_runs(&self, before: chrono::DateTime<chrono::Utc>) -> Result<u64, StoreError> {
        etl::purge_runs(&self.db, before).await
    }

    async fn status(&self) -> Result<Vec<crate::store::etl::EtlSourceStatus>, StoreError> {
        etl::status(&self.db).await
    }

    async fn snapshot(&self) -> Result<crate::store::etl::SummarySnapshot, StoreError> {
        etl::snapshot(&self.db).await
    }

    async fn reset(&self) -> Result<(), StoreError> {
        etl::reset(&self.db).await
    }
}
