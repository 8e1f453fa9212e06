//! The ads reconcile outbox in the sea-orm store.

use chrono::{DateTime, Utc};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{StoreError, StrEnum, new_id};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use super::audit;
use super::entity::ads_reconcile;
use super::errors::{corrupt, in_scope};
use crate::domain::campaign::CampaignStatus;
use crate::store::audit::NewAuditEntry;
use crate::store::reconcile::PendingReconcile;

fn from_model(m: ads_reconcile::Model) -> Result<PendingReconcile, StoreError> {
    Ok(PendingReconcile {
        id: m.id,
        organization_id: m.organization_id,
        campaign_id: m.campaign_id,
        status: CampaignStatus::parse(&m.status).ok_or_else(|| {
            corrupt(
                "ads_reconcile_outbox",
                m.id,
                format!("unknown status {:?}", m.status),
            )
        })?,
        attempts: m.attempts,
        next_attempt_at: m.next_attempt_at,
        last_error: m.last_error,
        created_at: m.created_at,
    })
}

/// Writes the outbox row of a campaign stop, in the status change's transaction. The first
/// attempt is the changing request's own call; the sweep's starts after `first_retry`.
pub(super) async fn insert(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    campaign_id: Uuid,
    status: CampaignStatus,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    ads_reconcile::ActiveModel::from(ads_reconcile::Model {
        id: new_id(),
        organization_id,
        campaign_id,
        status: status.as_str().to_string(),
        attempts: 0,
        next_attempt_at: now + crate::reconcile::first_retry(),
        last_error: None,
        created_at: now,
    })
    .insert(txn)
    .await?;
    Ok(())
}

pub(super) async fn due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<PendingReconcile>, StoreError> {
    ads_reconcile::Entity::find()
        .filter(ads_reconcile::Column::NextAttemptAt.lte(now))
        .order_by_asc(ads_reconcile::Column::NextAttemptAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}

pub(super) async fn claim(
    db: &impl ConnectionTrait,
    row: &PendingReconcile,
    until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    // Optimistic: only the sweep that still sees the row's next attempt as read moves it.
    let claimed = ads_reconcile::Entity::update_many()
        .col_expr(ads_reconcile::Column::NextAttemptAt, Expr::value(until))
        .filter(ads_reconcile::Column::Id.eq(row.id))
        .filter(ads_reconcile::Column::NextAttemptAt.eq(row.next_attempt_at))
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

pub(super) async fn done(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    asked_at: DateTime<Utc>,
) -> Result<u64, StoreError> {
    Ok(ads_reconcile::Entity::delete_many()
        .filter(ads_reconcile::Column::CampaignId.eq(campaign_id))
        .filter(ads_reconcile::Column::CreatedAt.lte(asked_at))
        .exec(db)
        .await?
        .rows_affected)
}

pub(super) async fn failed(
    db: &(impl ConnectionTrait + TransactionTrait),
    id: Uuid,
    error: &str,
    next_attempt_at: DateTime<Utc>,
    entry: Option<NewAuditEntry>,
) -> Result<(), StoreError> {
    let txn = db.begin().await?;
    let written = async {
        ads_reconcile::Entity::update_many()
            .col_expr(
                ads_reconcile::Column::Attempts,
                Expr::col(ads_reconcile::Column::Attempts).add(1),
            )
            .col_expr(
                ads_reconcile::Column::LastError,
                Expr::value(error.chars().take(2_000).collect::<String>()),
            )
            .col_expr(
                ads_reconcile::Column::NextAttemptAt,
                Expr::value(next_attempt_at),
            )
            .filter(ads_reconcile::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        if let Some(entry) = entry {
            audit::insert(&txn, entry).await?;
        }
        Ok::<_, DbErr>(())
    }
    .await;
    match written {
        Ok(()) => Ok(txn.commit().await?),
        Err(e) => {
            let _ = txn.rollback().await;
            Err(e.into())
        }
    }
}

pub(super) async fn of_campaigns(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    campaign_ids: &[Uuid],
) -> Result<Vec<PendingReconcile>, StoreError> {
    if campaign_ids.is_empty() {
        return Ok(Vec::new());
    }
    ads_reconcile::Entity::find()
        .filter(ads_reconcile::Column::CampaignId.is_in(campaign_ids.iter().copied()))
        .filter(in_scope(ads_reconcile::Column::OrganizationId, scope))
        .order_by_asc(ads_reconcile::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}
