//! GraphQL input objects and their translation into domain drafts, patches and filters.

use async_graphql::{ID, InputObject, MaybeUndefined};
use chrono::{DateTime, Utc};
use promptsales_kit::context::TenantScope;
use promptsales_kit::ids::parse_ids;
use promptsales_kit::{ApiError, parse_id};

use super::enums::{AssetKind, AssetReviewStatus};
use crate::domain::hashtags::normalize_hashtag;
use crate::domain::input::{AssetDraft, AssetPatch, Change};
use crate::domain::{self, ReviewStatus};
use crate::store;

/// Filters of `mediaAssets`; all given ones must hold.
#[derive(Debug, Default, InputObject)]
pub struct MediaAssetFilter {
    /// Only this kind.
    pub kind: Option<AssetKind>,
    /// Only this review state.
    pub status: Option<AssetReviewStatus>,
    /// Only this category (exact).
    pub category: Option<String>,
    /// Only assets with this hashtag (`#` and case ignored).
    pub hashtag: Option<String>,
    /// Only assets used by this campaign.
    pub campaign_id: Option<ID>,
}

impl MediaAssetFilter {
    /// The store's filter; a bad hashtag or id names its `filter.*` field.
    pub fn into_store(self) -> Result<store::AssetFilter, ApiError> {
        Ok(store::AssetFilter {
            kind: self.kind.map(Into::into),
            review_status: self.status.map(Into::into),
            category: self.category.map(|c| c.trim().to_string()),
            hashtag: self
                .hashtag
                .map(|t| normalize_hashtag("filter.hashtag", &t))
                .transpose()?,
            campaign_id: self
                .campaign_id
                .map(|id| parse_id("filter.campaignId", &id))
                .transpose()?,
        })
    }
}

/// Filters of `Campaign.assets`.
#[derive(Debug, Default, InputObject)]
pub struct CampaignAssetFilter {
    /// Only this kind.
    pub kind: Option<AssetKind>,
    /// Only this review state.
    pub status: Option<AssetReviewStatus>,
}

impl CampaignAssetFilter {
    /// The store's filter.
    pub fn into_store(self) -> store::CampaignAssetFilter {
        store::CampaignAssetFilter {
            kind: self.kind.map(Into::into),
            review_status: self.status.map(Into::into),
        }
    }
}

/// Technical facts of a file; none may be negative.
#[derive(Debug, Default, InputObject)]
pub struct AssetTechnicalMetadataInput {
    /// File format (`jpg`, `mp4`, `md`).
    pub format: Option<String>,
    /// Width in pixels.
    pub width: Option<i32>,
    /// Height in pixels.
    pub height: Option<i32>,
    /// Playing time in seconds.
    pub duration_seconds: Option<f64>,
    /// File size in bytes.
    pub size_bytes: Option<i64>,
}

impl From<AssetTechnicalMetadataInput> for domain::TechnicalMetadata {
    fn from(input: AssetTechnicalMetadataInput) -> Self {
        Self {
            format: input.format,
            width: input.width,
            height: input.height,
            duration_seconds: input.duration_seconds,
            size_bytes: input.size_bytes,
        }
    }
}

/// Usage terms of an asset.
#[derive(Debug, Default, InputObject)]
pub struct AssetUsageRightsInput {
    /// The licence.
    pub license: Option<String>,
    /// The credit line the licence requires.
    pub attribution: Option<String>,
    /// When the right to use it ends.
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<AssetUsageRightsInput> for domain::UsageRights {
    fn from(input: AssetUsageRightsInput) -> Self {
        Self {
            license: input.license,
            attribution: input.attribution,
            expires_at: input.expires_at,
        }
    }
}

/// A new media asset.
#[derive(Debug, InputObject)]
pub struct RegisterMediaAssetInput {
    /// The owning organization; defaults to the caller's tenant.
    pub organization_id: Option<ID>,
    /// What it is.
    pub kind: AssetKind,
    /// Where the file is (http or https).
    pub url: String,
    /// A small preview (http or https).
    pub thumbnail_url: Option<String>,
    /// What it shows or says (searched).
    pub description: String,
    /// Hashtags (`#` optional, case ignored, duplicates dropped).
    #[graphql(default)]
    pub hashtags: Vec<String>,
    /// A free grouping (`hero`, `social`, `product`).
    pub category: Option<String>,
    /// File facts.
    pub technical: Option<AssetTechnicalMetadataInput>,
    /// Usage terms.
    pub rights: Option<AssetUsageRightsInput>,
    /// Campaigns (of the same organization) that use it from the start.
    #[graphql(default)]
    pub campaign_ids: Vec<ID>,
}

impl RegisterMediaAssetInput {
    /// The draft for the domain to validate, in the organization the request may write to.
    pub fn into_draft(self, scope: TenantScope) -> Result<AssetDraft, ApiError> {
        let organization = self
            .organization_id
            .map(|id| parse_id("input.organizationId", &id))
            .transpose()?;
        Ok(AssetDraft {
            id: None,
            organization_id: scope.organization_for_write(organization, "input.organizationId")?,
            kind: self.kind.into(),
            url: self.url,
            thumbnail_url: self.thumbnail_url,
            description: self.description,
            hashtags: self.hashtags,
            category: self.category,
            technical: self.technical.map(Into::into).unwrap_or_default(),
            rights: self.rights.map(Into::into).unwrap_or_default(),
            review_status: ReviewStatus::PendingReview,
            campaign_ids: parse_ids("input.campaignIds", &self.campaign_ids)?,
        })
    }
}

/// A change to a media asset: absent fields stay, `null` empties an optional one.
#[derive(Debug, Default, InputObject)]
pub struct UpdateMediaAssetInput {
    /// New kind.
    pub kind: Option<AssetKind>,
    /// New file location.
    pub url: Option<String>,
    /// New preview, or `null` for none.
    pub thumbnail_url: MaybeUndefined<String>,
    /// New description.
    pub description: Option<String>,
    /// New hashtags, replacing the old ones.
    pub hashtags: Option<Vec<String>>,
    /// New category, or `null` for none.
    pub category: MaybeUndefined<String>,
    /// New file facts (replacing all of them), or `null` for none.
    pub technical: MaybeUndefined<AssetTechnicalMetadataInput>,
    /// New usage terms (replacing all of them), or `null` for none.
    pub rights: MaybeUndefined<AssetUsageRightsInput>,
}

fn change<T, U: From<T>>(value: MaybeUndefined<T>) -> Change<U> {
    match value {
        MaybeUndefined::Undefined => Change::Keep,
        MaybeUndefined::Null => Change::Clear,
        MaybeUndefined::Value(v) => Change::Set(v.into()),
    }
}

impl UpdateMediaAssetInput {
    /// The patch for the domain to validate and apply.
    pub fn into_patch(self) -> AssetPatch {
        AssetPatch {
            kind: self.kind.map(Into::into),
            url: self.url,
            thumbnail_url: change(self.thumbnail_url),
            description: self.description,
            hashtags: self.hashtags,
            category: change(self.category),
            technical: change(self.technical),
            rights: change(self.rights),
        }
    }
}
