//! The `prompt_templates` table.

use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::StrEnum;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use uuid::Uuid;

use crate::domain::channel::Channel;
use crate::domain::template::{PromptTemplate, TemplatePurpose};

/// A row of `prompt_templates`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "prompt_templates")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Tenant.
    pub organization_id: Uuid,
    /// Name.
    pub name: String,
    /// Purpose code.
    pub purpose: String,
    /// Role or use.
    pub use_case: String,
    /// Channel code.
    pub channel: String,
    /// Version.
    pub version: i32,
    /// Body.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// JSON list of placeholders.
    #[sea_orm(column_type = "Text")]
    pub placeholders: String,
    /// Active.
    pub active: bool,
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
    /// The domain template; unknown codes mark the row corrupt.
    pub fn into_domain(self) -> Result<PromptTemplate, StoreError> {
        let corrupt =
            |what: &str| StoreError::Corrupt(format!("prompt_templates {}: {what}", self.id));
        Ok(PromptTemplate {
            id: self.id,
            organization_id: self.organization_id,
            purpose: TemplatePurpose::parse(&self.purpose).ok_or_else(|| corrupt("purpose"))?,
            channel: Channel::parse(&self.channel).ok_or_else(|| corrupt("channel"))?,
            placeholders: serde_json::from_str(&self.placeholders)
                .map_err(|_| corrupt("placeholders"))?,
            name: self.name,
            use_case: self.use_case,
            version: self.version,
            body: self.body,
            active: self.active,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The row of a template.
pub fn active_model(t: &PromptTemplate) -> Result<ActiveModel, StoreError> {
    Ok(ActiveModel {
        id: Set(t.id),
        organization_id: Set(t.organization_id),
        name: Set(t.name.clone()),
        purpose: Set(t.purpose.as_str().into()),
        use_case: Set(t.use_case.clone()),
        channel: Set(t.channel.as_str().into()),
        version: Set(t.version),
        body: Set(t.body.clone()),
        placeholders: Set(serde_json::to_string(&t.placeholders)
            .map_err(|e| StoreError::Corrupt(format!("placeholders: {e}")))?),
        active: Set(t.active),
        created_at: Set(t.created_at),
        updated_at: Set(t.updated_at),
    })
}
