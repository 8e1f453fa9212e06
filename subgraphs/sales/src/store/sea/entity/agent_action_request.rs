//! Table `agent_action_requests`.

use sea_orm::entity::prelude::*;

/// A row of `agent_action_requests`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agent_action_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub requested_by: Option<Uuid>,
    pub tool: String,
    pub risk: String,
    pub arguments: String,
    pub summary: Option<String>,
    pub status: String,
    pub resolved_by: Option<Uuid>,
    pub comment: Option<String>,
    pub requested_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
