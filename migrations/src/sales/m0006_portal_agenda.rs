//! The smart agenda: each campaign's calendar of tasks, with the instants
//! the scheduler marks when it sends a reminder or an overdue alert (each
//! set once, by a conditional update, whichever replica gets there first).

use sea_orm_migration::prelude::*;

use super::columns::{id_column, iden, index, timestamp};

/// Creates `schedule_tasks`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    OrganizationId,
}

#[derive(DeriveIden)]
enum ScheduleTasks {
    Table,
    Id,
    OrganizationId,
    CampaignId,
    Kind,
    Title,
    OwnerId,
    DueAt,
    RemindAt,
    Status,
    ReminderSentAt,
    OverdueAlertedAt,
    CompletedAt,
    CreatedAt,
    UpdatedAt,
}

const KINDS: [&str; 4] = ["content_review", "approval", "publish", "report"];
const STATUSES: [&str; 3] = ["open", "done", "cancelled"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ScheduleTasks::Table)
                    .col(id_column(ScheduleTasks::Id))
                    .col(
                        ColumnDef::new(ScheduleTasks::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ScheduleTasks::CampaignId).uuid().not_null())
                    .col(
                        ColumnDef::new(ScheduleTasks::Kind)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ScheduleTasks::Title)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ScheduleTasks::OwnerId).uuid().null())
                    .col(timestamp(ScheduleTasks::DueAt))
                    .col(timestamp(ScheduleTasks::RemindAt))
                    .col(
                        ColumnDef::new(ScheduleTasks::Status)
                            .string_len(10)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ScheduleTasks::ReminderSentAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ScheduleTasks::OverdueAlertedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ScheduleTasks::CompletedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(timestamp(ScheduleTasks::CreatedAt))
                    .col(timestamp(ScheduleTasks::UpdatedAt))
                    .check(Expr::col(ScheduleTasks::Kind).is_in(KINDS))
                    .check(Expr::col(ScheduleTasks::Status).is_in(STATUSES))
                    .check(Expr::col(ScheduleTasks::RemindAt).lte(Expr::col(ScheduleTasks::DueAt)))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_schedule_tasks_campaign")
                            .from(
                                ScheduleTasks::Table,
                                (ScheduleTasks::CampaignId, ScheduleTasks::OrganizationId),
                            )
                            .to(Campaigns::Table, (Campaigns::Id, Campaigns::OrganizationId))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let indexes = [
            index(
                "ix_schedule_tasks_campaign",
                ScheduleTasks::Table,
                &[iden(ScheduleTasks::CampaignId), iden(ScheduleTasks::DueAt)],
                false,
            ),
            index(
                "ix_schedule_tasks_organization_due",
                ScheduleTasks::Table,
                &[
                    iden(ScheduleTasks::OrganizationId),
                    iden(ScheduleTasks::DueAt),
                ],
                false,
            ),
            // The scheduler's two scans: open tasks by reminder time and by due time.
            index(
                "ix_schedule_tasks_remind",
                ScheduleTasks::Table,
                &[iden(ScheduleTasks::Status), iden(ScheduleTasks::RemindAt)],
                false,
            ),
            index(
                "ix_schedule_tasks_due",
                ScheduleTasks::Table,
                &[iden(ScheduleTasks::Status), iden(ScheduleTasks::DueAt)],
                false,
            ),
            index(
                "ix_schedule_tasks_updated_at",
                ScheduleTasks::Table,
                &[iden(ScheduleTasks::UpdatedAt)],
                false,
            ),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ScheduleTasks::Table).to_owned())
            .await
    }
}
