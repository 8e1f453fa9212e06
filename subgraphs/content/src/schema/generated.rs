//! `GeneratedContent`: AI-written campaign content, usable only once approved.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::campaign::Campaign;
use super::enums::{AssetReviewStatus, ContentChannel};
use super::loaders;
use super::media_asset::MediaAsset;
use crate::domain::generation;

/// One audience's content for one channel of a campaign: three variants, pending review until a person decides.
pub struct GeneratedContent(pub generation::GeneratedContent);

/// One variant of a piece.
pub struct ContentVariant(pub generation::Variant);

/// One variant of a generated piece.
#[Object(cache_control(max_age = 30, private))]
impl ContentVariant {
    /// 0, 1 or 2.
    async fn index(&self) -> i32 {
        self.0.index
    }

    /// Its angle: `question`, `benefit` or `proof`.
    async fn angle(&self) -> &str {
        &self.0.angle
    }

    /// The text, adapted to the channel and to search and AI answer engines.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// Its hashtags (lower case, without `#`).
    async fn hashtags(&self) -> &[String] {
        &self.0.hashtags
    }

    /// Usable assets of the organization that fit it (semantic search).
    async fn suggested_assets(&self, ctx: &Context<'_>) -> Result<Vec<MediaAsset>> {
        let assets = loaders::assets(ctx, &self.0.suggested_asset_ids).await?;
        Ok(assets.into_iter().map(MediaAsset).collect())
    }
}

/// One audience's content for one channel of a campaign.
#[Object(cache_control(max_age = 30, private))]
impl GeneratedContent {
    /// The generated text's UUIDv7.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The campaign; null (with `NOT_FOUND` from sales) when the caller cannot see it,
    /// so one such row nulls only this field, not the whole list.
    async fn campaign(&self) -> Option<Campaign> {
        Some(Campaign {
            id: self.0.campaign_id,
        })
    }

    /// The audience (a sales Target id), when given.
    async fn audience_id(&self) -> Option<ID> {
        self.0.audience_id.map(|id| ID(id.to_string()))
    }

    /// The audience's name.
    async fn audience_name(&self) -> &str {
        &self.0.audience_name
    }

    /// The channel.
    async fn channel(&self) -> ContentChannel {
        self.0.channel.into()
    }

    /// The three variants.
    async fn variants(&self) -> Vec<ContentVariant> {
        self.0
            .variants
            .iter()
            .cloned()
            .map(ContentVariant)
            .collect()
    }

    /// The template used (null: the built-in one).
    async fn template_id(&self) -> Option<ID> {
        self.0.template_id.map(|id| ID(id.to_string()))
    }

    /// Its version.
    async fn template_version(&self) -> Option<i32> {
        self.0.template_version
    }

    /// The model that wrote it (`template-writer` is the offline generator, not an AI model).
    async fn model(&self) -> &str {
        &self.0.model
    }

    /// Prompt tokens used.
    async fn tokens_in(&self) -> i64 {
        self.0.tokens_in
    }

    /// Completion tokens used.
    async fn tokens_out(&self) -> i64 {
        self.0.tokens_out
    }

    /// Whether every variant came from the AI cache (no tokens spent).
    async fn from_cache(&self) -> bool {
        self.0.from_cache
    }

    /// Review state: PENDING_REVIEW until a person approves or rejects it.
    async fn review_status(&self) -> AssetReviewStatus {
        self.0.review_status.into()
    }

    /// Whether it may be used: approved only.
    async fn usable(&self) -> bool {
        self.0.is_usable()
    }

    /// The variant the reviewer chose.
    async fn chosen_variant(&self) -> Option<i32> {
        self.0.chosen_variant
    }

    /// Who reviewed it.
    async fn reviewer_id(&self) -> Option<ID> {
        self.0.reviewer_id.map(|id| ID(id.to_string()))
    }

    /// When it was reviewed.
    async fn reviewed_at(&self) -> Option<DateTime<Utc>> {
        self.0.reviewed_at
    }

    /// When it was generated.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
