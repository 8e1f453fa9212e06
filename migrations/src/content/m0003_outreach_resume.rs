//! Outreach batches that survive a restart: each running batch keeps its
//! request (sealed, it holds prospects) and a lease naming the instance
//! running it, so another instance can take over a batch whose owner is gone;
//! one message per batch item, so a batch taken over never writes an item twice.

use sea_orm_migration::prelude::*;

/// Adds the request and lease columns of `outreach_jobs` and the item uniqueness of `outreach_messages`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum OutreachJobs {
    Table,
    Status,
    RequestEnc,
    LeaseOwner,
    LeaseUntil,
}

#[derive(DeriveIden, Clone, Copy)]
enum OutreachMessages {
    Table,
    JobId,
    ItemIndex,
}

const LEASE_INDEX: &str = "ix_outreach_jobs_status_lease_until";
const ITEM_INDEX: &str = "ux_outreach_messages_job_id_item_index";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use OutreachJobs as J;
        // SQLite adds one column per ALTER TABLE.
        for column in [
            // AES-256-GCM envelope of the batch (pitch, template ids, prospects); null on batches
            // started before this migration, which cannot be resumed.
            ColumnDef::new(J::RequestEnc).text().null().to_owned(),
            ColumnDef::new(J::LeaseOwner).uuid().null().to_owned(),
            ColumnDef::new(J::LeaseUntil)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(J::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(LEASE_INDEX)
                    .table(J::Table)
                    .col(J::Status)
                    .col(J::LeaseUntil)
                    .to_owned(),
            )
            .await?;
        // NULL job ids (single messages) are distinct on both backends, so only batch items are constrained.
        manager
            .create_index(
                Index::create()
                    .name(ITEM_INDEX)
                    .table(OutreachMessages::Table)
                    .col(OutreachMessages::JobId)
                    .col(OutreachMessages::ItemIndex)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(ITEM_INDEX)
                    .table(OutreachMessages::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(LEASE_INDEX)
                    .table(OutreachJobs::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            OutreachJobs::LeaseUntil,
            OutreachJobs::LeaseOwner,
            OutreachJobs::RequestEnc,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(OutreachJobs::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
