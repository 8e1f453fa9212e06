//! The content store: the narrow interface the schema and the seeds use, and its input types.
//!
//! Every read takes the request's [`TenantScope`]; rows outside it are
//! simply not returned. Writes of several rows are atomic.

pub mod sea;

use std::collections::HashMap;

use async_trait::async_trait;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Page, PageRequest, StoreError};
use uuid::Uuid;

pub use crate::domain::{
    AssetKind, MediaAsset, NewMediaAsset, ReviewStatus, TechnicalMetadata, UsageRights,
};

/// Filters of the asset list; all given ones must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetFilter {
    /// Only this kind.
    pub kind: Option<AssetKind>,
    /// Only this review state.
    pub review_status: Option<ReviewStatus>,
    /// Only this category (exact).
    pub category: Option<String>,
    /// Only assets carrying this normalised hashtag.
    pub hashtag: Option<String>,
    /// Only assets used by this campaign.
    pub campaign_id: Option<Uuid>,
}

/// Filters of a campaign's assets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CampaignAssetFilter {
    /// Only this kind.
    pub kind: Option<AssetKind>,
    /// Only this review state.
    pub review_status: Option<ReviewStatus>,
}

/// A campaign's use of an asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CampaignAssetLink {
    /// The campaign (owned by the sales subgraph).
    pub campaign_id: Uuid,
    /// The asset.
    pub asset_id: Uuid,
    /// The tenant of both.
    pub organization_id: Uuid,
}

/// The state an update expects to find, so that a concurrent change is detected rather than overwritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revision {
    /// The content version read.
    pub version: i32,
    /// The review state read.
    pub review_status: ReviewStatus,
}

impl Revision {
    /// The revision of an asset as read.
    pub fn of(asset: &MediaAsset) -> Self {
        Self {
            version: asset.version,
            review_status: asset.review_status,
        }
    }
}

/// The content store.
#[async_trait]
pub trait ContentStore: Send + Sync {
    /// Inserts an asset (version 1, timestamps now) and its campaign links in one transaction.
    async fn insert_asset(&self, asset: NewMediaAsset) -> Result<MediaAsset, StoreError>;

    /// Inserts many assets and their links in one transaction (seeds, imports).
    async fn insert_assets(
        &self,
        assets: Vec<NewMediaAsset>,
    ) -> Result<Vec<MediaAsset>, StoreError>;

    /// Links an asset to a campaign; `false` when the link already existed.
    async fn link_asset_to_campaign(&self, link: CampaignAssetLink) -> Result<bool, StoreError>;

    /// The visible assets among `ids` (any order; missing ones are left out).
    async fn assets_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<MediaAsset>, StoreError>;

    /// One page of visible assets in id order.
    async fn list_assets(
        &self,
        scope: TenantScope,
        filter: &AssetFilter,
        page: &PageRequest,
    ) -> Result<Page<MediaAsset>, StoreError>;

    /// One page of assets per campaign, all campaigns in one query; campaigns without assets are absent.
    async fn campaign_assets(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
        filter: &CampaignAssetFilter,
        page: &PageRequest,
    ) -> Result<HashMap<Uuid, Page<MediaAsset>>, StoreError>;

    /// How many visible assets each campaign uses; campaigns without any are absent.
    async fn campaign_asset_counts(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, u64>, StoreError>;

    /// The campaigns using each asset, in id order; assets without any are absent.
    async fn campaigns_of_assets(
        &self,
        scope: TenantScope,
        asset_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<Uuid>>, StoreError>;

    /// Up to `limit` of the newest visible assets whose description or hashtags contain any of `terms`.
    async fn search_candidates(
        &self,
        scope: TenantScope,
        terms: &[String],
        kind: Option<AssetKind>,
        limit: u64,
    ) -> Result<Vec<MediaAsset>, StoreError>;

    /// Writes `next` over the stored asset if it is still at `expected`; `None` when it changed or vanished.
    async fn update_asset(
        &self,
        scope: TenantScope,
        expected: Revision,
        next: &MediaAsset,
    ) -> Result<Option<MediaAsset>, StoreError>;
}
