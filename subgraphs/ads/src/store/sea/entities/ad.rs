//! The `ads` table.

use sea_orm::entity::prelude::*;

/// A row of `ads`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ads")]
pub struct Model {
    /// Id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Tenant.
    pub organization_id: Uuid,
    /// Campaign (sales).
    pub campaign_id: Uuid,
    /// Channel code.
    pub channel: String,
    /// Market.
    pub market_id: Uuid,
    /// Name.
    pub name: String,
    /// Status code.
    pub status: String,
    /// Audience segment (sales Target).
    pub audience_segment_id: Option<Uuid>,
    /// JSON array of MediaAsset ids.
    #[sea_orm(column_type = "Text")]
    pub creative_ids: String,
    /// Ten-thousandths of the market currency.
    pub daily_budget: i64,
    /// Bid strategy code.
    pub bid_strategy: String,
    /// First day.
    pub start_date: Date,
    /// Last day.
    pub end_date: Date,
    /// Ad platform.
    pub platform: Option<String>,
    /// Id on the platform.
    pub external_id: Option<String>,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// Relations of `ads`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The ad's market.
    #[sea_orm(
        belongs_to = "super::market::Entity",
        from = "Column::MarketId",
        to = "super::market::Column::Id"
    )]
    Market,
    /// The ad's days.
    #[sea_orm(has_many = "super::ad_metric::Entity")]
    AdMetric,
}

impl Related<super::market::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Market.def()
    }
}

impl Related<super::ad_metric::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AdMetric.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
