//! The `Campaign` entity (owned here), its status, budget, filter and inputs.

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use promptsales_kit::ids::parse_ids;
use promptsales_kit::{ApiError, Decimal4, Money, parse_id};

use super::loaders::{
    CampaignApprovalsLoader, CampaignObjectivesLoader, CampaignPlanLoader, CampaignProductsLoader,
    CampaignReconcilesLoader, CampaignTasksLoader, OrganizationLoader, UserLoader, loader,
};
use super::objective::{CampaignObjective, CampaignObjectiveInput};
use super::organization::Organization;
use super::product::Product;
use super::user::User;
use crate::domain;
use crate::domain::campaign::{Budget, CampaignPatch};
use crate::store::{self, CampaignFilter, NewCampaign};
use promptsales_kit::ResultExt;

/// A stop of a campaign's ads that the ads subgraph has not confirmed yet.
#[derive(SimpleObject)]
#[graphql(cache_control(max_age = 0, private))]
pub struct AdsStopPending {
    /// The status the campaign moved to.
    pub status: CampaignStatus,
    /// When it did.
    pub since: DateTime<Utc>,
    /// Retries that failed so far (the changing request's own call not counted).
    pub attempts: i32,
    /// Why the last one failed.
    pub last_error: Option<String>,
    /// When sales tries again.
    pub next_attempt_at: DateTime<Utc>,
}

/// Where a campaign is in its life. New campaigns are `DRAFT`; the approval workflow moves them on.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::campaign::CampaignStatus")]
pub enum CampaignStatus {
    /// Being prepared.
    Draft,
    /// Waiting for approval.
    PendingApproval,
    /// Approved, not yet running.
    Approved,
    /// Running.
    Active,
    /// Stopped for now.
    Paused,
    /// Ran to its end.
    Completed,
    /// Stopped for good.
    Cancelled,
}

/// A campaign's budget.
#[derive(SimpleObject)]
pub struct CampaignBudget {
    /// What it may spend.
    pub total: Money,
    /// What it has spent.
    pub spent: Money,
    /// What is left (`total - spent`).
    pub available: Money,
}

/// A marketing campaign of an organization.
pub struct Campaign(pub store::Campaign);

impl Campaign {
    fn money(&self, amount: Decimal4) -> Money {
        Money {
            amount,
            currency: self.0.currency.clone(),
        }
    }
}

/// A marketing campaign of an organization.
#[Object(cache_control(max_age = 60))]
impl Campaign {
    /// The campaign's UUIDv7, its federation key: ads, crm and content know the campaign by it.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The organization that runs it.
    async fn organization(&self, ctx: &Context<'_>) -> async_graphql::Result<Organization> {
        let organization = loader::<OrganizationLoader>(ctx)?
            .load_one(self.0.organization_id)
            .await
            .api()?;
        Ok(Organization(organization.ok_or_else(|| {
            ApiError::not_found("Organization", self.0.organization_id)
        })?))
    }

    /// The user responsible for it.
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        let owner = loader::<UserLoader>(ctx)?
            .load_one(self.0.owner_id)
            .await
            .api()?;
        Ok(User(owner.ok_or_else(|| {
            ApiError::not_found("User", self.0.owner_id)
        })?))
    }

    /// Trimmed, 1 to 200 characters.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What it is about.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The one message it repeats.
    async fn key_message(&self) -> Option<&str> {
        self.0.key_message.as_deref()
    }

    /// What it should achieve, in words.
    async fn intent(&self) -> Option<&str> {
        self.0.intent.as_deref()
    }

    /// Where it is in its life.
    async fn status(&self) -> CampaignStatus {
        self.0.status.into()
    }

    /// Total, spent and available budget.
    async fn budget(&self) -> CampaignBudget {
        let budget = self.0.budget;
        CampaignBudget {
            total: self.money(budget.total),
            spent: self.money(budget.spent),
            available: self.money(budget.available()),
        }
    }

    /// Its results so far, as the ETL last summarised them (zeros before the first cycle).
    async fn performance(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<super::results::ResultFigures> {
        let context = ctx.data::<promptsales_kit::RequestContext>()?;
        let totals = super::store(ctx)?
            .campaign_performance(context.scope(), &[self.0.id])
            .await
            .api()?
            .remove(&self.0.id)
            .unwrap_or_default();
        Ok(super::results::ResultFigures::new(
            totals,
            self.0.currency.clone(),
        ))
    }

    /// ISO 4217 currency of the budget.
    async fn currency(&self) -> &str {
        &self.0.currency
    }

    /// First day.
    async fn start_date(&self) -> NaiveDate {
        self.0.start_date
    }

    /// Last day.
    async fn end_date(&self) -> NaiveDate {
        self.0.end_date
    }

    /// The industry it targets.
    async fn industry(&self) -> Option<&str> {
        self.0.industry.as_deref()
    }

    /// ISO 3166-1 alpha-2 countries it targets.
    async fn target_countries(&self) -> &[String] {
        &self.0.target_countries
    }

    /// The products it promotes.
    async fn products(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Product>> {
        let products = loader::<CampaignProductsLoader>(ctx)?
            .load_one(self.0.id)
            .await
            .api()?;
        Ok(products
            .unwrap_or_default()
            .into_iter()
            .map(Product)
            .collect())
    }

    /// What it aims at, in order.
    async fn objectives(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CampaignObjective>> {
        let objectives = loader::<CampaignObjectivesLoader>(ctx)?
            .load_one(self.0.id)
            .await
            .api()?;
        Ok(objectives
            .unwrap_or_default()
            .into_iter()
            .map(CampaignObjective)
            .collect())
    }

    /// Its approval requests, every round (oldest round first).
    async fn approvals(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::workflow::Approval>> {
        let approvals = loader::<CampaignApprovalsLoader>(ctx)?
            .load_one(self.0.id)
            .await
            .api()?;
        Ok(approvals
            .unwrap_or_default()
            .into_iter()
            .map(super::workflow::Approval)
            .collect())
    }

    /// The oldest stop of its ads (after a pause, cancellation or completion) that the ads
    /// subgraph has not confirmed yet, retried by sales with backoff until it does; null when
    /// none is pending.
    async fn ads_stop_pending(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<AdsStopPending>> {
        let pending = loader::<CampaignReconcilesLoader>(ctx)?
            .load_one(self.0.id)
            .await
            .api()?;
        Ok(pending
            .unwrap_or_default()
            .into_iter()
            .next()
            .map(|row| AdsStopPending {
                status: row.status.into(),
                since: row.created_at,
                attempts: row.attempts,
                last_error: row.last_error,
                next_attempt_at: row.next_attempt_at,
            }))
    }

    /// The plan proposed for it, if it came from `proposeCampaignPlan`.
    async fn plan(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::workflow::CampaignPlan>> {
        let plan = loader::<CampaignPlanLoader>(ctx)?
            .load_one(self.0.id)
            .await
            .api()?;
        Ok(plan.map(|p| super::workflow::CampaignPlan::new(p, &self.0)))
    }

    /// Its calendar of tasks, by due time.
    async fn tasks(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::agenda::ScheduleTask>> {
        let tasks = loader::<CampaignTasksLoader>(ctx)?
            .load_one(self.0.id)
            .await
            .api()?;
        Ok(tasks
            .unwrap_or_default()
            .into_iter()
            .map(super::agenda::ScheduleTask)
            .collect())
    }

    /// Its budget movements, oldest first, each with the balance it left.
    #[graphql(complexity = "super::page_complexity(first, child_complexity)")]
    async fn budget_movements(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<
        async_graphql::connection::Connection<String, super::money::BudgetMovement>,
    > {
        super::money::movements(ctx, &self.0, first, after).await
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Which campaigns to list; every condition given must hold.
#[derive(InputObject, Default)]
#[graphql(name = "CampaignFilter")]
pub struct CampaignFilterInput {
    /// Only this organization's.
    pub organization_id: Option<ID>,
    /// Only these statuses (absent or empty: any).
    pub status: Option<Vec<CampaignStatus>>,
    /// Name contains this text, ignoring case.
    pub search: Option<String>,
    /// Starting on or after this day.
    pub starts_after: Option<NaiveDate>,
    /// Ending on or before this day.
    pub ends_before: Option<NaiveDate>,
}

impl CampaignFilterInput {
    /// The store's form.
    pub fn into_filter(self) -> Result<CampaignFilter, ApiError> {
        let mut statuses: Vec<domain::campaign::CampaignStatus> = Vec::new();
        for status in self.status.unwrap_or_default() {
            if !statuses.contains(&status.into()) {
                statuses.push(status.into());
            }
        }
        Ok(CampaignFilter {
            organization_id: self
                .organization_id
                .map(|id| parse_id("filter.organizationId", &id))
                .transpose()?,
            statuses,
            search: domain::campaign::search("filter.search", self.search.as_deref())?,
            starts_after: self.starts_after,
            ends_before: self.ends_before,
        })
    }
}

/// A new campaign; it starts as `DRAFT` with nothing spent.
#[derive(InputObject)]
pub struct CreateCampaignInput {
    /// The organization that runs it.
    pub organization_id: ID,
    /// The user responsible (an active user of that organization).
    pub owner_id: ID,
    /// Its name (1 to 200 characters).
    pub name: String,
    /// What it is about.
    pub description: Option<String>,
    /// The one message it repeats.
    pub key_message: Option<String>,
    /// What it should achieve, in words.
    pub intent: Option<String>,
    /// Total budget (>= 0).
    pub budget: Decimal4,
    /// ISO 4217 currency of the budget.
    pub currency: String,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day (not before the first).
    pub end_date: NaiveDate,
    /// The industry it targets.
    pub industry: Option<String>,
    /// ISO 3166-1 alpha-2 countries it targets.
    #[graphql(default)]
    pub target_countries: Vec<String>,
    /// Products of the organization it promotes.
    #[graphql(default)]
    pub product_ids: Vec<ID>,
    /// What it aims at, in order.
    #[graphql(default)]
    pub objectives: Vec<CampaignObjectiveInput>,
}

impl CreateCampaignInput {
    /// The store's form (not yet validated).
    pub fn into_new(self) -> Result<NewCampaign, ApiError> {
        Ok(NewCampaign {
            id: None,
            organization_id: parse_id("input.organizationId", &self.organization_id)?,
            owner_id: parse_id("input.ownerId", &self.owner_id)?,
            name: self.name,
            description: self.description,
            key_message: self.key_message,
            intent: self.intent,
            status: domain::campaign::CampaignStatus::INITIAL,
            budget: Budget {
                total: self.budget,
                spent: Decimal4::ZERO,
            },
            currency: self.currency,
            start_date: self.start_date,
            end_date: self.end_date,
            industry: self.industry,
            target_countries: self.target_countries,
            product_ids: parse_ids("input.productIds", &self.product_ids)?,
            objectives: self
                .objectives
                .into_iter()
                .map(CampaignObjectiveInput::into_new)
                .collect(),
        })
    }
}

/// Changes to a campaign; absent fields keep their value, `null` clears an
/// optional text. The status is not changed here (that is the approval workflow).
#[derive(InputObject)]
pub struct UpdateCampaignInput {
    /// New owner (an active user of the campaign's organization).
    pub owner_id: Option<ID>,
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: MaybeUndefined<String>,
    /// New key message.
    pub key_message: MaybeUndefined<String>,
    /// New intent.
    pub intent: MaybeUndefined<String>,
    /// New total budget (>= spent).
    pub budget: Option<Decimal4>,
    /// New spent amount (<= total budget).
    pub spent: Option<Decimal4>,
    /// New currency.
    pub currency: Option<String>,
    /// New first day.
    pub start_date: Option<NaiveDate>,
    /// New last day.
    pub end_date: Option<NaiveDate>,
    /// New industry.
    pub industry: MaybeUndefined<String>,
    /// New target countries (replacing the list).
    pub target_countries: Option<Vec<String>>,
    /// New products (replacing the list).
    pub product_ids: Option<Vec<ID>>,
    /// New objectives (replacing them all).
    pub objectives: Option<Vec<CampaignObjectiveInput>>,
}

fn change(value: MaybeUndefined<String>) -> Option<Option<String>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

impl UpdateCampaignInput {
    /// The domain's form.
    pub fn into_patch(self) -> Result<CampaignPatch, ApiError> {
        Ok(CampaignPatch {
            owner_id: self
                .owner_id
                .map(|id| parse_id("input.ownerId", &id))
                .transpose()?,
            name: self.name,
            description: change(self.description),
            key_message: change(self.key_message),
            intent: change(self.intent),
            budget_total: self.budget,
            budget_spent: self.spent,
            currency: self.currency,
            start_date: self.start_date,
            end_date: self.end_date,
            industry: change(self.industry),
            target_countries: self.target_countries,
            product_ids: self
                .product_ids
                .map(|ids| parse_ids("input.productIds", &ids))
                .transpose()?,
            objectives: self.objectives.map(|o| {
                o.into_iter()
                    .map(CampaignObjectiveInput::into_new)
                    .collect()
            }),
        })
    }
}
