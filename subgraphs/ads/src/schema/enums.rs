//! The GraphQL faces of the domain enums (`remote` generates the conversions both ways).

use async_graphql::Enum;

/// The channel an ad runs on.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "AdChannel", remote = "crate::domain::AdChannel")]
pub enum AdChannel {
    /// Facebook (Meta).
    Facebook,
    /// Instagram (Meta).
    Instagram,
    /// YouTube.
    Youtube,
    /// TikTok.
    Tiktok,
    /// Google Search and Display.
    Google,
    /// LinkedIn.
    Linkedin,
    /// E-mail.
    Email,
    /// SMS.
    Sms,
    /// Influencer placements.
    Influencer,
    /// Television.
    Tv,
    /// Radio.
    Radio,
    /// Print media.
    Print,
}

/// Where an ad is in its life cycle. DRAFT -> SCHEDULED -> RUNNING <-> PAUSED -> ENDED (ENDED is final).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "AdStatus", remote = "crate::domain::AdStatus")]
pub enum AdStatus {
    /// Being prepared; nothing is spent.
    Draft,
    /// Ready, waiting for its start.
    Scheduled,
    /// Serving and spending.
    Running,
    /// Stopped for now; may resume.
    Paused,
    /// Finished for good.
    Ended,
}

/// How an ad bids for placements.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "AdBidStrategy", remote = "crate::domain::BidStrategy")]
pub enum AdBidStrategy {
    /// The platform spends the budget for the most results.
    LowestCost,
    /// Most results with the average cost per result under a cap.
    CostCap,
    /// A hard cap on every bid.
    BidCap,
    /// Aim at a cost per acquisition.
    TargetCpa,
    /// Aim at a return on ad spend.
    TargetRoas,
    /// A cost per click set by hand.
    ManualCpc,
}
