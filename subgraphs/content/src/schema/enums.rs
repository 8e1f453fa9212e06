//! GraphQL enums, mapped to the domain's (which know nothing of GraphQL).

use async_graphql::Enum;

use crate::domain;

/// What a media asset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum AssetKind {
    /// A picture.
    Image,
    /// A video clip.
    Video,
    /// A piece of copy.
    Text,
    /// A sound clip.
    Audio,
}

impl From<AssetKind> for domain::AssetKind {
    fn from(kind: AssetKind) -> Self {
        match kind {
            AssetKind::Image => Self::Image,
            AssetKind::Video => Self::Video,
            AssetKind::Text => Self::Text,
            AssetKind::Audio => Self::Audio,
        }
    }
}

impl From<domain::AssetKind> for AssetKind {
    fn from(kind: domain::AssetKind) -> Self {
        match kind {
            domain::AssetKind::Image => Self::Image,
            domain::AssetKind::Video => Self::Video,
            domain::AssetKind::Text => Self::Text,
            domain::AssetKind::Audio => Self::Audio,
        }
    }
}

/// Where an asset stands in content review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum AssetReviewStatus {
    /// Waiting for a reviewer.
    PendingReview,
    /// Cleared for use.
    Approved,
    /// Not to be used.
    Rejected,
}

impl From<AssetReviewStatus> for domain::ReviewStatus {
    fn from(status: AssetReviewStatus) -> Self {
        match status {
            AssetReviewStatus::PendingReview => Self::PendingReview,
            AssetReviewStatus::Approved => Self::Approved,
            AssetReviewStatus::Rejected => Self::Rejected,
        }
    }
}

impl From<domain::ReviewStatus> for AssetReviewStatus {
    fn from(status: domain::ReviewStatus) -> Self {
        match status {
            domain::ReviewStatus::PendingReview => Self::PendingReview,
            domain::ReviewStatus::Approved => Self::Approved,
            domain::ReviewStatus::Rejected => Self::Rejected,
        }
    }
}

/// Maps a GraphQL enum to and from its domain twin, variant by variant.
macro_rules! mirror {
    ($gql:ident, $domain:path, [$($v:ident),* $(,)?]) => {
        impl From<$gql> for $domain {
            fn from(value: $gql) -> Self {
                match value { $($gql::$v => Self::$v,)* }
            }
        }
        impl From<$domain> for $gql {
            fn from(value: $domain) -> Self {
                match value { $(<$domain>::$v => Self::$v,)* }
            }
        }
    };
}

/// Where content is published or sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ContentChannel {
    /// LinkedIn.
    Linkedin,
    /// E-mail.
    Email,
    /// Instagram.
    Instagram,
    /// Facebook.
    Facebook,
    /// TikTok.
    Tiktok,
    /// X (Twitter).
    X,
    /// A blog or landing page.
    Blog,
    /// A search ad.
    SearchAd,
}
mirror!(
    ContentChannel,
    crate::domain::channel::Channel,
    [
        Linkedin, Email, Instagram, Facebook, Tiktok, X, Blog, SearchAd
    ]
);

/// What a prompt template writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum PromptTemplatePurpose {
    /// Campaign messages per audience and channel.
    CampaignContent,
    /// Personal messages to prospects.
    Outreach,
}
mirror!(
    PromptTemplatePurpose,
    crate::domain::template::TemplatePurpose,
    [CampaignContent, Outreach]
);

/// Where an outreach message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum OutreachMessageStatus {
    /// Written, not sent.
    Generated,
    /// Could not be written.
    Failed,
    /// Sent.
    Sent,
    /// The prospect replied.
    Replied,
}
mirror!(
    OutreachMessageStatus,
    crate::domain::outreach::OutreachStatus,
    [Generated, Failed, Sent, Replied]
);

/// Where an outreach batch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum OutreachJobStatus {
    /// Items are being written.
    Running,
    /// Every item is done.
    Completed,
}
mirror!(
    OutreachJobStatus,
    crate::domain::outreach::JobStatus,
    [Running, Completed]
);

/// What a third-party service does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ThirdPartyServiceKind {
    /// Design tools (Canva, Adobe).
    Design,
    /// Social publishing (Meta Business Suite).
    Social,
    /// AI model providers.
    ModelProvider,
    /// Anything else.
    Other,
}
mirror!(
    ThirdPartyServiceKind,
    crate::domain::services::ServiceKind,
    [Design, Social, ModelProvider, Other]
);
