//! The scope a login asked for (`scope` at `/oauth/token`), kept with its
//! refresh tokens so that refreshed access tokens stay as narrow as the first.

use sea_orm_migration::prelude::*;

/// Adds `refresh_tokens.scope` (NULL: the login asked for no narrowing).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Scope,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshTokens::Table)
                    .add_column(ColumnDef::new(RefreshTokens::Scope).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshTokens::Table)
                    .drop_column(RefreshTokens::Scope)
                    .to_owned(),
            )
            .await
    }
}
