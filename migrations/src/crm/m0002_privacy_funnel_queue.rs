//! Envelope encryption, interactions, the funnel's history, scoring and the agent queue.
//!
//! - `crm_data_keys`: the data keys of personal data, each stored only wrapped
//!   (RSA-OAEP-SHA256) under the public key of the configured X.509 certificate;
//!   rows record which data key sealed them (`data_key_id`), so keys rotate
//!   and rows are re-encrypted in batches while every row stays readable.
//! - `customers`: the data key id, consent and erasure (GDPR/CCPA).
//! - `leads`: value, ad engagement, the agent queue's ordering key, claims,
//!   the score's reasons; `interactions` and `lead_stage_changes` hang off a
//!   lead by `(id, organization_id)` like sales do, so they never cross tenants.
//! - `lead_scoring_models`: each organization's trained model and its AUC.
//! - `webhook_deliveries`: signatures of accepted lead-capture webhook requests
//!   (for the replay window), so the same signed request is accepted once.
//!
//! SQLite adds one column per `ALTER TABLE`, hence one statement per column.

use sea_orm_migration::prelude::*;

/// Interaction channels as stored.
const CHANNELS: &[&str] = &["WHATSAPP", "CHAT", "EMAIL", "CALL", "SMS", "WEB"];
/// Lead stages as stored.
const LEAD_STAGES: &[&str] = &["IQL", "MQL", "SQL", "OPPORTUNITY", "WON", "LOST"];

/// Adds encryption keys, interactions, stage history, scoring models and queue columns.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CrmDataKeys {
    Table,
    Id,
    Purpose,
    WrappedKey,
    KekFingerprint,
    State,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    OrganizationId,
    DataKeyId,
    ConsentMarketing,
    ErasedAt,
    Latitude,
    Longitude,
}

#[derive(DeriveIden)]
enum Leads {
    Table,
    Id,
    OrganizationId,
    AssignedAgentId,
    EstimatedValue,
    AdClicks,
    QueueKey,
    ClaimedAt,
    LastContactedAt,
    ScoreReasons,
    ScoredAt,
    Captures,
}

#[derive(DeriveIden)]
enum Interactions {
    Table,
    Id,
    OrganizationId,
    LeadId,
    CustomerId,
    Channel,
    Direction,
    Actor,
    AgentId,
    SummaryEnc,
    DataKeyId,
    Sentiment,
    OccurredAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LeadStageChanges {
    Table,
    Id,
    OrganizationId,
    LeadId,
    FromStage,
    ToStage,
    Version,
    ChangedBy,
    Note,
    ChangedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Signature,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum LeadScoringModels {
    Table,
    Id,
    OrganizationId,
    Model,
    Auc,
    TrainLeads,
    TestLeads,
    TrainedAt,
    CreatedAt,
    UpdatedAt,
}

fn sql_list(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn timestamps<T: Iden + 'static>(
    table: &mut TableCreateStatement,
    created: T,
    updated: T,
) -> &mut TableCreateStatement {
    table
        .col(
            ColumnDef::new(created)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(updated)
                .timestamp_with_time_zone()
                .not_null(),
        )
}

fn data_keys() -> TableCreateStatement {
    let mut t = Table::create();
    t.table(CrmDataKeys::Table)
        .if_not_exists()
        .col(
            ColumnDef::new(CrmDataKeys::Id)
                .string_len(32)
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(CrmDataKeys::Purpose)
                .string_len(8)
                .not_null(),
        )
        .col(ColumnDef::new(CrmDataKeys::WrappedKey).text().not_null())
        .col(
            ColumnDef::new(CrmDataKeys::KekFingerprint)
                .string_len(64)
                .not_null(),
        )
        .col(ColumnDef::new(CrmDataKeys::State).string_len(8).not_null())
        .check(Expr::cust("purpose IN ('DATA', 'INDEX')"))
        .check(Expr::cust("state IN ('ACTIVE', 'RETIRED')"));
    timestamps(&mut t, CrmDataKeys::CreatedAt, CrmDataKeys::UpdatedAt).to_owned()
}

fn interactions() -> TableCreateStatement {
    let mut t = Table::create();
    t.table(Interactions::Table)
        .if_not_exists()
        .col(
            ColumnDef::new(Interactions::Id)
                .uuid()
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(Interactions::OrganizationId)
                .uuid()
                .not_null(),
        )
        .col(ColumnDef::new(Interactions::LeadId).uuid().not_null())
        .col(ColumnDef::new(Interactions::CustomerId).uuid().not_null())
        .col(
            ColumnDef::new(Interactions::Channel)
                .string_len(16)
                .not_null(),
        )
        .col(
            ColumnDef::new(Interactions::Direction)
                .string_len(8)
                .not_null(),
        )
        .col(ColumnDef::new(Interactions::Actor).string_len(8).not_null())
        .col(ColumnDef::new(Interactions::AgentId).uuid().null())
        .col(ColumnDef::new(Interactions::SummaryEnc).text().null())
        .col(
            ColumnDef::new(Interactions::DataKeyId)
                .string_len(32)
                .null(),
        )
        .col(ColumnDef::new(Interactions::Sentiment).double().null())
        .col(
            ColumnDef::new(Interactions::OccurredAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .check(Expr::cust(format!("channel IN ({})", sql_list(CHANNELS))))
        .check(Expr::cust("direction IN ('INBOUND', 'OUTBOUND')"))
        .check(Expr::cust("actor IN ('BOT', 'AGENT')"))
        .check(Expr::cust(
            "sentiment IS NULL OR (sentiment >= -1 AND sentiment <= 1)",
        ))
        .foreign_key(
            ForeignKey::create()
                .name("fk_interactions_lead")
                .from(
                    Interactions::Table,
                    (Interactions::LeadId, Interactions::OrganizationId),
                )
                .to(Leads::Table, (Leads::Id, Leads::OrganizationId))
                .on_delete(ForeignKeyAction::Restrict),
        );
    timestamps(&mut t, Interactions::CreatedAt, Interactions::UpdatedAt).to_owned()
}

fn stage_changes() -> TableCreateStatement {
    let mut t = Table::create();
    t.table(LeadStageChanges::Table)
        .if_not_exists()
        .col(
            ColumnDef::new(LeadStageChanges::Id)
                .uuid()
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(LeadStageChanges::OrganizationId)
                .uuid()
                .not_null(),
        )
        .col(ColumnDef::new(LeadStageChanges::LeadId).uuid().not_null())
        .col(
            ColumnDef::new(LeadStageChanges::FromStage)
                .string_len(16)
                .null(),
        )
        .col(
            ColumnDef::new(LeadStageChanges::ToStage)
                .string_len(16)
                .not_null(),
        )
        .col(
            ColumnDef::new(LeadStageChanges::Version)
                .integer()
                .not_null(),
        )
        .col(ColumnDef::new(LeadStageChanges::ChangedBy).uuid().null())
        .col(ColumnDef::new(LeadStageChanges::Note).text().null())
        .col(
            ColumnDef::new(LeadStageChanges::ChangedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .check(Expr::cust(format!(
            "to_stage IN ({0}) AND (from_stage IS NULL OR from_stage IN ({0}))",
            sql_list(LEAD_STAGES)
        )))
        .foreign_key(
            ForeignKey::create()
                .name("fk_stage_changes_lead")
                .from(
                    LeadStageChanges::Table,
                    (LeadStageChanges::LeadId, LeadStageChanges::OrganizationId),
                )
                .to(Leads::Table, (Leads::Id, Leads::OrganizationId))
                .on_delete(ForeignKeyAction::Restrict),
        );
    timestamps(
        &mut t,
        LeadStageChanges::CreatedAt,
        LeadStageChanges::UpdatedAt,
    )
    .to_owned()
}

fn scoring_models() -> TableCreateStatement {
    let mut t = Table::create();
    t.table(LeadScoringModels::Table)
        .if_not_exists()
        .col(
            ColumnDef::new(LeadScoringModels::Id)
                .uuid()
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(LeadScoringModels::OrganizationId)
                .uuid()
                .not_null(),
        )
        .col(ColumnDef::new(LeadScoringModels::Model).text().not_null())
        .col(ColumnDef::new(LeadScoringModels::Auc).double().null())
        .col(
            ColumnDef::new(LeadScoringModels::TrainLeads)
                .integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(LeadScoringModels::TestLeads)
                .integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(LeadScoringModels::TrainedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .check(Expr::cust("auc IS NULL OR (auc >= 0 AND auc <= 1)"));
    timestamps(
        &mut t,
        LeadScoringModels::CreatedAt,
        LeadScoringModels::UpdatedAt,
    )
    .to_owned()
}

/// Signatures of accepted webhook requests, kept for the replay window: the same request twice is refused.
fn webhook_deliveries() -> TableCreateStatement {
    Table::create()
        .table(WebhookDeliveries::Table)
        .if_not_exists()
        .col(
            ColumnDef::new(WebhookDeliveries::Signature)
                .string_len(64)
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(WebhookDeliveries::ReceivedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .to_owned()
}

fn add_column(table: impl IntoTableRef, column: ColumnDef) -> TableAlterStatement {
    Table::alter().table(table).add_column(column).to_owned()
}

fn new_columns() -> Vec<TableAlterStatement> {
    vec![
        add_column(
            Customers::Table,
            ColumnDef::new(Customers::DataKeyId)
                .string_len(32)
                .null()
                .to_owned(),
        ),
        add_column(
            Customers::Table,
            ColumnDef::new(Customers::ConsentMarketing)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
        ),
        add_column(
            Customers::Table,
            ColumnDef::new(Customers::ErasedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ),
        add_column(
            Leads::Table,
            ColumnDef::new(Leads::EstimatedValue)
                .big_integer()
                .not_null()
                .default(0)
                .to_owned(),
        ),
        add_column(
            Leads::Table,
            ColumnDef::new(Leads::AdClicks)
                .integer()
                .not_null()
                .default(0)
                .to_owned(),
        ),
        // Null until the store computes it (rows from before this migration are backfilled at start).
        add_column(
            Leads::Table,
            ColumnDef::new(Leads::QueueKey).double().null().to_owned(),
        ),
        add_column(
            Leads::Table,
            ColumnDef::new(Leads::ClaimedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ),
        add_column(
            Leads::Table,
            ColumnDef::new(Leads::LastContactedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ),
        add_column(
            Leads::Table,
            ColumnDef::new(Leads::ScoreReasons).text().null().to_owned(),
        ),
        add_column(
            Leads::Table,
            ColumnDef::new(Leads::ScoredAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ),
        add_column(
            Leads::Table,
            ColumnDef::new(Leads::Captures)
                .integer()
                .not_null()
                .default(1)
                .to_owned(),
        ),
    ]
}

fn index<T: IntoIndexColumn, C: IntoIterator<Item = T>>(
    name: &str,
    table: impl IntoTableRef,
    columns: C,
) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(name).table(table).if_not_exists();
    for column in columns {
        statement.col(column);
    }
    statement.to_owned()
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        // Customers within a distance: a bounding box on latitude, then longitude, per tenant.
        index(
            "ix_customers_org_lat_lon",
            Customers::Table,
            [
                Customers::OrganizationId,
                Customers::Latitude,
                Customers::Longitude,
            ],
        ),
        // The re-encryption job finds rows still sealed under an older key.
        index(
            "ix_customers_data_key",
            Customers::Table,
            [Customers::DataKeyId, Customers::Id],
        ),
        // The agent queue: one agent's (or the unassigned pool's) leads in priority order.
        index(
            "ix_leads_queue",
            Leads::Table,
            [
                Leads::OrganizationId,
                Leads::AssignedAgentId,
                Leads::QueueKey,
            ],
        ),
        index(
            "ux_interactions_id_org",
            Interactions::Table,
            [Interactions::Id, Interactions::OrganizationId],
        ),
        index(
            "ix_interactions_lead",
            Interactions::Table,
            [
                Interactions::LeadId,
                Interactions::OrganizationId,
                Interactions::OccurredAt,
            ],
        ),
        index(
            "ix_interactions_customer",
            Interactions::Table,
            [Interactions::CustomerId, Interactions::OrganizationId],
        ),
        index(
            "ix_interactions_data_key",
            Interactions::Table,
            [Interactions::DataKeyId, Interactions::Id],
        ),
        index(
            "ix_interactions_updated_at",
            Interactions::Table,
            [Interactions::UpdatedAt],
        ),
        index(
            "ix_stage_changes_lead",
            LeadStageChanges::Table,
            [
                LeadStageChanges::LeadId,
                LeadStageChanges::OrganizationId,
                LeadStageChanges::ChangedAt,
            ],
        ),
        index(
            "ix_stage_changes_updated_at",
            LeadStageChanges::Table,
            [LeadStageChanges::UpdatedAt],
        ),
        index(
            "ix_webhook_deliveries_received_at",
            WebhookDeliveries::Table,
            [WebhookDeliveries::ReceivedAt],
        ),
        index(
            "ix_scoring_models_org",
            LeadScoringModels::Table,
            [
                LeadScoringModels::OrganizationId,
                LeadScoringModels::TrainedAt,
            ],
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(data_keys()).await?;
        for statement in new_columns() {
            manager.alter_table(statement).await?;
        }
        manager.create_table(interactions()).await?;
        manager.create_table(stage_changes()).await?;
        manager.create_table(scoring_models()).await?;
        manager.create_table(webhook_deliveries()).await?;
        for statement in indexes() {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookDeliveries::Table.into_iden(),
            LeadScoringModels::Table.into_iden(),
            LeadStageChanges::Table.into_iden(),
            Interactions::Table.into_iden(),
            CrmDataKeys::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        for name in [
            "ix_customers_org_lat_lon",
            "ix_customers_data_key",
            "ix_leads_queue",
        ] {
            manager
                .drop_index(Index::drop().name(name).if_exists().to_owned())
                .await?;
        }
        // SQLite cannot drop columns in older versions: the added columns stay (nullable or defaulted).
        Ok(())
    }
}
