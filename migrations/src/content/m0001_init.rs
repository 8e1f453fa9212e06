//! The content store's tables: media assets and the campaigns that use them.

use sea_orm_migration::prelude::*;

/// Creates `media_assets` and `campaign_assets`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MediaAssets {
    Table,
    Id,
    OrganizationId,
    Kind,
    Url,
    ThumbnailUrl,
    Description,
    Hashtags,
    Category,
    Format,
    Width,
    Height,
    DurationSeconds,
    SizeBytes,
    License,
    Attribution,
    RightsExpiresAt,
    ReviewStatus,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CampaignAssets {
    Table,
    CampaignId,
    AssetId,
    OrganizationId,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MediaAssets::Table)
                    .col(
                        ColumnDef::new(MediaAssets::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(MediaAssets::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(MediaAssets::Kind)
                            .string_len(16)
                            .not_null()
                            .check(
                                Expr::col(MediaAssets::Kind)
                                    .is_in(["image", "video", "text", "audio"]),
                            ),
                    )
                    .col(ColumnDef::new(MediaAssets::Url).text().not_null())
                    .col(ColumnDef::new(MediaAssets::ThumbnailUrl).text().null())
                    .col(ColumnDef::new(MediaAssets::Description).text().not_null())
                    // A JSON array of normalised tags, matched with LIKE on `"tag"`.
                    .col(
                        ColumnDef::new(MediaAssets::Hashtags)
                            .text()
                            .not_null()
                            .default("[]"),
                    )
                    .col(ColumnDef::new(MediaAssets::Category).string_len(64).null())
                    .col(ColumnDef::new(MediaAssets::Format).string_len(32).null())
                    .col(
                        ColumnDef::new(MediaAssets::Width)
                            .integer()
                            .null()
                            .check(Expr::col(MediaAssets::Width).gte(0)),
                    )
                    .col(
                        ColumnDef::new(MediaAssets::Height)
                            .integer()
                            .null()
                            .check(Expr::col(MediaAssets::Height).gte(0)),
                    )
                    .col(
                        ColumnDef::new(MediaAssets::DurationSeconds)
                            .double()
                            .null()
                            .check(Expr::col(MediaAssets::DurationSeconds).gte(0)),
                    )
                    .col(
                        ColumnDef::new(MediaAssets::SizeBytes)
                            .big_integer()
                            .null()
                            .check(Expr::col(MediaAssets::SizeBytes).gte(0)),
                    )
                    .col(ColumnDef::new(MediaAssets::License).string_len(200).null())
                    .col(
                        ColumnDef::new(MediaAssets::Attribution)
                            .string_len(200)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(MediaAssets::RightsExpiresAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(MediaAssets::ReviewStatus)
                            .string_len(16)
                            .not_null()
                            .default("pending_review")
                            .check(Expr::col(MediaAssets::ReviewStatus).is_in([
                                "pending_review",
                                "approved",
                                "rejected",
                            ])),
                    )
                    .col(
                        ColumnDef::new(MediaAssets::Version)
                            .integer()
                            .not_null()
                            .default(1)
                            .check(Expr::col(MediaAssets::Version).gte(1)),
                    )
                    .col(
                        ColumnDef::new(MediaAssets::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(MediaAssets::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        // Tenant-scoped keyset paging (`organization_id = ? AND id > ?`), and the
        // parent key of the composite foreign key below.
        manager
            .create_index(
                Index::create()
                    .name("ux_media_assets_organization_id_id")
                    .table(MediaAssets::Table)
                    .col(MediaAssets::OrganizationId)
                    .col(MediaAssets::Id)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("ix_media_assets_organization_id_kind", MediaAssets::Kind),
            (
                "ix_media_assets_organization_id_review_status",
                MediaAssets::ReviewStatus,
            ),
            (
                "ix_media_assets_organization_id_category",
                MediaAssets::Category,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(MediaAssets::Table)
                        .col(MediaAssets::OrganizationId)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_media_assets_updated_at")
                    .table(MediaAssets::Table)
                    .col(MediaAssets::UpdatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CampaignAssets::Table)
                    // Campaigns live in the sales store: no foreign key can reach them.
                    .col(ColumnDef::new(CampaignAssets::CampaignId).uuid().not_null())
                    .col(ColumnDef::new(CampaignAssets::AssetId).uuid().not_null())
                    .col(
                        ColumnDef::new(CampaignAssets::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CampaignAssets::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CampaignAssets::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(CampaignAssets::CampaignId)
                            .col(CampaignAssets::AssetId),
                    )
                    // Through (organization_id, id) so a link can never cross tenants.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_assets_asset")
                            .from(
                                CampaignAssets::Table,
                                (CampaignAssets::OrganizationId, CampaignAssets::AssetId),
                            )
                            .to(
                                MediaAssets::Table,
                                (MediaAssets::OrganizationId, MediaAssets::Id),
                            )
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "ix_campaign_assets_organization_id_campaign_id",
                vec![CampaignAssets::OrganizationId, CampaignAssets::CampaignId],
            ),
            (
                "ix_campaign_assets_organization_id_asset_id",
                vec![CampaignAssets::OrganizationId, CampaignAssets::AssetId],
            ),
            (
                "ix_campaign_assets_updated_at",
                vec![CampaignAssets::UpdatedAt],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(CampaignAssets::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CampaignAssets::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MediaAssets::Table).to_owned())
            .await
    }
}
