//! The `ad_creatives` table: the creatives of each ad, one row per position.

use sea_orm::entity::prelude::*;

/// A row of `ad_creatives`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ad_creatives")]
pub struct Model {
    /// Ad.
    #[sea_orm(primary_key, auto_increment = false)]
    pub ad_id: Uuid,
    /// Position in the ad's rotation.
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    /// Tenant.
    pub organization_id: Uuid,
    /// The content `MediaAsset`.
    pub asset_id: Uuid,
}

/// Relations of `ad_creatives`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
