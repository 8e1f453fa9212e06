//! The results the ETL keeps (and the demo seed fills): per campaign and day
//! summaries of content, ads and CRM, and one performance row per campaign.
//! Ratios (CTR, ROI, cost per lead...) are derived when read, never stored.

use sea_orm_migration::prelude::*;

use super::columns::{id_column, iden, index, timestamp};

/// Creates `content_summary`, `ads_summary`, `crm_summary` and `campaign_performance`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    OrganizationId,
}

#[derive(DeriveIden)]
enum ContentSummary {
    Table,
    ContentType,
    PiecesTotal,
    PiecesApproved,
    PiecesRejected,
    PiecesPending,
}

#[derive(DeriveIden)]
enum AdsSummary {
    Table,
    Channel,
    Impressions,
    Clicks,
    Reach,
    Engagement,
    Spend,
    Conversions,
    ConversionValue,
}

#[derive(DeriveIden)]
enum CrmSummary {
    Table,
    Leads,
    Qualified,
    Customers,
    Revenue,
}

#[derive(DeriveIden)]
enum CampaignPerformance {
    Table,
    Spend,
    Impressions,
    Clicks,
    Conversions,
    Leads,
    Customers,
    Revenue,
}

/// Columns every summary shares.
#[derive(DeriveIden)]
enum Common {
    Id,
    OrganizationId,
    CampaignId,
    Day,
    CreatedAt,
    UpdatedAt,
}

fn count<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

/// A table with the shared columns (and `day` unless it is per campaign only).
fn summary(table: impl IntoIden + 'static, name: &str, daily: bool) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(table)
        .col(id_column(Common::Id))
        .col(ColumnDef::new(Common::OrganizationId).uuid().not_null())
        .col(ColumnDef::new(Common::CampaignId).uuid().not_null());
    if daily {
        t.col(ColumnDef::new(Common::Day).date().not_null());
    }
    t.col(timestamp(Common::CreatedAt))
        .col(timestamp(Common::UpdatedAt))
        .foreign_key(
            ForeignKey::create()
                .name(format!("fk_{name}_campaign"))
                .from_col(Common::CampaignId)
                .from_col(Common::OrganizationId)
                .to_tbl(Campaigns::Table)
                .to_col(Campaigns::Id)
                .to_col(Campaigns::OrganizationId)
                .on_delete(ForeignKeyAction::Cascade),
        );
    t.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut content = summary(ContentSummary::Table, "content_summary", true);
        content
            .col(
                ColumnDef::new(ContentSummary::ContentType)
                    .string_len(20)
                    .not_null(),
            )
            .col(count(ContentSummary::PiecesTotal))
            .col(count(ContentSummary::PiecesApproved))
            .col(count(ContentSummary::PiecesRejected))
            .col(count(ContentSummary::PiecesPending));
        manager.create_table(content).await?;

        let mut ads = summary(AdsSummary::Table, "ads_summary", true);
        ads.col(
            ColumnDef::new(AdsSummary::Channel)
                .string_len(20)
                .not_null(),
        )
        .col(count(AdsSummary::Impressions))
        .col(count(AdsSummary::Clicks))
        .col(count(AdsSummary::Reach))
        .col(count(AdsSummary::Engagement))
        .col(count(AdsSummary::Spend))
        .col(count(AdsSummary::Conversions))
        .col(count(AdsSummary::ConversionValue))
        .check(Expr::col(AdsSummary::Spend).gte(0));
        manager.create_table(ads).await?;

        let mut crm = summary(CrmSummary::Table, "crm_summary", true);
        crm.col(count(CrmSummary::Leads))
            .col(count(CrmSummary::Qualified))
            .col(count(CrmSummary::Customers))
            .col(count(CrmSummary::Revenue));
        manager.create_table(crm).await?;

        let mut performance = summary(CampaignPerformance::Table, "campaign_performance", false);
        performance
            .col(count(CampaignPerformance::Spend))
            .col(count(CampaignPerformance::Impressions))
            .col(count(CampaignPerformance::Clicks))
            .col(count(CampaignPerformance::Conversions))
            .col(count(CampaignPerformance::Leads))
            .col(count(CampaignPerformance::Customers))
            .col(count(CampaignPerformance::Revenue));
        manager.create_table(performance).await?;

        let indexes = [
            // One row per campaign, day and key: what the ETL upserts on.
            index(
                "ux_content_summary_key",
                ContentSummary::Table,
                &[
                    iden(Common::CampaignId),
                    iden(Common::Day),
                    iden(ContentSummary::ContentType),
                ],
                true,
            ),
            index(
                "ix_content_summary_organization_day",
                ContentSummary::Table,
                &[iden(Common::OrganizationId), iden(Common::Day)],
                false,
            ),
            index(
                "ux_ads_summary_key",
                AdsSummary::Table,
                &[
                    iden(Common::CampaignId),
                    iden(Common::Day),
                    iden(AdsSummary::Channel),
                ],
                true,
            ),
            index(
                "ix_ads_summary_organization_day",
                AdsSummary::Table,
                &[iden(Common::OrganizationId), iden(Common::Day)],
                false,
            ),
            index(
                "ux_crm_summary_key",
                CrmSummary::Table,
                &[iden(Common::CampaignId), iden(Common::Day)],
                true,
            ),
            index(
                "ix_crm_summary_organization_day",
                CrmSummary::Table,
                &[iden(Common::OrganizationId), iden(Common::Day)],
                false,
            ),
            index(
                "ux_campaign_performance_campaign",
                CampaignPerformance::Table,
                &[iden(Common::CampaignId)],
                true,
            ),
            index(
                "ix_campaign_performance_organization",
                CampaignPerformance::Table,
                &[iden(Common::OrganizationId)],
                false,
            ),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        for table in [
            "content_summary",
            "ads_summary",
            "crm_summary",
            "campaign_performance",
        ] {
            manager
                .create_index(index(
                    &format!("ix_{table}_updated_at"),
                    Alias::new(table),
                    &[iden(Common::UpdatedAt)],
                    false,
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            iden(CampaignPerformance::Table),
            iden(CrmSummary::Table),
            iden(AdsSummary::Table),
            iden(ContentSummary::Table),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
