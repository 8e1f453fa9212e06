//! Plans (the platform's catalogue), their features, organizations'
//! subscriptions and their usage of quota features.
//!
//! Plans are platform reference data, the same for every tenant, so they
//! (and their features) carry no `organization_id`; subscriptions and usage do.

use sea_orm_migration::prelude::*;

use super::columns::{id_column, iden, index, timestamp};

/// Creates `plans`, `plan_features`, `subscriptions` and `subscription_usage`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Plans {
    Table,
    Id,
    Code,
    Name,
    Subsystem,
    BillingCycle,
    Price,
    Currency,
    TrialDays,
    MaxUsers,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PlanFeatures {
    Table,
    Id,
    PlanId,
    Name,
    Kind,
    Value,
    Unit,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    Id,
    OrganizationId,
    PlanId,
    Subsystem,
    Status,
    StartedAt,
    TrialEndsAt,
    CurrentPeriodStart,
    CurrentPeriodEnd,
    CancelledAt,
    AutoRenew,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SubscriptionUsage {
    Table,
    Id,
    OrganizationId,
    SubscriptionId,
    Feature,
    Used,
    LastResetAt,
    CreatedAt,
    UpdatedAt,
}

const SUBSYSTEMS: [&str; 4] = ["content", "ads", "crm", "all"];
const CYCLES: [&str; 2] = ["monthly", "yearly"];
const KINDS: [&str; 3] = ["limit", "boolean", "quota"];
const STATUSES: [&str; 4] = ["trial", "active", "cancelled", "expired"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Plans::Table)
                    .col(id_column(Plans::Id))
                    .col(ColumnDef::new(Plans::Code).string_len(50).not_null())
                    .col(ColumnDef::new(Plans::Name).string_len(100).not_null())
                    .col(ColumnDef::new(Plans::Subsystem).string_len(10).not_null())
                    .col(
                        ColumnDef::new(Plans::BillingCycle)
                            .string_len(10)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Plans::Price).big_integer().not_null())
                    .col(ColumnDef::new(Plans::Currency).string_len(3).not_null())
                    .col(ColumnDef::new(Plans::TrialDays).integer().not_null())
                    .col(ColumnDef::new(Plans::MaxUsers).integer().not_null())
                    .col(ColumnDef::new(Plans::Active).boolean().not_null())
                    .col(timestamp(Plans::CreatedAt))
                    .col(timestamp(Plans::UpdatedAt))
                    .check(Expr::col(Plans::Subsystem).is_in(SUBSYSTEMS))
                    .check(Expr::col(Plans::BillingCycle).is_in(CYCLES))
                    .check(Expr::col(Plans::Price).gte(0))
                    .check(Expr::col(Plans::TrialDays).gte(0))
                    .check(Expr::col(Plans::MaxUsers).gte(1))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PlanFeatures::Table)
                    .col(id_column(PlanFeatures::Id))
                    .col(ColumnDef::new(PlanFeatures::PlanId).uuid().not_null())
                    .col(ColumnDef::new(PlanFeatures::Name).string_len(64).not_null())
                    .col(ColumnDef::new(PlanFeatures::Kind).string_len(10).not_null())
                    .col(ColumnDef::new(PlanFeatures::Value).big_integer().not_null())
                    .col(ColumnDef::new(PlanFeatures::Unit).string_len(30).null())
                    .col(timestamp(PlanFeatures::CreatedAt))
                    .col(timestamp(PlanFeatures::UpdatedAt))
                    .check(Expr::col(PlanFeatures::Kind).is_in(KINDS))
                    .check(Expr::col(PlanFeatures::Value).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_plan_features_plan")
                            .from(PlanFeatures::Table, PlanFeatures::PlanId)
                            .to(Plans::Table, Plans::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Subscriptions::Table)
                    .col(id_column(Subscriptions::Id))
                    .col(
                        ColumnDef::new(Subscriptions::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Subscriptions::PlanId).uuid().not_null())
                    .col(
                        ColumnDef::new(Subscriptions::Subsystem)
                            .string_len(10)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Subscriptions::Status)
                            .string_len(10)
                            .not_null(),
                    )
                    .col(timestamp(Subscriptions::StartedAt))
                    .col(
                        ColumnDef::new(Subscriptions::TrialEndsAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(timestamp(Subscriptions::CurrentPeriodStart))
                    .col(timestamp(Subscriptions::CurrentPeriodEnd))
                    .col(
                        ColumnDef::new(Subscriptions::CancelledAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Subscriptions::AutoRenew)
                            .boolean()
                            .not_null(),
                    )
                    .col(timestamp(Subscriptions::CreatedAt))
                    .col(timestamp(Subscriptions::UpdatedAt))
                    .check(Expr::col(Subscriptions::Status).is_in(STATUSES))
                    .check(Expr::col(Subscriptions::Subsystem).is_in(SUBSYSTEMS))
                    .check(
                        Expr::col(Subscriptions::CurrentPeriodEnd)
                            .gte(Expr::col(Subscriptions::CurrentPeriodStart)),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_subscriptions_organization")
                            .from(Subscriptions::Table, Subscriptions::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_subscriptions_plan")
                            .from(Subscriptions::Table, Subscriptions::PlanId)
                            .to(Plans::Table, Plans::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_subscriptions_id_organization",
                Subscriptions::Table,
                &[iden(Subscriptions::Id), iden(Subscriptions::OrganizationId)],
                true,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SubscriptionUsage::Table)
                    .col(id_column(SubscriptionUsage::Id))
                    .col(
                        ColumnDef::new(SubscriptionUsage::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SubscriptionUsage::SubscriptionId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SubscriptionUsage::Feature)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SubscriptionUsage::Used)
                            .big_integer()
                            .not_null(),
                    )
                    .col(timestamp(SubscriptionUsage::LastResetAt))
                    .col(timestamp(SubscriptionUsage::CreatedAt))
                    .col(timestamp(SubscriptionUsage::UpdatedAt))
                    .check(Expr::col(SubscriptionUsage::Used).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_subscription_usage_subscription")
                            .from(
                                SubscriptionUsage::Table,
                                (
                                    SubscriptionUsage::SubscriptionId,
                                    SubscriptionUsage::OrganizationId,
                                ),
                            )
                            .to(
                                Subscriptions::Table,
                                (Subscriptions::Id, Subscriptions::OrganizationId),
                            )
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let indexes = [
            index("ux_plans_code", Plans::Table, &[iden(Plans::Code)], true),
            index(
                "ix_plans_updated_at",
                Plans::Table,
                &[iden(Plans::UpdatedAt)],
                false,
            ),
            index(
                "ux_plan_features_plan_name",
                PlanFeatures::Table,
                &[iden(PlanFeatures::PlanId), iden(PlanFeatures::Name)],
                true,
            ),
            index(
                "ix_subscriptions_organization",
                Subscriptions::Table,
                &[
                    iden(Subscriptions::OrganizationId),
                    iden(Subscriptions::Status),
                ],
                false,
            ),
            index(
                "ix_subscriptions_plan",
                Subscriptions::Table,
                &[iden(Subscriptions::PlanId)],
                false,
            ),
            index(
                "ix_subscriptions_updated_at",
                Subscriptions::Table,
                &[iden(Subscriptions::UpdatedAt)],
                false,
            ),
            index(
                "ux_subscription_usage_feature",
                SubscriptionUsage::Table,
                &[
                    iden(SubscriptionUsage::SubscriptionId),
                    iden(SubscriptionUsage::Feature),
                ],
                true,
            ),
            index(
                "ix_subscription_usage_organization",
                SubscriptionUsage::Table,
                &[iden(SubscriptionUsage::OrganizationId)],
                false,
            ),
            index(
                "ix_subscription_usage_updated_at",
                SubscriptionUsage::Table,
                &[iden(SubscriptionUsage::UpdatedAt)],
                false,
            ),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        // One live (trial or active) subscription per organization and subsystem: a partial
        // unique index, which both SQLite and PostgreSQL have with this syntax.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_subscriptions_live ON subscriptions (organization_id, subsystem) \
                 WHERE status IN ('trial', 'active')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            iden(SubscriptionUsage::Table),
            iden(Subscriptions::Table),
            iden(PlanFeatures::Table),
            iden(Plans::Table),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
