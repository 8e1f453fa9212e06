//! The store's own result and command types (beyond the domain's entities).

use chrono::{DateTime, Utc};
use promptsales_kit::{ApiError, Decimal4, Money, StoreError};
use uuid::Uuid;

use super::{Customer, Interaction, Invalid, Lead, LeadSource, LeadStage, Sale, ScoreReason};

/// Why an update was refused.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// A field is invalid (a move the funnel does not allow, for one).
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The row is not visible.
    #[error("{entity} {id} was not found")]
    NotFound {
        /// The entity.
        entity: &'static str,
        /// The id that was looked for.
        id: Uuid,
    },
    /// Someone changed the row since the caller read it.
    #[error("{0}")]
    Conflict(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<UpdateError> for ApiError {
    fn from(err: UpdateError) -> Self {
        match err {
            UpdateError::Invalid(invalid) => invalid.into(),
            UpdateError::NotFound { entity, id } => ApiError::not_found(entity, id),
            UpdateError::Conflict(message) => ApiError::Conflict(message),
            UpdateError::Store(e) => ApiError::from(e),
        }
    }
}

/// A stage move requested by a caller who read the lead at `expected_version`.
#[derive(Debug, Clone, PartialEq)]
pub struct StageMove {
    /// The lead.
    pub lead_id: Uuid,
    /// The version the caller saw.
    pub expected_version: i32,
    /// The new stage.
    pub to: LeadStage,
    /// Who moves it.
    pub by: Option<Uuid>,
    /// Why.
    pub note: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// One recorded stage move.
#[derive(Debug, Clone, PartialEq)]
pub struct StageChange {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// The lead.
    pub lead_id: Uuid,
    /// The stage before (absent for the lead's creation).
    pub from: Option<LeadStage>,
    /// The stage after.
    pub to: LeadStage,
    /// The lead's version after the move.
    pub version: i32,
    /// Who moved it.
    pub changed_by: Option<Uuid>,
    /// Why.
    pub note: Option<String>,
    /// When.
    pub changed_at: DateTime<Utc>,
}

/// A signed webhook request, remembered (for the replay window) once its capture commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// What names the exact request (its signature).
    pub key: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// How long deliveries are remembered.
    pub keep: chrono::Duration,
}

/// A lead's new score from a model.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadScore {
    /// The lead.
    pub lead_id: Uuid,
    /// 0..=100.
    pub score: i32,
    /// 0..=1.
    pub purchase_intent: f64,
    /// Why.
    pub reasons: Vec<ScoreReason>,
    /// The new queue key.
    pub queue_key: f64,
    /// Which model scored it.
    pub scored_by: String,
}

/// A campaign's conversion and its rank among its organization's campaigns.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignConversion {
    /// The organization.
    pub organization_id: Uuid,
    /// The campaign.
    pub campaign_id: Uuid,
    /// Its leads.
    pub leads: i64,
    /// Won.
    pub won: i64,
    /// Lost.
    pub lost: i64,
    /// won / leads.
    pub conversion_rate: f64,
    /// 1 for the best converting campaign of the organization (ties share a rank).
    pub rank: i64,
}

/// Revenue brought by one source channel in one currency.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelRevenue {
    /// The source channel of the sales' leads (absent: sales without a lead).
    pub source: Option<LeadSource>,
    /// Sum.
    pub revenue: Money,
    /// Number of sales.
    pub sales: i64,
}

/// A customer and its distance from the search's centre.
#[derive(Debug, Clone, PartialEq)]
pub struct NearbyCustomer {
    /// The customer.
    pub customer: Customer,
    /// Great-circle distance, km.
    pub distance_km: f64,
}

/// A campaign's crm totals, as the ETL reads them.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignTotals {
    /// The organization.
    pub organization_id: Uuid,
    /// The campaign.
    pub campaign_id: Uuid,
    /// Leads.
    pub leads: i64,
    /// Leads that reached SQL or beyond (SQL, opportunity, won).
    pub qualified: i64,
    /// Won leads.
    pub won: i64,
    /// Lost leads.
    pub lost: i64,
    /// Distinct customers with a lead.
    pub customers: i64,
    /// Number of sales.
    pub sales: i64,
    /// Revenue per currency.
    pub revenue: Vec<Money>,
    /// The latest change among its leads and sales (the ETL's watermark).
    pub updated_at: DateTime<Utc>,
}

/// Everything held about one person.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerExport {
    /// The customer (decrypted).
    pub customer: Customer,
    /// Its leads.
    pub leads: Vec<Lead>,
    /// The leads' stage histories.
    pub stage_changes: Vec<StageChange>,
    /// Its interactions (decrypted).
    pub interactions: Vec<Interaction>,
    /// Its sales.
    pub sales: Vec<Sale>,
}

/// What a re-encryption batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReencryptReport {
    /// Customers re-encrypted.
    pub customers: u64,
    /// Interactions re-encrypted.
    pub interactions: u64,
    /// Rows still sealed under an older key.
    pub remaining: u64,
}

/// One stored data key and what it still seals.
#[derive(Debug, Clone, PartialEq)]
pub struct DataKeyUse {
    /// The data key's id (32 hex digits, as in the keyring).
    pub id: String,
    /// Whether it seals new writes.
    pub active: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Customers sealed with it.
    pub customers: i64,
    /// Interactions sealed with it.
    pub interactions: i64,
}

/// The key ring as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyStatus {
    /// The data key that seals new writes.
    pub active_key_id: String,
    /// Fingerprint of the certificate key that wraps the data keys.
    pub kek_fingerprint: String,
    /// Every data key, newest first.
    pub data_keys: Vec<DataKeyUse>,
    /// Rows sealed under the legacy single key (before envelope encryption).
    pub legacy_rows: i64,
}

/// Revenue `amount` raw ten-thousandths in `currency`.
pub(crate) fn money(raw: i64, currency: String) -> Money {
    Money {
        amount: Decimal4(raw),
        currency,
    }
}

/// One (campaign, day) key's results, recomputed from the leads and sales (what the ETL reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignDayResults {
    /// The tenant.
    pub organization_id: Uuid,
    /// The campaign.
    pub campaign_id: Uuid,
    /// The day (a lead's creation, a sale's close, UTC).
    pub day: chrono::NaiveDate,
    /// Leads created that day.
    pub leads: i64,
    /// Of those, the ones at SQL or beyond (SQL, opportunity, won).
    pub qualified: i64,
    /// Of those, the ones won.
    pub won: i64,
    /// Sales closed that day: amount (ten-thousandths) per currency code, as stored.
    pub revenue: Vec<(String, i64)>,
}

impl CampaignDayResults {
    /// A key with nothing yet.
    pub fn empty(organization_id: Uuid, campaign_id: Uuid, day: chrono::NaiveDate) -> Self {
        Self {
            organization_id,
            campaign_id,
            day,
            leads: 0,
            qualified: 0,
            won: 0,
            revenue: Vec::new(),
        }
    }
}
