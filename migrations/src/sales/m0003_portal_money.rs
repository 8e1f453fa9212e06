//! Money: budget movements with a running balance, payment methods (provider
//! tokens, never card numbers) and transactions.
//!
//! The balance of a campaign is `budget_total - budget_spent` (m0001 already
//! checks `0 <= spent <= total`); every movement records the balance it
//! left, which a CHECK keeps non-negative and consistent with the totals.

use sea_orm_migration::prelude::*;

use super::columns::{id_column, iden, index, timestamp};

/// Creates `budget_movements`, `payment_methods` and `transactions`.
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
    OrganizationId,
}

#[derive(DeriveIden)]
enum BudgetMovements {
    Table,
    Id,
    OrganizationId,
    CampaignId,
    Kind,
    Amount,
    TotalAfter,
    SpentAfter,
    BalanceAfter,
    SourceSubsystem,
    Reference,
    ActorId,
    TransactionId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PaymentMethods {
    Table,
    Id,
    OrganizationId,
    Provider,
    ProviderToken,
    Brand,
    LastFour,
    ExpMonth,
    ExpYear,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Transactions {
    Table,
    Id,
    OrganizationId,
    Kind,
    CampaignId,
    SubscriptionId,
    PaymentMethodId,
    Amount,
    Currency,
    Status,
    ProviderReference,
    CreatedAt,
    UpdatedAt,
}

const MOVEMENT_KINDS: [&str; 4] = ["deposit", "spend", "refund", "adjustment"];
const SOURCES: [&str; 4] = ["sales", "ads", "crm", "content"];
const TRANSACTION_KINDS: [&str; 2] = ["subscription", "campaign_budget"];
const TRANSACTION_STATUSES: [&str; 4] = ["pending", "succeeded", "failed", "refunded"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PaymentMethods::Table)
                    .col(id_column(PaymentMethods::Id))
                    .col(
                        ColumnDef::new(PaymentMethods::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PaymentMethods::Provider)
                            .string_len(50)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PaymentMethods::ProviderToken)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PaymentMethods::Brand)
                            .string_len(30)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PaymentMethods::LastFour)
                            .string_len(4)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PaymentMethods::ExpMonth)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(PaymentMethods::ExpYear).integer().not_null())
                    .col(ColumnDef::new(PaymentMethods::Active).boolean().not_null())
                    .col(timestamp(PaymentMethods::CreatedAt))
                    .col(timestamp(PaymentMethods::UpdatedAt))
                    .check(Expr::col(PaymentMethods::ExpMonth).between(1, 12))
                    .check(Expr::cust("length(last_four) = 4"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_payment_methods_organization")
                            .from(PaymentMethods::Table, PaymentMethods::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_payment_methods_id_organization",
                PaymentMethods::Table,
                &[
                    iden(PaymentMethods::Id),
                    iden(PaymentMethods::OrganizationId),
                ],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Transactions::Table)
                    .col(id_column(Transactions::Id))
                    .col(
                        ColumnDef::new(Transactions::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Transactions::Kind).string_len(20).not_null())
                    .col(ColumnDef::new(Transactions::CampaignId).uuid().null())
                    .col(ColumnDef::new(Transactions::SubscriptionId).uuid().null())
                    .col(ColumnDef::new(Transactions::PaymentMethodId).uuid().null())
                    .col(
                        ColumnDef::new(Transactions::Amount)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Transactions::Currency)
                            .string_len(3)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Transactions::Status)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Transactions::ProviderReference)
                            .string_len(200)
                            .null(),
                    )
                    .col(timestamp(Transactions::CreatedAt))
                    .col(timestamp(Transactions::UpdatedAt))
                    .check(Expr::col(Transactions::Kind).is_in(TRANSACTION_KINDS))
                    .check(Expr::col(Transactions::Status).is_in(TRANSACTION_STATUSES))
                    .check(Expr::col(Transactions::Amount).gt(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_transactions_organization")
                            .from(Transactions::Table, Transactions::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_transactions_campaign")
                            .from(
                                Transactions::Table,
                                (Transactions::CampaignId, Transactions::OrganizationId),
                            )
                            .to(Campaigns::Table, (Campaigns::Id, Campaigns::OrganizationId))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_transactions_payment_method")
                            .from(
                                Transactions::Table,
                                (Transactions::PaymentMethodId, Transactions::OrganizationId),
                            )
                            .to(
                                PaymentMethods::Table,
                                (PaymentMethods::Id, PaymentMethods::OrganizationId),
                            ),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(BudgetMovements::Table)
                    .col(id_column(BudgetMovements::Id))
                    .col(
                        ColumnDef::new(BudgetMovements::OrganizationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(BudgetMovements::CampaignId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(BudgetMovements::Kind)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(BudgetMovements::Amount)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(BudgetMovements::TotalAfter)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(BudgetMovements::SpentAfter)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(BudgetMovements::BalanceAfter)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(BudgetMovements::SourceSubsystem)
                            .string_len(10)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(BudgetMovements::Reference)
                            .string_len(200)
                            .null(),
                    )
                    .col(ColumnDef::new(BudgetMovements::ActorId).uuid().null())
                    .col(ColumnDef::new(BudgetMovements::TransactionId).uuid().null())
                    .col(timestamp(BudgetMovements::CreatedAt))
                    .col(timestamp(BudgetMovements::UpdatedAt))
                    .check(Expr::col(BudgetMovements::Kind).is_in(MOVEMENT_KINDS))
                    .check(Expr::col(BudgetMovements::SourceSubsystem).is_in(SOURCES))
                    .check(Expr::col(BudgetMovements::Amount).ne(0))
                    .check(Expr::col(BudgetMovements::BalanceAfter).gte(0))
                    .check(Expr::col(BudgetMovements::SpentAfter).gte(0))
                    .check(Expr::cust("balance_after = total_after - spent_after"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_budget_movements_campaign")
                            .from(
                                BudgetMovements::Table,
                                (BudgetMovements::CampaignId, BudgetMovements::OrganizationId),
                            )
                            .to(Campaigns::Table, (Campaigns::Id, Campaigns::OrganizationId))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_budget_movements_transaction")
                            .from(BudgetMovements::Table, BudgetMovements::TransactionId)
                            .to(Transactions::Table, Transactions::Id),
                    )
                    .to_owned(),
            )
            .await?;

        let indexes = [
            index(
                "ix_budget_movements_campaign",
                BudgetMovements::Table,
                &[iden(BudgetMovements::CampaignId), iden(BudgetMovements::Id)],
                false,
            ),
            index(
                "ix_budget_movements_organization",
                BudgetMovements::Table,
                &[
                    iden(BudgetMovements::OrganizationId),
                    iden(BudgetMovements::CreatedAt),
                ],
                false,
            ),
            index(
                "ix_budget_movements_updated_at",
                BudgetMovements::Table,
                &[iden(BudgetMovements::UpdatedAt)],
                false,
            ),
            index(
                "ix_payment_methods_organization",
                PaymentMethods::Table,
                &[
                    iden(PaymentMethods::OrganizationId),
                    iden(PaymentMethods::Id),
                ],
                false,
            ),
            index(
                "ix_payment_methods_updated_at",
                PaymentMethods::Table,
                &[iden(PaymentMethods::UpdatedAt)],
                false,
            ),
            index(
                "ix_transactions_organization",
                Transactions::Table,
                &[iden(Transactions::OrganizationId), iden(Transactions::Id)],
                false,
            ),
            index(
                "ix_transactions_campaign",
                Transactions::Table,
                &[iden(Transactions::CampaignId)],
                false,
            ),
            index(
                "ix_transactions_updated_at",
                Transactions::Table,
                &[iden(Transactions::UpdatedAt)],
                false,
            ),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            iden(BudgetMovements::Table),
            iden(Transactions::Table),
            iden(PaymentMethods::Table),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
