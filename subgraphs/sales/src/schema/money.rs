//! Money in GraphQL: budget movements, payment methods and transactions.

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use promptsales_kit::StrEnum;
use promptsales_kit::context::Role;
use promptsales_kit::{
    ApiError, Decimal4, Money, PageRequest, RequestContext, ResultExt, new_id, parse_id,
};
use serde_json::json;

use crate::audit::{self, Severity};
use crate::domain::error::PortalError;
use crate::domain::{self, access, money};
use crate::store;
use crate::store::money::{MovementError, NewMovement};

/// Kinds of budget movement.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::money::MovementKind")]
pub enum BudgetMovementKind {
    /// Money added to the budget.
    Deposit,
    /// Money spent.
    Spend,
    /// Spent money returned.
    Refund,
    /// A correction of the total, up or down.
    Adjustment,
}

/// A movement of a campaign's budget and the balance it left.
pub struct BudgetMovement(pub store::money::BudgetMovement, pub String);

/// A movement of a campaign's budget and the balance it left.
#[Object(cache_control(max_age = 30))]
impl BudgetMovement {
    /// The movement's UUIDv7.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The campaign whose budget moved.
    async fn campaign_id(&self) -> ID {
        ID(self.0.campaign_id.to_string())
    }

    /// What kind.
    async fn kind(&self) -> BudgetMovementKind {
        self.0.kind.into()
    }

    /// The amount (negative only for downward adjustments).
    async fn amount(&self) -> Money {
        self.money(self.0.amount)
    }

    /// The balance (total - spent) after it; never negative.
    async fn balance_after(&self) -> Money {
        self.money(self.0.balance_after())
    }

    /// The total budget after it.
    async fn total_after(&self) -> Money {
        self.money(self.0.budget_after.total)
    }

    /// The spent amount after it.
    async fn spent_after(&self) -> Money {
        self.money(self.0.budget_after.spent)
    }

    /// The subsystem it came from (`sales`, `ads`, `crm`, `content`).
    async fn source_subsystem(&self) -> &str {
        &self.0.source_subsystem
    }

    /// The source's reference.
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }

    /// The transaction that paid for it.
    async fn transaction_id(&self) -> Option<ID> {
        self.0.transaction_id.map(|id| ID(id.to_string()))
    }

    /// When.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

impl BudgetMovement {
    fn money(&self, amount: Decimal4) -> Money {
        Money {
            amount,
            currency: self.1.clone(),
        }
    }
}

/// A movement to record.
#[derive(InputObject)]
pub struct BudgetMovementInput {
    /// The campaign.
    pub campaign_id: ID,
    /// What kind.
    pub kind: BudgetMovementKind,
    /// The amount (> 0; adjustments may be negative).
    pub amount: Decimal4,
    /// Where it comes from: `sales`, `ads`, `crm` or `content`.
    #[graphql(default_with = "String::from(\"sales\")")]
    pub source_subsystem: String,
    /// The source's reference (an ad id, an invoice).
    pub reference: Option<String>,
}

fn context<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a RequestContext> {
    ctx.data::<RequestContext>()
}

/// What a refused movement means: the domain explains it against the current budget.
fn movement_error(err: MovementError, delta: money::Delta) -> async_graphql::Error {
    match err {
        MovementError::Refused(budget) => match money::apply(budget, delta) {
            Err(e) => e.into(),
            // The budget moved between the refusal and its reading: the caller may retry.
            Ok(_) => ApiError::Conflict("the budget changed meanwhile; retry".into()).into(),
        },
        MovementError::Write(e) => PortalError::from(e).into(),
    }
}

/// `recordBudgetMovement`: applies a movement to a campaign's budget.
pub async fn record_movement(
    ctx: &Context<'_>,
    input: BudgetMovementInput,
) -> async_graphql::Result<BudgetMovement> {
    let context = context(ctx)?;
    access::require(context, Role::Write)?;
    let campaign_id = parse_id("input.campaignId", &input.campaign_id)?;
    let kind: money::MovementKind = input.kind.into();
    let delta = money::delta(kind, input.amount)?;
    let (source, reference) = money::source(&input.source_subsystem, input.reference.as_deref())?;
    let store = super::store(ctx)?;
    let entry = audit::entry(
        context,
        audit::origin(ctx),
        "budget.movement",
        "Campaign",
        Some(campaign_id.to_string()),
        Severity::Warning,
        json!({"kind": kind.as_str(), "amount": input.amount.to_string(), "source": source, "reference": reference}),
    );
    let movement = NewMovement {
        campaign_id,
        kind,
        amount: input.amount,
        delta,
        source_subsystem: source,
        reference,
        actor_id: context.user,
    };
    let campaign = store
        .campaigns_by_ids(context.scope(), &[campaign_id])
        .await
        .api()?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("Campaign", campaign_id))?;
    crate::domain::campaign::check_budget_movement(campaign.status, context)?;
    let currency = campaign.currency;
    let applied = store
        .apply_movement(context.scope(), movement, entry)
        .await
        .map_err(|e| movement_error(e, delta))?;
    // The movement changed the campaign's budget without returning the campaign: name it,
    // so the router drops every cached response holding it (its total, spent, available).
    promptsales_kit::cache_hints::tag_changed(ctx, "Campaign", &campaign_id.to_string());
    Ok(BudgetMovement(applied, currency))
}

/// A campaign's movements, oldest first (the `Campaign.budgetMovements` field).
pub async fn movements(
    ctx: &Context<'_>,
    campaign: &store::Campaign,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Connection<String, BudgetMovement>> {
    let context = context(ctx)?;
    access::require(context, Role::Read)?;
    let page = PageRequest::new(first, after)?;
    let rows = super::store(ctx)?
        .movements_of_campaign(context.scope(), campaign.id, page)
        .await
        .api()?;
    let currency = campaign.currency.clone();
    Ok(rows.into_connection(&page, |m| m.id, |m| BudgetMovement(m, currency.clone())))
}

/// A payment method: the provider's token and what a person recognises it by.
pub struct PaymentMethod(pub store::money::PaymentMethod);

/// A payment method: the provider's token and what a person recognises it by (never a card number).
#[Object(cache_control(max_age = 60, private))]
impl PaymentMethod {
    /// The payment method's UUIDv7.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Payment provider.
    async fn provider(&self) -> &str {
        &self.0.provider
    }

    /// Card brand.
    async fn brand(&self) -> &str {
        &self.0.brand
    }

    /// Last four digits.
    async fn last_four(&self) -> &str {
        &self.0.last_four
    }

    /// Expiry month.
    async fn exp_month(&self) -> i32 {
        self.0.exp_month
    }

    /// Expiry year.
    async fn exp_year(&self) -> i32 {
        self.0.exp_year
    }

    /// Whether it may be charged.
    async fn active(&self) -> bool {
        self.0.active
    }

    /// When it was added.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A payment method to add: the provider's token, never the card number.
#[derive(InputObject)]
pub struct PaymentMethodInput {
    /// The organization.
    pub organization_id: ID,
    /// Payment provider (`stripe`, `adyen`, ...).
    pub provider: String,
    /// The provider's token for the card.
    pub provider_token: String,
    /// Card brand.
    pub brand: String,
    /// Last four digits.
    pub last_four: String,
    /// Expiry month (1-12).
    pub exp_month: i32,
    /// Expiry year (four digits).
    pub exp_year: i32,
}

/// `addPaymentMethod`.
pub async fn add_payment_method(
    ctx: &Context<'_>,
    input: PaymentMethodInput,
) -> async_graphql::Result<PaymentMethod> {
    let context = context(ctx)?;
    access::require(context, Role::Admin)?;
    let organization_id = parse_id("input.organizationId", &input.organization_id)?;
    let valid = money::validate_payment_method(
        money::PaymentMethodInput {
            provider: input.provider,
            provider_token: input.provider_token,
            brand: input.brand,
            last_four: input.last_four,
            exp_month: input.exp_month,
            exp_year: input.exp_year,
        },
        Utc::now().date_naive(),
    )?;
    let (scope, store) = (context.scope(), super::store(ctx)?);
    super::writable_organization(store, scope, organization_id).await?;
    let id = new_id();
    let mut entry = audit::entry(
        context,
        audit::origin(ctx),
        "payment_method.added",
        "PaymentMethod",
        Some(id.to_string()),
        Severity::Warning,
        json!({"provider": valid.provider, "brand": valid.brand, "lastFour": valid.last_four}),
    );
    entry.organization_id = Some(organization_id);
    let method = store
        .insert_payment_method(
            store::money::PaymentMethod {
                id,
                organization_id,
                provider: valid.provider,
                provider_token: valid.provider_token,
                brand: valid.brand,
                last_four: valid.last_four,
                exp_month: valid.exp_month,
                exp_year: valid.exp_year,
                active: true,
                created_at: domain::now(),
            },
            entry,
        )
        .await
        .api()?;
    Ok(PaymentMethod(method))
}

/// `removePaymentMethod`: it stays on record (transactions point at it) but may no longer be charged.
pub async fn remove_payment_method(
    ctx: &Context<'_>,
    id: &ID,
) -> async_graphql::Result<PaymentMethod> {
    let context = context(ctx)?;
    access::require(context, Role::Admin)?;
    let id = parse_id("id", id)?;
    let entry = audit::entry(
        context,
        audit::origin(ctx),
        "payment_method.removed",
        "PaymentMethod",
        Some(id.to_string()),
        Severity::Warning,
        json!({}),
    );
    let method = super::store(ctx)?
        .deactivate_payment_method(context.scope(), id, entry)
        .await
        .api()?;
    Ok(PaymentMethod(method))
}

/// `paymentMethods`.
pub async fn payment_methods(
    ctx: &Context<'_>,
    organization_id: &ID,
) -> async_graphql::Result<Vec<PaymentMethod>> {
    let context = context(ctx)?;
    access::require(context, Role::Admin)?;
    let organization_id = parse_id("organizationId", organization_id)?;
    let rows = super::store(ctx)?
        .payment_methods(context.scope(), organization_id)
        .await
        .api()?;
    Ok(rows.into_iter().map(PaymentMethod).collect())
}

/// What a transaction pays for.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::money::TransactionKind")]
pub enum PaymentTransactionKind {
    /// A subscription fee.
    Subscription,
    /// Money for a campaign's budget.
    CampaignBudget,
}

/// Where a transaction stands with the provider.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::money::TransactionStatus")]
pub enum PaymentTransactionStatus {
    /// Sent, not settled.
    Pending,
    /// Paid.
    Succeeded,
    /// Refused by the provider.
    Failed,
    /// Paid back.
    Refunded,
}

/// A payment with a provider.
pub struct PaymentTransaction(pub store::money::Transaction);

/// A payment with a provider.
#[Object(cache_control(max_age = 30, private))]
impl PaymentTransaction {
    /// The transaction's UUIDv7.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// What it pays for.
    async fn kind(&self) -> PaymentTransactionKind {
        self.0.kind.into()
    }

    /// The campaign funded.
    async fn campaign_id(&self) -> Option<ID> {
        self.0.campaign_id.map(|id| ID(id.to_string()))
    }

    /// The subscription paid.
    async fn subscription_id(&self) -> Option<ID> {
        self.0.subscription_id.map(|id| ID(id.to_string()))
    }

    /// The method charged.
    async fn payment_method_id(&self) -> Option<ID> {
        self.0.payment_method_id.map(|id| ID(id.to_string()))
    }

    /// The amount.
    async fn amount(&self) -> Money {
        Money {
            amount: self.0.amount,
            currency: self.0.currency.clone(),
        }
    }

    /// Where it stands.
    async fn status(&self) -> PaymentTransactionStatus {
        self.0.status.into()
    }

    /// The provider's reference.
    async fn provider_reference(&self) -> Option<&str> {
        self.0.provider_reference.as_deref()
    }

    /// When it was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A transaction reported by the payment provider (its webhook, or the billing job).
#[derive(InputObject)]
pub struct PaymentTransactionInput {
    /// The organization.
    pub organization_id: ID,
    /// What it pays for.
    pub kind: PaymentTransactionKind,
    /// The campaign funded (campaign budget payments).
    pub campaign_id: Option<ID>,
    /// The subscription paid (subscription payments).
    pub subscription_id: Option<ID>,
    /// The method charged.
    pub payment_method_id: Option<ID>,
    /// The amount (> 0).
    pub amount: Decimal4,
    /// ISO 4217 currency.
    pub currency: String,
    /// Where it stands.
    pub status: PaymentTransactionStatus,
    /// The provider's reference.
    pub provider_reference: Option<String>,
}

/// `recordTransaction`: a succeeded campaign-budget payment also deposits into the campaign.
pub async fn record_transaction(
    ctx: &Context<'_>,
    input: PaymentTransactionInput,
) -> async_graphql::Result<PaymentTransaction> {
    let context = context(ctx)?;
    access::require(context, Role::Admin)?;
    let organization_id = parse_id("input.organizationId", &input.organization_id)?;
    let parse = |field: &str, id: Option<ID>| id.map(|id| parse_id(field, &id)).transpose();
    let campaign_id = parse("input.campaignId", input.campaign_id)?;
    let subscription_id = parse("input.subscriptionId", input.subscription_id)?;
    let payment_method_id = parse("input.paymentMethodId", input.payment_method_id)?;
    if input.amount.raw() <= 0 {
        return Err(ApiError::bad_input("input.amount", "the amount must be above zero").into());
    }
    let currency = domain::text::currency("input.currency", &input.currency)?;
    let kind: money::TransactionKind = input.kind.into();
    let status: money::TransactionStatus = input.status.into();
    let reference = domain::text::optional(
        "input.providerReference",
        input.provider_reference.as_deref(),
        200,
    )?;
    let (scope, store) = (context.scope(), super::store(ctx)?);
    super::writable_organization(store, scope, organization_id).await?;
    let deposit = match (kind, campaign_id) {
        (money::TransactionKind::CampaignBudget, None) => {
            return Err(ApiError::bad_input(
                "input.campaignId",
                "a campaign budget payment names its campaign",
            )
            .into());
        }
        (money::TransactionKind::CampaignBudget, Some(campaign)) => {
            let target = store
                .campaigns_by_ids(scope, &[campaign])
                .await
                .api()?
                .into_iter()
                .find(|c| c.organization_id == organization_id)
                .ok_or_else(|| ApiError::not_found("Campaign", campaign))?;
            if target.currency != currency {
                return Err(ApiError::bad_input(
                    "input.currency",
                    format!("the campaign's budget is in {}", target.currency),
                )
                .into());
            }
            (status == money::TransactionStatus::Succeeded).then(|| NewMovement {
                campaign_id: campaign,
                kind: money::MovementKind::Deposit,
                amount: input.amount,
                delta: money::Delta {
                    total: input.amount.raw(),
                    spent: 0,
                },
                source_subsystem: "sales".into(),
                reference: reference.clone(),
                actor_id: context.user,
            })
        }
        (money::TransactionKind::Subscription, _) => None,
    };
    let id = new_id();
    let mut entry = audit::entry(
        context,
        audit::origin(ctx),
        "payment.recorded",
        "PaymentTransaction",
        Some(id.to_string()),
        Severity::Warning,
        json!({"kind": kind.as_str(), "status": status.as_str(), "amount": input.amount.to_string(), "currency": currency}),
    );
    entry.organization_id = Some(organization_id);
    let delta = deposit
        .as_ref()
        .map(|d| d.delta)
        .unwrap_or(money::Delta { total: 0, spent: 0 });
    let funded = deposit.as_ref().map(|d| d.campaign_id);
    let (transaction, _) = store
        .record_transaction(
            scope,
            store::money::Transaction {
                id,
                organization_id,
                kind,
                campaign_id,
                subscription_id,
                payment_method_id,
                amount: input.amount,
                currency,
                status,
                provider_reference: reference,
                created_at: domain::now(),
            },
            deposit,
            entry,
        )
        .await
        .map_err(|e| movement_error(e, delta))?;
    // A succeeded campaign payment deposited into its budget (see record_movement).
    if let Some(campaign) = funded {
        promptsales_kit::cache_hints::tag_changed(ctx, "Campaign", &campaign.to_string());
    }
    Ok(PaymentTransaction(transaction))
}

/// `transactions`.
pub async fn transactions(
    ctx: &Context<'_>,
    organization_id: &ID,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Connection<String, PaymentTransaction>> {
    let context = context(ctx)?;
    access::require(context, Role::Admin)?;
    let organization_id = parse_id("organizationId", organization_id)?;
    let page = PageRequest::new(first, after)?;
    let rows = super::store(ctx)?
        .transactions(context.scope(), organization_id, page)
        .await
        .api()?;
    Ok(rows.into_connection(&page, |t| t.id, PaymentTransaction))
}
