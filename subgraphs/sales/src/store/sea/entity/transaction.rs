//! Table `transactions`.

use sea_orm::entity::prelude::*;

/// A row of `transactions`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "transactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub kind: String,
    pub campaign_id: Option<Uuid>,
    pub subscription_id: Option<Uuid>,
    pub payment_method_id: Option<Uuid>,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub provider_reference: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
