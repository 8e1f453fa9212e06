//! Table `campaigns`.

use sea_orm::entity::prelude::*;

/// A row of `campaigns`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub key_message: Option<String>,
    pub intent: Option<String>,
    pub status: String,
    pub budget_total: i64,
    pub budget_spent: i64,
    pub currency: String,
    pub start_date: Date,
    pub end_date: Date,
    pub industry: Option<String>,
    /// A JSON array of country codes.
    pub target_countries: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
