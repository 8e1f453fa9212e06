//! Scoring data: each lead's signals in one `GROUP BY`, models in `lead_scoring_models`, and
//! scores written a batch of leads per statement.

use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::StrEnum;
use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, FromQueryResult, QueryOrder, Set, Statement, TransactionTrait};

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
    WHERE l.organization_id = $1 {leads} \
    GROUP BY l.id, l.stage, l.source, l.source_ad_id, l.ad_clicks, l.last_interaction_at, l.created_at, \
    l.updated_at, l.estimated_value, l.last_contacted_at";

/// Leads scored per statement when scores are saved (5 values each, far below every
/// backend's limit on bound values).
pub const SCORE_BATCH: usize = 500;

/// The signals of the organization's leads: all of them, or those among `only`.
pub(super) async fn signals(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    only: Option<&[Uuid]>,
) -> Result<Vec<LeadSignals>, StoreError> {
    let mut values: Vec<sea_orm::Value> = vec![organization_id.into()];
    let leads = match only {
        None => String::new(),
        Some([]) => return Ok(Vec::new()),
        Some(ids) => {
            let marks: Vec<String> = (2..ids.len() + 2).map(|n| format!("${n}")).collect();
            values.extend(ids.iter().map(|id| sea_orm::Value::from(*id)));
            format!("AND l.id IN ({})", marks.join(", "))
        }
    };
    let rows = SignalRow::find_by_statement(Statement::from_sql_and_values(
        db.get_database_backend(),
        SIGNALS.replace("{leads}", &leads),
        values,
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
    write_scores(&txn, organization_id, scores, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Writes leads' scores, [`SCORE_BATCH`] leads per statement (an `UPDATE ... FROM` a list of
/// values, which SQLite 3.33+ and PostgreSQL both run). Scores are the model's, not a person's
/// edit: the version (which guards edits) stays.
pub(super) async fn write_scores(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    scores: &[LeadScore],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for chunk in scores.chunks(SCORE_BATCH) {
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 6 + 2);
        let mut rows = Vec::with_capacity(chunk.len());
        for score in chunk {
            let reasons = serde_json::to_string(&score.reasons)
                .map_err(|e| StoreError::Corrupt(format!("cannot serialise reasons: {e}")))?;
            let n = values.len();
            rows.push(format!(
                "(${}, ${}, ${}, ${}, ${}, ${})",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5,
                n + 6
            ));
            values.push(score.lead_id.into());
            values.push(score.score.clamp(0, 100).into());
            values.push(score.purchase_intent.clamp(0.0, 1.0).into());
            values.push(reasons.into());
            values.push(score.queue_key.into());
            values.push(score.scored_by.clone().into());
        }
        let (org, at) = (values.len() + 1, values.len() + 2);
        values.push(organization_id.into());
        values.push(now.into());
        let backend = db.get_database_backend();
        let sql = format!(
            "WITH v (id, score, purchase_intent, score_reasons, queue_key, scored_by) AS (VALUES {rows}) \
             UPDATE leads SET score = v.score, purchase_intent = v.purchase_intent, \
             score_reasons = v.score_reasons, queue_key = v.queue_key, scored_by = v.scored_by, \
             scored_at = ${at}, updated_at = ${at} \
             FROM v WHERE leads.id = v.id AND leads.organization_id = ${org}",
            rows = rows.join(", "),
        );
        db.execute(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
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
