//! The GraphQL enums `LeadStage` and `LeadSource`, mirrors of the domain's.

use async_graphql::Enum;

use crate::domain::lead;

/// A lead's stage in the funnel.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "LeadStage")]
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

impl From<LeadStage> for lead::LeadStage {
    fn from(stage: LeadStage) -> Self {
        match stage {
            LeadStage::Iql => Self::Iql,
            LeadStage::Mql => Self::Mql,
            LeadStage::Sql => Self::Sql,
            LeadStage::Opportunity => Self::Opportunity,
            LeadStage::Won => Self::Won,
            LeadStage::Lost => Self::Lost,
        }
    }
}

impl From<lead::LeadStage> for LeadStage {
    fn from(stage: lead::LeadStage) -> Self {
        match stage {
            lead::LeadStage::Iql => Self::Iql,
            lead::LeadStage::Mql => Self::Mql,
            lead::LeadStage::Sql => Self::Sql,
            lead::LeadStage::Opportunity => Self::Opportunity,
            lead::LeadStage::Won => Self::Won,
            lead::LeadStage::Lost => Self::Lost,
        }
    }
}

/// The channel a lead came from.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "LeadSource")]
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

impl From<LeadSource> for lead::LeadSource {
    fn from(source: LeadSource) -> Self {
        match source {
            LeadSource::Facebook => Self::Facebook,
            LeadSource::Instagram => Self::Instagram,
            LeadSource::Youtube => Self::Youtube,
            LeadSource::Tiktok => Self::Tiktok,
            LeadSource::Google => Self::Google,
            LeadSource::Linkedin => Self::Linkedin,
            LeadSource::Email => Self::Email,
            LeadSource::Sms => Self::Sms,
            LeadSource::Influencer => Self::Influencer,
            LeadSource::Web => Self::Web,
            LeadSource::Referral => Self::Referral,
            LeadSource::Event => Self::Event,
            LeadSource::Other => Self::Other,
        }
    }
}

impl From<lead::LeadSource> for LeadSource {
    fn from(source: lead::LeadSource) -> Self {
        match source {
            lead::LeadSource::Facebook => Self::Facebook,
            lead::LeadSource::Instagram => Self::Instagram,
            lead::LeadSource::Youtube => Self::Youtube,
            lead::LeadSource::Tiktok => Self::Tiktok,
            lead::LeadSource::Google => Self::Google,
            lead::LeadSource::Linkedin => Self::Linkedin,
            lead::LeadSource::Email => Self::Email,
            lead::LeadSource::Sms => Self::Sms,
            lead::LeadSource::Influencer => Self::Influencer,
            lead::LeadSource::Web => Self::Web,
            lead::LeadSource::Referral => Self::Referral,
            lead::LeadSource::Event => Self::Event,
            lead::LeadSource::Other => Self::Other,
        }
    }
}
