//! Content and AI: asset embeddings and version history, the AI request log,
//! prompt templates, generated campaign content, outreach jobs and messages,
//! and the third-party service registry.

use sea_orm_migration::prelude::*;

/// Adds the AI tables and the embedding columns of `media_assets`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum MediaAssets {
    Table,
    EmbeddingModel,
    Embedding,
}

#[derive(DeriveIden, Clone, Copy)]
enum MediaAssetVersions {
    Table,
    AssetId,
    Version,
    OrganizationId,
    Snapshot,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RequestLogs {
    Table,
    Id,
    OrganizationId,
    Service,
    Model,
    Operation,
    RequestDigest,
    Status,
    LatencyMs,
    TokensIn,
    TokensOut,
    FromCache,
    Metered,
    OccurredAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PromptTemplates {
    Table,
    Id,
    OrganizationId,
    Name,
    Purpose,
    UseCase,
    Channel,
    Version,
    Body,
    Placeholders,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum GeneratedContents {
    Table,
    Id,
    OrganizationId,
    CampaignId,
    AudienceId,
    AudienceName,
    Channel,
    Variants,
    TemplateId,
    TemplateVersion,
    Model,
    TokensIn,
    TokensOut,
    FromCache,
    ReviewStatus,
    ChosenVariant,
    ReviewerId,
    ReviewedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum OutreachJobs {
    Table,
    Id,
    OrganizationId,
    Channel,
    TemplateId,
    Status,
    Total,
    Succeeded,
    Failed,
    FinishedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum OutreachMessages {
    Table,
    Id,
    OrganizationId,
    JobId,
    ItemIndex,
    Channel,
    TemplateId,
    TemplateVersion,
    ProspectEnc,
    TextEnc,
    Status,
    Error,
    Model,
    TokensIn,
    TokensOut,
    FromCache,
    SentAt,
    RepliedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ThirdPartyServices {
    Table,
    Id,
    OrganizationId,
    Name,
    Kind,
    Provider,
    BaseUrl,
    CredentialEnc,
    CredentialHint,
    CreatedAt,
    UpdatedAt,
}

fn instant<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn counter<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column)
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

async fn index<T: IntoIden + Copy + 'static>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    columns: &[T],
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(*column);
    }
    if unique {
        index.unique();
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(MediaAssets::Table)
                    .add_column(
                        ColumnDef::new(MediaAssets::EmbeddingModel)
                            .string_len(128)
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MediaAssets::Table)
                    // Little-endian f32s in base64: portable across every store.
                    .add_column(ColumnDef::new(MediaAssets::Embedding).text().null())
                    .to_owned(),
            )
            .await?;

        use MediaAssetVersions as V;
        manager
            .create_table(
                Table::create()
                    .table(V::Table)
                    .col(ColumnDef::new(V::AssetId).uuid().not_null())
                    .col(ColumnDef::new(V::Version).integer().not_null())
                    .col(ColumnDef::new(V::OrganizationId).uuid().not_null())
                    // The asset as it was at that version (JSON).
                    .col(ColumnDef::new(V::Snapshot).text().not_null())
                    .col(instant(V::CreatedAt))
                    .col(instant(V::UpdatedAt))
                    .primary_key(Index::create().col(V::AssetId).col(V::Version))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_media_asset_versions_updated_at",
            V::Table,
            &[V::UpdatedAt],
            false,
        )
        .await?;

        use RequestLogs as L;
        manager
            .create_table(
                Table::create()
                    .table(L::Table)
                    .col(ColumnDef::new(L::Id).uuid().not_null().primary_key())
                    // Absent for platform operators' calls.
                    .col(ColumnDef::new(L::OrganizationId).uuid().null())
                    .col(ColumnDef::new(L::Service).string_len(64).not_null())
                    .col(ColumnDef::new(L::Model).string_len(128).not_null())
                    .col(ColumnDef::new(L::Operation).string_len(64).not_null())
                    .col(ColumnDef::new(L::RequestDigest).string_len(64).not_null())
                    .col(ColumnDef::new(L::Status).string_len(32).not_null())
                    .col(counter(L::LatencyMs))
                    .col(counter(L::TokensIn))
                    .col(counter(L::TokensOut))
                    .col(ColumnDef::new(L::FromCache).boolean().not_null())
                    .col(ColumnDef::new(L::Metered).boolean().not_null())
                    .col(instant(L::OccurredAt))
                    .col(instant(L::CreatedAt))
                    .col(instant(L::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_request_logs_organization_id_id",
            L::Table,
            &[L::OrganizationId, L::Id],
            false,
        )
        .await?;
        index(
            manager,
            "ix_request_logs_updated_at",
            L::Table,
            &[L::UpdatedAt],
            false,
        )
        .await?;

        use PromptTemplates as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .col(ColumnDef::new(P::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(P::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(P::Name).string_len(100).not_null())
                    .col(
                        ColumnDef::new(P::Purpose)
                            .string_len(32)
                            .not_null()
                            .check(Expr::col(P::Purpose).is_in(["campaign_content", "outreach"])),
                    )
                    .col(ColumnDef::new(P::UseCase).string_len(100).not_null())
                    .col(ColumnDef::new(P::Channel).string_len(32).not_null())
                    .col(
                        ColumnDef::new(P::Version)
                            .integer()
                            .not_null()
                            .check(Expr::col(P::Version).gte(1)),
                    )
                    .col(ColumnDef::new(P::Body).text().not_null())
                    .col(
                        ColumnDef::new(P::Placeholders)
                            .text()
                            .not_null()
                            .default("[]"),
                    )
                    .col(ColumnDef::new(P::Active).boolean().not_null().default(true))
                    .col(instant(P::CreatedAt))
                    .col(instant(P::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // Two saves of the same version race into this index: one wins, the other is a CONFLICT.
        index(
            manager,
            "ux_prompt_templates_organization_id_name_version",
            P::Table,
            &[P::OrganizationId, P::Name, P::Version],
            true,
        )
        .await?;
        index(
            manager,
            "ix_prompt_templates_organization_id_use_case_channel",
            P::Table,
            &[P::OrganizationId, P::UseCase, P::Channel],
            false,
        )
        .await?;
        index(
            manager,
            "ix_prompt_templates_updated_at",
            P::Table,
            &[P::UpdatedAt],
            false,
        )
        .await?;

        use GeneratedContents as G;
        manager
            .create_table(
                Table::create()
                    .table(G::Table)
                    .col(ColumnDef::new(G::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(G::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(G::CampaignId).uuid().not_null())
                    .col(ColumnDef::new(G::AudienceId).uuid().null())
                    .col(ColumnDef::new(G::AudienceName).string_len(200).not_null())
                    .col(ColumnDef::new(G::Channel).string_len(32).not_null())
                    // JSON: [{text, hashtags, suggestedAssetIds, angle}]
                    .col(ColumnDef::new(G::Variants).text().not_null())
                    .col(ColumnDef::new(G::TemplateId).uuid().null())
                    .col(ColumnDef::new(G::TemplateVersion).integer().null())
                    .col(ColumnDef::new(G::Model).string_len(128).not_null())
                    .col(counter(G::TokensIn))
                    .col(counter(G::TokensOut))
                    .col(ColumnDef::new(G::FromCache).boolean().not_null())
                    .col(
                        ColumnDef::new(G::ReviewStatus)
                            .string_len(16)
                            .not_null()
                            .default("pending_review")
                            .check(Expr::col(G::ReviewStatus).is_in([
                                "pending_review",
                                "approved",
                                "rejected",
                            ])),
                    )
                    .col(ColumnDef::new(G::ChosenVariant).integer().null())
                    .col(ColumnDef::new(G::ReviewerId).uuid().null())
                    .col(
                        ColumnDef::new(G::ReviewedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(instant(G::CreatedAt))
                    .col(instant(G::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_generated_contents_organization_id_campaign_id",
            G::Table,
            &[G::OrganizationId, G::CampaignId],
            false,
        )
        .await?;
        index(
            manager,
            "ix_generated_contents_organization_id_review_status",
            G::Table,
            &[G::OrganizationId, G::ReviewStatus],
            false,
        )
        .await?;
        index(
            manager,
            "ix_generated_contents_template_id",
            G::Table,
            &[G::TemplateId],
            false,
        )
        .await?;
        index(
            manager,
            "ix_generated_contents_updated_at",
            G::Table,
            &[G::UpdatedAt],
            false,
        )
        .await?;

        use OutreachJobs as J;
        manager
            .create_table(
                Table::create()
                    .table(J::Table)
                    .col(ColumnDef::new(J::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(J::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(J::Channel).string_len(32).not_null())
                    .col(ColumnDef::new(J::TemplateId).uuid().null())
                    .col(ColumnDef::new(J::Status).string_len(16).not_null())
                    .col(ColumnDef::new(J::Total).integer().not_null())
                    .col(ColumnDef::new(J::Succeeded).integer().not_null().default(0))
                    .col(ColumnDef::new(J::Failed).integer().not_null().default(0))
                    .col(
                        ColumnDef::new(J::FinishedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(instant(J::CreatedAt))
                    .col(instant(J::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_outreach_jobs_organization_id_id",
            J::Table,
            &[J::OrganizationId, J::Id],
            false,
        )
        .await?;
        index(
            manager,
            "ix_outreach_jobs_updated_at",
            J::Table,
            &[J::UpdatedAt],
            false,
        )
        .await?;

        use OutreachMessages as M;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(ColumnDef::new(M::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(M::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(M::JobId).uuid().null())
                    .col(ColumnDef::new(M::ItemIndex).integer().not_null().default(0))
                    .col(ColumnDef::new(M::Channel).string_len(32).not_null())
                    .col(ColumnDef::new(M::TemplateId).uuid().null())
                    .col(ColumnDef::new(M::TemplateVersion).integer().null())
                    // Personal data: AES-256-GCM envelopes, never plain text.
                    .col(ColumnDef::new(M::ProspectEnc).text().not_null())
                    .col(ColumnDef::new(M::TextEnc).text().null())
                    .col(ColumnDef::new(M::Status).string_len(16).not_null())
                    .col(ColumnDef::new(M::Error).text().null())
                    .col(ColumnDef::new(M::Model).string_len(128).null())
                    .col(counter(M::TokensIn))
                    .col(counter(M::TokensOut))
                    .col(
                        ColumnDef::new(M::FromCache)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ColumnDef::new(M::SentAt).timestamp_with_time_zone().null())
                    .col(
                        ColumnDef::new(M::RepliedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(instant(M::CreatedAt))
                    .col(instant(M::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_outreach_messages_organization_id_job_id",
            M::Table,
            &[M::OrganizationId, M::JobId],
            false,
        )
        .await?;
        index(
            manager,
            "ix_outreach_messages_template_id",
            M::Table,
            &[M::TemplateId],
            false,
        )
        .await?;
        index(
            manager,
            "ix_outreach_messages_updated_at",
            M::Table,
            &[M::UpdatedAt],
            false,
        )
        .await?;

        use ThirdPartyServices as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(ColumnDef::new(S::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(S::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(S::Name).string_len(100).not_null())
                    .col(ColumnDef::new(S::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(S::Provider).string_len(64).not_null())
                    .col(ColumnDef::new(S::BaseUrl).text().null())
                    // AES-256-GCM envelope; the hint is the last four characters only.
                    .col(ColumnDef::new(S::CredentialEnc).text().null())
                    .col(ColumnDef::new(S::CredentialHint).string_len(16).null())
                    .col(instant(S::CreatedAt))
                    .col(instant(S::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_third_party_services_organization_id_name",
            S::Table,
            &[S::OrganizationId, S::Name],
            true,
        )
        .await?;
        index(
            manager,
            "ix_third_party_services_updated_at",
            S::Table,
            &[S::UpdatedAt],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ThirdPartyServices::Table.into_iden(),
            OutreachMessages::Table.into_iden(),
            OutreachJobs::Table.into_iden(),
            GeneratedContents::Table.into_iden(),
            PromptTemplates::Table.into_iden(),
            RequestLogs::Table.into_iden(),
            MediaAssetVersions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [MediaAssets::Embedding, MediaAssets::EmbeddingModel] {
            manager
                .alter_table(
                    Table::alter()
                        .table(MediaAssets::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
