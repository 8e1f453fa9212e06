//! Lookups the platform connectors need: a webhook names an ad by its platform
//! and the platform's id, across tenants (`ux_ads_platform_external_id` starts
//! with the organization, so it cannot serve that lookup).

use sea_orm_migration::prelude::*;

/// Adds the (platform, external id) index of ads.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Ads {
    Table,
    Platform,
    ExternalId,
}

const INDEX: &str = "ix_ads_platform_external_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Ads::Table)
                    .col(Ads::Platform)
                    .col(Ads::ExternalId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Ads::Table).to_owned())
            .await
    }
}
