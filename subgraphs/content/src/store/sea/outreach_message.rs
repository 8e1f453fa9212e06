//! The `outreach_messages` table (prospect and text sealed).

use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::StrEnum;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use uuid::Uuid;

use crate::domain::channel::Channel;
use crate::domain::outreach::OutreachStatus;
use crate::store::SealedOutreach;

/// A row of `outreach_messages`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outreach_messages")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Tenant.
    pub organization_id: Uuid,
    /// Batch.
    pub job_id: Option<Uuid>,
    /// Position in the batch.
    pub item_index: i32,
    /// Channel code.
    pub channel: String,
    /// Template.
    pub template_id: Option<Uuid>,
    /// Template version.
    pub template_version: Option<i32>,
    /// Sealed prospect.
    #[sea_orm(column_type = "Text")]
    pub prospect_enc: String,
    /// Sealed text.
    #[sea_orm(column_type = "Text", nullable)]
    pub text_enc: Option<String>,
    /// Status code.
    pub status: String,
    /// Failure reason.
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Prompt tokens.
    pub tokens_in: i64,
    /// Completion tokens.
    pub tokens_out: i64,
    /// From the cache.
    pub from_cache: bool,
    /// Sent at.
    pub sent_at: Option<DateTime<Utc>>,
    /// Replied at.
    pub replied_at: Option<DateTime<Utc>>,
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
    /// The stored message.
    pub fn into_store(self) -> Result<SealedOutreach, StoreError> {
        let corrupt =
            |what: &str| StoreError::Corrupt(format!("outreach_messages {}: {what}", self.id));
        Ok(SealedOutreach {
            id: self.id,
            organization_id: self.organization_id,
            channel: Channel::parse(&self.channel).ok_or_else(|| corrupt("channel"))?,
            status: OutreachStatus::parse(&self.status).ok_or_else(|| corrupt("status"))?,
            job_id: self.job_id,
            item_index: self.item_index,
            template_id: self.template_id,
            template_version: self.template_version,
            prospect_enc: self.prospect_enc,
            text_enc: self.text_enc,
            error: self.error,
            model: self.model,
            tokens_in: self.tokens_in,
            tokens_out: self.tokens_out,
            from_cache: self.from_cache,
            sent_at: self.sent_at,
            replied_at: self.replied_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The row of a message.
pub fn active_model(m: &SealedOutreach) -> ActiveModel {
    ActiveModel {
        id: Set(m.id),
        organization_id: Set(m.organization_id),
        job_id: Set(m.job_id),
        item_index: Set(m.item_index),
        channel: Set(m.channel.as_str().into()),
        template_id: Set(m.template_id),
        template_version: Set(m.template_version),
        prospect_enc: Set(m.prospect_enc.clone()),
        text_enc: Set(m.text_enc.clone()),
        status: Set(m.status.as_str().into()),
        error: Set(m.error.clone()),
        model: Set(m.model.as_ref().map(|s| s.chars().take(128).collect())),
        tokens_in: Set(m.tokens_in),
        tokens_out: Set(m.tokens_out),
        from_cache: Set(m.from_cache),
        sent_at: Set(m.sent_at),
        replied_at: Set(m.replied_at),
        created_at: Set(m.created_at),
        updated_at: Set(m.updated_at),
    }
}
