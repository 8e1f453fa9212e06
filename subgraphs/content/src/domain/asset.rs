//! The media asset and its parts, as the rest of the crate sees them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What a media asset is.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// Where an asset stands in content review.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewStatus {
    /// Waiting for a reviewer.
    PendingReview,
    /// Cleared for use.
    Approved,
    /// Not to be used.
    Rejected,
}

impl ReviewStatus {
    /// The name clients see (the GraphQL enum value), for messages.
    pub fn api_name(self) -> &'static str {
        match self {
            Self::PendingReview => "PENDING_REVIEW",
            Self::Approved => "APPROVED",
            Self::Rejected => "REJECTED",
        }
    }
}

/// Technical facts about the file; each is optional because not every kind has it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TechnicalMetadata {
    /// File format (`jpg`, `mp4`, `md`).
    pub format: Option<String>,
    /// Width in pixels.
    pub width: Option<i32>,
    /// Height in pixels.
    pub height: Option<i32>,
    /// Playing time of videos and audio.
    pub duration_seconds: Option<f64>,
    /// File size.
    pub size_bytes: Option<i64>,
}

/// Under which terms the asset may be used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageRights {
    /// The licence (`royalty-free`, `CC BY 4.0`, `brand-owned`).
    pub license: Option<String>,
    /// The credit line the licence requires.
    pub attribution: Option<String>,
    /// When the right to use it ends.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A media asset of one organization.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaAsset {
    /// Its id (UUID v7).
    pub id: Uuid,
    /// The tenant it belongs to.
    pub organization_id: Uuid,
    /// What it is.
    pub kind: AssetKind,
    /// Where the file is.
    pub url: String,
    /// A small preview.
    pub thumbnail_url: Option<String>,
    /// What it shows or says (searched).
    pub description: String,
    /// Normalised hashtags (lower case, no `#`), searched.
    pub hashtags: Vec<String>,
    /// A free grouping (`hero`, `social`, `product`).
    pub category: Option<String>,
    /// File facts.
    pub technical: TechnicalMetadata,
    /// Usage terms.
    pub rights: UsageRights,
    /// Review state.
    pub review_status: ReviewStatus,
    /// Content version, starting at 1 and bumped by every change of the asset itself.
    pub version: i32,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A validated asset to insert (the store adds timestamps and version 1).
#[derive(Debug, Clone, PartialEq)]
pub struct NewMediaAsset {
    /// A caller-given id (seeds, tests); a new UUID v7 when `None`.
    pub id: Option<Uuid>,
    /// The tenant it belongs to.
    pub organization_id: Uuid,
    /// What it is.
    pub kind: AssetKind,
    /// Where the file is.
    pub url: String,
    /// A small preview.
    pub thumbnail_url: Option<String>,
    /// What it shows or says.
    pub description: String,
    /// Normalised hashtags.
    pub hashtags: Vec<String>,
    /// A free grouping.
    pub category: Option<String>,
    /// File facts.
    pub technical: TechnicalMetadata,
    /// Usage terms.
    pub rights: UsageRights,
    /// Initial review state (new uploads wait for review; imports may arrive approved).
    pub review_status: ReviewStatus,
    /// Campaigns (of the same organization) that use it from the start.
    pub campaign_ids: Vec<Uuid>,
}
