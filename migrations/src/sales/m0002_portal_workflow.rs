//! The portal's supervised automation: approvals of campaigns, the plans
//! proposed for them, and the audit log of sensitive actions.
//!
//! Child rows carry the `organization_id` of their campaign and the foreign
//! keys include it (as in m0001), so no row can point at another tenant's.

use sea_orm_migration::prelude::*;

use super::columns::{id_column, iden, index, timestamp};

/// Creates `approvals`, `campaign_plans` and `audit_log`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    OrganizationId,
}

#[derive(DeriveIden)]
enum Approvals {
    Table,
    Id,
    OrganizationId,
    CampaignId,
    Round,
    Kind,
    Status,
    RequestedBy,
    ResolvedBy,
    Comments,
    RequestedAt,
    ResolvedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CampaignPlans {
    Table,
    Id,
    OrganizationId,
    CampaignId,
    Strategy,
    Plan,
    BasedOnHistory,
    ProposedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    OrganizationId,
    ActorId,
    Action,
    TargetType,
    TargetId,
    Severity,
    Ip,
    UserAgent,
    Metadata,
    OccurredAt,
    CreatedAt,
    UpdatedAt,
}

/// `ApprovalKind` of the domain.
const APPROVAL_KINDS: [&str; 4] = ["budget", "content", "schedule", "launch"];
/// `ApprovalStatus` of the domain.
const APPROVAL_STATUSES: [&str; 4] = ["pending", "granted", "rejected", "withdrawn"];
/// Audit severities.
const SEVERITIES: [&str; 3] = ["info", "warning", "critical"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Approvals::Table)
                    .col(id_column(Approvals::Id))
                    .col(ColumnDef::new(Approvals::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(Approvals::CampaignId).uuid().not_null())
                    .col(ColumnDef::new(Approvals::Round).integer().not_null())
                    .col(ColumnDef::new(Approvals::Kind).string_len(20).not_null())
                    .col(ColumnDef::new(Approvals::Status).string_len(20).not_null())
                    .col(ColumnDef::new(Approvals::RequestedBy).uuid().null())
                    .col(ColumnDef::new(Approvals::ResolvedBy).uuid().null())
                    .col(ColumnDef::new(Approvals::Comments).text().null())
                    .col(timestamp(Approvals::RequestedAt))
                    .col(
                        ColumnDef::new(Approvals::ResolvedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(timestamp(Approvals::CreatedAt))
                    .col(timestamp(Approvals::UpdatedAt))
                    .check(Expr::col(Approvals::Kind).is_in(APPROVAL_KINDS))
                    .check(Expr::col(Approvals::Status).is_in(APPROVAL_STATUSES))
                    .check(Expr::col(Approvals::Round).gte(1))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_approvals_campaign")
                            .from(
                                Approvals::Table,
                                (Approvals::CampaignId, Approvals::OrganizationId),
                            )
                            .to(Campaigns::Table, (Campaigns::Id, Campaigns::OrganizationId))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CampaignPlans::Table)
                    .col(id_column(CampaignPlans::Id))
                    .col(
                        ColumnDef::new(CampaignPlans::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CampaignPlans::CampaignId).uuid().not_null())
                    .col(ColumnDef::new(CampaignPlans::Strategy).text().not_null())
                    .col(ColumnDef::new(CampaignPlans::Plan).text().not_null())
                    .col(
                        ColumnDef::new(CampaignPlans::BasedOnHistory)
                            .boolean()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CampaignPlans::ProposedBy).uuid().null())
                    .col(timestamp(CampaignPlans::CreatedAt))
                    .col(timestamp(CampaignPlans::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_plans_campaign")
                            .from(
                                CampaignPlans::Table,
                                (CampaignPlans::CampaignId, CampaignPlans::OrganizationId),
                            )
                            .to(Campaigns::Table, (Campaigns::Id, Campaigns::OrganizationId))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(id_column(AuditLog::Id))
                    // Absent for platform-level actions (an operator's login).
                    .col(ColumnDef::new(AuditLog::OrganizationId).uuid().null())
                    .col(ColumnDef::new(AuditLog::ActorId).uuid().null())
                    .col(ColumnDef::new(AuditLog::Action).string_len(100).not_null())
                    .col(
                        ColumnDef::new(AuditLog::TargetType)
                            .string_len(50)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditLog::TargetId).string_len(100).null())
                    .col(ColumnDef::new(AuditLog::Severity).string_len(10).not_null())
                    .col(ColumnDef::new(AuditLog::Ip).string_len(64).null())
                    .col(ColumnDef::new(AuditLog::UserAgent).string_len(300).null())
                    .col(ColumnDef::new(AuditLog::Metadata).text().not_null())
                    .col(timestamp(AuditLog::OccurredAt))
                    .col(timestamp(AuditLog::CreatedAt))
                    .col(timestamp(AuditLog::UpdatedAt))
                    .check(Expr::col(AuditLog::Severity).is_in(SEVERITIES))
                    .to_owned(),
            )
            .await?;

        let indexes = [
            // One request per kind per approval round.
            index(
                "ux_approvals_round_kind",
                Approvals::Table,
                &[
                    iden(Approvals::CampaignId),
                    iden(Approvals::Round),
                    iden(Approvals::Kind),
                ],
                true,
            ),
            index(
                "ix_approvals_organization_status",
                Approvals::Table,
                &[iden(Approvals::OrganizationId), iden(Approvals::Status)],
                false,
            ),
            index(
                "ix_approvals_updated_at",
                Approvals::Table,
                &[iden(Approvals::UpdatedAt)],
                false,
            ),
            index(
                "ux_campaign_plans_campaign",
                CampaignPlans::Table,
                &[iden(CampaignPlans::CampaignId)],
                true,
            ),
            index(
                "ix_campaign_plans_organization",
                CampaignPlans::Table,
                &[iden(CampaignPlans::OrganizationId)],
                false,
            ),
            index(
                "ix_campaign_plans_updated_at",
                CampaignPlans::Table,
                &[iden(CampaignPlans::UpdatedAt)],
                false,
            ),
            index(
                "ix_audit_log_organization_time",
                AuditLog::Table,
                &[iden(AuditLog::OrganizationId), iden(AuditLog::OccurredAt)],
                false,
            ),
            // The 90-day purge deletes by time.
            index(
                "ix_audit_log_occurred_at",
                AuditLog::Table,
                &[iden(AuditLog::OccurredAt)],
                false,
            ),
            index(
                "ix_audit_log_updated_at",
                AuditLog::Table,
                &[iden(AuditLog::UpdatedAt)],
                false,
            ),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            iden(AuditLog::Table),
            iden(CampaignPlans::Table),
            iden(Approvals::Table),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
