//! Per-organization secrets of the lead-capture webhook.
//!
//! `crm_webhook_secrets` holds each organization's signing secrets, sealed
//! like personal data (an AES-256-GCM envelope under a data key, bound to its
//! row), never in clear. A rotation adds a row and gives the previous ones an
//! `expires_at` (the grace period integrations switch in); a revocation sets
//! `revoked_at`. A secret signs requests while it is neither expired nor revoked.

use sea_orm_migration::prelude::*;

/// Adds `crm_webhook_secrets`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CrmWebhookSecrets {
    Table,
    Id,
    OrganizationId,
    SecretEnc,
    DataKeyId,
    CreatedBy,
    ExpiresAt,
    RevokedAt,
    CreatedAt,
    UpdatedAt,
}

const INDEX: &str = "ix_crm_webhook_secrets_org";

fn table() -> TableCreateStatement {
    let at = |column| {
        ColumnDef::new(column)
            .timestamp_with_time_zone()
            .not_null()
            .to_owned()
    };
    let maybe_at = |column| {
        ColumnDef::new(column)
            .timestamp_with_time_zone()
            .null()
            .to_owned()
    };
    Table::create()
        .table(CrmWebhookSecrets::Table)
        .if_not_exists()
        .col(
            ColumnDef::new(CrmWebhookSecrets::Id)
                .uuid()
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(CrmWebhookSecrets::OrganizationId)
                .uuid()
                .not_null(),
        )
        .col(
            ColumnDef::new(CrmWebhookSecrets::SecretEnc)
                .text()
                .not_null(),
        )
        .col(
            ColumnDef::new(CrmWebhookSecrets::DataKeyId)
                .string_len(32)
                .not_null(),
        )
        .col(ColumnDef::new(CrmWebhookSecrets::CreatedBy).uuid().null())
        .col(maybe_at(CrmWebhookSecrets::ExpiresAt))
        .col(maybe_at(CrmWebhookSecrets::RevokedAt))
        .col(at(CrmWebhookSecrets::CreatedAt))
        .col(at(CrmWebhookSecrets::UpdatedAt))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(table()).await?;
        // Every webhook request reads its organization's secrets.
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(CrmWebhookSecrets::Table)
                    .col(CrmWebhookSecrets::OrganizationId)
                    .col(CrmWebhookSecrets::CreatedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The index goes with its table.
        manager
            .drop_table(
                Table::drop()
                    .table(CrmWebhookSecrets::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
