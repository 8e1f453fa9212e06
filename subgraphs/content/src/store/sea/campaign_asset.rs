//! The `campaign_assets` table: which campaigns use which assets.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use uuid::Uuid;

/// A row of `campaign_assets`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_assets")]
pub struct Model {
    /// The campaign (sales subgraph).
    #[sea_orm(primary_key, auto_increment = false)]
    pub campaign_id: Uuid,
    /// The asset.
    #[sea_orm(primary_key, auto_increment = false)]
    pub asset_id: Uuid,
    /// Tenant of both.
    pub organization_id: Uuid,
    /// When the link was made.
    pub created_at: DateTime<Utc>,
    /// Last change (the ETL watermark).
    pub updated_at: DateTime<Utc>,
}

/// No relation is navigated through sea-orm; joins are written where they are needed.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
