//! Every lead says which model scored it: the organization's trained model or the
//! platform prior (`leads.scored_by`, null before its first scoring).

use sea_orm_migration::prelude::*;

/// Adds `leads.scored_by`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Leads {
    Table,
    ScoredBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Leads::Table)
                    .add_column(ColumnDef::new(Leads::ScoredBy).string_len(100).null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Leads::Table)
                    .drop_column(Leads::ScoredBy)
                    .to_owned(),
            )
            .await
    }
}
