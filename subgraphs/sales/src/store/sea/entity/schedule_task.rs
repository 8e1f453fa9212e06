//! Table `schedule_tasks`.

use sea_orm::entity::prelude::*;

/// A row of `schedule_tasks`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "schedule_tasks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub campaign_id: Uuid,
    pub kind: String,
    pub title: String,
    pub owner_id: Option<Uuid>,
    pub due_at: DateTimeUtc,
    pub remind_at: DateTimeUtc,
    pub status: String,
    pub reminder_sent_at: Option<DateTimeUtc>,
    pub overdue_alerted_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
