//! The `ad_metrics` table.

use sea_orm::entity::prelude::*;

/// A row of `ad_metrics`: one ad, one day.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ad_metrics")]
pub struct Model {
    /// Id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Tenant.
    pub organization_id: Uuid,
    /// Ad.
    pub ad_id: Uuid,
    /// Day.
    pub day: Date,
    /// Impressions.
    pub impressions: i64,
    /// Reach.
    pub reach: i64,
    /// Clicks.
    pub clicks: i64,
    /// Engagement.
    pub engagement: i64,
    /// Spend, ten-thousandths.
    pub spend: i64,
    /// Conversions.
    pub conversions: i64,
    /// Conversion value, ten-thousandths.
    pub conversion_value: i64,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// Relations of `ad_metrics`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The ad.
    #[sea_orm(
        belongs_to = "super::ad::Entity",
        from = "Column::AdId",
        to = "super::ad::Column::Id",
        on_delete = "Cascade"
    )]
    Ad,
}

impl Related<super::ad::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Ad.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
