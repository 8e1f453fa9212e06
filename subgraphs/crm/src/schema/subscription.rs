//! Live updates of an agent's queue.

use async_graphql::{Context, ID, Subscription as SubscriptionDerive};
use chrono::Utc;
use futures::Stream;
use promptsales_kit::ApiError;
use promptsales_kit::context::Role;
use tokio::sync::broadcast::error::RecvError;

use super::references::User;
use super::types::LeadQueueEvent;
use super::{authorize, crm_store, one_organization, optional_id};
use crate::domain::queue;
use crate::queue_bus::QueueEventKind;
use crate::services::Services;

/// Root subscriptions.
#[derive(Default)]
pub struct Subscription;

#[SubscriptionDerive]
impl Subscription {
    /// New, re-prioritised, claimed and closed leads of an agent's queue (theirs and the
    /// unassigned pool), pushed as they happen on any crm instance.
    async fn lead_queue_updates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The agent (a user id); default the caller.")] agent_id: Option<ID>,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = LeadQueueEvent> + use<>> {
        let context = authorize(ctx, Role::Read)?;
        let organization = one_organization(context, organization_id.as_ref(), "organizationId")?;
        let named = optional_id("agentId", agent_id.as_ref())?;
        let agent = match named {
            Some(agent) => Some(agent),
            None => context.user,
        }
        .ok_or_else(|| {
            ApiError::bad_input(
                "agentId",
                "agentId is required when the caller is not a user",
            )
        })?;
        // Refused at subscribe time, as a query would be: an agent crm knows only from
        // another tenant's leads is NOT_FOUND here (users live in sales; an agent with no
        // leads yet has nothing to tell apart, and the events are the organization's anyway).
        if named.is_some_and(|agent| Some(agent) != context.user) {
            let organizations = crm_store(ctx)?
                .agent_organizations(agent)
                .await
                .map_err(ApiError::from)?;
            if !organizations.is_empty() && !organizations.contains(&organization) {
                return Err(ApiError::not_found("User", agent).into());
            }
        }
        let receiver = ctx.data::<Services>()?.bus.subscribe();
        Ok(futures::stream::unfold(
            receiver,
            move |mut receiver| async move {
                loop {
                    match receiver.recv().await {
                        Ok(event)
                            if event.organization_id == organization
                            // Claims go to everyone: the lead leaves the others' pool.
                            && (event.kind == QueueEventKind::Claimed
                                || event.agent_id.is_none_or(|a| a == agent)) =>
                        {
                            let item = LeadQueueEvent {
                                kind: event.kind.into(),
                                lead_id: ID(event.lead_id.to_string()),
                                agent: event.agent_id.map(User::reference),
                                priority: event.queue_key.map(|k| queue::priority(k, Utc::now())),
                            };
                            return Some((item, receiver));
                        }
                        Ok(_) => continue,
                        // A slow subscriber skips what it missed; the queue query has the current state.
                        Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    }
                }
            },
        ))
    }
}
