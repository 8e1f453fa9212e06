//! The sea-orm adapter of [`CrmStore`]: the embedded SQLite default and PostgreSQL.
//!
//! Personal data is sealed here, just before it is written, and opened just
//! after it is read: no other layer sees a ciphertext, and the database
//! never sees a plaintext.

mod customers;
mod errors;
mod leads;
mod sales;

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Page, PageRequest, StoreError};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, TransactionTrait};
use uuid::Uuid;

use super::{
    CampaignSales, CrmStore, Customer, CustomerFilter, InsertError, Lead, LeadFilter, LeadFunnel,
    LeadStage, NewCustomer, NewLead, NewRecords, NewSale, Sale,
};
use crate::crypto::PersonalDataCipher;

/// The crm store over a sea-orm connection (migrated by `promptsales_migrations::crm::Migrator`).
#[derive(Debug, Clone)]
pub struct SeaCrmStore {
    db: DatabaseConnection,
    cipher: PersonalDataCipher,
}

impl SeaCrmStore {
    /// A store over an open, migrated connection, sealing personal data with `cipher`.
    pub fn new(db: DatabaseConnection, cipher: PersonalDataCipher) -> Self {
        Self { db, cipher }
    }

    /// Fails when stored personal data was sealed under another data key than the configured one,
    /// so a misconfigured key stops the service at start instead of failing every read.
    pub async fn check_data_key(&self) -> Result<(), StoreError> {
        match customers::any_key_id(&self.db).await? {
            Some(stored) if stored != self.cipher.key_id() => Err(StoreError::Corrupt(format!(
                "customers are encrypted with data key {stored}, but the configured key is {}",
                self.cipher.key_id()
            ))),
            _ => Ok(()),
        }
    }
}

/// The rows of `scope`: nothing to add for every tenant, else `organization_id = tenant`.
pub(crate) fn in_scope(scope: TenantScope, organization_column: impl ColumnTrait) -> Condition {
    match scope.organization() {
        Some(organization) => Condition::all().add(organization_column.eq(organization)),
        None => Condition::all(),
    }
}

/// Now, at the microsecond precision every store keeps, so what an insert returns is what a read gives.
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

#[async_trait]
impl CrmStore for SeaCrmStore {
    async fn customers_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<Customer>, StoreError> {
        customers::by_ids(&self.db, &self.cipher, scope, ids).await
    }

    async fn customers_by_email(
        &self,
        scope: TenantScope,
        email: &str,
    ) -> Result<Vec<Customer>, StoreError> {
        customers::by_email(&self.db, &self.cipher, scope, email).await
    }

    async fn list_customers(
        &self,
        scope: TenantScope,
        filter: &CustomerFilter,
        page: &PageRequest,
    ) -> Result<Page<Customer>, StoreError> {
        customers::list(&self.db, &self.cipher, scope, filter, page).await
    }

    async fn leads_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<Lead>, StoreError> {
        leads::by_ids(&self.db, scope, ids).await
    }

    async fn list_leads(
        &self,
        scope: TenantScope,
        filter: &LeadFilter,
        page: &PageRequest,
    ) -> Result<Page<Lead>, StoreError> {
        leads::list(&self.db, scope, filter, page).await
    }

    async fn leads_of_campaigns(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
        stages: &[LeadStage],
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<HashMap<Uuid, Vec<Lead>>, StoreError> {
        leads::of_campaigns(&self.db, scope, campaign_ids, stages, after, limit).await
    }

    async fn lead_funnels(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, LeadFunnel>, StoreError> {
        leads::funnels(&self.db, scope, campaign_ids).await
    }

    async fn campaign_sales(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, CampaignSales>, StoreError> {
        sales::of_campaigns(&self.db, scope, campaign_ids).await
    }

    async fn sales_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<Sale>, StoreError> {
        sales::by_ids(&self.db, scope, ids).await
    }

    async fn insert_customer(&self, new: NewCustomer) -> Result<Customer, InsertError> {
        customers::insert(&self.db, &self.cipher, new, now()).await
    }

    async fn insert_lead(&self, new: NewLead) -> Result<Lead, InsertError> {
        leads::insert(&self.db, new, now()).await
    }

    async fn insert_sale(&self, new: NewSale) -> Result<Sale, InsertError> {
        sales::insert(&self.db, new, now()).await
    }

    async fn insert_records(&self, records: NewRecords) -> Result<(), InsertError> {
        let now = now();
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        for customer in records.customers {
            customers::insert(&txn, &self.cipher, customer, now).await?;
        }
        for lead in records.leads {
            leads::insert(&txn, lead, now).await?;
        }
        for sale in records.sales {
            sales::insert(&txn, sale, now).await?;
        }
        // Dropping the transaction on an early return above rolls it back.
        txn.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
