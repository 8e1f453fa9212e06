//! The outbox of campaign stops that ads has not confirmed yet: a row is written in the same
//! transaction as a status change that stops ads (paused, cancelled, completed), and deleted
//! once ads' `reconcileCampaignAds` answered; sales' reconcile sweep retries the rest with
//! backoff (issue 13: a failed reconcile is retried).

use sea_orm_migration::prelude::*;

use super::columns::{id_column, iden, index, timestamp};

/// Creates `ads_reconcile_outbox`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AdsReconcileOutbox {
    Table,
    Id,
    OrganizationId,
    CampaignId,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AdsReconcileOutbox::Table)
                    .col(id_column(AdsReconcileOutbox::Id))
                    .col(
                        ColumnDef::new(AdsReconcileOutbox::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AdsReconcileOutbox::CampaignId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AdsReconcileOutbox::Status)
                            .string_len(30)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AdsReconcileOutbox::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(timestamp(AdsReconcileOutbox::NextAttemptAt))
                    .col(ColumnDef::new(AdsReconcileOutbox::LastError).text().null())
                    .col(timestamp(AdsReconcileOutbox::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ads_reconcile_outbox_organization")
                            .from(
                                AdsReconcileOutbox::Table,
                                AdsReconcileOutbox::OrganizationId,
                            )
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ads_reconcile_outbox_campaign")
                            .from(AdsReconcileOutbox::Table, AdsReconcileOutbox::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The sweep reads what is due; a campaign reads its own pending rows.
        manager
            .create_index(index(
                "idx_ads_reconcile_outbox_due",
                AdsReconcileOutbox::Table,
                &[iden(AdsReconcileOutbox::NextAttemptAt)],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_ads_reconcile_outbox_campaign",
                AdsReconcileOutbox::Table,
                &[iden(AdsReconcileOutbox::CampaignId)],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AdsReconcileOutbox::Table).to_owned())
            .await
    }
}
