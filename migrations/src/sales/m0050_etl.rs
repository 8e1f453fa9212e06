//! What the delta ETL (`etl/`) keeps in sales beside the summaries:
//!
//! - `etl_watermarks`: per source table, the `(updated_at, id)` position read up to,
//!   and the instant up to which the source is fully read (the lag's origin);
//! - `etl_leases`: one runner per source at a time: an owner, an expiry and a fencing
//!   token that every commit checks, so a runner whose lease expired cannot commit;
//! - `etl_runs`: one row per cycle and source (rows read, written, failed; timings; error);
//! - `etl_failed_rows`: source rows the ETL could not interpret, with the reason.

use sea_orm_migration::prelude::*;

use super::columns::{id_column, iden, index, timestamp};

/// Creates the ETL's tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EtlWatermarks {
    Table,
    Source,
    LastUpdatedAt,
    LastId,
    CaughtUpTo,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EtlLeases {
    Table,
    Name,
    Owner,
    Fence,
    LeaseUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EtlRuns {
    Table,
    Id,
    Source,
    Status,
    RowsRead,
    RowsWritten,
    RowsFailed,
    StartedAt,
    FinishedAt,
    Error,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EtlFailedRows {
    Table,
    Source,
    RowId,
    OrganizationId,
    Reason,
    RowUpdatedAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EtlWatermarks::Table)
                    .col(
                        ColumnDef::new(EtlWatermarks::Source)
                            .string_len(60)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(EtlWatermarks::LastUpdatedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(EtlWatermarks::LastId).uuid().null())
                    .col(
                        ColumnDef::new(EtlWatermarks::CaughtUpTo)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(timestamp(EtlWatermarks::CreatedAt))
                    .col(timestamp(EtlWatermarks::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EtlLeases::Table)
                    .col(
                        ColumnDef::new(EtlLeases::Name)
                            .string_len(60)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(EtlLeases::Owner).string_len(80).null())
                    .col(
                        ColumnDef::new(EtlLeases::Fence)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(EtlLeases::LeaseUntil)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(timestamp(EtlLeases::CreatedAt))
                    .col(timestamp(EtlLeases::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        let count = |c: EtlRuns| {
            ColumnDef::new(c)
                .big_integer()
                .not_null()
                .default(0)
                .to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table(EtlRuns::Table)
                    .col(id_column(EtlRuns::Id))
                    .col(ColumnDef::new(EtlRuns::Source).string_len(60).not_null())
                    .col(ColumnDef::new(EtlRuns::Status).string_len(20).not_null())
                    .col(count(EtlRuns::RowsRead))
                    .col(count(EtlRuns::RowsWritten))
                    .col(count(EtlRuns::RowsFailed))
                    .col(timestamp(EtlRuns::StartedAt))
                    .col(timestamp(EtlRuns::FinishedAt))
                    .col(ColumnDef::new(EtlRuns::Error).text().null())
                    .col(timestamp(EtlRuns::CreatedAt))
                    .col(timestamp(EtlRuns::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_etl_runs_source_started",
                EtlRuns::Table,
                &[iden(EtlRuns::Source), iden(EtlRuns::StartedAt)],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EtlFailedRows::Table)
                    .col(
                        ColumnDef::new(EtlFailedRows::Source)
                            .string_len(60)
                            .not_null(),
                    )
                    .col(ColumnDef::new(EtlFailedRows::RowId).uuid().not_null())
                    .col(ColumnDef::new(EtlFailedRows::OrganizationId).uuid().null())
                    .col(ColumnDef::new(EtlFailedRows::Reason).text().not_null())
                    .col(timestamp(EtlFailedRows::RowUpdatedAt))
                    .col(timestamp(EtlFailedRows::CreatedAt))
                    .col(timestamp(EtlFailedRows::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(EtlFailedRows::Source)
                            .col(EtlFailedRows::RowId),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            iden(EtlFailedRows::Table),
            iden(EtlRuns::Table),
            iden(EtlLeases::Table),
            iden(EtlWatermarks::Table),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
