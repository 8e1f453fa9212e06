//! The supervised automation in GraphQL: approvals, status changes and
//! proposed campaign plans. Resolvers are thin: the domain decides, the store
//! writes (with its audit entry) only if nothing changed since the decision.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use promptsales_kit::StrEnum;
use promptsales_kit::context::Role;
use promptsales_kit::ids::parse_ids;
use promptsales_kit::{ApiError, Decimal4, Money, RequestContext, ResultExt, parse_id};
use serde_json::json;

use super::campaign::{Campaign, CampaignStatus};
use super::loaders::{CampaignLoader, UserLoader, loader};
use super::objective::CampaignObjectiveInput;
use super::user::User;
use crate::audit::{self, Severity};
use crate::domain::campaign::Budget;
use crate::domain::{self, access, planner, workflow};
use crate::store::workflow::{ApprovalDecision as StoreDecision, StatusChange};
use crate::store::{self, NewCampaign, WriteError};

/// Attempts of a decision that lost a race (the campaign changed between reading and writing).
const ATTEMPTS: usize = 3;

/// What an approval authorises.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::workflow::ApprovalKind")]
pub enum ApprovalKind {
    /// The money it may spend.
    Budget,
    /// The content it publishes.
    Content,
    /// Its calendar.
    Schedule,
    /// Going live.
    Launch,
}

/// Where an approval request stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::workflow::ApprovalStatus")]
pub enum ApprovalStatus {
    /// Waiting for a decision.
    Pending,
    /// Granted.
    Granted,
    /// Refused: the campaign went back to draft.
    Rejected,
    /// No longer asked: the campaign was withdrawn or cancelled.
    Withdrawn,
}

/// A decision on an approval.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(
    remote = "crate::domain::workflow::Decision",
    name = "ApprovalDecision"
)]
pub enum Decision {
    /// Grant it.
    Grant,
    /// Refuse it (the campaign goes back to draft).
    Reject,
}

/// A request for approval of one aspect of a campaign.
pub struct Approval(pub store::workflow::Approval);

async fn user_or_none(
    ctx: &Context<'_>,
    id: Option<uuid::Uuid>,
) -> async_graphql::Result<Option<User>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loader::<UserLoader>(ctx)?
        .load_one(id)
        .await
        .api()?
        .map(User))
}

/// A request for approval of one aspect of a campaign.
#[Object(cache_control(max_age = 30))]
impl Approval {
    /// The approval's UUIDv7: what `resolveApproval` takes.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The campaign it is about.
    async fn campaign(&self, ctx: &Context<'_>) -> async_graphql::Result<Campaign> {
        let found = loader::<CampaignLoader>(ctx)?
            .load_one(self.0.campaign_id)
            .await
            .api()?;
        Ok(Campaign(found.ok_or_else(|| {
            ApiError::not_found("Campaign", self.0.campaign_id)
        })?))
    }

    /// The submission it belongs to (1 for the first).
    async fn round(&self) -> i32 {
        self.0.round
    }

    /// What it authorises.
    async fn kind(&self) -> ApprovalKind {
        self.0.kind.into()
    }

    /// Where it stands.
    async fn status(&self) -> ApprovalStatus {
        self.0.status.into()
    }

    /// Who asked for it.
    async fn requested_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user_or_none(ctx, self.0.requested_by).await
    }

    /// Who decided.
    async fn resolved_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user_or_none(ctx, self.0.resolved_by).await
    }

    /// The decider's comments.
    async fn comments(&self) -> Option<&str> {
        self.0.comments.as_deref()
    }

    /// When it was asked.
    async fn requested_at(&self) -> DateTime<Utc> {
        self.0.requested_at
    }

    /// When it was decided.
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }
}

/// A population feature audiences are built from.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::planner::PopulationFeature")]
pub enum PopulationFeature {
    /// Country (ISO code).
    Country,
    /// City.
    City,
    /// Age in years (use min / max).
    Age,
    /// Gender.
    Gender,
    /// Profession.
    Profession,
    /// Education level.
    Education,
    /// Workplace or industry.
    Workplace,
    /// Interests.
    Interests,
}

/// One condition of an audience: values of a feature, or a range (age).
#[derive(InputObject)]
pub struct AudienceCriterionInput {
    /// The feature.
    pub feature: PopulationFeature,
    /// Accepted values.
    #[graphql(default)]
    pub values: Vec<String>,
    /// Lowest value (ranges).
    pub min: Option<i32>,
    /// Highest value (ranges).
    pub max: Option<i32>,
}

/// One targeting condition of a plan's audience.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(cache_control(max_age = 60))]
pub struct AudienceCriterion {
    /// The population feature.
    pub feature: PopulationFeature,
    /// Accepted values (list features).
    pub values: Vec<String>,
    /// Lowest value (ranges such as age).
    pub min: Option<i32>,
    /// Highest value.
    pub max: Option<i32>,
}

/// A plan's audience with its targeting criteria.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(cache_control(max_age = 60))]
pub struct PlanAudience {
    /// Unique within the plan; trimmed, 1 to 100 characters.
    pub name: String,
    /// Its conditions (all must hold).
    pub criteria: Vec<AudienceCriterion>,
}

/// A target audience of a strategy.
#[derive(InputObject)]
pub struct AudienceInput {
    /// Unique within the strategy; trimmed, 1 to 100 characters.
    pub name: String,
    /// Its conditions (all must hold).
    #[graphql(default)]
    pub criteria: Vec<AudienceCriterionInput>,
}

/// A campaign strategy to turn into a plan.
#[derive(InputObject)]
pub struct CampaignStrategyInput {
    /// The organization that runs it.
    pub organization_id: ID,
    /// The user responsible.
    pub owner_id: ID,
    /// Campaign name.
    pub name: String,
    /// The one message it repeats.
    pub key_message: String,
    /// What it should achieve, in words.
    pub intent: Option<String>,
    /// Who it speaks to (1 to 10 audiences).
    pub audiences: Vec<AudienceInput>,
    /// Products it promotes.
    #[graphql(default)]
    pub product_ids: Vec<ID>,
    /// ISO 3166-1 alpha-2 countries.
    #[graphql(default)]
    pub countries: Vec<String>,
    /// Objectives with their target metrics.
    #[graphql(default)]
    pub objectives: Vec<CampaignObjectiveInput>,
    /// Total budget (> 0).
    pub budget: Decimal4,
    /// ISO 4217 currency.
    pub currency: String,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day.
    pub end_date: NaiveDate,
}

/// Budget for one channel and audience in a plan.
#[derive(SimpleObject)]
#[graphql(cache_control(max_age = 60))]
pub struct CampaignPlanChannel {
    /// The audience.
    pub audience: String,
    /// Channel code (as in the ads subgraph).
    pub channel: String,
    /// Share of the whole budget, in percent.
    pub share_percent: f64,
    /// Its budget.
    pub budget: Money,
}

/// A task of a plan's calendar.
#[derive(SimpleObject)]
#[graphql(cache_control(max_age = 60))]
pub struct CampaignPlanTask {
    /// `content_review`, `approval`, `publish` or `report`.
    pub kind: String,
    /// What to do.
    pub title: String,
    /// When.
    pub due_date: NaiveDate,
}

/// A piece of content a plan asks for.
#[derive(SimpleObject)]
#[graphql(cache_control(max_age = 60))]
pub struct CampaignPlanContent {
    /// The audience.
    pub audience: String,
    /// Channel code.
    pub channel: String,
    /// `video`, `image` or `text`.
    pub format: String,
    /// Message variants to produce.
    pub variants: i32,
    /// The brief.
    pub brief: String,
}

/// Whether a plan may run.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CampaignPlanStatus {
    /// Proposed, waiting for its campaign's approvals.
    Draft,
    /// Its campaign was approved (budget, content, schedule).
    Approved,
    /// Its campaign was cancelled.
    Discarded,
}

/// A plan proposed for a campaign: channels, calendar, content and why.
pub struct CampaignPlan {
    plan: store::workflow::CampaignPlan,
    campaign_status: domain::campaign::CampaignStatus,
    currency: String,
}

/// A plan proposed for a campaign: channels, calendar, content and why.
#[Object(cache_control(max_age = 60))]
impl CampaignPlan {
    /// The plan's UUIDv7.
    async fn id(&self) -> ID {
        ID(self.plan.id.to_string())
    }

    /// A draft until its campaign is approved.
    async fn status(&self) -> CampaignPlanStatus {
        use domain::campaign::CampaignStatus as S;
        match self.campaign_status {
            S::Draft | S::PendingApproval => CampaignPlanStatus::Draft,
            S::Cancelled => CampaignPlanStatus::Discarded,
            S::Approved | S::Active | S::Paused | S::Completed => CampaignPlanStatus::Approved,
        }
    }

    /// Channels per audience and their budget.
    async fn channels(&self) -> Vec<CampaignPlanChannel> {
        self.plan
            .plan
            .allocations
            .iter()
            .map(|a| CampaignPlanChannel {
                audience: a.audience.clone(),
                channel: a.channel.clone(),
                share_percent: a.share_bp as f64 / 100.0,
                budget: Money {
                    amount: Decimal4(a.budget),
                    currency: self.currency.clone(),
                },
            })
            .collect()
    }

    /// The calendar of tasks.
    async fn tasks(&self) -> Vec<CampaignPlanTask> {
        self.plan
            .plan
            .tasks
            .iter()
            .map(|t| CampaignPlanTask {
                kind: t.kind.clone(),
                title: t.title.clone(),
                due_date: t.due_date,
            })
            .collect()
    }

    /// The content to produce.
    async fn content(&self) -> Vec<CampaignPlanContent> {
        self.plan
            .plan
            .content
            .iter()
            .map(|c| CampaignPlanContent {
                audience: c.audience.clone(),
                channel: c.channel.clone(),
                format: c.format.clone(),
                variants: c.variants,
                brief: c.brief.clone(),
            })
            .collect()
    }

    /// Why, one sentence per decision.
    async fn reasoning(&self) -> &[String] {
        &self.plan.plan.reasoning
    }

    /// Whether the organization's past results drove the split (otherwise defaults did).
    async fn based_on_history(&self) -> bool {
        self.plan.plan.based_on_history
    }

    /// The audiences of the strategy, by name.
    async fn audiences(&self) -> Vec<String> {
        self.plan
            .strategy
            .audiences
            .iter()
            .map(|a| a.name.clone())
            .collect()
    }

    /// The audiences of the strategy with their targeting criteria (conditions over
    /// population features, all of which must hold), as the strategy stated them.
    async fn target_audiences(&self) -> Vec<PlanAudience> {
        self.plan
            .strategy
            .audiences
            .iter()
            .map(|a| PlanAudience {
                name: a.name.clone(),
                criteria: a
                    .criteria
                    .iter()
                    .map(|c| AudienceCriterion {
                        feature: c.feature.into(),
                        values: c.values.clone(),
                        min: c.min,
                        max: c.max,
                    })
                    .collect(),
            })
            .collect()
    }

    /// When it was proposed.
    async fn proposed_at(&self) -> DateTime<Utc> {
        self.plan.created_at
    }
}

impl CampaignPlan {
    /// The GraphQL view of a stored plan of `campaign`.
    pub fn new(plan: store::workflow::CampaignPlan, campaign: &store::Campaign) -> Self {
        Self {
            plan,
            campaign_status: campaign.status,
            currency: campaign.currency.clone(),
        }
    }
}

/// The draft campaign a proposal created and its plan.
#[derive(SimpleObject)]
#[graphql(cache_control(max_age = 60))]
pub struct CampaignProposal {
    /// The campaign, a draft until approved.
    pub campaign: Campaign,
    /// The suggested plan.
    pub plan: CampaignPlan,
}

fn context<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a RequestContext> {
    ctx.data::<RequestContext>()
}

async fn current_campaign(
    store: &std::sync::Arc<dyn store::SalesStore>,
    scope: promptsales_kit::context::TenantScope,
    id: uuid::Uuid,
) -> Result<store::Campaign, ApiError> {
    store
        .campaigns_by_ids(scope, &[id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("Campaign", id))
}

/// `changeCampaignStatus`: moves a campaign along the state machine.
pub async fn change_status(
    ctx: &Context<'_>,
    id: &ID,
    to: CampaignStatus,
    comment: Option<String>,
) -> async_graphql::Result<Campaign> {
    let context = context(ctx)?;
    access::require(context, Role::Write)?;
    let id = parse_id("id", id)?;
    let comment = domain::text::optional("comment", comment.as_deref(), 1_000)?;
    let (scope, store) = (context.scope(), super::store(ctx)?);
    let to: domain::campaign::CampaignStatus = to.into();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let campaign = current_campaign(store, scope, id).await?;
        let approvals = store.approvals_of_campaigns(scope, &[id]).await.api()?;
        let granted = workflow::granted_in_last_round(&approvals);
        let transition = workflow::transition(campaign.status, to, &granted)?;
        if to == domain::campaign::CampaignStatus::Active {
            // Launching or resuming adds an active campaign: the plan may not allow one more.
            super::plans::check_active_campaigns(store, scope, campaign.organization_id).await?;
        }
        let change = StatusChange {
            campaign_id: id,
            version: campaign.updated_at,
            from: transition.from,
            to: transition.to,
            request: transition.request,
            requested_by: context.user,
            withdraw_pending: transition.withdraw_pending,
        };
        let mut entry = audit::entry(
            context,
            audit::origin(ctx),
            "campaign.status_changed",
            "Campaign",
            Some(id.to_string()),
            Severity::Warning,
            json!({"from": transition.from.as_str(), "to": to.as_str(), "comment": comment}),
        );
        entry.organization_id = Some(campaign.organization_id);
        match store.change_status(scope, change, entry).await {
            Ok(campaign) => {
                tracing::info!(campaign = %id, to = to.as_str(), "campaign status changed");
                if to.stops_ads() {
                    stop_ads(ctx, store, id).await;
                }
                return Ok(Campaign(campaign));
            }
            Err(WriteError::Conflict(_)) if attempt < ATTEMPTS => continue,
            Err(e) => return Err(ApiError::from(e).into()),
        }
    }
}

/// Asks ads to stop the campaign's ads at once, with the caller's token. The stop is owed
/// durably already (the outbox row written with the status change): success deletes the row;
/// a failure is reported beside the (done) status change as `SERVICE_UNAVAILABLE` and the
/// row is left to the reconcile sweep (`crate::reconcile`), which retries it until ads confirms.
async fn stop_ads(
    ctx: &Context<'_>,
    store: &std::sync::Arc<dyn store::SalesStore>,
    id: uuid::Uuid,
) {
    // The caller's own token, from its HTTP request or WebSocket connection alike.
    let authorization = ctx
        .data_opt::<promptsales_kit::server::RequestMeta>()
        .and_then(promptsales_kit::server::RequestMeta::authorization);
    let asked_at = chrono::Utc::now();
    match crate::ads_link::campaign_stopped(id, authorization).await {
        Ok(ads) => {
            if let Err(e) = store.reconcile_done(id, asked_at).await {
                // Done in ads; the sweep asks again later and ads, idempotent, changes nothing.
                tracing::warn!(campaign = %id, error = %e, "ads stop done but not recorded");
            }
            // Their status changed outside the router's view: this response names them, so
            // the router invalidates every cached response holding them.
            for ad in &ads {
                promptsales_kit::cache_hints::tag_changed(ctx, "Ad", ad);
            }
            tracing::info!(campaign = %id, ads = ads.len(), "campaign's ads stopped");
        }
        Err(why) => {
            tracing::error!(campaign = %id, error = %why, "campaign's ads not stopped");
            let mut error = async_graphql::ServerError::new(
                format!(
                    "the campaign's status changed, but its ads were not all stopped yet ({why}); \
                     sales retries until ads confirms (see the campaign's adsStopPending)"
                ),
                Some(ctx.item.pos),
            );
            let mut extensions = async_graphql::ErrorExtensionValues::default();
            extensions.set("code", "SERVICE_UNAVAILABLE");
            error.extensions = Some(extensions);
            ctx.add_error(error);
        }
    }
}

/// Marks done the campaign's open approval tasks that `granted` completes (the plan's
/// "approve ..." tasks must not stay open, and alert as overdue, once approved). A failure is
/// logged: the approval stands, and the task can be closed by hand.
async fn close_approval_tasks(
    store: &std::sync::Arc<dyn store::SalesStore>,
    scope: promptsales_kit::context::TenantScope,
    campaign_id: uuid::Uuid,
    granted: &[domain::workflow::ApprovalKind],
) {
    let done = domain::planner::approval_tasks_done(granted);
    if done.is_empty() {
        return;
    }
    let tasks = match store.tasks_of_campaigns(scope, &[campaign_id]).await {
        Ok(tasks) => tasks,
        Err(e) => {
            tracing::warn!(campaign = %campaign_id, error = %e, "approval tasks not closed");
            return;
        }
    };
    for task in tasks.into_iter().filter(|t| {
        t.status == domain::agenda::TaskStatus::Open && done.contains(&t.title.as_str())
    }) {
        if let Err(e) = store
            .finish_task(scope, task.id, domain::agenda::TaskStatus::Done)
            .await
        {
            tracing::warn!(task = %task.id, error = ?e, "approval task not closed");
        }
    }
}

/// `resolveApproval`: grants or refuses a pending approval (sales admin, not the requester).
pub async fn resolve(
    ctx: &Context<'_>,
    id: &ID,
    decision: Decision,
    comments: Option<String>,
) -> async_graphql::Result<Approval> {
    let context = context(ctx)?;
    access::require(context, Role::Admin)?;
    let resolver = access::acting_user(context, "resolving an approval")?;
    let id = parse_id("id", id)?;
    let comments = domain::text::optional("comments", comments.as_deref(), 2_000)?;
    let (scope, store) = (context.scope(), super::store(ctx)?);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let approval = store
            .approvals_by_ids(scope, &[id])
            .await
            .api()?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::not_found("Approval", id))?;
        let campaign = current_campaign(store, scope, approval.campaign_id).await?;
        let all = store
            .approvals_of_campaigns(scope, &[campaign.id])
            .await
            .api()?;
        let granted = workflow::granted_in_round(&all, approval.round);
        let resolution = workflow::resolve(
            approval.status,
            approval.kind,
            approval.requested_by,
            resolver,
            decision.into(),
            campaign.status,
            &granted,
        )?;
        let granted_now = resolution.status == domain::workflow::ApprovalStatus::Granted;
        let store_decision = StoreDecision {
            approval_id: id,
            status: resolution.status,
            resolved_by: resolver,
            comments: comments.clone(),
            campaign_id: campaign.id,
            campaign_version: campaign.updated_at,
            campaign: resolution.campaign.map(|t| StatusChange {
                campaign_id: campaign.id,
                version: campaign.updated_at,
                from: t.from,
                to: t.to,
                request: t.request,
                requested_by: Some(resolver),
                withdraw_pending: t.withdraw_pending,
            }),
        };
        let mut entry = audit::entry(
            context,
            audit::origin(ctx),
            if granted_now {
                "approval.granted"
            } else {
                "approval.rejected"
            },
            "Approval",
            Some(id.to_string()),
            Severity::Warning,
            json!({
                "campaign": campaign.id.to_string(),
                "kind": approval.kind.as_str(),
                "round": approval.round,
                "comments": comments,
            }),
        );
        entry.organization_id = Some(campaign.organization_id);
        match store.resolve_approval(scope, store_decision, entry).await {
            Ok(approval) => {
                if granted_now {
                    let mut now_granted = granted.clone();
                    now_granted.push(approval.kind);
                    close_approval_tasks(store, scope, campaign.id, &now_granted).await;
                }
                return Ok(Approval(approval));
            }
            Err(WriteError::Conflict(_)) if attempt < ATTEMPTS => continue,
            Err(e) => return Err(ApiError::from(e).into()),
        }
    }
}

/// `proposeCampaignPlan`: a draft campaign and its suggested plan from a strategy.
pub async fn propose(
    ctx: &Context<'_>,
    input: CampaignStrategyInput,
) -> async_graphql::Result<CampaignProposal> {
    let context = context(ctx)?;
    access::require(context, Role::Write)?;
    let organization_id = parse_id("input.organizationId", &input.organization_id)?;
    let owner_id = parse_id("input.ownerId", &input.owner_id)?;
    let product_ids = parse_ids("input.productIds", &input.product_ids)?;
    let objectives: Vec<store::NewObjective> = input
        .objectives
        .into_iter()
        .map(CampaignObjectiveInput::into_new)
        .collect();
    let strategy = planner::validate(planner::Strategy {
        name: input.name,
        key_message: input.key_message,
        intent: input.intent,
        audiences: input
            .audiences
            .into_iter()
            .map(|a| planner::Audience {
                name: a.name,
                criteria: a
                    .criteria
                    .into_iter()
                    .map(|c| planner::Criterion {
                        feature: c.feature.into(),
                        values: c.values,
                        min: c.min,
                        max: c.max,
                    })
                    .collect(),
            })
            .collect(),
        countries: input.countries,
        objectives: objectives
            .iter()
            .map(|o| planner::StrategyObjective {
                kind: o.kind.as_str().to_string(),
                metric: o.metric.clone(),
                target: o.target.to_string(),
            })
            .collect(),
        budget: input.budget.raw(),
        currency: input.currency,
        start_date: input.start_date,
        end_date: input.end_date,
    })?;
    let new = domain::campaign::validate_new(NewCampaign {
        id: None,
        organization_id,
        owner_id,
        name: strategy.name.clone(),
        description: Some(format!(
            "Proposed from a strategy: {}",
            strategy.key_message
        )),
        key_message: Some(strategy.key_message.clone()),
        intent: strategy.intent.clone(),
        status: domain::campaign::CampaignStatus::INITIAL,
        budget: Budget {
            total: Decimal4(strategy.budget),
            spent: Decimal4::ZERO,
        },
        currency: strategy.currency.clone(),
        start_date: strategy.start_date,
        end_date: strategy.end_date,
        industry: None,
        target_countries: strategy.countries.clone(),
        product_ids,
        objectives,
    })?;
    let (scope, store) = (context.scope(), super::store(ctx)?);
    super::writable_organization(store, scope, organization_id).await?;
    super::check_campaign_references(
        store,
        scope,
        organization_id,
        Some(owner_id),
        Some(&new.product_ids),
    )
    .await?;
    let history = store.channel_history(scope, organization_id).await.api()?;
    let plan = planner::propose(&strategy, &history, chrono::Utc::now().date_naive());
    let mut entry = audit::entry(
        context,
        audit::origin(ctx),
        "campaign.proposed",
        "Campaign",
        None,
        Severity::Info,
        json!({"basedOnHistory": plan.based_on_history, "audiences": strategy.audiences.len()}),
    );
    entry.organization_id = Some(organization_id);
    let (campaign, plan) = store
        .insert_proposal(new, strategy, plan, context.user, entry)
        .await
        .api()?;
    tracing::info!(campaign = %campaign.id, "campaign plan proposed");
    Ok(CampaignProposal {
        plan: CampaignPlan::new(plan, &campaign),
        campaign: Campaign(campaign),
    })
}

/// `pendingApprovals`: what waits for a decision, oldest first.
pub async fn pending(
    ctx: &Context<'_>,
    organization_id: Option<ID>,
    first: Option<i32>,
) -> async_graphql::Result<Vec<Approval>> {
    let context = context(ctx)?;
    access::require(context, Role::Read)?;
    let organization = organization_id
        .map(|id| parse_id("organizationId", &id))
        .transpose()?;
    let limit = first.unwrap_or(50).clamp(1, 100) as u64;
    let rows = super::store(ctx)?
        .pending_approvals(context.scope(), organization, limit)
        .await
        .api()?;
    Ok(rows.into_iter().map(Approval).collect())
}
