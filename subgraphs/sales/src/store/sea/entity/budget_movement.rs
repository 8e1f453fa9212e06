//! Table `budget_movements`.

use sea_orm::entity::prelude::*;

/// A row of `budget_movements`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "budget_movements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub campaign_id: Uuid,
    pub kind: String,
    pub amount: i64,
    pub total_after: i64,
    pub spent_after: i64,
    pub balance_after: i64,
    pub source_subsystem: String,
    pub reference: Option<String>,
    pub actor_id: Option<Uuid>,
    pub transaction_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
