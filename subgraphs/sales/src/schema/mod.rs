//! The GraphQL schema: root fields, mutations and entity resolvers. Thin:
//! each resolver parses its arguments, asks the domain, then the store.

pub mod agenda;
pub mod agent_actions;
pub mod campaign;
pub mod etl;
pub mod loaders;
pub mod money;
pub mod objective;
pub mod organization;
pub mod plans;
pub mod product;
pub mod results;
pub mod user;
pub mod workflow;

use std::sync::Arc;

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Schema, SchemaBuilder};

pub use self::agenda::SalesSubscription;
use promptsales_kit::context::TenantScope;
use promptsales_kit::entity_errors;
use promptsales_kit::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use promptsales_kit::{ApiError, ApiResult, PageRequest, RequestContext, ResultExt, parse_id};
use uuid::Uuid;

use self::campaign::{Campaign, CampaignFilterInput, CreateCampaignInput, UpdateCampaignInput};
use self::loaders::{CampaignLoader, OrganizationLoader, UserLoader, loader};
use self::organization::{CreateOrganizationInput, Organization, UpdateOrganizationInput};
use self::product::{CreateProductInput, Product};
use self::user::{CreateUserInput, User, UserFilterInput};
use crate::domain;
use crate::store::{self, SalesStore};

/// The sales subgraph's executable schema.
pub type SalesSchema = Schema<Query, Mutation, SalesSubscription>;

pub use promptsales_kit::limits::MAX_DEPTH;

/// The type of the cache tag every dashboard response carries (`SalesDashboard:<organization>`),
/// whatever it selects: the ETL invalidates it when the organization's figures change.
pub const DASHBOARD_TAG_TYPE: &str = "SalesDashboard";

/// Tags a campaign list response with `Campaign:*` whatever it selects (without `id` the
/// entities give no tag), so the ETL can invalidate the lists whose figures it changed
/// (the router stores it per tenant as `Campaign:*@<organization>`).
pub(crate) fn tag_campaign_list(ctx: &Context<'_>) {
    promptsales_kit::cache_hints::add_tag(ctx, promptsales_kit::cache_hints::list_tag("Campaign"));
}
/// The cost ceiling; a connection costs its page size times its selection.
pub const MAX_COMPLEXITY: usize = 20_000;

/// Root fields any identified caller runs whatever its sales role: an AI agent audits its
/// own tool calls and files (then uses) approval requests holding only, say, a crm role.
/// Their resolvers require an identity and an organization; what the approved call does
/// later still runs with the agent's own token and roles.
pub const MEMBER_FIELDS: &[&str] = &["recordToolCall", "requestAgentAction", "useAgentAction"];

/// The schema's builder, shared by [`crate::build_schema`] and [`crate::schema_sdl`].
pub fn builder() -> SchemaBuilder<Query, Mutation, SalesSubscription> {
    promptsales_kit::schema::subgraph_schema(Query, Mutation, SalesSubscription)
        .limit_complexity(MAX_COMPLEXITY)
        .data(promptsales_kit::auth::MemberFields(MEMBER_FIELDS))
}

/// The complexity of a connection field: its page size times its selection.
pub fn page_complexity(first: Option<i32>, child_complexity: usize) -> usize {
    let size = first.map_or(DEFAULT_PAGE_SIZE as usize, |n| {
        n.clamp(1, MAX_PAGE_SIZE as i32) as usize
    });
    size.saturating_mul(child_complexity).saturating_add(1)
}

fn scope(ctx: &Context<'_>) -> async_graphql::Result<TenantScope> {
    Ok(ctx.data::<RequestContext>()?.scope())
}

fn store<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a Arc<dyn SalesStore>> {
    ctx.data::<Arc<dyn SalesStore>>()
}

async fn organization_by_id(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Organization> {
    let found = loader::<OrganizationLoader>(ctx)?
        .load_one(id)
        .await
        .api()?;
    Ok(Organization(
        found.ok_or_else(|| ApiError::not_found("Organization", id))?,
    ))
}

async fn user_by_id(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<User> {
    let found = loader::<UserLoader>(ctx)?.load_one(id).await.api()?;
    Ok(User(found.ok_or_else(|| ApiError::not_found("User", id))?))
}

async fn campaign_by_id(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Campaign> {
    let found = loader::<CampaignLoader>(ctx)?.load_one(id).await.api()?;
    Ok(Campaign(
        found.ok_or_else(|| ApiError::not_found("Campaign", id))?,
    ))
}

/// The organization a write goes into: it must exist within the caller's scope.
async fn writable_organization(
    store: &Arc<dyn SalesStore>,
    scope: TenantScope,
    id: Uuid,
) -> ApiResult<store::Organization> {
    store
        .organizations_by_ids(scope, &[id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("Organization", id))
}

/// Checks a campaign's owner and products against its organization before writing.
async fn check_campaign_references(
    store: &Arc<dyn SalesStore>,
    scope: TenantScope,
    organization_id: Uuid,
    owner_id: Option<Uuid>,
    product_ids: Option<&[Uuid]>,
) -> ApiResult<()> {
    if let Some(owner_id) = owner_id {
        let owner = store.users_by_ids(scope, &[owner_id]).await?;
        domain::campaign::check_owner("input.ownerId", owner.first(), organization_id)?;
    }
    if let Some(ids) = product_ids.filter(|ids| !ids.is_empty()) {
        let found = store.products_by_ids(scope, ids).await?;
        domain::campaign::check_products("input.productIds", ids, &found, organization_id)?;
    }
    Ok(())
}

/// Root queries and the entity resolvers of `Organization`, `User` and `Campaign`.
pub struct Query;

#[Object]
impl Query {
    /// A user's permissions (live ones, or their whole history). Needs sales:read.
    async fn user_permissions(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        #[graphql(default = false)] include_revoked: bool,
    ) -> async_graphql::Result<Vec<crate::auth::permissions::PermissionGrant>> {
        crate::auth::permissions::user_permissions(ctx, user_id, include_revoked).await
    }

    /// An organization by id.
    async fn organization(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Organization> {
        organization_by_id(ctx, parse_id("id", &id)?).await
    }

    /// The organizations the caller may see, by creation.
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Organization>> {
        let page = PageRequest::new(first, after)?;
        let organizations = store(ctx)?
            .list_organizations(scope(ctx)?, page)
            .await
            .api()?;
        Ok(organizations.into_connection(&page, |o| o.id, Organization))
    }

    /// A campaign by id.
    async fn campaign(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Campaign> {
        let id = parse_id("id", &id)?;
        let campaign = campaign_by_id(ctx, id).await?;
        // Tagged whatever it selects: without `id` in the selection the response would carry
        // no `Campaign:<id>` tag, and a budget movement could never invalidate its cached copy.
        promptsales_kit::cache_hints::add_tag(
            ctx,
            promptsales_kit::cache_hints::entity_tag("Campaign", &id.to_string()),
        );
        Ok(campaign)
    }

    /// The campaigns the caller may see that pass `filter`, by creation.
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        filter: Option<CampaignFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Campaign>> {
        let page = PageRequest::new(first, after)?;
        let filter = filter.unwrap_or_default().into_filter()?;
        tag_campaign_list(ctx);
        let campaigns = store(ctx)?
            .list_campaigns(scope(ctx)?, &filter, page)
            .await
            .api()?;
        Ok(campaigns.into_connection(&page, |c| c.id, Campaign))
    }

    /// A user by id.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<User> {
        user_by_id(ctx, parse_id("id", &id)?).await
    }

    /// The users the caller may see that pass `filter`, by creation.
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        filter: Option<UserFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, User>> {
        let page = PageRequest::new(first, after)?;
        let filter = filter.unwrap_or_default().into_filter()?;
        let users = store(ctx)?
            .list_users(scope(ctx)?, &filter, page)
            .await
            .api()?;
        Ok(users.into_connection(&page, |u| u.id, User))
    }

    /// Approvals waiting for a decision, oldest first (an organization's, or every visible one).
    async fn pending_approvals(
        &self,
        ctx: &Context<'_>,
        organization_id: Option<ID>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<workflow::Approval>> {
        workflow::pending(ctx, organization_id, first).await
    }

    /// An organization's payment methods (sales admins).
    async fn payment_methods(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
    ) -> async_graphql::Result<Vec<money::PaymentMethod>> {
        money::payment_methods(ctx, &organization_id).await
    }

    /// An organization's payment transactions, oldest first (sales admins).
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn payment_transactions(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, money::PaymentTransaction>> {
        money::transactions(ctx, &organization_id, first, after).await
    }

    /// An organization's results over `from..=to`: spend, revenue, conversion, ROI, costs, best campaigns.
    async fn dashboard(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        best: Option<i32>,
    ) -> async_graphql::Result<results::SalesDashboard> {
        results::dashboard(ctx, &organization_id, from, to, best).await
    }

    /// Per source of the delta ETL: watermark, lag, last run and last error (sales admins).
    async fn etl_status(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<etl::EtlSourceStatus>> {
        etl::status(ctx).await
    }

    /// The plan catalogue (reference data).
    async fn plans(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<plans::Plan>> {
        plans::plans(ctx).await
    }

    /// An organization's subscriptions, newest first.
    async fn subscriptions(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
    ) -> async_graphql::Result<Vec<plans::Subscription>> {
        plans::subscriptions(ctx, &organization_id).await
    }

    /// An organization's use of each feature its live plans limit.
    async fn subscription_usage(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
    ) -> async_graphql::Result<Vec<plans::SubscriptionUsage>> {
        plans::usage(ctx, &organization_id).await
    }

    /// Requests of AI agents' tool calls waiting for (or after) a person's decision, newest
    /// first (sales:read; a sales admin decides them with `resolveAgentAction`).
    async fn agent_action_requests(
        &self,
        ctx: &Context<'_>,
        status: Option<agent_actions::AgentActionStatus>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<agent_actions::AgentActionRequest>> {
        agent_actions::list(ctx, status, first).await
    }

    /// The audit log, newest first (sales admins).
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<results::AuditFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, results::AuditEntry>> {
        results::audit_log(ctx, filter, first, after).await
    }

    /// Federation: an organization by key, batched; `null` with `NOT_FOUND` at its `_entities`
    /// index when the caller may not see it, so one unknown key never fails the other
    /// representations of the same fetch.
    #[graphql(entity)]
    async fn find_organization_by_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(key)] id: ID,
    ) -> async_graphql::Result<Option<Organization>> {
        let found = loader::<OrganizationLoader>(ctx)?
            .load_one(parse_id("id", &id)?)
            .await
            .api()?;
        Ok(match found {
            Some(found) => Some(Organization(found)),
            None => entity_errors::not_found(ctx, "Organization", &id),
        })
    }

    /// Federation: a user by key, batched; `null` with `NOT_FOUND` at its
    /// `_entities` index when the caller may not see it (the rest of the batch resolves).
    #[graphql(entity)]
    async fn find_user_by_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(key)] id: ID,
    ) -> async_graphql::Result<Option<User>> {
        let found = loader::<UserLoader>(ctx)?
            .load_one(parse_id("id", &id)?)
            .await
            .api()?;
        Ok(match found {
            Some(found) => Some(User(found)),
            None => entity_errors::not_found(ctx, "User", &id),
        })
    }

    /// Federation: a campaign by key, batched; `null` with `NOT_FOUND` at its
    /// `_entities` index when the caller may not see it (the rest of the batch resolves).
    #[graphql(entity)]
    async fn find_campaign_by_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(key)] id: ID,
    ) -> async_graphql::Result<Option<Campaign>> {
        let found = loader::<CampaignLoader>(ctx)?
            .load_one(parse_id("id", &id)?)
            .await
            .api()?;
        Ok(match found {
            Some(found) => Some(Campaign(found)),
            None => entity_errors::not_found(ctx, "Campaign", &id),
        })
    }
}

/// Root mutations. Each validates its whole input before it writes, and writes atomically.
pub struct Mutation;

#[Object]
impl Mutation {
    /// Grants a user a role in a subsystem (replacing their current one there). Needs sales:admin.
    async fn grant_permission(
        &self,
        ctx: &Context<'_>,
        input: crate::auth::permissions::GrantPermissionInput,
    ) -> async_graphql::Result<crate::auth::permissions::PermissionGrant> {
        crate::auth::permissions::grant_permission(ctx, input).await
    }

    /// Revokes a user's role in a subsystem. Needs sales:admin.
    async fn revoke_permission(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        subsystem: crate::auth::permissions::PermissionSubsystem,
    ) -> async_graphql::Result<crate::auth::permissions::PermissionGrant> {
        crate::auth::permissions::revoke_permission(ctx, user_id, subsystem).await
    }

    /// Creates an organization (a new tenant): only a platform-wide caller may.
    async fn create_organization(
        &self,
        ctx: &Context<'_>,
        input: CreateOrganizationInput,
    ) -> async_graphql::Result<Organization> {
        if scope(ctx)?.organization().is_some() {
            return Err(ApiError::Forbidden(
                "a caller acting for one organization cannot create another".into(),
            )
            .into());
        }
        let new = domain::organization::validate_new(input.into_new())?;
        let organization = store(ctx)?.insert_organization(new).await.api()?;
        tracing::info!(organization = %organization.id, "organization created");
        Ok(Organization(organization))
    }

    /// Changes an organization's fields.
    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateOrganizationInput,
    ) -> async_graphql::Result<Organization> {
        let id = parse_id("id", &id)?;
        let (scope, store) = (scope(ctx)?, store(ctx)?);
        let current = writable_organization(store, scope, id).await?;
        let changed = domain::organization::apply(current, input.into_patch())?;
        let organization = store.update_organization(scope, changed).await.api()?;
        tracing::info!(organization = %organization.id, "organization updated");
        Ok(Organization(organization))
    }

    /// Adds a product to an organization.
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
    ) -> async_graphql::Result<Product> {
        let new = domain::product::validate_new(input.into_new()?)?;
        let (scope, store) = (scope(ctx)?, store(ctx)?);
        writable_organization(store, scope, new.organization_id).await?;
        let product = store.insert_product(new).await.api()?;
        tracing::info!(product = %product.id, organization = %product.organization_id, "product created");
        Ok(Product(product))
    }

    /// Adds a user to an organization; an e-mail already in use is a `CONFLICT`.
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        input: CreateUserInput,
    ) -> async_graphql::Result<User> {
        let new = domain::user::validate_new(input.into_new()?)?;
        let (scope, store) = (scope(ctx)?, store(ctx)?);
        writable_organization(store, scope, new.organization_id).await?;
        let user = store.insert_user(new).await.api()?;
        tracing::info!(user = %user.id, organization = %user.organization_id, "user created");
        Ok(User(user))
    }

    /// Creates a campaign, as a `DRAFT`, with its objectives and products in one transaction.
    async fn create_campaign(
        &self,
        ctx: &Context<'_>,
        input: CreateCampaignInput,
    ) -> async_graphql::Result<Campaign> {
        let new = domain::campaign::validate_new(input.into_new()?)?;
        let (scope, store) = (scope(ctx)?, store(ctx)?);
        writable_organization(store, scope, new.organization_id).await?;
        check_campaign_references(
            store,
            scope,
            new.organization_id,
            Some(new.owner_id),
            Some(&new.product_ids),
        )
        .await?;
        let campaign = store.insert_campaign(new).await.api()?;
        tracing::info!(campaign = %campaign.id, organization = %campaign.organization_id, "campaign created");
        Ok(Campaign(campaign))
    }

    /// Turns a strategy into a draft campaign with a suggested plan (channels per audience,
    /// calendar, content), reasoned from the organization's past results or from defaults.
    async fn propose_campaign_plan(
        &self,
        ctx: &Context<'_>,
        input: workflow::CampaignStrategyInput,
    ) -> async_graphql::Result<workflow::CampaignProposal> {
        workflow::propose(ctx, input).await
    }

    /// Moves a campaign along its life (`ILLEGAL_TRANSITION` for a move the state machine
    /// lacks, `APPROVALS_MISSING` before the approvals it needs). `PENDING_APPROVAL` asks
    /// for the budget, content, schedule and launch approvals.
    async fn change_campaign_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: campaign::CampaignStatus,
        comment: Option<String>,
    ) -> async_graphql::Result<Campaign> {
        workflow::change_status(ctx, &id, status, comment).await
    }

    /// Grants or refuses a pending approval (sales admin, not the user who asked). The last of
    /// budget/content/schedule granted approves the campaign; a refusal sends it back to draft.
    async fn resolve_approval(
        &self,
        ctx: &Context<'_>,
        id: ID,
        decision: workflow::Decision,
        comments: Option<String>,
    ) -> async_graphql::Result<workflow::Approval> {
        workflow::resolve(ctx, &id, decision, comments).await
    }

    /// Files an AI agent's tool call that may not run on its own (it launches, spends, erases
    /// or changes permissions) for a person's decision; the same call still pending is returned
    /// instead of a second request. Any identified caller of an organization.
    async fn request_agent_action(
        &self,
        ctx: &Context<'_>,
        input: agent_actions::RequestAgentActionInput,
    ) -> async_graphql::Result<agent_actions::AgentActionRequest> {
        agent_actions::request(ctx, input).await
    }

    /// Approves or rejects a pending agent action (a sales admin, not the user the agent acts
    /// for; `CONFLICT` when it was already decided).
    async fn resolve_agent_action(
        &self,
        ctx: &Context<'_>,
        id: ID,
        decision: agent_actions::AgentActionDecision,
        comment: Option<String>,
    ) -> async_graphql::Result<agent_actions::AgentActionRequest> {
        agent_actions::resolve(ctx, &id, decision, comment).await
    }

    /// Uses the caller's approved request for exactly this tool call (once): the request, now
    /// `USED`, or null when no approved request matches.
    async fn use_agent_action(
        &self,
        ctx: &Context<'_>,
        input: agent_actions::UseAgentActionInput,
    ) -> async_graphql::Result<Option<agent_actions::AgentActionRequest>> {
        agent_actions::use_approved(ctx, input).await
    }

    /// Audits an AI agent's tool call (action `mcp.tool_call`: the caller, the tool, the
    /// outcome). Any identified caller, whatever its roles.
    async fn record_tool_call(
        &self,
        ctx: &Context<'_>,
        input: agent_actions::ToolCallInput,
    ) -> async_graphql::Result<results::AuditEntry> {
        agent_actions::record_tool_call(ctx, input).await
    }

    /// Subscribes an organization to a plan (a trial when `trial` and the plan offers one);
    /// one live subscription per subsystem (sales admins).
    async fn subscribe(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        plan_id: ID,
        #[graphql(default = false)] trial: bool,
        #[graphql(default = true)] auto_renew: bool,
    ) -> async_graphql::Result<plans::Subscription> {
        plans::subscribe(ctx, &organization_id, &plan_id, trial, auto_renew).await
    }

    /// Starts a subscription's next period (a trial becomes active); quotas restart (sales admins).
    async fn renew_subscription(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<plans::Subscription> {
        plans::change(ctx, &id, false).await
    }

    /// Cancels a live subscription (sales admins).
    async fn cancel_subscription(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<plans::Subscription> {
        plans::change(ctx, &id, true).await
    }

    /// Counts use of a quota feature (`PLAN_LIMIT_REACHED` when it would go over).
    async fn record_usage(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        feature: String,
        #[graphql(default = 1)] amount: i32,
    ) -> async_graphql::Result<plans::SubscriptionUsage> {
        plans::record_usage(ctx, &organization_id, &feature, amount).await
    }

    /// Adds a task to a campaign's calendar (reminded 24 h before it is due).
    async fn create_schedule_task(
        &self,
        ctx: &Context<'_>,
        input: agenda::ScheduleTaskInput,
    ) -> async_graphql::Result<agenda::ScheduleTask> {
        agenda::create(ctx, input).await
    }

    /// Marks an open task done.
    async fn complete_schedule_task(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<agenda::ScheduleTask> {
        agenda::finish(ctx, &id, true).await
    }

    /// Applies a deposit, spend, refund or adjustment to a campaign's budget
    /// (`INSUFFICIENT_FUNDS` when the balance would go negative).
    async fn record_budget_movement(
        &self,
        ctx: &Context<'_>,
        input: money::BudgetMovementInput,
    ) -> async_graphql::Result<money::BudgetMovement> {
        money::record_movement(ctx, input).await
    }

    /// Adds a payment method: the provider's token, never a card number (sales admins).
    async fn add_payment_method(
        &self,
        ctx: &Context<'_>,
        input: money::PaymentMethodInput,
    ) -> async_graphql::Result<money::PaymentMethod> {
        money::add_payment_method(ctx, input).await
    }

    /// Stops a payment method from being charged (sales admins).
    async fn remove_payment_method(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<money::PaymentMethod> {
        money::remove_payment_method(ctx, &id).await
    }

    /// Records a provider's transaction; a succeeded campaign-budget payment deposits into the campaign.
    async fn record_payment_transaction(
        &self,
        ctx: &Context<'_>,
        input: money::PaymentTransactionInput,
    ) -> async_graphql::Result<money::PaymentTransaction> {
        money::record_transaction(ctx, input).await
    }

    /// Changes a campaign's fields (not its status); the result must be a valid campaign.
    /// Budget, dates, key message, targets, objectives and products change only while it is
    /// `DRAFT` (`CONFLICT` afterwards: they were submitted for approval).
    async fn update_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCampaignInput,
    ) -> async_graphql::Result<Campaign> {
        let id = parse_id("id", &id)?;
        let patch = input.into_patch()?;
        let (scope, store) = (scope(ctx)?, store(ctx)?);
        let current = store
            .campaigns_by_ids(scope, &[id])
            .await
            .api()?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::not_found("Campaign", id))?;
        let new_owner = patch.owner_id.filter(|owner| *owner != current.owner_id);
        let update = domain::campaign::apply(current, patch)?;
        check_campaign_references(
            store,
            scope,
            update.campaign.organization_id,
            new_owner,
            update.product_ids.as_deref(),
        )
        .await?;
        let campaign = store.update_campaign(scope, update).await.api()?;
        tracing::info!(campaign = %campaign.id, "campaign updated");
        Ok(Campaign(campaign))
    }
}
