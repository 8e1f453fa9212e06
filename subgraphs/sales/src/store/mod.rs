//! The sales store: the narrow interface the schema uses, and the domain
//! types it speaks (never sea-orm models).
//!
//! Reads take the request's [`TenantScope`] and return only rows inside it.
//! Inserts take caller-given ids (seeds and tests use known ids) and no
//! timestamps: the store stamps `created_at` / `updated_at` itself. Inserts
//! trust their input: validation is the domain's job, run before the store
//! is called; the database's constraints are the last guard.

pub mod agenda;
pub mod agent_actions;
pub mod audit;
pub mod etl;
pub mod money;
pub mod plans;
pub mod reconcile;
pub mod results;
pub mod sea;
pub mod workflow;

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{ApiError, Decimal4, Page, PageRequest, StoreError};
use uuid::Uuid;

use crate::domain::campaign::{Budget, CampaignStatus};
use crate::domain::objective::ObjectiveKind;
use crate::domain::user::UserType;

/// A client organization (a tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// Its id (also its tenant id).
    pub id: Uuid,
    /// Trimmed, 1 to 200 characters.
    pub name: String,
    /// Its industry (free text such as `retail`).
    pub industry: String,
    /// ISO 3166-1 alpha-2 country.
    pub country: String,
    /// What it aims to sell, in `currency`.
    pub sales_goal: Decimal4,
    /// Its marketing budget, in `currency`.
    pub budget: Decimal4,
    /// ISO 4217 currency of its figures.
    pub currency: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed (also the optimistic-concurrency version).
    pub updated_at: DateTime<Utc>,
}

/// An organization to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganization {
    /// The id to use; a new one when absent.
    pub id: Option<Uuid>,
    /// Trimmed, 1 to 200 characters.
    pub name: String,
    /// Its industry.
    pub industry: String,
    /// ISO 3166-1 alpha-2 country.
    pub country: String,
    /// Sales goal.
    pub sales_goal: Decimal4,
    /// Budget.
    pub budget: Decimal4,
    /// ISO 4217 currency.
    pub currency: String,
}

/// Something an organization sells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Its organization.
    pub organization_id: Uuid,
    /// Trimmed, 1 to 200 characters.
    pub name: String,
    /// What it is.
    pub description: Option<String>,
    /// Unit price, in `currency`.
    pub price: Decimal4,
    /// ISO 4217 currency of the price.
    pub currency: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A product to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    /// The id to use; a new one when absent.
    pub id: Option<Uuid>,
    /// Its organization.
    pub organization_id: Uuid,
    /// Trimmed, 1 to 200 characters.
    pub name: String,
    /// What it is.
    pub description: Option<String>,
    /// Unit price.
    pub price: Decimal4,
    /// ISO 4217 currency.
    pub currency: String,
}

/// A person working in (or buying from) an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Primary key (UUIDv7), the user's federation key.
    pub id: Uuid,
    /// Its organization.
    pub organization_id: Uuid,
    /// E-mail, lower case, unique across the platform.
    pub email: String,
    /// Full name.
    pub name: String,
    /// Phone number as entered.
    pub phone: Option<String>,
    /// What kind of user.
    pub user_type: UserType,
    /// IANA time zone name.
    pub timezone: String,
    /// Whether the user may act.
    pub active: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A user to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// The id to use; a new one when absent.
    pub id: Option<Uuid>,
    /// Its organization.
    pub organization_id: Uuid,
    /// E-mail (normalised to lower case by the domain).
    pub email: String,
    /// Full name.
    pub name: String,
    /// Phone number.
    pub phone: Option<String>,
    /// What kind of user.
    pub user_type: UserType,
    /// IANA time zone name.
    pub timezone: String,
    /// Whether the user may act.
    pub active: bool,
}

/// A marketing campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    /// Primary key (UUIDv7), the key other subgraphs know the campaign by.
    pub id: Uuid,
    /// Its organization.
    pub organization_id: Uuid,
    /// The user responsible for it (of the same organization).
    pub owner_id: Uuid,
    /// Trimmed, 1 to 200 characters.
    pub name: String,
    /// What it is about.
    pub description: Option<String>,
    /// The one message it repeats.
    pub key_message: Option<String>,
    /// What it should achieve, in words.
    pub intent: Option<String>,
    /// Where it is in its life.
    pub status: CampaignStatus,
    /// Total and spent budget, in `currency`.
    pub budget: Budget,
    /// ISO 4217 currency of the budget.
    pub currency: String,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day (never before the first).
    pub end_date: NaiveDate,
    /// Industry it targets.
    pub industry: Option<String>,
    /// ISO 3166-1 alpha-2 countries it targets.
    pub target_countries: Vec<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed (also the optimistic-concurrency version).
    pub updated_at: DateTime<Utc>,
}

/// A campaign to insert, with its objectives and products (written in one transaction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCampaign {
    /// The id to use; a new one when absent.
    pub id: Option<Uuid>,
    /// Its organization.
    pub organization_id: Uuid,
    /// Its owner (a user of the same organization).
    pub owner_id: Uuid,
    /// Trimmed, 1 to 200 characters.
    pub name: String,
    /// What it is about.
    pub description: Option<String>,
    /// Its key message.
    pub key_message: Option<String>,
    /// Its intent.
    pub intent: Option<String>,
    /// Its status (new campaigns from the API are drafts; seeds may say otherwise).
    pub status: CampaignStatus,
    /// Total and spent budget.
    pub budget: Budget,
    /// ISO 4217 currency.
    pub currency: String,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day.
    pub end_date: NaiveDate,
    /// Industry.
    pub industry: Option<String>,
    /// Target countries.
    pub target_countries: Vec<String>,
    /// Products it promotes (of the same organization).
    pub product_ids: Vec<Uuid>,
    /// Its objectives, in order.
    pub objectives: Vec<NewObjective>,
}

/// A campaign whose fields were changed by the domain, to write back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignUpdate {
    /// The merged campaign; its `updated_at` is the version that was read.
    pub campaign: Campaign,
    /// The new product list, when it changes.
    pub product_ids: Option<Vec<Uuid>>,
    /// The new objectives (replacing the old ones), when they change.
    pub objectives: Option<Vec<NewObjective>>,
}

/// What a campaign aims at, measured by one metric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignObjective {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Its organization.
    pub organization_id: Uuid,
    /// Its campaign.
    pub campaign_id: Uuid,
    /// Order within the campaign.
    pub position: i32,
    /// What kind of objective.
    pub kind: ObjectiveKind,
    /// The metric that measures it (`leads`, `revenue`, ...).
    pub metric: String,
    /// The value aimed at.
    pub target: Decimal4,
    /// The value reached so far.
    pub current: Decimal4,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// An objective to insert with its campaign.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NewObjective {
    /// The id to use; a new one when absent.
    pub id: Option<Uuid>,
    /// What kind of objective.
    pub kind: ObjectiveKind,
    /// The metric.
    pub metric: String,
    /// The value aimed at.
    pub target: Decimal4,
    /// The value reached so far.
    pub current: Decimal4,
}

/// Which campaigns a listing returns; every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct CampaignFilter {
    /// Only this organization's.
    pub organization_id: Option<Uuid>,
    /// Only these statuses (empty: any).
    pub statuses: Vec<CampaignStatus>,
    /// Name contains this text, ignoring case (already lower case).
    pub search: Option<String>,
    /// Starting on or after this day.
    pub starts_after: Option<NaiveDate>,
    /// Ending on or before this day.
    pub ends_before: Option<NaiveDate>,
}

/// Which users a listing returns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct UserFilter {
    /// Only this organization's.
    pub organization_id: Option<Uuid>,
    /// Only this type.
    pub user_type: Option<UserType>,
}

/// Why a write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The row to change is absent (or outside the scope).
    #[error("{entity} {id} was not found")]
    NotFound {
        /// The entity type.
        entity: &'static str,
        /// The id that was looked for.
        id: Uuid,
    },
    /// A uniqueness rule, a missing referenced row, or a concurrent change.
    #[error("{0}")]
    Conflict(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<WriteError> for ApiError {
    fn from(err: WriteError) -> Self {
        match err {
            WriteError::NotFound { entity, id } => ApiError::not_found(entity, id),
            WriteError::Conflict(message) => ApiError::Conflict(message),
            WriteError::Store(e) => ApiError::from(e),
        }
    }
}

/// The sales store (the portal's parts are supertraits, each in its own module).
#[async_trait]
pub trait SalesStore:
    workflow::WorkflowStore
    + agent_actions::AgentActionStore
    + reconcile::ReconcileStore
    + money::MoneyStore
    + audit::AuditStore
    + results::ResultsStore
    + plans::PlanStore
    + agenda::AgendaStore
    + Send
    + Sync
{
    /// Inserts an organization.
    async fn insert_organization(&self, new: NewOrganization) -> Result<Organization, WriteError>;
    /// Writes a changed organization if it is in scope and unchanged since it was read (`updated_at`).
    async fn update_organization(
        &self,
        scope: TenantScope,
        organization: Organization,
    ) -> Result<Organization, WriteError>;
    /// The organizations among `ids` in scope, in no particular order.
    async fn organizations_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<Organization>, StoreError>;
    /// A page of the organizations in scope, by id.
    async fn list_organizations(
        &self,
        scope: TenantScope,
        page: PageRequest,
    ) -> Result<Page<Organization>, StoreError>;

    /// Inserts a product.
    async fn insert_product(&self, new: NewProduct) -> Result<Product, WriteError>;
    /// The products among `ids` in scope.
    async fn products_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<Product>, StoreError>;
    /// The products of these organizations, by id.
    async fn products_by_organizations(
        &self,
        scope: TenantScope,
        organization_ids: &[Uuid],
    ) -> Result<Vec<Product>, StoreError>;
    /// The products of these campaigns, as (campaign id, product) pairs.
    async fn products_by_campaigns(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<Vec<(Uuid, Product)>, StoreError>;

    /// Inserts a user; an e-mail already taken is a [`WriteError::Conflict`].
    async fn insert_user(&self, new: NewUser) -> Result<User, WriteError>;
    /// The users among `ids` in scope.
    async fn users_by_ids(&self, scope: TenantScope, ids: &[Uuid])
    -> Result<Vec<User>, StoreError>;
    /// A page of the users in scope that pass `filter`, by id.
    async fn list_users(
        &self,
        scope: TenantScope,
        filter: &UserFilter,
        page: PageRequest,
    ) -> Result<Page<User>, StoreError>;

    /// Inserts a campaign with its objectives and products, all or nothing.
    async fn insert_campaign(&self, new: NewCampaign) -> Result<Campaign, WriteError>;
    /// Writes a changed campaign (and its new products / objectives) if in scope and unchanged since read.
    async fn update_campaign(
        &self,
        scope: TenantScope,
        update: CampaignUpdate,
    ) -> Result<Campaign, WriteError>;
    /// The campaigns among `ids` in scope.
    async fn campaigns_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<Campaign>, StoreError>;
    /// A page of the campaigns in scope that pass `filter`, by id.
    async fn list_campaigns(
        &self,
        scope: TenantScope,
        filter: &CampaignFilter,
        page: PageRequest,
    ) -> Result<Page<Campaign>, StoreError>;
    /// One page per organization of its campaigns that pass `filter`, in one query.
    async fn list_campaigns_of_organizations(
        &self,
        scope: TenantScope,
        organization_ids: &[Uuid],
        filter: &CampaignFilter,
        page: PageRequest,
    ) -> Result<HashMap<Uuid, Page<Campaign>>, StoreError>;
    /// The objectives of these campaigns, by campaign and position.
    async fn objectives_by_campaigns(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<Vec<CampaignObjective>, StoreError>;
}
