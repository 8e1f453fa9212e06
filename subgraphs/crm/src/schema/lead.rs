//! `Lead` and its inputs.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use promptsales_kit::{ApiError, Decimal4, StoreError, parse_id};

use super::campaign::Campaign;
use super::customer::Customer;
use super::enums::{LeadSource, LeadStage};
use super::interaction::Interaction;
use super::loaders::{CustomerLoader, InteractionLoader, StageHistoryLoader};
use super::references::{Organization, User};
use super::types::{LeadScoreReason, LeadStageChange};
use crate::domain::lead::{LeadFilter as DomainFilter, stage_set};
use crate::domain::queue;
use crate::store;

/// A lead, with its customer when the list it came from loaded them all at once.
#[derive(Debug, Clone)]
pub struct Lead {
    /// The lead.
    pub lead: store::Lead,
    /// Its customer, preloaded by a list that knew the selection asks for it.
    pub customer: Option<store::Customer>,
}

impl Lead {
    /// A lead whose customer loads on demand.
    pub fn new(lead: store::Lead) -> Self {
        Self {
            lead,
            customer: None,
        }
    }
}

/// Whether a connection's selection reaches `node.customer`: lists then load every customer
/// of the page in one batch, instead of one load per node that the executor may split when it
/// yields between nodes.
pub fn selects_customer(ctx: &Context<'_>) -> bool {
    let look = ctx.look_ahead();
    look.field("edges").field("node").field("customer").exists()
        || look.field("nodes").field("customer").exists()
}

/// A customer's interest raised by a campaign, moving through the funnel.
#[Object(cache_control(max_age = 30))]
impl Lead {
    /// The lead's UUIDv7.
    async fn id(&self) -> ID {
        ID(self.lead.id.to_string())
    }

    /// The tenant it belongs to.
    async fn organization(&self) -> Organization {
        Organization::reference(self.lead.organization_id)
    }

    /// The customer it is about.
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Customer> {
        if let Some(customer) = &self.customer {
            return Ok(Customer(customer.clone()));
        }
        let loader = ctx.data::<DataLoader<CustomerLoader>>()?;
        let customer = loader.load_one(self.lead.customer_id).await?;
        // The foreign key ties a lead to a customer of its own tenant: a miss is a broken store.
        let customer = customer.ok_or_else(|| {
            ApiError::from(StoreError::Corrupt(format!(
                "lead {} points at missing customer {}",
                self.lead.id, self.lead.customer_id
            )))
        })?;
        Ok(Customer(customer))
    }

    /// The campaign that raised it.
    async fn campaign(&self) -> Campaign {
        Campaign {
            id: self.lead.campaign_id,
        }
    }

    /// Source channel.
    async fn source(&self) -> LeadSource {
        self.lead.source.into()
    }

    /// The ad it came from (an ads subgraph id), when known.
    async fn source_ad_id(&self) -> Option<ID> {
        self.lead.source_ad_id.map(|id| ID(id.to_string()))
    }

    /// Stage.
    async fn stage(&self) -> LeadStage {
        self.lead.stage.into()
    }

    /// Score, 0..100.
    async fn score(&self) -> i32 {
        self.lead.score
    }

    /// Purchase intent, 0..1.
    async fn purchase_intent(&self) -> f64 {
        self.lead.purchase_intent
    }

    /// The sales agent it is assigned to.
    async fn assigned_agent(&self) -> Option<User> {
        self.lead.assigned_agent_id.map(User::reference)
    }

    /// Row version, for optimistic concurrency on updates.
    async fn version(&self) -> i32 {
        self.lead.version
    }

    /// Last interaction with the customer about it.
    async fn last_interaction_at(&self) -> Option<DateTime<Utc>> {
        self.lead.last_interaction_at
    }

    /// The deal's estimated value (organization currency units).
    async fn estimated_value(&self) -> Decimal4 {
        self.lead.estimated_value
    }

    /// Engagement with the organization's ads reported with its captures.
    async fn ad_clicks(&self) -> i32 {
        self.lead.ad_clicks
    }

    /// How many captures were merged into it.
    async fn captures(&self) -> i32 {
        self.lead.captures
    }

    /// When an agent claimed it from the queue.
    async fn claimed_at(&self) -> Option<DateTime<Utc>> {
        self.lead.claimed_at
    }

    /// The last outbound contact.
    async fn last_contacted_at(&self) -> Option<DateTime<Utc>> {
        self.lead.last_contacted_at
    }

    /// Its queue priority now (intent, value, waiting time).
    async fn priority(&self) -> Option<f64> {
        self.lead.queue_key.map(|k| queue::priority(k, Utc::now()))
    }

    /// Why the model scored it as it did, strongest reason first (empty before any scoring).
    async fn score_reasons(&self) -> Vec<LeadScoreReason> {
        self.lead
            .score_reasons
            .iter()
            .cloned()
            .map(Into::into)
            .collect()
    }

    /// When the model last scored it.
    async fn scored_at(&self) -> Option<DateTime<Utc>> {
        self.lead.scored_at
    }

    /// Which model scored it: `platform-prior-v1` (the documented rule-based prior every
    /// organization starts with) or `organization-model@<trained at>` (the organization's own
    /// model, once trained on its won and lost leads); null before its first scoring.
    async fn scored_by(&self) -> Option<&str> {
        self.lead.scored_by.as_deref()
    }

    /// Every stage move, oldest first (who and when).
    async fn stage_history(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<LeadStageChange>> {
        let loader = ctx.data::<DataLoader<StageHistoryLoader>>()?;
        Ok(loader
            .load_one(self.lead.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Its most recent interactions, newest first.
    async fn interactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, validator(minimum = 1, maximum = 100))] first: i32,
    ) -> async_graphql::Result<Vec<Interaction>> {
        let loader = ctx.data::<DataLoader<InteractionLoader>>()?;
        let limit = u64::try_from(first).unwrap_or(20);
        Ok(loader
            .load_one((self.lead.id, limit))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Interaction)
            .collect())
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.lead.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.lead.updated_at
    }
}

/// Which leads to list (absent fields match any).
#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "LeadFilter")]
pub struct LeadFilterInput {
    /// Leads of this campaign.
    pub campaign_id: Option<ID>,
    /// Leads of this customer.
    pub customer_id: Option<ID>,
    /// Leads in any of these stages (empty or absent: every stage).
    pub stage: Option<Vec<LeadStage>>,
    /// Leads assigned to this user.
    pub assigned_agent_id: Option<ID>,
}

impl LeadFilterInput {
    /// The domain filter; bad ids are refused, naming the filter field.
    pub fn into_domain(self) -> Result<DomainFilter, ApiError> {
        Ok(DomainFilter {
            campaign_id: self
                .campaign_id
                .map(|id| parse_id("filter.campaignId", &id))
                .transpose()?,
            customer_id: self
                .customer_id
                .map(|id| parse_id("filter.customerId", &id))
                .transpose()?,
            stages: stage_set(self.stage.unwrap_or_default().into_iter().map(Into::into)),
            assigned_agent_id: self
                .assigned_agent_id
                .map(|id| parse_id("filter.assignedAgentId", &id))
                .transpose()?,
        })
    }
}

/// A lead to create, for a customer of the caller's tenant.
#[derive(InputObject, Debug, Clone)]
pub struct CreateLeadInput {
    /// The customer.
    pub customer_id: ID,
    /// The campaign that raised it.
    pub campaign_id: ID,
    /// Source channel.
    pub source: LeadSource,
    /// The ad it came from.
    pub source_ad_id: Option<ID>,
    /// Initial stage.
    #[graphql(default_with = "LeadStage::Iql")]
    pub stage: LeadStage,
    /// Score, 0..100.
    #[graphql(default = 0)]
    pub score: i32,
    /// Purchase intent, 0..1.
    #[graphql(default = 0.0)]
    pub purchase_intent: f64,
    /// The sales agent (user id) it is assigned to.
    pub assigned_agent_id: Option<ID>,
    /// Last interaction, not in the future.
    pub last_interaction_at: Option<DateTime<Utc>>,
}
