//! An ad platform's id names one ad on that platform, whichever tenant owns it: a webhook
//! or a batch for (platform, external id) must never be ambiguous. The lookup index of
//! m0002 becomes unique (NULL ids, ads never published, stay free to repeat).

use sea_orm_migration::prelude::*;

/// Makes (platform, external id) unique across tenants.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Ads {
    Table,
    Platform,
    ExternalId,
}

const OLD: &str = "ix_ads_platform_external_id";
const NEW: &str = "ux_ads_platform_external_id_any_tenant";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NEW)
                    .table(Ads::Table)
                    .col(Ads::Platform)
                    .col(Ads::ExternalId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(OLD).table(Ads::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(OLD)
                    .table(Ads::Table)
                    .col(Ads::Platform)
                    .col(Ads::ExternalId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(NEW).table(Ads::Table).to_owned())
            .await
    }
}
