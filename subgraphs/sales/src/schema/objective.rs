//! The `CampaignObjective` type, its kind enum and input.

use async_graphql::{Enum, ID, InputObject, Object};
use promptsales_kit::Decimal4;

use crate::store::{self, NewObjective};

/// The kinds of campaign objective.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::objective::ObjectiveKind")]
pub enum CampaignObjectiveKind {
    /// Being known.
    Awareness,
    /// Getting leads.
    LeadGeneration,
    /// Turning visits into actions.
    Conversion,
    /// Interactions.
    Engagement,
    /// Revenue.
    Sales,
}

/// What a campaign aims at, measured by one metric.
pub struct CampaignObjective(pub store::CampaignObjective);

/// What a campaign aims at, measured by one metric.
#[Object(cache_control(max_age = 60))]
impl CampaignObjective {
    /// The objective's UUIDv7.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// What kind of objective.
    async fn kind(&self) -> CampaignObjectiveKind {
        self.0.kind.into()
    }

    /// The metric that measures it, e.g. `leads` or `revenue`.
    async fn metric(&self) -> &str {
        &self.0.metric
    }

    /// The value aimed at.
    async fn target(&self) -> Decimal4 {
        self.0.target
    }

    /// The value reached so far.
    async fn current(&self) -> Decimal4 {
        self.0.current
    }
}

/// An objective of a new or updated campaign.
#[derive(InputObject)]
pub struct CampaignObjectiveInput {
    /// What kind of objective.
    pub kind: CampaignObjectiveKind,
    /// The metric that measures it (1 to 100 characters).
    pub metric: String,
    /// The value aimed at (>= 0).
    pub target: Decimal4,
    /// The value reached so far (>= 0).
    #[graphql(default)]
    pub current: Decimal4,
}

impl CampaignObjectiveInput {
    /// The store's form (not yet validated).
    pub fn into_new(self) -> NewObjective {
        NewObjective {
            id: None,
            kind: self.kind.into(),
            metric: self.metric,
            target: self.target,
            current: self.current,
        }
    }
}
