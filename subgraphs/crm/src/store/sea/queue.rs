//! The agent queue: priority order from the indexed queue key, atomic claims.

use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, QueryOrder, QuerySelect};

use super::leads::{self, Column, Entity};
use crate::store::Lead;

const CLOSED: [&str; 2] = ["WON", "LOST"];

/// Open leads of one agent (`Some`) or of the unassigned pool (`None`), highest key first.
async fn slice(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    agent_id: Option<Uuid>,
    unclaimed_only: bool,
    limit: u64,
) -> Result<Vec<leads::Model>, StoreError> {
    let mut query = Entity::find()
        .filter(Column::OrganizationId.eq(organization_id))
        .filter(match agent_id {
            Some(agent) => Column::AssignedAgentId.eq(agent),
            None => Column::AssignedAgentId.is_null(),
        })
        .filter(Column::Stage.is_not_in(CLOSED))
        .filter(Column::QueueKey.is_not_null());
    if unclaimed_only {
        query = query.filter(Column::ClaimedAt.is_null());
    }
    Ok(query
        .order_by_desc(Column::QueueKey)
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

fn merge(mut a: Vec<leads::Model>, b: Vec<leads::Model>, limit: u64) -> Vec<leads::Model> {
    a.extend(b);
    a.sort_by(|x, y| {
        y.queue_key
            .unwrap_or(f64::MIN)
            .total_cmp(&x.queue_key.unwrap_or(f64::MIN))
            .then(x.id.cmp(&y.id))
    });
    a.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    a
}

/// The agent's own open leads and the unassigned pool, merged in priority order.
pub(super) async fn agent_queue(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    agent_id: Uuid,
    limit: u64,
) -> Result<Vec<Lead>, StoreError> {
    let own = slice(db, organization_id, Some(agent_id), false, limit).await?;
    let pool = slice(db, organization_id, None, false, limit).await?;
    leads::all_to_domain(merge(own, pool, limit))
}

/// The organizations with leads assigned to `agent_id` (indexed: `ix_leads_agent`).
pub(super) async fn agent_organizations(
    db: &impl ConnectionTrait,
    agent_id: Uuid,
) -> Result<Vec<Uuid>, StoreError> {
    Ok(Entity::find()
        .select_only()
        .column(Column::OrganizationId)
        .filter(Column::AssignedAgentId.eq(agent_id))
        .distinct()
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}

/// Claims the agent's best unclaimed lead (theirs or unassigned).
///
/// The claim is a conditional `UPDATE ... WHERE claimed_at IS NULL AND
/// (assigned_agent_id IS NULL OR assigned_agent_id = agent)`: of two agents
/// racing for one lead exactly one updates it; the other moves on to the next
/// candidate. No lock is held between reading candidates and claiming.
pub(super) async fn claim_next(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    agent_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Lead>, StoreError> {
    const CANDIDATES: u64 = 16;
    const ROUNDS: usize = 8;
    for _ in 0..ROUNDS {
        let own = slice(db, organization_id, Some(agent_id), true, CANDIDATES).await?;
        let pool = slice(db, organization_id, None, true, CANDIDATES).await?;
        let candidates = merge(own, pool, CANDIDATES);
        if candidates.is_empty() {
            return Ok(None);
        }
        for candidate in candidates {
            let claimed = Entity::update_many()
                .col_expr(Column::AssignedAgentId, Expr::value(Some(agent_id)))
                .col_expr(Column::ClaimedAt, Expr::value(Some(now)))
                .col_expr(Column::Version, Expr::col(Column::Version).add(1))
                .col_expr(Column::UpdatedAt, Expr::value(now))
                .filter(Column::Id.eq(candidate.id))
                .filter(Column::OrganizationId.eq(organization_id))
                .filter(Column::ClaimedAt.is_null())
                .filter(Column::Stage.is_not_in(CLOSED))
                .filter(
                    sea_orm::Condition::any()
                        .add(Column::AssignedAgentId.is_null())
                        .add(Column::AssignedAgentId.eq(agent_id)),
                )
                .exec(db)
                .await?;
            if claimed.rows_affected == 1 {
                let row = Entity::find_by_id(candidate.id)
                    .one(db)
                    .await?
                    .ok_or_else(|| {
                        StoreError::Corrupt(format!("claimed lead {} vanished", candidate.id))
                    })?;
                return leads::to_domain(row).map(Some);
            }
        }
    }
    // Every round lost every race: report nothing rather than spin.
    Ok(None)
}
