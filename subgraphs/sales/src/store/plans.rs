//! Store types of plans, subscriptions and usage.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Decimal4, StoreError};
use uuid::Uuid;

use super::WriteError;
use super::audit::NewAuditEntry;
use crate::domain::subscription::{BillingCycle, FeatureKind, LiveFeature, Period};

/// A feature of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanFeature {
    /// Its name (`active_campaigns`, `ai_generations_per_month`).
    pub name: String,
    /// What kind.
    pub kind: FeatureKind,
    /// The limit, quota, or 0/1 for flags.
    pub value: i64,
    /// The unit (`campaigns`, `generations`).
    pub unit: Option<String>,
}

/// A plan of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Its stable code (`content-starter`).
    pub code: String,
    /// Shown to people; the `code` is what stays stable.
    pub name: String,
    /// `content`, `ads`, `crm` or `all`.
    pub subsystem: String,
    /// How often it bills.
    pub billing_cycle: BillingCycle,
    /// Price per cycle.
    pub price: Decimal4,
    /// ISO 4217 currency.
    pub currency: String,
    /// Free days before billing.
    pub trial_days: i32,
    /// Users allowed.
    pub max_users: i32,
    /// Whether new subscriptions may choose it.
    pub active: bool,
    /// Its features.
    pub features: Vec<PlanFeature>,
}

/// An organization's subscription to a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Its organization.
    pub organization_id: Uuid,
    /// The plan.
    pub plan_id: Uuid,
    /// The plan's subsystem (one live subscription per subsystem).
    pub subsystem: String,
    /// Status and current period.
    pub period: Period,
    /// When it began.
    pub started_at: DateTime<Utc>,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Whether it renews itself.
    pub auto_renew: bool,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Usage of a quota feature in the current period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// The subscription it counts against.
    pub subscription_id: Uuid,
    /// The feature.
    pub feature: String,
    /// Used so far.
    pub used: i64,
    /// When it was last reset (the period start).
    pub last_reset_at: DateTime<Utc>,
}

/// Why usage was not added.
#[derive(Debug)]
pub enum UsageError {
    /// No live subscription carries the feature as a quota.
    NoQuota,
    /// Over the limit: what was used before.
    Over {
        /// Used before.
        used: i64,
    },
    /// Any other failure.
    Write(WriteError),
}

impl From<StoreError> for UsageError {
    fn from(err: StoreError) -> Self {
        Self::Write(err.into())
    }
}

/// The plans store.
#[async_trait]
pub trait PlanStore: Send + Sync {
    /// Inserts a plan with its features.
    async fn insert_plan(&self, plan: Plan) -> Result<Plan, WriteError>;
    /// The catalogue (only active plans when asked), by code.
    async fn plans(&self, only_active: bool) -> Result<Vec<Plan>, StoreError>;
    /// The plans among `ids`.
    async fn plans_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Plan>, StoreError>;
    /// An organization's subscriptions in scope, newest first.
    async fn subscriptions_of(
        &self,
        scope: TenantScope,
        organization_id: Uuid,
    ) -> Result<Vec<Subscription>, StoreError>;
    /// A subscription by id in scope.
    async fn subscription(
        &self,
        scope: TenantScope,
        id: Uuid,
    ) -> Result<Option<Subscription>, StoreError>;
    /// Inserts a subscription with its audit entry; a second live one for the same subsystem is a conflict.
    async fn insert_subscription(
        &self,
        subscription: Subscription,
        audit: NewAuditEntry,
    ) -> Result<Subscription, WriteError>;
    /// Writes a new period / status if the subscription is unchanged since `version`;
    /// a renewal resets its quotas.
    async fn update_subscription(
        &self,
        scope: TenantScope,
        subscription: Subscription,
        version: DateTime<Utc>,
        reset_usage: bool,
        audit: NewAuditEntry,
    ) -> Result<Subscription, WriteError>;
    /// The features of an organization's live subscriptions (every organization's with `None`).
    async fn live_features(
        &self,
        scope: TenantScope,
        organization_id: Option<Uuid>,
    ) -> Result<Vec<(Uuid, LiveFeature)>, StoreError>;
    /// How many of an organization's campaigns are active.
    async fn active_campaigns(
        &self,
        scope: TenantScope,
        organization_id: Uuid,
    ) -> Result<i64, StoreError>;
    /// Adds `amount` to a quota of the live subscription carrying `feature`, atomically and
    /// never over its value.
    async fn add_usage(
        &self,
        scope: TenantScope,
        organization_id: Uuid,
        feature: &str,
        amount: i64,
    ) -> Result<Usage, UsageError>;
    /// The quota usage of an organization's live subscriptions.
    async fn usage_of(
        &self,
        scope: TenantScope,
        organization_id: Uuid,
    ) -> Result<Vec<Usage>, StoreError>;
}
