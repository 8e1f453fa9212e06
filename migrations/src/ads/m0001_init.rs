//! The ads store: per-tenant markets, ads and one metrics row per ad and day.
//!
//! Composite foreign keys `(x_id, organization_id)` make the database refuse a
//! row that points at another tenant's market or ad, whoever writes it.

use sea_orm_migration::prelude::*;

/// Channel codes (the `AdChannel` enum, lower case).
const CHANNELS: [&str; 12] = [
    "facebook",
    "instagram",
    "youtube",
    "tiktok",
    "google",
    "linkedin",
    "email",
    "sms",
    "influencer",
    "tv",
    "radio",
    "print",
];
/// Status codes (the `AdStatus` enum, lower case).
const STATUSES: [&str; 5] = ["draft", "scheduled", "running", "paused", "ended"];
/// Bid strategy codes (the `AdBidStrategy` enum, lower case).
const BID_STRATEGIES: [&str; 6] = [
    "lowest_cost",
    "cost_cap",
    "bid_cap",
    "target_cpa",
    "target_roas",
    "manual_cpc",
];

/// Creates the markets, ads and ad_metrics tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Markets {
    Table,
    Id,
    OrganizationId,
    Country,
    Currency,
    Language,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Ads {
    Table,
    Id,
    OrganizationId,
    CampaignId,
    Channel,
    MarketId,
    Name,
    Status,
    AudienceSegmentId,
    CreativeIds,
    DailyBudget,
    BidStrategy,
    StartDate,
    EndDate,
    Platform,
    ExternalId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AdMetrics {
    Table,
    Id,
    OrganizationId,
    AdId,
    Day,
    Impressions,
    Reach,
    Clicks,
    Engagement,
    Spend,
    Conversions,
    ConversionValue,
    CreatedAt,
    UpdatedAt,
}

fn timestamps<T: IntoIden>(table: &mut TableCreateStatement, created: T, updated: T) {
    table
        .col(
            ColumnDef::new(created)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(updated)
                .timestamp_with_time_zone()
                .not_null(),
        );
}

fn index<T: IntoIden + Copy + 'static>(name: &str, table: T, cols: &[T]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table).if_not_exists();
    for col in cols {
        stmt.col(*col);
    }
    stmt
}

fn markets() -> TableCreateStatement {
    let mut t = Table::create();
    t.table(Markets::Table)
        .if_not_exists()
        .col(ColumnDef::new(Markets::Id).uuid().not_null().primary_key())
        .col(ColumnDef::new(Markets::OrganizationId).uuid().not_null())
        .col(ColumnDef::new(Markets::Country).string_len(2).not_null())
        .col(ColumnDef::new(Markets::Currency).string_len(3).not_null())
        .col(ColumnDef::new(Markets::Language).string_len(2).not_null())
        .check(Expr::cust("length(country) = 2"))
        .check(Expr::cust("length(currency) = 3"))
        .check(Expr::cust("length(language) = 2"));
    timestamps(&mut t, Markets::CreatedAt, Markets::UpdatedAt);
    t
}

fn ads() -> TableCreateStatement {
    let mut t = Table::create();
    t.table(Ads::Table)
        .if_not_exists()
        .col(ColumnDef::new(Ads::Id).uuid().not_null().primary_key())
        .col(ColumnDef::new(Ads::OrganizationId).uuid().not_null())
        .col(ColumnDef::new(Ads::CampaignId).uuid().not_null())
        .col(ColumnDef::new(Ads::Channel).string_len(16).not_null())
        .col(ColumnDef::new(Ads::MarketId).uuid().not_null())
        .col(ColumnDef::new(Ads::Name).string_len(200).not_null())
        .col(ColumnDef::new(Ads::Status).string_len(16).not_null())
        .col(ColumnDef::new(Ads::AudienceSegmentId).uuid().null())
        .col(ColumnDef::new(Ads::CreativeIds).text().not_null())
        .col(ColumnDef::new(Ads::DailyBudget).big_integer().not_null())
        .col(ColumnDef::new(Ads::BidStrategy).string_len(24).not_null())
        .col(ColumnDef::new(Ads::StartDate).date().not_null())
        .col(ColumnDef::new(Ads::EndDate).date().not_null())
        .col(ColumnDef::new(Ads::Platform).string_len(64).null())
        .col(ColumnDef::new(Ads::ExternalId).string_len(128).null())
        .check(Expr::col(Ads::Channel).is_in(CHANNELS))
        .check(Expr::col(Ads::Status).is_in(STATUSES))
        .check(Expr::col(Ads::BidStrategy).is_in(BID_STRATEGIES))
        .check(Expr::col(Ads::DailyBudget).gte(0))
        .check(Expr::col(Ads::EndDate).gte(Expr::col(Ads::StartDate)))
        .check(
            Expr::col(Ads::ExternalId)
                .is_null()
                .or(Expr::col(Ads::Platform).is_not_null()),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_ads_market")
                .from(Ads::Table, (Ads::MarketId, Ads::OrganizationId))
                .to(Markets::Table, (Markets::Id, Markets::OrganizationId))
                .on_delete(ForeignKeyAction::Restrict),
        );
    timestamps(&mut t, Ads::CreatedAt, Ads::UpdatedAt);
    t
}

fn ad_metrics() -> TableCreateStatement {
    use AdMetrics as M;
    let mut t = Table::create();
    t.table(M::Table)
        .if_not_exists()
        .col(ColumnDef::new(M::Id).uuid().not_null().primary_key())
        .col(ColumnDef::new(M::OrganizationId).uuid().not_null())
        .col(ColumnDef::new(M::AdId).uuid().not_null())
        .col(ColumnDef::new(M::Day).date().not_null());
    for count in [
        M::Impressions,
        M::Reach,
        M::Clicks,
        M::Engagement,
        M::Spend,
        M::Conversions,
        M::ConversionValue,
    ] {
        t.col(ColumnDef::new(count).big_integer().not_null())
            .check(Expr::col(count).gte(0));
    }
    t.check(Expr::col(M::Clicks).lte(Expr::col(M::Impressions)))
        .check(Expr::col(M::Reach).lte(Expr::col(M::Impressions)))
        .foreign_key(
            ForeignKey::create()
                .name("fk_ad_metrics_ad")
                .from(M::Table, (M::AdId, M::OrganizationId))
                .to(Ads::Table, (Ads::Id, Ads::OrganizationId))
                .on_delete(ForeignKeyAction::Cascade),
        );
    timestamps(&mut t, M::CreatedAt, M::UpdatedAt);
    t
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(markets()).await?;
        for idx in [
            // Markets are unique per tenant; the prefix also serves organization_id lookups.
            index(
                "ux_markets_org_country_language",
                Markets::Table,
                &[Markets::OrganizationId, Markets::Country, Markets::Language],
            )
            .unique()
            .to_owned(),
            // The target of the ads' composite foreign key.
            index(
                "ux_markets_id_org",
                Markets::Table,
                &[Markets::Id, Markets::OrganizationId],
            )
            .unique()
            .to_owned(),
            index(
                "ix_markets_updated_at",
                Markets::Table,
                &[Markets::UpdatedAt],
            ),
        ] {
            manager.create_index(idx).await?;
        }

        manager.create_table(ads()).await?;
        for idx in [
            index("ix_ads_organization_id", Ads::Table, &[Ads::OrganizationId]),
            // Keyset pages of one campaign's ads read (campaign_id, id) in order.
            index(
                "ix_ads_campaign_id",
                Ads::Table,
                &[Ads::CampaignId, Ads::Id],
            ),
            index(
                "ix_ads_market",
                Ads::Table,
                &[Ads::MarketId, Ads::OrganizationId],
            ),
            index("ix_ads_updated_at", Ads::Table, &[Ads::UpdatedAt]),
            // The target of the metrics' composite foreign key.
            index("ux_ads_id_org", Ads::Table, &[Ads::Id, Ads::OrganizationId])
                .unique()
                .to_owned(),
            // One platform object is one ad (rows without a platform id never collide: NULLs are distinct).
            index(
                "ux_ads_platform_external_id",
                Ads::Table,
                &[Ads::OrganizationId, Ads::Platform, Ads::ExternalId],
            )
            .unique()
            .to_owned(),
        ] {
            manager.create_index(idx).await?;
        }

        manager.create_table(ad_metrics()).await?;
        for idx in [
            // One row per ad and day: what makes recording a day twice a replacement.
            index(
                "ux_ad_metrics_ad_day",
                AdMetrics::Table,
                &[AdMetrics::AdId, AdMetrics::Day],
            )
            .unique()
            .to_owned(),
            index(
                "ix_ad_metrics_organization_id",
                AdMetrics::Table,
                &[AdMetrics::OrganizationId],
            ),
            index(
                "ix_ad_metrics_updated_at",
                AdMetrics::Table,
                &[AdMetrics::UpdatedAt],
            ),
        ] {
            manager.create_index(idx).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AdMetrics::Table.into_iden(),
            Ads::Table.into_iden(),
            Markets::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
