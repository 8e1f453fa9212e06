//! Leads: a customer's interest raised by a campaign, moving through the funnel.

use promptsales_kit::StrEnum;
use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use promptsales_kit::Decimal4;

use super::scoring::ScoreReason;
use super::{CLOCK_SKEW, Invalid};

/// Where a lead came from.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LeadSource {
    /// Facebook.
    Facebook,
    /// Instagram.
    Instagram,
    /// YouTube.
    Youtube,
    /// TikTok.
    Tiktok,
    /// Google (search and display).
    Google,
    /// LinkedIn.
    Linkedin,
    /// E-mail.
    Email,
    /// SMS.
    Sms,
    /// An influencer's audience.
    Influencer,
    /// The organization's web site.
    Web,
    /// A referral by another customer.
    Referral,
    /// An event.
    Event,
    /// Anything else.
    Other,
}

impl LeadSource {
    /// The source for an ads channel code (`instagram`), when leads can come from it.
    pub fn from_channel(channel: &str) -> Option<Self> {
        Self::parse(&channel.to_ascii_uppercase())
    }
}

/// A lead's stage in the funnel, from first interest to outcome.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LeadStage {
    /// Information-qualified: showed interest.
    Iql,
    /// Marketing-qualified.
    Mql,
    /// Sales-qualified.
    Sql,
    /// An open sales opportunity.
    Opportunity,
    /// Bought.
    Won,
    /// Did not buy.
    Lost,
}

/// A stage filter in canonical form: sorted, without duplicates; empty means every stage.
pub fn stage_set(stages: impl IntoIterator<Item = LeadStage>) -> Vec<LeadStage> {
    let set: BTreeSet<LeadStage> = stages.into_iter().collect();
    if set.len() == LeadStage::ALL.len() {
        // All stages is no filter at all: one cache key, one simpler query.
        return Vec::new();
    }
    set.into_iter().collect()
}

/// A lead.
#[derive(Debug, Clone, PartialEq)]
pub struct Lead {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// The tenant.
    pub organization_id: Uuid,
    /// The customer it is about.
    pub customer_id: Uuid,
    /// The campaign that raised it (owned by the sales subgraph).
    pub campaign_id: Uuid,
    /// Its source channel.
    pub source: LeadSource,
    /// The ad it came from (owned by the ads subgraph), when known.
    pub source_ad_id: Option<Uuid>,
    /// Its stage.
    pub stage: LeadStage,
    /// Score 0..=100.
    pub score: i32,
    /// Purchase intent 0..=1.
    pub purchase_intent: f64,
    /// The sales agent (a user of the sales subgraph) it is assigned to.
    pub assigned_agent_id: Option<Uuid>,
    /// Row version, for optimistic concurrency on later updates.
    pub version: i32,
    /// Last interaction with the customer about it.
    pub last_interaction_at: Option<DateTime<Utc>>,
    /// The deal's estimated value (in the organization's currency).
    pub estimated_value: Decimal4,
    /// Engagement with the organization's ads (clicks, reactions) reported with its captures.
    pub ad_clicks: i32,
    /// The agent queue's ordering key (see [`super::queue`]); absent until computed.
    pub queue_key: Option<f64>,
    /// When an agent claimed it from the queue.
    pub claimed_at: Option<DateTime<Utc>>,
    /// The last outbound contact (waiting time counts from it, else from creation).
    pub last_contacted_at: Option<DateTime<Utc>>,
    /// Why the model scored it as it did (strongest first; empty before any scoring).
    pub score_reasons: Vec<ScoreReason>,
    /// When the model last scored it.
    pub scored_at: Option<DateTime<Utc>>,
    /// Which model scored it ([`super::scoring::PRIOR_NAME`] or an organization's model).
    pub scored_by: Option<String>,
    /// How many captures were merged into it.
    pub captures: i32,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Lead {
    /// When its waiting time starts: the last outbound contact, else its creation.
    pub fn waiting_since(&self) -> DateTime<Utc> {
        self.last_contacted_at.unwrap_or(self.created_at)
    }
}

/// A lead to create; `id` is generated when absent.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLead {
    /// A caller-chosen id, else a new one.
    pub id: Option<Uuid>,
    /// The tenant (the customer's).
    pub organization_id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// The campaign.
    pub campaign_id: Uuid,
    /// Source channel.
    pub source: LeadSource,
    /// Source ad.
    pub source_ad_id: Option<Uuid>,
    /// Stage.
    pub stage: LeadStage,
    /// Score 0..=100.
    pub score: i32,
    /// Purchase intent 0..=1.
    pub purchase_intent: f64,
    /// Assigned sales agent.
    pub assigned_agent_id: Option<Uuid>,
    /// Last interaction, not in the future.
    pub last_interaction_at: Option<DateTime<Utc>>,
}

/// Filters of a lead list (absent means any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadFilter {
    /// Leads of this campaign.
    pub campaign_id: Option<Uuid>,
    /// Leads of this customer.
    pub customer_id: Option<Uuid>,
    /// Leads in these stages (canonical: see [`stage_set`]; empty means any).
    pub stages: Vec<LeadStage>,
    /// Leads assigned to this agent.
    pub assigned_agent_id: Option<Uuid>,
}

/// Checks a new lead's ranges; `now` bounds the last interaction.
pub fn validate(new: &NewLead, now: DateTime<Utc>) -> Result<(), Invalid> {
    check_score("input.score", new.score)?;
    check_intent("input.purchaseIntent", new.purchase_intent)?;
    if let Some(at) = new.last_interaction_at
        && at > now + CLOCK_SKEW
    {
        return Err(Invalid::new(
            "input.lastInteractionAt",
            "input.lastInteractionAt must not be in the future",
        ));
    }
    Ok(())
}

/// Checks a score.
pub fn check_score(field: &str, score: i32) -> Result<(), Invalid> {
    if (0..=100).contains(&score) {
        Ok(())
    } else {
        Err(Invalid::new(
            field,
            format!("{field} must be between 0 and 100, got {score}"),
        ))
    }
}

/// Checks a purchase intent.
pub fn check_intent(field: &str, intent: f64) -> Result<(), Invalid> {
    if intent.is_finite() && (0.0..=1.0).contains(&intent) {
        Ok(())
    } else {
        Err(Invalid::new(
            field,
            format!("{field} must be between 0 and 1, got {intent}"),
        ))
    }
}

/// How many leads of a campaign are at each stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LeadFunnel {
    /// IQL.
    pub iql: i64,
    /// MQL.
    pub mql: i64,
    /// SQL.
    pub sql: i64,
    /// Opportunities.
    pub opportunity: i64,
    /// Won.
    pub won: i64,
    /// Lost.
    pub lost: i64,
}

impl LeadFunnel {
    /// Adds `count` leads at `stage`.
    pub fn add(&mut self, stage: LeadStage, count: i64) {
        let slot = match stage {
            LeadStage::Iql => &mut self.iql,
            LeadStage::Mql => &mut self.mql,
            LeadStage::Sql => &mut self.sql,
            LeadStage::Opportunity => &mut self.opportunity,
            LeadStage::Won => &mut self.won,
            LeadStage::Lost => &mut self.lost,
        };
        *slot += count;
    }

    /// Every lead.
    pub fn total(&self) -> i64 {
        self.iql + self.mql + self.sql + self.opportunity + self.won + self.lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_from_ads_channels() {
        assert_eq!(
            LeadSource::from_channel("linkedin"),
            Some(LeadSource::Linkedin)
        );
        assert_eq!(LeadSource::from_channel("tv"), None);
    }

    #[test]
    fn ranges_and_future_interactions_are_refused() {
        let now = Utc::now();
        let lead = NewLead {
            id: None,
            organization_id: Uuid::nil(),
            customer_id: Uuid::nil(),
            campaign_id: Uuid::nil(),
            source: LeadSource::Web,
            source_ad_id: None,
            stage: LeadStage::Iql,
            score: 50,
            purchase_intent: 0.5,
            assigned_agent_id: None,
            last_interaction_at: Some(now),
        };
        assert!(validate(&lead, now).is_ok());
        let field = |l: NewLead| validate(&l, now).unwrap_err().field;
        assert_eq!(
            field(NewLead {
                score: 101,
                ..lead.clone()
            }),
            "input.score"
        );
        assert_eq!(
            field(NewLead {
                purchase_intent: -0.1,
                ..lead.clone()
            }),
            "input.purchaseIntent"
        );
        assert_eq!(
            field(NewLead {
                purchase_intent: f64::NAN,
                ..lead.clone()
            }),
            "input.purchaseIntent"
        );
        let later = now + chrono::Duration::days(1);
        assert_eq!(
            field(NewLead {
                last_interaction_at: Some(later),
                ..lead
            }),
            "input.lastInteractionAt"
        );
    }

    #[test]
    fn funnel_counts_and_stage_sets() {
        let mut f = LeadFunnel::default();
        f.add(LeadStage::Won, 2);
        f.add(LeadStage::Iql, 3);
        assert_eq!((f.won, f.iql, f.total()), (2, 3, 5));
        assert_eq!(
            stage_set([LeadStage::Won, LeadStage::Iql, LeadStage::Won]),
            vec![LeadStage::Iql, LeadStage::Won]
        );
        assert!(stage_set(LeadStage::ALL.iter().copied()).is_empty());
    }
}
