//! Store types of money: budget movements, payment methods and transactions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Decimal4, Page, PageRequest, StoreError};
use uuid::Uuid;

use super::WriteError;
use super::audit::NewAuditEntry;
use crate::domain::campaign::Budget;
use crate::domain::money::{Delta, MovementKind, TransactionKind, TransactionStatus};

/// A movement of a campaign's budget, with the balance it left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetMovement {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Its organization.
    pub organization_id: Uuid,
    /// The campaign whose budget moved.
    pub campaign_id: Uuid,
    /// What kind.
    pub kind: MovementKind,
    /// The amount (negative only for downward adjustments).
    pub amount: Decimal4,
    /// The budget after it.
    pub budget_after: Budget,
    /// The subsystem it came from.
    pub source_subsystem: String,
    /// The source's reference (an ad id, an invoice).
    pub reference: Option<String>,
    /// Who recorded it.
    pub actor_id: Option<Uuid>,
    /// The transaction that paid for it.
    pub transaction_id: Option<Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl BudgetMovement {
    /// The balance it left.
    pub fn balance_after(&self) -> Decimal4 {
        self.budget_after.available()
    }
}

/// A movement to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMovement {
    /// The campaign.
    pub campaign_id: Uuid,
    /// What kind.
    pub kind: MovementKind,
    /// The amount as given.
    pub amount: Decimal4,
    /// Its effect on total and spent (from the domain).
    pub delta: Delta,
    /// The subsystem it came from.
    pub source_subsystem: String,
    /// The source's reference.
    pub reference: Option<String>,
    /// Who recorded it.
    pub actor_id: Option<Uuid>,
}

/// Why a movement was not applied.
#[derive(Debug)]
pub enum MovementError {
    /// The budget, as it is now, cannot take it (the domain says why).
    Refused(Budget),
    /// Any other write failure.
    Write(WriteError),
}

impl From<WriteError> for MovementError {
    fn from(err: WriteError) -> Self {
        Self::Write(err)
    }
}

impl From<StoreError> for MovementError {
    fn from(err: StoreError) -> Self {
        Self::Write(err.into())
    }
}

/// A stored payment method: the provider's token and what a person recognises it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethod {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Its organization.
    pub organization_id: Uuid,
    /// Provider.
    pub provider: String,
    /// The provider's token (never a card number).
    pub provider_token: String,
    /// Card brand.
    pub brand: String,
    /// Last four digits.
    pub last_four: String,
    /// Expiry month.
    pub exp_month: i32,
    /// Expiry year.
    pub exp_year: i32,
    /// Whether it may be charged.
    pub active: bool,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

/// A payment with a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Its organization.
    pub organization_id: Uuid,
    /// What it pays for.
    pub kind: TransactionKind,
    /// The campaign funded (campaign budget payments).
    pub campaign_id: Option<Uuid>,
    /// The subscription paid (subscription payments).
    pub subscription_id: Option<Uuid>,
    /// The method charged.
    pub payment_method_id: Option<Uuid>,
    /// The amount.
    pub amount: Decimal4,
    /// Its currency.
    pub currency: String,
    /// Where it stands.
    pub status: TransactionStatus,
    /// The provider's reference.
    pub provider_reference: Option<String>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// The money store.
#[async_trait]
pub trait MoneyStore: Send + Sync {
    /// Applies a movement to its campaign's budget atomically (row lock on
    /// PostgreSQL, a conditional update everywhere) and records it with its audit entry.
    async fn apply_movement(
        &self,
        scope: TenantScope,
        movement: NewMovement,
        audit: NewAuditEntry,
    ) -> Result<BudgetMovement, MovementError>;
    /// A page of a campaign's movements, oldest first.
    async fn movements_of_campaign(
        &self,
        scope: TenantScope,
        campaign_id: Uuid,
        page: PageRequest,
    ) -> Result<Page<BudgetMovement>, StoreError>;
    /// Adds a payment method (validated by the domain) with its audit entry.
    async fn insert_payment_method(
        &self,
        method: PaymentMethod,
        audit: NewAuditEntry,
    ) -> Result<PaymentMethod, WriteError>;
    /// Marks a payment method inactive with its audit entry.
    async fn deactivate_payment_method(
        &self,
        scope: TenantScope,
        id: Uuid,
        audit: NewAuditEntry,
    ) -> Result<PaymentMethod, WriteError>;
    /// The payment methods of an organization in scope, by id.
    async fn payment_methods(
        &self,
        scope: TenantScope,
        organization_id: Uuid,
    ) -> Result<Vec<PaymentMethod>, StoreError>;
    /// Records a transaction; a succeeded campaign-budget payment also deposits
    /// its amount into the campaign (`deposit`), all or nothing.
    async fn record_transaction(
        &self,
        scope: TenantScope,
        transaction: Transaction,
        deposit: Option<NewMovement>,
        audit: NewAuditEntry,
    ) -> Result<(Transaction, Option<BudgetMovement>), MovementError>;
    /// A page of an organization's transactions in scope, newest last.
    async fn transactions(
        &self,
        scope: TenantScope,
        organization_id: Uuid,
        page: PageRequest,
    ) -> Result<Page<Transaction>, StoreError>;
}
