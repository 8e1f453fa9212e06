//! The sales store's foundation: organizations, products, users, campaigns,
//! their objectives and the products each campaign promotes.
//!
//! Tenancy is enforced in the schema too: every child row carries the
//! `organization_id` of its parent and the foreign keys include it, so a
//! campaign can never point at another tenant's user or product even if the
//! application forgot to check.

use sea_orm_migration::prelude::*;

use super::columns::{id_column, iden, index, timestamp};

/// Creates the foundation tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    OrganizationId,
    Name,
    Industry,
    Country,
    SalesGoal,
    Budget,
    Currency,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    OrganizationId,
    Name,
    Description,
    Price,
    Currency,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    OrganizationId,
    Email,
    Name,
    Phone,
    UserType,
    Timezone,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    OrganizationId,
    OwnerId,
    Name,
    Description,
    KeyMessage,
    Intent,
    Status,
    BudgetTotal,
    BudgetSpent,
    Currency,
    StartDate,
    EndDate,
    Industry,
    TargetCountries,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CampaignObjectives {
    Table,
    Id,
    OrganizationId,
    CampaignId,
    Position,
    Kind,
    Metric,
    Target,
    Current,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CampaignProducts {
    Table,
    Id,
    OrganizationId,
    CampaignId,
    ProductId,
    CreatedAt,
    UpdatedAt,
}

/// The user types the domain knows (`UserType` in the subgraph).
const USER_TYPES: [&str; 4] = ["customer", "admin", "marketer", "sales_agent"];
/// The campaign statuses the domain knows (`CampaignStatus`).
const CAMPAIGN_STATUSES: [&str; 7] = [
    "draft",
    "pending_approval",
    "approved",
    "active",
    "paused",
    "completed",
    "cancelled",
];
/// The objective kinds the domain knows (`ObjectiveKind`).
const OBJECTIVE_KINDS: [&str; 5] = [
    "awareness",
    "lead_generation",
    "conversion",
    "engagement",
    "sales",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(id_column(Organizations::Id))
                    // The tenant of an organization is itself; the column exists so
                    // that every table is filtered (and extracted by the ETL) alike.
                    .col(
                        ColumnDef::new(Organizations::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Organizations::Name)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Organizations::Industry)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Organizations::Country)
                            .string_len(2)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Organizations::SalesGoal)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Organizations::Budget)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Organizations::Currency)
                            .string_len(3)
                            .not_null(),
                    )
                    .col(timestamp(Organizations::CreatedAt))
                    .col(timestamp(Organizations::UpdatedAt))
                    .check(
                        Expr::col(Organizations::OrganizationId).eq(Expr::col(Organizations::Id)),
                    )
                    .check(Expr::col(Organizations::SalesGoal).gte(0))
                    .check(Expr::col(Organizations::Budget).gte(0))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .col(id_column(Products::Id))
                    .col(ColumnDef::new(Products::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(Products::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Products::Description).text().null())
                    .col(ColumnDef::new(Products::Price).big_integer().not_null())
                    .col(ColumnDef::new(Products::Currency).string_len(3).not_null())
                    .col(timestamp(Products::CreatedAt))
                    .col(timestamp(Products::UpdatedAt))
                    .check(Expr::col(Products::Price).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_products_organization")
                            .from(Products::Table, Products::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(id_column(Users::Id))
                    .col(ColumnDef::new(Users::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(Users::Email).string_len(254).not_null())
                    .col(ColumnDef::new(Users::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Users::Phone).string_len(32).null())
                    .col(ColumnDef::new(Users::UserType).string_len(20).not_null())
                    .col(ColumnDef::new(Users::Timezone).string_len(64).not_null())
                    .col(ColumnDef::new(Users::Active).boolean().not_null())
                    .col(timestamp(Users::CreatedAt))
                    .col(timestamp(Users::UpdatedAt))
                    .check(Expr::col(Users::UserType).is_in(USER_TYPES))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_users_organization")
                            .from(Users::Table, Users::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // Targets of the tenant-carrying composite foreign keys below.
        manager
            .create_index(index(
                "ux_users_id_organization",
                Users::Table,
                &[iden(Users::Id), iden(Users::OrganizationId)],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ux_products_id_organization",
                Products::Table,
                &[iden(Products::Id), iden(Products::OrganizationId)],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Campaigns::Table)
                    .col(id_column(Campaigns::Id))
                    .col(ColumnDef::new(Campaigns::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(Campaigns::OwnerId).uuid().not_null())
                    .col(ColumnDef::new(Campaigns::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Campaigns::Description).text().null())
                    .col(ColumnDef::new(Campaigns::KeyMessage).text().null())
                    .col(ColumnDef::new(Campaigns::Intent).text().null())
                    .col(ColumnDef::new(Campaigns::Status).string_len(20).not_null())
                    .col(
                        ColumnDef::new(Campaigns::BudgetTotal)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Campaigns::BudgetSpent)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Campaigns::Currency).string_len(3).not_null())
                    .col(ColumnDef::new(Campaigns::StartDate).date().not_null())
                    .col(ColumnDef::new(Campaigns::EndDate).date().not_null())
                    .col(ColumnDef::new(Campaigns::Industry).string_len(100).null())
                    .col(ColumnDef::new(Campaigns::TargetCountries).text().not_null())
                    .col(timestamp(Campaigns::CreatedAt))
                    .col(timestamp(Campaigns::UpdatedAt))
                    .check(Expr::col(Campaigns::Status).is_in(CAMPAIGN_STATUSES))
                    .check(Expr::col(Campaigns::BudgetSpent).gte(0))
                    .check(Expr::col(Campaigns::BudgetSpent).lte(Expr::col(Campaigns::BudgetTotal)))
                    .check(Expr::col(Campaigns::EndDate).gte(Expr::col(Campaigns::StartDate)))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaigns_organization")
                            .from(Campaigns::Table, Campaigns::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaigns_owner")
                            .from(
                                Campaigns::Table,
                                (Campaigns::OwnerId, Campaigns::OrganizationId),
                            )
                            .to(Users::Table, (Users::Id, Users::OrganizationId)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_campaigns_id_organization",
                Campaigns::Table,
                &[iden(Campaigns::Id), iden(Campaigns::OrganizationId)],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CampaignObjectives::Table)
                    .col(id_column(CampaignObjectives::Id))
                    .col(
                        ColumnDef::new(CampaignObjectives::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CampaignObjectives::CampaignId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CampaignObjectives::Position)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CampaignObjectives::Kind)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CampaignObjectives::Metric)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CampaignObjectives::Target)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CampaignObjectives::Current)
                            .big_integer()
                            .not_null(),
                    )
                    .col(timestamp(CampaignObjectives::CreatedAt))
                    .col(timestamp(CampaignObjectives::UpdatedAt))
                    .check(Expr::col(CampaignObjectives::Kind).is_in(OBJECTIVE_KINDS))
                    .check(Expr::col(CampaignObjectives::Target).gte(0))
                    .check(Expr::col(CampaignObjectives::Current).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_objectives_campaign")
                            .from(
                                CampaignObjectives::Table,
                                (
                                    CampaignObjectives::CampaignId,
                                    CampaignObjectives::OrganizationId,
                                ),
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
                    .table(CampaignProducts::Table)
                    .col(id_column(CampaignProducts::Id))
                    .col(
                        ColumnDef::new(CampaignProducts::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CampaignProducts::CampaignId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CampaignProducts::ProductId)
                            .uuid()
                            .not_null(),
                    )
                    .col(timestamp(CampaignProducts::CreatedAt))
                    .col(timestamp(CampaignProducts::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_products_campaign")
                            .from(
                                CampaignProducts::Table,
                                (
                                    CampaignProducts::CampaignId,
                                    CampaignProducts::OrganizationId,
                                ),
                            )
                            .to(Campaigns::Table, (Campaigns::Id, Campaigns::OrganizationId))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_products_product")
                            .from(
                                CampaignProducts::Table,
                                (
                                    CampaignProducts::ProductId,
                                    CampaignProducts::OrganizationId,
                                ),
                            )
                            .to(Products::Table, (Products::Id, Products::OrganizationId))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // Lookups: by tenant (and id order, the keyset), by foreign key, and by
        // `updated_at` (the ETL's watermark).
        let indexes = [
            index(
                "ix_organizations_organization",
                Organizations::Table,
                &[iden(Organizations::OrganizationId)],
                false,
            ),
            index(
                "ix_organizations_updated_at",
                Organizations::Table,
                &[iden(Organizations::UpdatedAt)],
                false,
            ),
            index(
                "ix_products_organization",
                Products::Table,
                &[iden(Products::OrganizationId), iden(Products::Id)],
                false,
            ),
            index(
                "ix_products_updated_at",
                Products::Table,
                &[iden(Products::UpdatedAt)],
                false,
            ),
            index("ux_users_email", Users::Table, &[iden(Users::Email)], true),
            index(
                "ix_users_organization",
                Users::Table,
                &[iden(Users::OrganizationId), iden(Users::Id)],
                false,
            ),
            index(
                "ix_users_updated_at",
                Users::Table,
                &[iden(Users::UpdatedAt)],
                false,
            ),
            index(
                "ix_campaigns_organization",
                Campaigns::Table,
                &[iden(Campaigns::OrganizationId), iden(Campaigns::Id)],
                false,
            ),
            index(
                "ix_campaigns_owner",
                Campaigns::Table,
                &[iden(Campaigns::OwnerId), iden(Campaigns::OrganizationId)],
                false,
            ),
            index(
                "ix_campaigns_status",
                Campaigns::Table,
                &[iden(Campaigns::OrganizationId), iden(Campaigns::Status)],
                false,
            ),
            index(
                "ix_campaigns_updated_at",
                Campaigns::Table,
                &[iden(Campaigns::UpdatedAt)],
                false,
            ),
            index(
                "ix_campaign_objectives_campaign",
                CampaignObjectives::Table,
                &[
                    iden(CampaignObjectives::CampaignId),
                    iden(CampaignObjectives::OrganizationId),
                ],
                false,
            ),
            index(
                "ix_campaign_objectives_organization",
                CampaignObjectives::Table,
                &[iden(CampaignObjectives::OrganizationId)],
                false,
            ),
            index(
                "ix_campaign_objectives_updated_at",
                CampaignObjectives::Table,
                &[iden(CampaignObjectives::UpdatedAt)],
                false,
            ),
            index(
                "ux_campaign_products_pair",
                CampaignProducts::Table,
                &[
                    iden(CampaignProducts::CampaignId),
                    iden(CampaignProducts::ProductId),
                ],
                true,
            ),
            index(
                "ix_campaign_products_product",
                CampaignProducts::Table,
                &[
                    iden(CampaignProducts::ProductId),
                    iden(CampaignProducts::OrganizationId),
                ],
                false,
            ),
            index(
                "ix_campaign_products_organization",
                CampaignProducts::Table,
                &[iden(CampaignProducts::OrganizationId)],
                false,
            ),
            index(
                "ix_campaign_products_updated_at",
                CampaignProducts::Table,
                &[iden(CampaignProducts::UpdatedAt)],
                false,
            ),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children first: their foreign keys point at the tables dropped after them.
        manager
            .drop_table(Table::drop().table(CampaignProducts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CampaignObjectives::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Campaigns::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Products::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Organizations::Table).to_owned())
            .await?;
        Ok(())
    }
}
