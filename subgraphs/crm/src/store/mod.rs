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
pub use crate::domain::capture::{CaptureOutcome, LeadCapture};
pub use crate::domain::customer::{Customer, CustomerFilter, NewCustomer};
pub use crate::domain::geo::Point;
pub use crate::domain::interaction::{
    Actor, Direction, Interaction, InteractionChannel, NewInteraction,
};
pub use crate::domain::lead::{Lead, LeadFilter, LeadFunnel, LeadSource, LeadStage, NewLead};
pub use crate::domain::sale::{CampaignSales, NewSale, Sale};
pub use crate::domain::scoring::{LeadSignals, ScoreReason, ScoringModel};
pub use crate::domain::webhook::WebhookSecret;

mod types;
pub use types::*;

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
        /// The id the new row names.
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

    // --- Lead capture, funnel, interactions -------------------------------------------------

    /// Captures a lead: the customer known by the e-mail's blind index or a new one (insert or
    /// fetch under the unique `(organization, email index)`), then that customer's open lead of
    /// the campaign or a new one, in one transaction; concurrent captures of one person merge.
    async fn capture_lead(&self, capture: LeadCapture) -> Result<CaptureOutcome, InsertError>;

    /// [`CrmStore::capture_lead`] for a signed webhook request: remembers `delivery` in the
    /// capture's transaction, so it is remembered only when the capture commits; `None` (and
    /// nothing written) when it was already remembered, a replay. Forgets deliveries older than
    /// its `keep`.
    async fn capture_lead_once(
        &self,
        capture: LeadCapture,
        delivery: &Delivery,
    ) -> Result<Option<CaptureOutcome>, InsertError>;

    /// Moves a lead to another stage if it is still at `expected_version` (else `Conflict`),
    /// recording who moved it and when.
    async fn move_lead_stage(
        &self,
        scope: TenantScope,
        change: StageMove,
    ) -> Result<Lead, UpdateError>;

    /// The stage history of each lead, oldest first.
    async fn stage_changes(
        &self,
        scope: TenantScope,
        lead_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<StageChange>>, StoreError>;

    /// Records an interaction on a lead of the scope and updates the lead's timestamps and queue key.
    async fn record_interaction(
        &self,
        scope: TenantScope,
        new: NewInteraction,
    ) -> Result<Interaction, UpdateError>;

    /// Each lead's most recent interactions (up to `limit` per lead), newest first.
    async fn interactions_of_leads(
        &self,
        scope: TenantScope,
        lead_ids: &[Uuid],
        limit: u64,
    ) -> Result<HashMap<Uuid, Vec<Interaction>>, StoreError>;

    // --- Scoring ---------------------------------------------------------------------------

    /// What predicts a purchase, for every lead of an organization.
    async fn lead_signals(&self, organization_id: Uuid) -> Result<Vec<LeadSignals>, StoreError>;

    /// What predicts a purchase, for the organization's leads among `lead_ids`.
    async fn lead_signals_of(
        &self,
        organization_id: Uuid,
        lead_ids: &[Uuid],
    ) -> Result<Vec<LeadSignals>, StoreError>;

    /// Writes leads' scores under the organization's current model (a batch of leads per
    /// statement), in one transaction.
    async fn save_scores(
        &self,
        organization_id: Uuid,
        scores: &[LeadScore],
    ) -> Result<(), StoreError>;

    /// Stores a trained model and the leads' new scores (a batch of leads per statement), in
    /// one transaction.
    async fn save_scoring(
        &self,
        organization_id: Uuid,
        model: &ScoringModel,
        scores: &[LeadScore],
    ) -> Result<(), StoreError>;

    /// The organization's latest model.
    async fn scoring_model(
        &self,
        organization_id: Uuid,
    ) -> Result<Option<ScoringModel>, StoreError>;

    // --- Agent queue -----------------------------------------------------------------------

    /// An agent's open leads and the unassigned pool's, highest priority first.
    async fn agent_queue(
        &self,
        organization_id: Uuid,
        agent_id: Uuid,
        limit: u64,
    ) -> Result<Vec<Lead>, StoreError>;

    /// The organizations whose leads name `agent_id` as their agent (crm knows its agents
    /// from nothing else): how an agent id of another tenant is told apart.
    async fn agent_organizations(&self, agent_id: Uuid) -> Result<Vec<Uuid>, StoreError>;

    /// Atomically claims the agent's highest-priority unclaimed lead (theirs or unassigned);
    /// two agents never claim the same lead.
    async fn claim_next_lead(
        &self,
        organization_id: Uuid,
        agent_id: Uuid,
    ) -> Result<Option<Lead>, StoreError>;

    // --- Analytics ---------------------------------------------------------------------------

    /// Campaigns ranked by conversion (won / leads) within each organization.
    async fn campaign_conversion_ranking(
        &self,
        scope: TenantScope,
    ) -> Result<Vec<CampaignConversion>, StoreError>;

    /// Revenue per lead source channel and currency.
    async fn revenue_by_channel(
        &self,
        scope: TenantScope,
    ) -> Result<Vec<ChannelRevenue>, StoreError>;

    /// Customers within `radius_km` of `center`, nearest first.
    async fn customers_near(
        &self,
        scope: TenantScope,
        center: Point,
        radius_km: f64,
        limit: u64,
    ) -> Result<Vec<NearbyCustomer>, StoreError>;

    /// Totals of each campaign that changed after `updated_after` (what the ETL reads), oldest change first.
    async fn campaign_totals(
        &self,
        scope: TenantScope,
        updated_after: Option<chrono::DateTime<chrono::Utc>>,
        limit: u64,
    ) -> Result<Vec<CampaignTotals>, StoreError>;

    /// Leads (`sales == false`) or sales changed within `window`, in `(updated_at, id)` order,
    /// each with its (campaign, day) key and a sale's currency (the ETL's delta read; every tenant).
    async fn result_changes(
        &self,
        sales: bool,
        window: promptsales_kit::changes::ChangeWindow,
    ) -> Result<Vec<promptsales_kit::changes::Change>, StoreError>;

    /// The leads and sales of these (campaign, day) keys, counted and summed (the source truth
    /// the ETL recomputes summaries from; keys with neither are absent).
    async fn campaign_day_results(
        &self,
        keys: &[(Uuid, chrono::NaiveDate)],
    ) -> Result<Vec<CampaignDayResults>, StoreError>;

    // --- Privacy and keys ------------------------------------------------------------------

    /// Everything held about a customer (decrypted), or `None` when not visible.
    async fn export_customer(
        &self,
        scope: TenantScope,
        id: Uuid,
    ) -> Result<Option<CustomerExport>, StoreError>;

    /// Erases a customer's personal data (name, e-mail, phone, location, interaction summaries),
    /// keeping anonymous facts (leads, stages, sales); `None` when not visible.
    async fn erase_customer(
        &self,
        scope: TenantScope,
        id: Uuid,
    ) -> Result<Option<Customer>, StoreError>;

    // --- Webhook secrets --------------------------------------------------------------------

    /// Issues `secret` as the organization's webhook secret; the secrets signing until now keep
    /// signing until `now + grace` (or their earlier end), so integrations can switch.
    async fn issue_webhook_secret(
        &self,
        organization_id: Uuid,
        created_by: Option<Uuid>,
        secret: &str,
        now: chrono::DateTime<chrono::Utc>,
        grace: chrono::Duration,
    ) -> Result<WebhookSecret, StoreError>;

    /// The organization's webhook secrets (records, never the secrets), newest first.
    async fn webhook_secrets(
        &self,
        scope: TenantScope,
        organization_id: Uuid,
    ) -> Result<Vec<WebhookSecret>, StoreError>;

    /// The organization's secrets that sign requests at `now`, decrypted.
    async fn usable_webhook_secrets(
        &self,
        organization_id: Uuid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<String>, StoreError>;

    /// Revokes a webhook secret visible in `scope`; `None` when not visible.
    async fn revoke_webhook_secret(
        &self,
        scope: TenantScope,
        id: Uuid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<WebhookSecret>, StoreError>;

    /// Makes a new data key the one that seals new writes; returns its id.
    async fn rotate_data_key(&self) -> Result<String, StoreError>;

    /// Re-encrypts up to `limit` rows sealed under an older key with the active one.
    async fn reencrypt_batch(&self, limit: u64) -> Result<ReencryptReport, StoreError>;

    /// The data keys and how many rows each still seals.
    async fn key_status(&self) -> Result<KeyStatus, StoreError>;

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
