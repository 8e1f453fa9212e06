//! The crm store: the narrow interface the schema and the seeds use, over domain types.
//!
//! Every read takes the request's [`TenantScope`]; a row outside it is absent.
//! Inserts take the organization in the new row itself (the caller decided
//! it from the scope, see [`TenantScope::organization_for_write`]); the database refuses
//! a lead or sale whose customer (or lead) belongs to another organization.

pub mod sea;

use std::collections::HashMap;

use async_trait::async_trait;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{ApiError, Page, PageRequest, StoreError};
use uuid::Uuid;

pub use crate::domain::Invalid;
pub use crate::domain::customer::{Customer, CustomerFilter, NewCustomer};
pub use crate::domain::lead::{Lead, LeadFilter, LeadFunnel, LeadSource, LeadStage, NewLead};
pub use crate::domain::sale::{CampaignSales, NewSale, Sale};

/// Why an insert was refused.
#[derive(Debug, thiserror::Error)]
pub enum InsertError {
    /// A field is invalid.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// A uniqueness rule (an e-mail already used in the organization, an id already taken).
    #[error("{0}")]
    Conflict(String),
    /// A referenced row does not exist in the new row's organization.
    #[error("{entity} {id} was not found")]
    NotFound {
        /// The referenced entity.
        entity: &'static str,
        /// Its id.
        id: Uuid,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<InsertError> for ApiError {
    fn from(err: InsertError) -> Self {
        match err {
            InsertError::Invalid(invalid) => invalid.into(),
            InsertError::Conflict(message) => ApiError::Conflict(message),
            InsertError::NotFound { entity, id } => ApiError::not_found(entity, id),
            InsertError::Store(e) => ApiError::from(e),
        }
    }
}

/// Rows written together in one transaction (the demo seed, imports): all or nothing.
#[derive(Debug, Clone, Default)]
pub struct NewRecords {
    /// Customers, written first.
    pub customers: Vec<NewCustomer>,
    /// Leads, written after their customers.
    pub leads: Vec<NewLead>,
    /// Sales, written last.
    pub sales: Vec<NewSale>,
}

/// The crm's store.
#[async_trait]
pub trait CrmStore: Send + Sync {
    /// The customers among `ids` visible in `scope`.
    async fn customers_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<Customer>, StoreError>;

    /// The customers with this e-mail (normalized, see [`crate::domain::customer::normalize_email`]),
    /// found through the blind index: at most one per organization.
    async fn customers_by_email(
        &self,
        scope: TenantScope,
        email: &str,
    ) -> Result<Vec<Customer>, StoreError>;

    /// A page of customers in id order.
    async fn list_customers(
        &self,
        scope: TenantScope,
        filter: &CustomerFilter,
        page: &PageRequest,
    ) -> Result<Page<Customer>, StoreError>;

    /// The leads among `ids` visible in `scope`.
    async fn leads_by_ids(&self, scope: TenantScope, ids: &[Uuid])
    -> Result<Vec<Lead>, StoreError>;

    /// A page of leads in id order.
    async fn list_leads(
        &self,
        scope: TenantScope,
        filter: &LeadFilter,
        page: &PageRequest,
    ) -> Result<Page<Lead>, StoreError>;

    /// For each campaign, its first `limit` leads after `after` in id order, in `stages`
    /// (empty: every stage); one statement whatever the number of campaigns.
    async fn leads_of_campaigns(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
        stages: &[LeadStage],
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<HashMap<Uuid, Vec<Lead>>, StoreError>;

    /// The lead funnel of each campaign (absent campaigns have no leads).
    async fn lead_funnels(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, LeadFunnel>, StoreError>;

    /// Revenue per currency and number of sales of each campaign (absent campaigns have none).
    async fn campaign_sales(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, CampaignSales>, StoreError>;

    /// The sales among `ids` visible in `scope`.
    async fn sales_by_ids(&self, scope: TenantScope, ids: &[Uuid])
    -> Result<Vec<Sale>, StoreError>;

    /// Creates a customer; its e-mail must be new in its organization.
    async fn insert_customer(&self, new: NewCustomer) -> Result<Customer, InsertError>;

    /// Creates a lead of a customer of the same organization.
    async fn insert_lead(&self, new: NewLead) -> Result<Lead, InsertError>;

    /// Records a sale of a customer of the same organization; its lead, if any, must be that
    /// customer's lead for the same campaign.
    async fn insert_sale(&self, new: NewSale) -> Result<Sale, InsertError>;

    /// Writes customers, then leads, then sales, in one transaction.
    async fn insert_records(&self, records: NewRecords) -> Result<(), InsertError>;

    /// One customer, if visible.
    async fn customer(&self, scope: TenantScope, id: Uuid) -> Result<Option<Customer>, StoreError> {
        Ok(self
            .customers_by_ids(scope, &[id])
            .await?
            .into_iter()
            .next())
    }

    /// One lead, if visible.
    async fn lead(&self, scope: TenantScope, id: Uuid) -> Result<Option<Lead>, StoreError> {
        Ok(self.leads_by_ids(scope, &[id]).await?.into_iter().next())
    }

    /// One sale, if visible.
    async fn sale(&self, scope: TenantScope, id: Uuid) -> Result<Option<Sale>, StoreError> {
        Ok(self.sales_by_ids(scope, &[id]).await?.into_iter().next())
    }
}
