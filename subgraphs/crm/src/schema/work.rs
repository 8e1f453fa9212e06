//! The sales work: lead capture, the funnel, interactions, scoring, the agent queue, the copilot.

use promptsales_kit::StrEnum;
use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object};
use chrono::Utc;
use promptsales_kit::ai::{ChatMessage, ChatRequest};
use promptsales_kit::context::Role;
use promptsales_kit::{ApiError, Decimal4, parse_id};
use uuid::Uuid;

use super::enums::{LeadSource, LeadStage};
use super::interaction::{Interaction, InteractionChannel, RecordInteractionInput};
use super::lead::Lead;
use super::types::{
    InteractionRef, LeadCaptureResult, LeadReplySuggestion, LeadScoringModel, QueuedLead,
};
use super::{authorize, crm_store, one_organization, optional_id, scope};
use crate::domain::capture::LeadCapture;
use crate::domain::customer::NewCustomer;
use crate::domain::interaction::{Actor, Direction, NewInteraction};
use crate::domain::{copilot, funnel, queue, scoring};
use crate::queue_bus::{QueueEvent, QueueEventKind};
use crate::services::Services;
use crate::store::{self, CrmStore, LeadScore, StageMove};
use promptsales_kit::references::{self, Reference};

/// Publishes a queue event about `lead` (never fails: see [`crate::queue_bus`]).
pub async fn publish(services: &Services, lead: &store::Lead, kind: QueueEventKind) {
    services
        .bus
        .publish(QueueEvent {
            organization_id: lead.organization_id,
            lead_id: lead.id,
            agent_id: lead.assigned_agent_id,
            kind,
            queue_key: lead.queue_key,
        })
        .await;
}

/// Captures a lead, scores it and announces it (the mutation).
pub async fn capture(
    store: &Arc<dyn CrmStore>,
    services: &Services,
    capture: LeadCapture,
) -> Result<LeadCaptureResult, ApiError> {
    let organization = capture.customer.organization_id;
    let outcome = store.capture_lead(capture).await?;
    after_capture(store, services, organization, outcome).await
}

/// What follows a committed capture (shared by the mutation and the webhook): the lead is scored
/// with the organization's current model when there is one (a failure there is logged and
/// counted, never the capture's), read back and announced.
pub async fn after_capture(
    store: &Arc<dyn CrmStore>,
    services: &Services,
    organization: Uuid,
    outcome: store::CaptureOutcome,
) -> Result<LeadCaptureResult, ApiError> {
    if let Err(e) = score_leads(store.as_ref(), organization, &[outcome.lead_id], Utc::now()).await
    {
        let failures = services
            .capture_scoring_failures
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        tracing::warn!(lead = %outcome.lead_id, error = %e, failures, "a captured lead could not be scored; the next retrain scores it");
    }
    let scope = promptsales_kit::context::TenantScope::Organization(organization);
    let customer = store
        .customer(scope, outcome.customer_id)
        .await?
        .ok_or_else(|| ApiError::not_found("Customer", outcome.customer_id))?;
    let lead = store
        .lead(scope, outcome.lead_id)
        .await?
        .ok_or_else(|| ApiError::not_found("Lead", outcome.lead_id))?;
    let kind = if outcome.new_lead {
        QueueEventKind::New
    } else {
        QueueEventKind::Reprioritised
    };
    publish(services, &lead, kind).await;
    tracing::info!(
        lead = %lead.id,
        customer = %customer.id,
        new_customer = outcome.new_customer,
        new_lead = outcome.new_lead,
        "lead captured"
    );
    Ok(LeadCaptureResult {
        customer,
        lead,
        new_customer: outcome.new_customer,
        new_lead: outcome.new_lead,
    })
}

/// A lead's score under `model` (named `scored_by` on the lead) at `now`, and its queue key.
pub fn score_with(
    model: &store::ScoringModel,
    scored_by: &str,
    signals: &store::LeadSignals,
    now: chrono::DateTime<Utc>,
) -> LeadScore {
    let (p, reasons) = model.predict(signals, now);
    let waiting_since = signals.last_contacted_at.unwrap_or(signals.created_at);
    LeadScore {
        lead_id: signals.lead_id,
        score: (p * 100.0).round() as i32,
        purchase_intent: p,
        reasons,
        queue_key: queue::queue_key(p, signals.estimated_value, waiting_since),
        scored_by: scored_by.to_string(),
    }
}

/// A lead's score under an organization's trained `model` at `now`, and its queue key.
pub fn score_of(
    model: &store::ScoringModel,
    signals: &store::LeadSignals,
    now: chrono::DateTime<Utc>,
) -> LeadScore {
    score_with(model, &scoring::model_name(model), signals, now)
}

/// Scores the organization's leads among `lead_ids`: with its trained model when it has one,
/// else with the platform prior ([`scoring::platform_prior`]); every new lead is scored.
pub async fn score_leads(
    store: &dyn CrmStore,
    organization: Uuid,
    lead_ids: &[Uuid],
    now: chrono::DateTime<Utc>,
) -> Result<bool, promptsales_kit::StoreError> {
    let (model, name) = match store.scoring_model(organization).await? {
        Some(model) => {
            let name = scoring::model_name(&model);
            (model, name)
        }
        None => (
            scoring::platform_prior(now),
            scoring::PRIOR_NAME.to_string(),
        ),
    };
    let scores: Vec<LeadScore> = store
        .lead_signals_of(organization, lead_ids)
        .await?
        .iter()
        .map(|s| score_with(&model, &name, s, now))
        .collect();
    store.save_scores(organization, &scores).await?;
    Ok(true)
}

/// A lead captured from a form, an ad or a message.
#[derive(InputObject, Debug, Clone)]
pub struct CaptureLeadInput {
    /// The tenant; required only when the request is not scoped to one.
    pub organization_id: Option<ID>,
    /// The campaign credited.
    pub campaign_id: ID,
    /// The channel it came from.
    pub source: LeadSource,
    /// The ad it came from.
    pub source_ad_id: Option<ID>,
    /// Full name.
    pub full_name: String,
    /// E-mail: who the person is (a known e-mail merges into that customer).
    pub email: String,
    /// Phone with country code.
    pub phone: Option<String>,
    /// ISO 3166-1 alpha-2 country.
    pub country: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Latitude (with longitude).
    pub latitude: Option<f64>,
    /// Longitude (with latitude).
    pub longitude: Option<f64>,
    /// The deal's estimated value.
    #[graphql(default_with = "Decimal4::ZERO")]
    pub estimated_value: Decimal4,
    /// Engagement with the organization's ads before the capture.
    #[graphql(default = 0)]
    pub ad_clicks: i32,
    /// Consent to marketing messages.
    #[graphql(default = false)]
    pub consent_marketing: bool,
    /// A message sent with it (recorded as an inbound interaction).
    pub message: Option<String>,
    /// The message's channel.
    #[graphql(default_with = "InteractionChannel::Web")]
    pub message_channel: InteractionChannel,
}

impl CaptureLeadInput {
    /// The domain capture for `organization_id`.
    pub fn into_domain(self, organization_id: Uuid) -> Result<LeadCapture, ApiError> {
        Ok(LeadCapture {
            customer: NewCustomer {
                id: None,
                organization_id,
                full_name: self.full_name,
                email: self.email,
                phone: self.phone,
                country: self.country,
                city: self.city,
                latitude: self.latitude,
                longitude: self.longitude,
                segment: None,
                lifetime_value: Decimal4::ZERO,
            },
            campaign_id: parse_id("input.campaignId", &self.campaign_id)?,
            source: self.source.into(),
            source_ad_id: optional_id("input.sourceAdId", self.source_ad_id.as_ref())?,
            estimated_value: self.estimated_value,
            ad_clicks: self.ad_clicks,
            consent_marketing: self.consent_marketing,
            message: self.message,
            message_channel: self.message_channel.into(),
            captured_at: Utc::now(),
        })
    }
}

/// A stage move by someone who read the lead at `expectedVersion`.
#[derive(InputObject, Debug, Clone)]
pub struct MoveLeadStageInput {
    /// The lead.
    pub lead_id: ID,
    /// The version read (a later change makes the move a `CONFLICT`).
    pub expected_version: i32,
    /// The new stage.
    pub stage: LeadStage,
    /// Why.
    pub note: Option<String>,
}

/// Queries of the sales work.
#[derive(Default)]
pub struct WorkQuery;

#[Object]
impl WorkQuery {
    /// An agent's queue: their open leads and the unassigned pool, highest priority first.
    async fn agent_queue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The agent (a user id); default the caller.")] agent_id: Option<ID>,
        #[graphql(desc = "Required only when the request is not scoped to an organization.")]
        organization_id: Option<ID>,
        #[graphql(default = 20, validator(minimum = 1, maximum = 100))] first: i32,
    ) -> async_graphql::Result<Vec<QueuedLead>> {
        let context = authorize(ctx, Role::Read)?;
        let organization = one_organization(context, organization_id.as_ref(), "organizationId")?;
        let agent = agent_or_caller(context, agent_id.as_ref())?;
        let leads = crm_store(ctx)?
            .agent_queue(organization, agent, u64::try_from(first).unwrap_or(20))
            .await
            .map_err(ApiError::from)?;
        let now = Utc::now();
        Ok(leads
            .into_iter()
            .map(|lead| QueuedLead {
                priority: lead.queue_key.map_or(0.0, |k| queue::priority(k, now)),
                lead,
            })
            .collect())
    }

    /// The organization's latest lead-scoring model and its held-out AUC (null before any training).
    async fn lead_scoring_model(
        &self,
        ctx: &Context<'_>,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<Option<LeadScoringModel>> {
        let context = authorize(ctx, Role::Read)?;
        let organization = one_organization(context, organization_id.as_ref(), "organizationId")?;
        let model = crm_store(ctx)?
            .scoring_model(organization)
            .await
            .map_err(ApiError::from)?;
        Ok(model.map(Into::into))
    }

    /// The copilot's suggested next reply to a lead, from its history (nothing is recorded).
    async fn suggested_reply(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
    ) -> async_graphql::Result<LeadReplySuggestion> {
        authorize(ctx, Role::Read)?;
        let lead_id = parse_id("leadId", &lead_id)?;
        Ok(suggest(ctx, lead_id).await?.0)
    }
}

fn agent_or_caller(
    context: &promptsales_kit::RequestContext,
    agent_id: Option<&ID>,
) -> Result<Uuid, ApiError> {
    match optional_id("agentId", agent_id)? {
        Some(agent) => Ok(agent),
        None => context.user.ok_or_else(|| {
            ApiError::bad_input(
                "agentId",
                "agentId is required when the caller is not a user",
            )
        }),
    }
}

/// The suggestion for a lead and the lead itself.
async fn suggest(
    ctx: &Context<'_>,
    lead_id: Uuid,
) -> async_graphql::Result<(LeadReplySuggestion, store::Lead)> {
    let scope = scope(ctx)?;
    let store = crm_store(ctx)?;
    let lead = store
        .lead(scope, lead_id)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::not_found("Lead", lead_id))?;
    let customer = store
        .customer(scope, lead.customer_id)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::not_found("Customer", lead.customer_id))?;
    let history = store
        .interactions_of_leads(scope, &[lead.id], 10)
        .await
        .map_err(ApiError::from)?
        .remove(&lead.id)
        .unwrap_or_default();
    let draft = copilot::draft(&customer.full_name, &lead, &history);
    let request = ChatRequest::new(vec![
        ChatMessage::system(copilot::INSTRUCTIONS),
        ChatMessage::user(draft.clone()),
    ]);
    let services = ctx.data::<Services>()?;
    let generation = services
        .ai
        .generate(Some(lead.organization_id), "crm.copilot", &request)
        .await
        .map_err(ApiError::from)?;
    Ok((
        LeadReplySuggestion {
            text: copilot::final_text(&generation.output.text, &draft),
            model: generation.output.model.clone(),
            from_cache: generation.from_cache,
            interaction: None,
        },
        lead,
    ))
}

/// Mutations of the sales work.
#[derive(Default)]
pub struct WorkMutation;

#[Object]
impl WorkMutation {
    /// Captures a lead: a known e-mail merges into its customer (and that customer's open lead of
    /// the campaign), never duplicated, also when captures of one person arrive at once.
    async fn capture_lead(
        &self,
        ctx: &Context<'_>,
        input: CaptureLeadInput,
    ) -> async_graphql::Result<LeadCaptureResult> {
        let context = authorize(ctx, Role::Write)?;
        let organization = one_organization(
            context,
            input.organization_id.as_ref(),
            "input.organizationId",
        )?;
        let capture_input = input.into_domain(organization)?;
        let campaign_id = capture_input.campaign_id;
        let mut named = vec![Reference::campaign("input.campaignId", campaign_id)];
        named.extend(
            capture_input
                .source_ad_id
                .map(|id| Reference::ad("input.sourceAdId", id)),
        );
        references::check_for(ctx, named).await?;
        let captured = capture(crm_store(ctx)?, ctx.data::<Services>()?, capture_input).await?;
        // The campaign's funnel changed: cached responses holding it are stale.
        promptsales_kit::cache_hints::tag_changed(ctx, "Campaign", &campaign_id.to_string());
        Ok(captured)
    }

    /// Moves a lead through the funnel if nobody changed it since `expectedVersion` (else `CONFLICT`).
    async fn move_lead_stage(
        &self,
        ctx: &Context<'_>,
        input: MoveLeadStageInput,
    ) -> async_graphql::Result<Lead> {
        let context = authorize(ctx, Role::Write)?;
        let lead_id = parse_id("input.leadId", &input.lead_id)?;
        let note = crate::domain::optional_text_pub("input.note", input.note, 1000)
            .map_err(ApiError::from)?;
        let moved = crm_store(ctx)?
            .move_lead_stage(
                context.scope(),
                StageMove {
                    lead_id,
                    expected_version: input.expected_version,
                    to: input.stage.into(),
                    by: context.user,
                    note,
                    at: Utc::now(),
                },
            )
            .await
            .map_err(ApiError::from)?;
        if !funnel::is_open(moved.stage) {
            publish(ctx.data::<Services>()?, &moved, QueueEventKind::Closed).await;
        }
        promptsales_kit::cache_hints::tag_changed(ctx, "Campaign", &moved.campaign_id.to_string());
        tracing::info!(lead = %moved.id, stage = moved.stage.as_str(), version = moved.version, "lead moved");
        Ok(Lead::new(moved))
    }

    /// Records an interaction with a lead (its waiting time restarts on an outbound contact).
    async fn record_interaction(
        &self,
        ctx: &Context<'_>,
        input: RecordInteractionInput,
    ) -> async_graphql::Result<Interaction> {
        let context = authorize(ctx, Role::Write)?;
        let lead_id = parse_id("input.leadId", &input.lead_id)?;
        let actor: Actor = input.actor.into();
        let agent_id = match (
            actor,
            optional_id("input.agentId", input.agent_id.as_ref())?,
        ) {
            (Actor::Agent, None) => context.user,
            (_, given) => {
                if let Some(agent) = given {
                    references::check_for(ctx, vec![Reference::user("input.agentId", agent)])
                        .await?;
                }
                given
            }
        };
        let recorded = crm_store(ctx)?
            .record_interaction(
                context.scope(),
                NewInteraction {
                    lead_id,
                    channel: input.channel.into(),
                    direction: input.direction.into(),
                    actor,
                    agent_id,
                    summary: input.summary,
                    sentiment: input.sentiment,
                    occurred_at: input.occurred_at.unwrap_or_else(Utc::now),
                },
            )
            .await
            .map_err(ApiError::from)?;
        announce_lead(ctx, recorded.lead_id, QueueEventKind::Reprioritised).await?;
        Ok(Interaction(recorded))
    }

    /// Claims the caller's highest-priority unclaimed lead (theirs or unassigned); null when none.
    /// Two agents never claim the same lead.
    async fn claim_next_lead(
        &self,
        ctx: &Context<'_>,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<Option<Lead>> {
        let context = authorize(ctx, Role::Write)?;
        let organization = one_organization(context, organization_id.as_ref(), "organizationId")?;
        let agent = context.user.ok_or_else(|| {
            ApiError::Unauthenticated("claiming a lead needs a user (an agent)".into())
        })?;
        let claimed = crm_store(ctx)?
            .claim_next_lead(organization, agent)
            .await
            .map_err(ApiError::from)?;
        if let Some(lead) = &claimed {
            publish(ctx.data::<Services>()?, lead, QueueEventKind::Claimed).await;
            tracing::info!(lead = %lead.id, agent = %agent, "lead claimed");
        }
        Ok(claimed.map(Lead::new))
    }

    /// Retrains the organization's lead-scoring model on its closed leads and rescores every lead.
    async fn retrain_lead_scoring(
        &self,
        ctx: &Context<'_>,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<LeadScoringModel> {
        let context = authorize(ctx, Role::Write)?;
        let organization = one_organization(context, organization_id.as_ref(), "organizationId")?;
        let store = crm_store(ctx)?;
        let signals = store
            .lead_signals(organization)
            .await
            .map_err(ApiError::from)?;
        let now = Utc::now();
        let model = scoring::train(&signals, now).map_err(|e| match e {
            scoring::TrainError::NotEnoughData { .. } => ApiError::Conflict(e.to_string()),
            scoring::TrainError::Fit(message) => {
                ApiError::from(promptsales_kit::StoreError::Corrupt(message))
            }
        })?;
        let scores: Vec<LeadScore> = signals.iter().map(|s| score_of(&model, s, now)).collect();
        store
            .save_scoring(organization, &model, &scores)
            .await
            .map_err(ApiError::from)?;
        let open: Vec<Uuid> = signals
            .iter()
            .filter(|s| funnel::is_open(s.stage))
            .map(|s| s.lead_id)
            .collect();
        let services = ctx.data::<Services>()?;
        for lead in store
            .leads_by_ids(context.scope(), &open)
            .await
            .map_err(ApiError::from)?
        {
            publish(services, &lead, QueueEventKind::Reprioritised).await;
        }
        tracing::info!(organization = %organization, auc = ?model.auc, train = model.train_leads, "lead scoring retrained");
        Ok(model.into())
    }

    /// Sends the copilot's reply (or `text`, an agent's edit of it) and records it as an outbound
    /// bot interaction on the lead.
    async fn send_suggested_reply(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        #[graphql(desc = "The reply as sent; default the copilot's suggestion.")] text: Option<
            String,
        >,
        #[graphql(default_with = "InteractionChannel::Chat")] channel: InteractionChannel,
    ) -> async_graphql::Result<LeadReplySuggestion> {
        let context = authorize(ctx, Role::Write)?;
        let lead_id = parse_id("leadId", &lead_id)?;
        let (mut suggestion, lead) = match text.filter(|t| !t.trim().is_empty()) {
            Some(text) => {
                let lead = crm_store(ctx)?
                    .lead(context.scope(), lead_id)
                    .await
                    .map_err(ApiError::from)?
                    .ok_or_else(|| ApiError::not_found("Lead", lead_id))?;
                (
                    LeadReplySuggestion {
                        text: text.trim().to_string(),
                        model: "agent".into(),
                        from_cache: false,
                        interaction: None,
                    },
                    lead,
                )
            }
            None => suggest(ctx, lead_id).await?,
        };
        let recorded = crm_store(ctx)?
            .record_interaction(
                context.scope(),
                NewInteraction {
                    lead_id: lead.id,
                    channel: channel.into(),
                    direction: Direction::Outbound,
                    actor: Actor::Bot,
                    agent_id: None,
                    summary: Some(suggestion.text.clone()),
                    sentiment: None,
                    occurred_at: Utc::now(),
                },
            )
            .await
            .map_err(ApiError::from)?;
        suggestion.interaction = Some(InteractionRef {
            id: ID(recorded.id.to_string()),
        });
        announce_lead(ctx, lead.id, QueueEventKind::Reprioritised).await?;
        Ok(suggestion)
    }
}

async fn announce_lead(
    ctx: &Context<'_>,
    lead_id: Uuid,
    kind: QueueEventKind,
) -> async_graphql::Result<()> {
    if let Some(lead) = crm_store(ctx)?
        .lead(scope(ctx)?, lead_id)
        .await
        .map_err(ApiError::from)?
    {
        publish(ctx.data::<Services>()?, &lead, kind).await;
    }
    Ok(())
}
