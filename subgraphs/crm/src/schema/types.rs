//! Result types of the crm's work, insight and privacy operations.

use async_graphql::{Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use promptsales_kit::Money;

use super::campaign::Campaign;
use super::customer::Customer;
use super::enums::{LeadSource, LeadStage};
use super::interaction::Interaction;
use super::lead::Lead;
use super::references::{Organization, User};
use super::sale::Sale;
use crate::store;

/// One move of a lead through the funnel: from, to, who, when.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(cache_control(max_age = 30))]
pub struct LeadStageChange {
    /// The stage change's UUIDv7.
    pub id: ID,
    /// The stage before (absent: the lead's creation).
    pub from_stage: Option<LeadStage>,
    /// The stage after.
    pub to_stage: LeadStage,
    /// The lead's version after the move.
    pub version: i32,
    /// Who moved it.
    pub changed_by: Option<User>,
    /// Why.
    pub note: Option<String>,
    /// When.
    pub changed_at: DateTime<Utc>,
}

impl From<store::StageChange> for LeadStageChange {
    fn from(c: store::StageChange) -> Self {
        Self {
            id: ID(c.id.to_string()),
            from_stage: c.from.map(Into::into),
            to_stage: c.to.into(),
            version: c.version,
            changed_by: c.changed_by.map(User::reference),
            note: c.note,
            changed_at: c.changed_at,
        }
    }
}

/// A reason behind a lead's score: a feature, its value, and its push on the log-odds of buying.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(cache_control(max_age = 60))]
pub struct LeadScoreReason {
    /// The feature (`interactions`, `mean_sentiment`, `ad_clicks`...).
    pub feature: String,
    /// The lead's value of it.
    pub value: f64,
    /// Its contribution to the log-odds (positive raises the score).
    pub contribution: f64,
}

impl From<store::ScoreReason> for LeadScoreReason {
    fn from(r: store::ScoreReason) -> Self {
        Self {
            feature: r.feature,
            value: r.value,
            contribution: r.contribution,
        }
    }
}

/// A feature's weight in a scoring model (over standardised values).
#[derive(SimpleObject, Debug, Clone)]
#[graphql(cache_control(max_age = 60))]
pub struct LeadFeatureWeight {
    /// The feature.
    pub feature: String,
    /// Its weight; positive raises the probability of buying.
    pub weight: f64,
}

/// An organization's lead-scoring model and its quality on held-out leads.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(cache_control(max_age = 60))]
pub struct LeadScoringModel {
    /// Area under the ROC curve on the held-out leads (0.5 = a guess, 1 = perfect).
    pub auc: Option<f64>,
    /// Closed leads trained on.
    pub train_leads: i32,
    /// Closed leads held out to measure the AUC.
    pub test_leads: i32,
    /// The features and their weights.
    pub weights: Vec<LeadFeatureWeight>,
    /// When it was trained.
    pub trained_at: DateTime<Utc>,
}

impl From<store::ScoringModel> for LeadScoringModel {
    fn from(m: store::ScoringModel) -> Self {
        Self {
            auc: m.auc,
            train_leads: i32::try_from(m.train_leads).unwrap_or(i32::MAX),
            test_leads: i32::try_from(m.test_leads).unwrap_or(i32::MAX),
            weights: m
                .features
                .iter()
                .zip(&m.weights)
                .map(|(f, w)| LeadFeatureWeight {
                    feature: f.clone(),
                    weight: *w,
                })
                .collect(),
            trained_at: m.trained_at,
        }
    }
}

/// What a lead capture did: the customer and lead, and whether each was new or merged into.
pub struct LeadCaptureResult {
    /// The customer.
    pub customer: store::Customer,
    /// The lead.
    pub lead: store::Lead,
    /// Whether the customer was new.
    pub new_customer: bool,
    /// Whether the lead was new.
    pub new_lead: bool,
}

/// What a lead capture did: the customer and lead, and whether each was new or merged into.
#[Object(cache_control(max_age = 0, private))]
impl LeadCaptureResult {
    /// The customer (known by e-mail, or new).
    async fn customer(&self) -> Customer {
        Customer(self.customer.clone())
    }

    /// The lead (the customer's open lead of the campaign, or new).
    async fn lead(&self) -> Lead {
        Lead::new(self.lead.clone())
    }

    /// Whether the customer was new.
    async fn new_customer(&self) -> bool {
        self.new_customer
    }

    /// Whether the lead was new (false: merged into an open lead).
    async fn new_lead(&self) -> bool {
        self.new_lead
    }
}

/// A lead in an agent's queue with its priority now.
pub struct QueuedLead {
    /// The lead.
    pub lead: store::Lead,
    /// Its priority now.
    pub priority: f64,
}

/// A lead in an agent's queue with its priority now (intent, value and waiting time).
#[Object(cache_control(max_age = 10, private))]
impl QueuedLead {
    /// The lead.
    async fn lead(&self) -> Lead {
        Lead::new(self.lead.clone())
    }

    /// 60 x intent + 40 x value / (value + 1,000) + hours waiting.
    async fn priority(&self) -> f64 {
        self.priority
    }

    /// Since when it waits (its last outbound contact, else its creation).
    async fn waiting_since(&self) -> DateTime<Utc> {
        self.lead.waiting_since()
    }
}

/// What happened to a lead in the queue.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadQueueEventKind {
    /// A lead entered the queue.
    New,
    /// Its priority changed.
    Reprioritised,
    /// An agent claimed it.
    Claimed,
    /// It left the queue (won or lost).
    Closed,
}

impl From<crate::queue_bus::QueueEventKind> for LeadQueueEventKind {
    fn from(kind: crate::queue_bus::QueueEventKind) -> Self {
        use crate::queue_bus::QueueEventKind as K;
        match kind {
            K::New => Self::New,
            K::Reprioritised => Self::Reprioritised,
            K::Claimed => Self::Claimed,
            K::Closed => Self::Closed,
        }
    }
}

/// A change of an agent's queue, pushed live.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(cache_control(max_age = 0, private))]
pub struct LeadQueueEvent {
    /// What happened.
    pub kind: LeadQueueEventKind,
    /// The lead's id.
    pub lead_id: ID,
    /// The agent it is assigned to (absent: the unassigned pool).
    pub agent: Option<User>,
    /// Its priority when the event was sent.
    pub priority: Option<f64>,
}

/// A campaign's conversion and its rank among its organization's campaigns.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(cache_control(max_age = 60))]
pub struct CrmCampaignConversion {
    /// The organization.
    pub organization: Organization,
    /// The campaign.
    pub campaign: Campaign,
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

impl From<store::CampaignConversion> for CrmCampaignConversion {
    fn from(c: store::CampaignConversion) -> Self {
        Self {
            organization: Organization::reference(c.organization_id),
            campaign: Campaign { id: c.campaign_id },
            leads: c.leads,
            won: c.won,
            lost: c.lost,
            conversion_rate: c.conversion_rate,
            rank: c.rank,
        }
    }
}

/// Revenue brought by one source channel in one currency.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(cache_control(max_age = 60))]
pub struct CrmChannelRevenue {
    /// The source channel of the sales' leads (absent: sales without a lead).
    pub source: Option<LeadSource>,
    /// Sum of the sales.
    pub revenue: Money,
    /// Number of sales.
    pub sales: i64,
}

/// A customer and its distance from a point.
pub struct NearbyCustomer(pub store::NearbyCustomer);

/// A customer and its distance from a point.
#[Object(cache_control(max_age = 30, private))]
impl NearbyCustomer {
    /// The customer.
    async fn customer(&self) -> Customer {
        Customer(self.0.customer.clone())
    }

    /// Great-circle distance in kilometres.
    async fn distance_km(&self) -> f64 {
        self.0.distance_km
    }
}

/// A campaign's crm totals, as the ETL reads them (a row per campaign changed since a watermark).
#[derive(SimpleObject, Debug, Clone)]
#[graphql(cache_control(max_age = 0))]
pub struct CrmCampaignTotals {
    /// The organization.
    pub organization: Organization,
    /// The campaign.
    pub campaign: Campaign,
    /// Leads.
    pub leads: i64,
    /// Leads at SQL or beyond (SQL, opportunity, won).
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
    /// The latest change among its leads and sales: the next watermark.
    pub updated_at: DateTime<Utc>,
}

impl From<store::CampaignTotals> for CrmCampaignTotals {
    fn from(t: store::CampaignTotals) -> Self {
        Self {
            organization: Organization::reference(t.organization_id),
            campaign: Campaign { id: t.campaign_id },
            leads: t.leads,
            qualified: t.qualified,
            won: t.won,
            lost: t.lost,
            customers: t.customers,
            sales: t.sales,
            revenue: t.revenue,
            updated_at: t.updated_at,
        }
    }
}

/// Everything held about one person (a GDPR/CCPA access request).
pub struct CustomerDataExport(pub store::CustomerExport, pub DateTime<Utc>);

/// Everything held about one person (a GDPR/CCPA access request).
#[Object(cache_control(max_age = 0, private))]
impl CustomerDataExport {
    /// The customer, personal data in clear.
    async fn customer(&self) -> Customer {
        Customer(self.0.customer.clone())
    }

    /// Its leads.
    async fn leads(&self) -> Vec<Lead> {
        self.0.leads.iter().cloned().map(Lead::new).collect()
    }

    /// Every stage move of its leads.
    async fn stage_changes(&self) -> Vec<LeadStageChange> {
        self.0
            .stage_changes
            .iter()
            .cloned()
            .map(Into::into)
            .collect()
    }

    /// Its interactions, summaries in clear.
    async fn interactions(&self) -> Vec<Interaction> {
        self.0
            .interactions
            .iter()
            .cloned()
            .map(Interaction)
            .collect()
    }

    /// Its sales.
    async fn sales(&self) -> Vec<Sale> {
        self.0.sales.iter().cloned().map(Sale).collect()
    }

    /// When the export was made.
    async fn exported_at(&self) -> DateTime<Utc> {
        self.1
    }
}

/// What a re-encryption batch did.
#[derive(SimpleObject, Debug, Clone, Copy)]
#[graphql(cache_control(max_age = 0))]
pub struct CrmReencryptionReport {
    /// Customers re-encrypted with the active data key.
    pub customers: i64,
    /// Interactions re-encrypted.
    pub interactions: i64,
    /// Rows still sealed under an older key.
    pub remaining: i64,
}

impl From<store::ReencryptReport> for CrmReencryptionReport {
    fn from(r: store::ReencryptReport) -> Self {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        Self {
            customers: n(r.customers),
            interactions: n(r.interactions),
            remaining: n(r.remaining),
        }
    }
}

/// A data key and what it still seals.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(cache_control(max_age = 0))]
pub struct CrmDataKey {
    /// Its id (recorded in every row it seals).
    pub id: String,
    /// Whether it seals new writes.
    pub active: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Customers it seals.
    pub customers: i64,
    /// Interactions it seals.
    pub interactions: i64,
}

/// The personal-data keys: which seals new writes, and how far re-encryption is.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(cache_control(max_age = 0))]
pub struct CrmKeyStatus {
    /// The active data key.
    pub active_key_id: String,
    /// SHA-256 fingerprint of the certificate key that wraps the data keys.
    pub certificate_fingerprint: String,
    /// Every data key, newest first.
    pub data_keys: Vec<CrmDataKey>,
    /// Rows still under the legacy single key.
    pub legacy_rows: i64,
}

impl From<store::KeyStatus> for CrmKeyStatus {
    fn from(s: store::KeyStatus) -> Self {
        Self {
            active_key_id: s.active_key_id,
            certificate_fingerprint: s.kek_fingerprint,
            data_keys: s
                .data_keys
                .into_iter()
                .map(|k| CrmDataKey {
                    id: k.id,
                    active: k.active,
                    created_at: k.created_at,
                    customers: k.customers,
                    interactions: k.interactions,
                })
                .collect(),
            legacy_rows: s.legacy_rows,
        }
    }
}

/// The copilot's suggested next reply to a lead.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(cache_control(max_age = 0, private))]
pub struct LeadReplySuggestion {
    /// The reply to send.
    pub text: String,
    /// The model that wrote it (`template` for the offline default).
    pub model: String,
    /// Served from the AI cache.
    pub from_cache: bool,
    /// The interaction recorded when the reply was used (`send: true`).
    pub interaction: Option<InteractionRef>,
}

/// A reference to a recorded interaction.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(cache_control(max_age = 0, private))]
pub struct InteractionRef {
    /// The recorded interaction's UUIDv7.
    pub id: ID,
}

/// An organization's lead-capture webhook secret, as recorded (the secret itself is shown once,
/// when it is issued).
#[derive(SimpleObject, Debug, Clone)]
#[graphql(cache_control(max_age = 0, private))]
pub struct CrmWebhookSecret {
    /// The secret's UUIDv7: what `revokeCrmWebhookSecret` takes (not the secret itself).
    pub id: ID,
    /// The organization whose requests it signs.
    pub organization_id: ID,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops signing (set when a rotation replaced it: the grace period's end).
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Whether it signs requests now.
    pub active: bool,
}

impl CrmWebhookSecret {
    /// The record as seen at `now`.
    pub fn at(secret: &store::WebhookSecret, now: DateTime<Utc>) -> Self {
        Self {
            id: ID(secret.id.to_string()),
            organization_id: ID(secret.organization_id.to_string()),
            created_at: secret.created_at,
            expires_at: secret.expires_at,
            revoked_at: secret.revoked_at,
            active: secret.usable_at(now),
        }
    }
}

/// A newly issued webhook secret: the only time it is shown.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(cache_control(max_age = 0, private))]
pub struct IssuedCrmWebhookSecret {
    /// The secret (HMAC-SHA256 key of `x-promptsales-signature`); store it now, it is never
    /// shown again.
    pub secret: String,
    /// Its record.
    pub webhook_secret: CrmWebhookSecret,
    /// Until when the secrets it replaces keep signing (absent when none did).
    pub previous_valid_until: Option<DateTime<Utc>>,
}
