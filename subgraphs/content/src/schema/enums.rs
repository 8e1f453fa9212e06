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
