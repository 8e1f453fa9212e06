//! Asset embeddings say their dimension beside their model: a vector is only compared with
//! vectors of the same model and dimension (the hashing embedder's 512, all-MiniLM-L6-v2's 384).
//! Rows embedded before this migration have none and are re-embedded by the backfill.

use sea_orm_migration::prelude::*;

/// Adds `media_assets.embedding_dimensions`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum MediaAssets {
    Table,
    EmbeddingDimensions,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MediaAssets::Table)
                    .add_column(
                        ColumnDef::new(MediaAssets::EmbeddingDimensions)
                            .integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MediaAssets::Table)
                    .drop_column(MediaAssets::EmbeddingDimensions)
                    .to_owned(),
            )
            .await
    }
}
