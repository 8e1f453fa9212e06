//! The `media_assets` table and its mapping to the domain type.

use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::StrEnum;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use uuid::Uuid;

use crate::domain::{
    AssetKind, MediaAsset, NewMediaAsset, ReviewStatus, TechnicalMetadata, UsageRights,
};

/// A row of `media_assets`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "media_assets")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Tenant.
    pub organization_id: Uuid,
    /// `image`, `video`, `text` or `audio`.
    pub kind: String,
    /// File location.
    #[sea_orm(column_type = "Text")]
    pub url: String,
    /// Preview location.
    #[sea_orm(column_type = "Text", nullable)]
    pub thumbnail_url: Option<String>,
    /// Description.
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// JSON array of normalised hashtags.
    #[sea_orm(column_type = "Text")]
    pub hashtags: String,
    /// Category.
    pub category: Option<String>,
    /// File format.
    pub format: Option<String>,
    /// Width in pixels.
    pub width: Option<i32>,
    /// Height in pixels.
    pub height: Option<i32>,
    /// Duration in seconds.
    pub duration_seconds: Option<f64>,
    /// Size in bytes.
    pub size_bytes: Option<i64>,
    /// Licence.
    pub license: Option<String>,
    /// Attribution.
    pub attribution: Option<String>,
    /// End of the usage rights.
    pub rights_expires_at: Option<DateTime<Utc>>,
    /// `pending_review`, `approved` or `rejected`.
    pub review_status: String,
    /// Content version.
    pub version: i32,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Last change (the ETL watermark).
    pub updated_at: DateTime<Utc>,
}

/// No relation is navigated through sea-orm; joins are written where they are needed.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The domain asset of a row; a value the domain does not know marks the row corrupt.
    pub fn into_domain(self) -> Result<MediaAsset, StoreError> {
        let corrupt = |what: &str, value: &str| {
            StoreError::Corrupt(format!("media_assets {}: {what} {value:?}", self.id))
        };
        let kind = AssetKind::parse(&self.kind).ok_or_else(|| corrupt("kind", &self.kind))?;
        let review_status = ReviewStatus::parse(&self.review_status)
            .ok_or_else(|| corrupt("review_status", &self.review_status))?;
        let hashtags: Vec<String> = serde_json::from_str(&self.hashtags)
            .map_err(|_| corrupt("hashtags", &self.hashtags))?;
        Ok(MediaAsset {
            id: self.id,
            organization_id: self.organization_id,
            kind,
            url: self.url,
            thumbnail_url: self.thumbnail_url,
            description: self.description,
            hashtags,
            category: self.category,
            technical: TechnicalMetadata {
                format: self.format,
                width: self.width,
                height: self.height,
                duration_seconds: self.duration_seconds,
                size_bytes: self.size_bytes,
            },
            rights: UsageRights {
                license: self.license,
                attribution: self.attribution,
                expires_at: self.rights_expires_at,
            },
            review_status,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The JSON text of a hashtag list (a list of strings always serialises).
pub fn hashtags_json(hashtags: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(hashtags).map_err(|e| StoreError::Corrupt(format!("hashtags: {e}")))
}

/// The asset a new row will hold once inserted at `now`.
pub fn created(new: &NewMediaAsset, id: Uuid, now: DateTime<Utc>) -> MediaAsset {
    MediaAsset {
        id,
        organization_id: new.organization_id,
        kind: new.kind,
        url: new.url.clone(),
        thumbnail_url: new.thumbnail_url.clone(),
        description: new.description.clone(),
        hashtags: new.hashtags.clone(),
        category: new.category.clone(),
        technical: new.technical.clone(),
        rights: new.rights.clone(),
        review_status: new.review_status,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// The full row of an asset, for inserts.
pub fn active_model(asset: &MediaAsset) -> Result<ActiveModel, StoreError> {
    Ok(ActiveModel {
        id: Set(asset.id),
        organization_id: Set(asset.organization_id),
        kind: Set(asset.kind.as_str().to_string()),
        url: Set(asset.url.clone()),
        thumbnail_url: Set(asset.thumbnail_url.clone()),
        description: Set(asset.description.clone()),
        hashtags: Set(hashtags_json(&asset.hashtags)?),
        category: Set(asset.category.clone()),
        format: Set(asset.technical.format.clone()),
        width: Set(asset.technical.width),
        height: Set(asset.technical.height),
        duration_seconds: Set(asset.technical.duration_seconds),
        size_bytes: Set(asset.technical.size_bytes),
        license: Set(asset.rights.license.clone()),
        attribution: Set(asset.rights.attribution.clone()),
        rights_expires_at: Set(asset.rights.expires_at),
        review_status: Set(asset.review_status.as_str().to_string()),
        version: Set(asset.version),
        created_at: Set(asset.created_at),
        updated_at: Set(asset.updated_at),
    })
}
