//! Stage moves with optimistic concurrency, and the `lead_stage_changes` history.

use promptsales_kit::StrEnum;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::context::TenantScope;
use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, QueryOrder, Set, TransactionTrait};

use super::{in_scope, leads};
use crate::domain::funnel;
use crate::domain::queue;
use crate::store::{Lead, LeadStage, StageChange, StageMove, UpdateError};

/// A `lead_stage_changes` row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_stage_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub lead_id: Uuid,
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub version: i32,
    pub changed_by: Option<Uuid>,
    pub note: Option<String>,
    pub changed_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn stage(code: &str) -> Result<LeadStage, StoreError> {
    LeadStage::parse(code).ok_or_else(|| StoreError::Corrupt(format!("stage change to {code:?}")))
}

fn to_domain(row: Model) -> Result<StageChange, StoreError> {
    Ok(StageChange {
        id: row.id,
        lead_id: row.lead_id,
        from: row.from_stage.as_deref().map(stage).transpose()?,
        to: stage(&row.to_stage)?,
        version: row.version,
        changed_by: row.changed_by,
        note: row.note,
        changed_at: row.changed_at,
    })
}

/// Records a move (or a lead's creation, `from` absent).
#[allow(clippy::too_many_arguments)]
pub(super) async fn record(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    lead_id: Uuid,
    from: Option<LeadStage>,
    to: LeadStage,
    version: i32,
    by: Option<Uuid>,
    note: Option<String>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::insert(ActiveModel {
        id: Set(promptsales_kit::new_id()),
        organization_id: Set(organization_id),
        lead_id: Set(lead_id),
        from_stage: Set(from.map(|s| s.as_str().to_string())),
        to_stage: Set(to.as_str().to_string()),
        version: Set(version),
        changed_by: Set(by),
        note: Set(note),
        changed_at: Set(at),
        created_at: Set(at),
        updated_at: Set(at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Each lead's history, oldest first.
pub(super) async fn of_leads(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    lead_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<StageChange>>, StoreError> {
    if lead_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = Entity::find()
        .filter(Column::LeadId.is_in(lead_ids.iter().copied()))
        .filter(in_scope(scope, Column::OrganizationId))
        .order_by_asc(Column::ChangedAt)
        .order_by_asc(Column::Id)
        .all(db)
        .await?;
    let mut by_lead: HashMap<Uuid, Vec<StageChange>> = HashMap::new();
    for row in rows {
        let change = to_domain(row)?;
        by_lead.entry(change.lead_id).or_default().push(change);
    }
    Ok(by_lead)
}

/// Moves a lead if it is still at the version the caller read, in one transaction with its history.
///
/// `UPDATE leads SET stage, version = version + 1 WHERE id AND version = expected`:
/// of two concurrent moves from the same version exactly one updates a row; the
/// other updates none and is refused with `CONFLICT`, so neither is lost silently.
pub(super) async fn move_stage<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    scope: TenantScope,
    change: StageMove,
) -> Result<Lead, UpdateError> {
    let txn = db.begin().await.map_err(StoreError::from)?;
    lock_lead(&txn, scope, change.lead_id).await?;
    let current = leads::Entity::find_by_id(change.lead_id)
        .filter(in_scope(scope, leads::Column::OrganizationId))
        .one(&txn)
        .await
        .map_err(StoreError::from)?
        .ok_or(UpdateError::NotFound {
            entity: "Lead",
            id: change.lead_id,
        })?;
    let lead = leads::to_domain(current)?;
    if lead.version != change.expected_version {
        return Err(conflict(&lead, change.expected_version));
    }
    funnel::check_move(lead.stage, change.to)?;
    let updated = leads::Entity::update_many()
        .col_expr(leads::Column::Stage, Expr::value(change.to.as_str()))
        .col_expr(
            leads::Column::Version,
            Expr::col(leads::Column::Version).add(1),
        )
        .col_expr(leads::Column::UpdatedAt, Expr::value(change.at))
        .filter(leads::Column::Id.eq(lead.id))
        .filter(leads::Column::OrganizationId.eq(lead.organization_id))
        .filter(leads::Column::Version.eq(change.expected_version))
        .exec(&txn)
        .await
        .map_err(StoreError::from)?;
    if updated.rows_affected != 1 {
        // Someone moved it between the read and the update.
        return Err(UpdateError::Conflict(format!(
            "lead {} was changed by someone else since version {}; read it again",
            lead.id, change.expected_version
        )));
    }
    let version = change.expected_version + 1;
    record(
        &txn,
        lead.organization_id,
        lead.id,
        Some(lead.stage),
        change.to,
        version,
        change.by,
        change.note,
        change.at,
    )
    .await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(Lead {
        stage: change.to,
        version,
        updated_at: change.at,
        ..lead
    })
}

/// A no-op write on the lead as a transaction's first statement: it takes the row lock
/// (PostgreSQL) or the write lock (SQLite) before the transaction reads, so concurrent writers of
/// one lead queue up instead of failing to upgrade a read (SQLite's `database is locked`).
pub(super) async fn lock_lead(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    lead_id: Uuid,
) -> Result<(), StoreError> {
    leads::Entity::update_many()
        .col_expr(
            leads::Column::Version,
            Expr::col(leads::Column::Version).into(),
        )
        .filter(leads::Column::Id.eq(lead_id))
        // Never touches another tenant's row, even as a no-op.
        .filter(in_scope(scope, leads::Column::OrganizationId))
        .exec(db)
        .await?;
    Ok(())
}

fn conflict(lead: &Lead, expected: i32) -> UpdateError {
    UpdateError::Conflict(format!(
        "lead {} is at version {}, not {expected}: someone changed it since you read it",
        lead.id, lead.version
    ))
}

/// The queue key a lead should have now (intent, value, waiting since).
pub(super) fn queue_key_of(lead: &Lead) -> f64 {
    queue::queue_key(
        lead.purchase_intent,
        lead.estimated_value,
        lead.waiting_since(),
    )
}
