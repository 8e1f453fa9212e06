//! The `generated_contents` table.

use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::StrEnum;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use uuid::Uuid;

use crate::domain::ReviewStatus;
use crate::domain::channel::Channel;
use crate::domain::generation::GeneratedContent;

/// A row of `generated_contents`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "generated_contents")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Tenant.
    pub organization_id: Uuid,
    /// Campaign.
    pub campaign_id: Uuid,
    /// Audience (sales Target).
    pub audience_id: Option<Uuid>,
    /// Audience name.
    pub audience_name: String,
    /// Channel code.
    pub channel: String,
    /// JSON variants.
    #[sea_orm(column_type = "Text")]
    pub variants: String,
    /// Template.
    pub template_id: Option<Uuid>,
    /// Template version.
    pub template_version: Option<i32>,
    /// Model.
    pub model: String,
    /// Prompt tokens.
    pub tokens_in: i64,
    /// Completion tokens.
    pub tokens_out: i64,
    /// From the cache.
    pub from_cache: bool,
    /// Review status code.
    pub review_status: String,
    /// Chosen variant.
    pub chosen_variant: Option<i32>,
    /// Reviewer.
    pub reviewer_id: Option<Uuid>,
    /// Reviewed at.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// No relation is navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The domain piece; unknown codes mark the row corrupt.
    pub fn into_domain(self) -> Result<GeneratedContent, StoreError> {
        let corrupt =
            |what: &str| StoreError::Corrupt(format!("generated_contents {}: {what}", self.id));
        Ok(GeneratedContent {
            id: self.id,
            organization_id: self.organization_id,
            campaign_id: self.campaign_id,
            audience_id: self.audience_id,
            channel: Channel::parse(&self.channel).ok_or_else(|| corrupt("channel"))?,
            variants: serde_json::from_str(&self.variants).map_err(|_| corrupt("variants"))?,
            review_status: ReviewStatus::parse(&self.review_status)
                .ok_or_else(|| corrupt("review_status"))?,
            audience_name: self.audience_name,
            template_id: self.template_id,
            template_version: self.template_version,
            model: self.model,
            tokens_in: self.tokens_in,
            tokens_out: self.tokens_out,
            from_cache: self.from_cache,
            chosen_variant: self.chosen_variant,
            reviewer_id: self.reviewer_id,
            reviewed_at: self.reviewed_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The row of a piece.
pub fn active_model(g: &GeneratedContent) -> Result<ActiveModel, StoreError> {
    Ok(ActiveModel {
        id: Set(g.id),
        organization_id: Set(g.organization_id),
        campaign_id: Set(g.campaign_id),
        audience_id: Set(g.audience_id),
        audience_name: Set(g.audience_name.clone()),
        channel: Set(g.channel.as_str().into()),
        variants: Set(serde_json::to_string(&g.variants)
            .map_err(|e| StoreError::Corrupt(format!("variants: {e}")))?),
        template_id: Set(g.template_id),
        template_version: Set(g.template_version),
        model: Set(g.model.chars().take(128).collect()),
        tokens_in: Set(g.tokens_in),
        tokens_out: Set(g.tokens_out),
        from_cache: Set(g.from_cache),
        review_status: Set(g.review_status.as_str().into()),
        chosen_variant: Set(g.chosen_variant),
        reviewer_id: Set(g.reviewer_id),
        reviewed_at: Set(g.reviewed_at),
        created_at: Set(g.created_at),
        updated_at: Set(g.updated_at),
    })
}
