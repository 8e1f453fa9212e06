//! The smart agenda in GraphQL: tasks, and the live reminders and alerts.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::Stream;
use promptsales_kit::context::Role;
use promptsales_kit::{ApiError, RequestContext, ResultExt, parse_id};
use tokio::sync::broadcast::error::RecvError;

use crate::domain::{self, access, agenda};
use crate::store::{self, agenda::NewTask};

/// What a task is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::agenda::TaskKind")]
pub enum ScheduleTaskKind {
    /// Review deliverables.
    ContentReview,
    /// Decide an approval.
    Approval,
    /// Publish.
    Publish,
    /// Report results.
    Report,
}

/// Where a task stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::agenda::TaskStatus")]
pub enum ScheduleTaskStatus {
    /// To do.
    Open,
    /// Done.
    Done,
    /// No longer needed.
    Cancelled,
}

/// A task of a campaign's calendar.
pub struct ScheduleTask(pub store::agenda::ScheduleTask);

/// A task of a campaign's calendar.
#[Object(cache_control(max_age = 30))]
impl ScheduleTask {
    /// The task's UUIDv7.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Its campaign.
    async fn campaign_id(&self) -> ID {
        ID(self.0.campaign_id.to_string())
    }

    /// What.
    async fn kind(&self) -> ScheduleTaskKind {
        self.0.kind.into()
    }

    /// Title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// Who does it.
    async fn owner_id(&self) -> Option<ID> {
        self.0.owner_id.map(|id| ID(id.to_string()))
    }

    /// When due.
    async fn due_at(&self) -> DateTime<Utc> {
        self.0.due_at
    }

    /// When its owner is reminded.
    async fn remind_at(&self) -> DateTime<Utc> {
        self.0.remind_at
    }

    /// Where it stands.
    async fn status(&self) -> ScheduleTaskStatus {
        self.0.status.into()
    }

    /// When the reminder went out.
    async fn reminder_sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.reminder_sent_at
    }

    /// When the overdue alert went out.
    async fn overdue_alerted_at(&self) -> Option<DateTime<Utc>> {
        self.0.overdue_alerted_at
    }

    /// When it was done.
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
}

/// A reminder or an overdue alert.
#[derive(SimpleObject, Clone)]
#[graphql(cache_control(max_age = 0, private))]
pub struct AgendaNotification {
    /// `reminder` or `overdue`.
    pub kind: String,
    /// The task.
    pub task_id: ID,
    /// Its campaign.
    pub campaign_id: ID,
    /// Its owner.
    pub owner_id: Option<ID>,
    /// The task's title.
    pub title: String,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// When the scheduler fired it.
    pub fired_at: DateTime<Utc>,
}

impl From<store::agenda::AgendaNotification> for AgendaNotification {
    fn from(n: store::agenda::AgendaNotification) -> Self {
        Self {
            kind: n.kind,
            task_id: ID(n.task_id.to_string()),
            campaign_id: ID(n.campaign_id.to_string()),
            owner_id: n.owner_id.map(|id| ID(id.to_string())),
            title: n.title,
            due_at: n.due_at,
            fired_at: n.fired_at,
        }
    }
}

/// A task to add to a campaign's calendar.
#[derive(InputObject)]
pub struct ScheduleTaskInput {
    /// The campaign.
    pub campaign_id: ID,
    /// What.
    pub kind: ScheduleTaskKind,
    /// Title.
    pub title: String,
    /// Who does it (a user of the campaign's organization).
    pub owner_id: Option<ID>,
    /// When due.
    pub due_at: DateTime<Utc>,
}

/// `createScheduleTask`.
pub async fn create(
    ctx: &Context<'_>,
    input: ScheduleTaskInput,
) -> async_graphql::Result<ScheduleTask> {
    let context = ctx.data::<RequestContext>()?;
    access::require(context, Role::Write)?;
    let campaign_id = parse_id("input.campaignId", &input.campaign_id)?;
    let owner = input
        .owner_id
        .map(|id| parse_id("input.ownerId", &id))
        .transpose()?;
    let plan = agenda::validate(input.kind.into(), &input.title, input.due_at, domain::now())?;
    let (scope, store) = (context.scope(), super::store(ctx)?);
    let campaign = store
        .campaigns_by_ids(scope, &[campaign_id])
        .await
        .api()?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("Campaign", campaign_id))?;
    if let Some(owner) = owner {
        let found = store.users_by_ids(scope, &[owner]).await.api()?;
        domain::campaign::check_owner("input.ownerId", found.first(), campaign.organization_id)?;
    }
    let mut created = store
        .insert_tasks(vec![NewTask {
            organization_id: campaign.organization_id,
            campaign_id,
            kind: plan.kind,
            title: plan.title,
            owner_id: owner,
            due_at: plan.due_at,
            remind_at: plan.remind_at,
        }])
        .await
        .api()?;
    created
        .pop()
        .map(ScheduleTask)
        .ok_or_else(|| ApiError::Conflict("the task was not written".into()).into())
}

/// `completeScheduleTask` / `cancelScheduleTask`.
pub async fn finish(ctx: &Context<'_>, id: &ID, done: bool) -> async_graphql::Result<ScheduleTask> {
    let context = ctx.data::<RequestContext>()?;
    access::require(context, Role::Write)?;
    let id = parse_id("id", id)?;
    let status = if done {
        agenda::TaskStatus::Done
    } else {
        agenda::TaskStatus::Cancelled
    };
    let task = super::store(ctx)?
        .finish_task(context.scope(), id, status)
        .await
        .api()?;
    Ok(ScheduleTask(task))
}

/// Root subscriptions.
pub struct SalesSubscription;

/// Root subscriptions.
#[Subscription(name = "Subscription")]
impl SalesSubscription {
    /// Reminders and overdue alerts of the caller's organization (of one campaign when given),
    /// as the agenda scheduler fires them.
    async fn agenda_notifications(
        &self,
        ctx: &Context<'_>,
        campaign_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = AgendaNotification>> {
        use futures::StreamExt;
        let context = ctx.data::<RequestContext>()?;
        access::require(context, Role::Read)?;
        let campaign = campaign_id
            .map(|id| parse_id("campaignId", &id))
            .transpose()?;
        let scope = context.scope();
        // Another tenant's (or no) campaign is refused at subscribe time, as a query would be.
        if let Some(campaign) = campaign {
            let visible = super::loaders::loader::<super::loaders::CampaignLoader>(ctx)?
                .load_one(campaign)
                .await
                .api()?;
            if visible.is_none() {
                return Err(ApiError::not_found("Campaign", campaign).into());
            }
        }
        let receiver = crate::scheduler::hub().subscribe();
        let notifications = futures::stream::unfold(receiver, |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(n) => return Some((n, receiver)),
                    // A slow subscriber skips what it missed; every notification is in the store.
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "an agenda subscriber fell behind");
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        });
        Ok(notifications.filter_map(move |n| {
            let keep =
                scope.allows(n.organization_id) && campaign.is_none_or(|c| c == n.campaign_id);
            async move { keep.then(|| AgendaNotification::from(n)) }
        }))
    }

    /// The campaigns of an organization (some of them when `campaignIds` is given) whose
    /// performance the ETL just recomputed: read `dashboard` or their `performance` again.
    async fn campaign_performance_updated(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        campaign_ids: Option<Vec<ID>>,
    ) -> async_graphql::Result<impl Stream<Item = super::etl::CampaignPerformanceUpdate>> {
        super::etl::performance_updates(ctx, &organization_id, campaign_ids).await
    }
}
