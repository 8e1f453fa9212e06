//! Scoring data: each lead's signals in one `GROUP BY`, models in `lead_scoring_models`.

use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, FromQueryResult, QueryOrder, Set, Statement, TransactionTrait};

use super::leads;
use crate::store::{LeadScore, LeadSignals, LeadSource, LeadStage, ScoringModel};

/// A `lead_scoring_models` row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_scoring_models")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub model: String,
    pub auc: Option<f64>,
    pub train_leads: i32,
    pub test_leads: i32,
    pub trained_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(Debug, FromQueryResult)]
struct SignalRow {
    lead_id: Uuid,
    stage: String,
    source: String,
    source_ad_id: Option<Uuid>,
    ad_clicks: i32,
    last_interaction_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    interactions: i64,
    inbound: i64,
    mean_sentiment: Option<f64>,
    estimated_value: i64,
    last_contacted_at: Option<DateTime<Utc>>,
}

const SIGNALS: &str = "SELECT l.id AS lead_id, l.stage, l.source, l.source_ad_id, l.ad_clicks, \
    l.last_interaction_at, l.created_at, l.updated_at, l.estimated_value, l.last_contacted_at, \
    COUNT(i.id) AS interactions, \
    CAST(COALESCE(SUM(CASE WHEN i.direction = 'INBOUND' THEN 1 ELSE 0 END), 0) AS BIGINT) AS inbound, \
    AVG(i.sentiment) AS mean_sentiment \
    FROM leads l LEFT JOIN interactions i ON i.lead_id = l.id AND i.organization_id = l.organization_id \
    WHERE l.organization_id = $1 \
    GROUP BY l.id, l.stage, l.source, l.source_ad_id, l.ad_clicks, l.last_interaction_at, l.created_at, \
    l.updated_at, l.estimated_value, l.last_contacted_at";

/// Every lead of the organization with its interaction aggregates.
pub(super) async fn signals(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<Vec<LeadSignals>, StoreError> {
    let rows = SignalRow::find_by_statement(Statement::from_sql_and_values(
        db.get_database_backend(),
        SIGNALS,
        [organization_id.into()],
    ))
    .all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(LeadSignals {
                lead_id: r.lead_id,
                stage: LeadStage::parse(&r.stage)
                    .ok_or_else(|| StoreError::Corrupt(format!("lead {} stage", r.lead_id)))?,
                source: LeadSource::parse(&r.source)
                    .ok_or_else(|| StoreError::Corrupt(format!("lead {} source", r.lead_id)))?,
                from_ad: r.source_ad_id.is_some(),
                ad_clicks: r.ad_clicks,
                interactions: r.interactions,
                inbound: r.inbound,
                mean_sentiment: r.mean_sentiment,
                last_interaction_at: r.last_interaction_at,
                created_at: r.created_at,
                updated_at: r.updated_at,
                estimated_value: promptsales_kit::Decimal4(r.estimated_value),
                last_contacted_at: r.last_contacted_at,
            })
        })
        .collect()
}

/// Stores the model and every lead's new score in one transaction.
pub(super) async fn save<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    organization_id: Uuid,
    model: &ScoringModel,
    scores: &[LeadScore],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(model)
        .map_err(|e| StoreError::Corrupt(format!("cannot serialise the model: {e}")))?;
    let txn = db.begin().await?;
    Entity::insert(ActiveModel {
        id: Set(promptsales_kit::new_id()),
        organization_id: Set(organization_id),
        model: Set(json),
        auc: Set(model.auc),
        train_leads: Set(i32::try_from(model.train_leads).unwrap_or(i32::MAX)),
        test_leads: Set(i32::try_from(model.test_leads).unwrap_or(i32::MAX)),
        trained_at: Set(model.trained_at),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    for score in scores {
        let reasons = serde_json::to_string(&score.reasons)
            .map_err(|e| StoreError::Corrupt(format!("cannot serialise reasons: {e}")))?;
        // Scores are the model's, not a person's edit: the version (which guards edits) stays.
        leads::Entity::update_many()
            .col_expr(leads::Column::Score, Expr::value(score.score.clamp(0, 100)))
            .col_expr(
                leads::Column::PurchaseIntent,
                Expr::value(score.purchase_intent.clamp(0.0, 1.0)),
            )
            .col_expr(leads::Column::ScoreReasons, Expr::value(Some(reasons)))
            .col_expr(leads::Column::ScoredAt, Expr::value(Some(now)))
            .col_expr(leads::Column::QueueKey, Expr::value(Some(score.queue_key)))
            .col_expr(leads::Column::UpdatedAt, Expr::value(now))
            .filter(leads::Column::Id.eq(score.lead_id))
            .filter(leads::Column::OrganizationId.eq(organization_id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The organization's latest model.
pub(super) async fn latest(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<Option<ScoringModel>, StoreError> {
    let row = Entity::find()
        .filter(Column::OrganizationId.eq(organization_id))
        .order_by_desc(Column::TrainedAt)
        .order_by_desc(Column::Id)
        .one(db)
        .await?;
    row.map(|r| {
        serde_json::from_str(&r.model)
            .map_err(|e| StoreError::Corrupt(format!("scoring model {}: {e}", r.id)))
    })
    .transpose()
}
