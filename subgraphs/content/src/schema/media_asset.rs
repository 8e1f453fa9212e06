//! `MediaAsset`, the entity this subgraph owns.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::campaign::Campaign;
use super::enums::{AssetKind, AssetReviewStatus};
use super::loaders;
use super::organization::Organization;
use crate::domain;

/// An image, video, text or audio asset that campaigns use.
pub struct MediaAsset(pub domain::MediaAsset);

/// Technical facts about an asset's file.
#[derive(SimpleObject)]
pub struct AssetTechnicalMetadata {
    /// File format (`jpg`, `mp4`, `md`).
    pub format: Option<String>,
    /// Width in pixels.
    pub width: Option<i32>,
    /// Height in pixels.
    pub height: Option<i32>,
    /// Playing time of videos and audio.
    pub duration_seconds: Option<f64>,
    /// File size in bytes.
    pub size_bytes: Option<i64>,
}

/// Under which terms an asset may be used.
#[derive(SimpleObject)]
pub struct AssetUsageRights {
    /// The licence.
    pub license: Option<String>,
    /// The credit line the licence requires.
    pub attribution: Option<String>,
    /// When the right to use it ends.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A version of an asset that a later change replaced.
#[derive(SimpleObject)]
#[graphql(cache_control(max_age = 300, private))]
pub struct MediaAssetVersion {
    /// Its version number.
    pub version: i32,
    /// The file then.
    pub url: String,
    /// The description then.
    pub description: String,
    /// The hashtags then.
    pub hashtags: Vec<String>,
    /// The review state then.
    pub review_status: AssetReviewStatus,
    /// When it was replaced.
    pub replaced_at: DateTime<Utc>,
}

/// An image, video, text or audio asset that campaigns use.
#[Object(cache_control(max_age = 300))]
impl MediaAsset {
    /// The asset's UUIDv7, its federation key.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The tenant it belongs to.
    async fn organization(&self) -> Organization {
        Organization {
            id: ID(self.0.organization_id.to_string()),
        }
    }

    /// What it is.
    async fn kind(&self) -> AssetKind {
        self.0.kind.into()
    }

    /// Where the file is.
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// A small preview.
    async fn thumbnail_url(&self) -> Option<&str> {
        self.0.thumbnail_url.as_deref()
    }

    /// What it shows or says.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Hashtags, lower case and without `#`.
    async fn hashtags(&self) -> &[String] {
        &self.0.hashtags
    }

    /// A free grouping (`hero`, `social`, `product`).
    async fn category(&self) -> Option<&str> {
        self.0.category.as_deref()
    }

    /// File facts.
    async fn technical(&self) -> AssetTechnicalMetadata {
        let t = &self.0.technical;
        AssetTechnicalMetadata {
            format: t.format.clone(),
            width: t.width,
            height: t.height,
            duration_seconds: t.duration_seconds,
            size_bytes: t.size_bytes,
        }
    }

    /// Usage terms.
    async fn rights(&self) -> AssetUsageRights {
        let r = &self.0.rights;
        AssetUsageRights {
            license: r.license.clone(),
            attribution: r.attribution.clone(),
            expires_at: r.expires_at,
        }
    }

    /// Review state.
    async fn review_status(&self) -> AssetReviewStatus {
        self.0.review_status.into()
    }

    /// Content version: 1 at registration, bumped by every change of the asset itself.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// Whether it may be used now: approved, and its usage rights not expired.
    async fn usable(&self) -> bool {
        crate::domain::review::is_usable(&self.0, Utc::now())
    }

    /// The versions it replaced, newest first (the current one is the asset itself).
    async fn previous_versions(&self, ctx: &Context<'_>) -> Result<Vec<MediaAssetVersion>> {
        let scope = ctx.data::<promptsales_kit::RequestContext>()?.scope();
        let versions = ctx
            .data::<std::sync::Arc<dyn crate::store::ContentStore>>()?
            .asset_versions(scope, self.0.id)
            .await
            .map_err(promptsales_kit::ApiError::from)?;
        Ok(versions
            .into_iter()
            .map(|v| MediaAssetVersion {
                version: v.asset.version,
                url: v.asset.url,
                description: v.asset.description,
                hashtags: v.asset.hashtags,
                review_status: v.asset.review_status.into(),
                replaced_at: v.replaced_at,
            })
            .collect())
    }

    /// The campaigns that use it.
    async fn campaigns(&self, ctx: &Context<'_>) -> Result<Vec<Campaign>> {
        Ok(loaders::campaigns_of(ctx, self.0.id)
            .await?
            .into_iter()
            .map(|id| Campaign { id })
            .collect())
    }

    /// When it was registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
