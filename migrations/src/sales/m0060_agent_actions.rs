//! Supervised agent actions: tool calls of AI agents (through the MCP adapter) that launch,
//! spend, erase or change permissions wait here for a person's decision.

use sea_orm_migration::prelude::*;

use super::columns::{id_column, iden, index, timestamp};

/// Creates `agent_action_requests`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AgentActionRequests {
    Table,
    Id,
    OrganizationId,
    RequestedBy,
    Tool,
    Risk,
    Arguments,
    Summary,
    Status,
    ResolvedBy,
    Comment,
    RequestedAt,
    ResolvedAt,
    UsedAt,
    CreatedAt,
    UpdatedAt,
}

/// `AgentActionStatus` of the domain.
const STATUSES: [&str; 4] = ["pending", "approved", "rejected", "used"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AgentActionRequests::Table)
                    .col(id_column(AgentActionRequests::Id))
                    .col(
                        ColumnDef::new(AgentActionRequests::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AgentActionRequests::RequestedBy)
                            .uuid()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(AgentActionRequests::Tool)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AgentActionRequests::Risk)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AgentActionRequests::Arguments)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AgentActionRequests::Summary).text().null())
                    .col(
                        ColumnDef::new(AgentActionRequests::Status)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AgentActionRequests::ResolvedBy)
                            .uuid()
                            .null(),
                    )
                    .col(ColumnDef::new(AgentActionRequests::Comment).text().null())
                    .col(timestamp(AgentActionRequests::RequestedAt))
                    .col(
                        ColumnDef::new(AgentActionRequests::ResolvedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(AgentActionRequests::UsedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(timestamp(AgentActionRequests::CreatedAt))
                    .col(timestamp(AgentActionRequests::UpdatedAt))
                    .check(Expr::col(AgentActionRequests::Status).is_in(STATUSES))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_agent_action_requests_organization")
                            .from(
                                AgentActionRequests::Table,
                                AgentActionRequests::OrganizationId,
                            )
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The queue a person reads (an organization's pending requests) and the lookup of an
        // approved call by its tool.
        manager
            .create_index(index(
                "idx_agent_action_requests_org_status",
                AgentActionRequests::Table,
                &[
                    iden(AgentActionRequests::OrganizationId),
                    iden(AgentActionRequests::Status),
                    iden(AgentActionRequests::Tool),
                ],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AgentActionRequests::Table).to_owned())
            .await
    }
}
