//! The `media_asset_versions` table: each replaced version of an asset, as a JSON snapshot.

use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::StrEnum;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{AssetKind, MediaAsset, ReviewStatus, TechnicalMetadata, UsageRights};

/// A row of `media_asset_versions`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media_asset_versions")]
pub struct Model {
    /// The asset.
    #[sea_orm(primary_key, auto_increment = false)]
    pub asset_id: Uuid,
    /// The version kept.
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i32,
    /// Tenant.
    pub organization_id: Uuid,
    /// The asset at that version (JSON).
    #[sea_orm(column_type = "Text")]
    pub snapshot: String,
    /// When it was replaced.
    pub created_at: DateTime<Utc>,
    /// Last change (the ETL watermark).
    pub updated_at: DateTime<Utc>,
}

/// No relation is navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What a snapshot keeps of an asset.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    kind: String,
    url: String,
    thumbnail_url: Option<String>,
    description: String,
    hashtags: Vec<String>,
    category: Option<String>,
    format: Option<String>,
    width: Option<i32>,
    height: Option<i32>,
    duration_seconds: Option<f64>,
    size_bytes: Option<i64>,
    license: Option<String>,
    attribution: Option<String>,
    rights_expires_at: Option<DateTime<Utc>>,
    review_status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// The JSON snapshot of an asset.
pub fn snapshot(asset: &MediaAsset) -> Result<String, StoreError> {
    let s = Snapshot {
        kind: asset.kind.as_str().into(),
        url: asset.url.clone(),
        thumbnail_url: asset.thumbnail_url.clone(),
        description: asset.description.clone(),
        hashtags: asset.hashtags.clone(),
        category: asset.category.clone(),
        format: asset.technical.format.clone(),
        width: asset.technical.width,
        height: asset.technical.height,
        duration_seconds: asset.technical.duration_seconds,
        size_bytes: asset.technical.size_bytes,
        license: asset.rights.license.clone(),
        attribution: asset.rights.attribution.clone(),
        rights_expires_at: asset.rights.expires_at,
        review_status: asset.review_status.as_str().into(),
        created_at: asset.created_at,
        updated_at: asset.updated_at,
    };
    serde_json::to_string(&s).map_err(|e| StoreError::Corrupt(format!("snapshot: {e}")))
}

impl Model {
    /// The asset as it was at this version.
    pub fn into_domain(self) -> Result<MediaAsset, StoreError> {
        let corrupt = |what: &str| {
            StoreError::Corrupt(format!(
                "media_asset_versions {} v{}: {what}",
                self.asset_id, self.version
            ))
        };
        let s: Snapshot = serde_json::from_str(&self.snapshot).map_err(|_| corrupt("snapshot"))?;
        Ok(MediaAsset {
            id: self.asset_id,
            organization_id: self.organization_id,
            kind: AssetKind::parse(&s.kind).ok_or_else(|| corrupt("kind"))?,
            url: s.url,
            thumbnail_url: s.thumbnail_url,
            description: s.description,
            hashtags: s.hashtags,
            category: s.category,
            technical: TechnicalMetadata {
                format: s.format,
                width: s.width,
                height: s.height,
                duration_seconds: s.duration_seconds,
                size_bytes: s.size_bytes,
            },
            rights: UsageRights {
                license: s.license,
                attribution: s.attribution,
                expires_at: s.rights_expires_at,
            },
            review_status: ReviewStatus::parse(&s.review_status)
                .ok_or_else(|| corrupt("review_status"))?,
            version: self.version,
            created_at: s.created_at,
            updated_at: s.updated_at,
        })
    }
}
