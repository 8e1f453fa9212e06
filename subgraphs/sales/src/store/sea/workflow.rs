//! Approvals, status changes and proposed plans in the sea-orm store.

use promptsales_kit::StrEnum;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{StoreError, new_id};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use uuid::Uuid;

use super::entity::{approval, campaign, campaign_plan};
use super::errors::{corrupt, in_scope, write_error};
use super::{audit, campaigns};
use crate::domain;
use crate::domain::planner::{Plan, Strategy};
use crate::domain::workflow::{ApprovalKind, ApprovalStatus};
use crate::store::agenda::NewTask;
use crate::store::audit::NewAuditEntry;
use crate::store::workflow::{Approval, ApprovalDecision, CampaignPlan, StatusChange};
use crate::store::{Campaign, NewCampaign, WriteError};

fn from_model(m: approval::Model) -> Result<Approval, StoreError> {
    Ok(Approval {
        id: m.id,
        organization_id: m.organization_id,
        campaign_id: m.campaign_id,
        round: m.round,
        kind: ApprovalKind::parse(&m.kind)
            .ok_or_else(|| corrupt("approvals", m.id, format!("unknown kind {:?}", m.kind)))?,
        status: ApprovalStatus::parse(&m.status)
            .ok_or_else(|| corrupt("approvals", m.id, format!("unknown status {:?}", m.status)))?,
        requested_by: m.requested_by,
        resolved_by: m.resolved_by,
        comments: m.comments,
        requested_at: m.requested_at,
        resolved_at: m.resolved_at,
    })
}

fn plan_from_model(m: campaign_plan::Model) -> Result<CampaignPlan, StoreError> {
    let strategy: Strategy = serde_json::from_str(&m.strategy)
        .map_err(|e| corrupt("campaign_plans", m.id, format!("strategy: {e}")))?;
    let plan: Plan = serde_json::from_str(&m.plan)
        .map_err(|e| corrupt("campaign_plans", m.id, format!("plan: {e}")))?;
    Ok(CampaignPlan {
        id: m.id,
        organization_id: m.organization_id,
        campaign_id: m.campaign_id,
        strategy,
        plan,
        proposed_by: m.proposed_by,
        created_at: m.created_at,
    })
}

pub(super) async fn of_campaigns(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    campaign_ids: &[Uuid],
) -> Result<Vec<Approval>, StoreError> {
    if campaign_ids.is_empty() {
        return Ok(Vec::new());
    }
    approval::Entity::find()
        .filter(approval::Column::CampaignId.is_in(campaign_ids.iter().copied()))
        .filter(in_scope(approval::Column::OrganizationId, scope))
        .order_by_asc(approval::Column::CampaignId)
        .order_by_asc(approval::Column::Round)
        .order_by_asc(approval::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}

pub(super) async fn by_ids(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    ids: &[Uuid],
) -> Result<Vec<Approval>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    approval::Entity::find()
        .filter(approval::Column::Id.is_in(ids.iter().copied()))
        .filter(in_scope(approval::Column::OrganizationId, scope))
        .all(db)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}

pub(super) async fn pending(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    organization_id: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Approval>, StoreError> {
    let mut query = approval::Entity::find()
        .filter(approval::Column::Status.eq(ApprovalStatus::Pending.as_str()))
        .filter(in_scope(approval::Column::OrganizationId, scope));
    if let Some(organization) = organization_id {
        query = query.filter(approval::Column::OrganizationId.eq(organization));
    }
    query
        .order_by_asc(approval::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}

/// Moves the campaign if it is still in `from` at `version`; writes its approvals. `None`: it moved meanwhile.
async fn apply_change(
    txn: &impl ConnectionTrait,
    scope: TenantScope,
    change: &StatusChange,
) -> Result<Option<Campaign>, DbErr> {
    let now = domain::now();
    let moved = campaign::Entity::update_many()
        .col_expr(campaign::Column::Status, Expr::value(change.to.as_str()))
        .col_expr(campaign::Column::UpdatedAt, Expr::value(now))
        .filter(campaign::Column::Id.eq(change.campaign_id))
        .filter(campaign::Column::Status.eq(change.from.as_str()))
        .filter(campaign::Column::UpdatedAt.eq(change.version))
        .filter(in_scope(campaign::Column::OrganizationId, scope))
        .exec(txn)
        .await?;
    if moved.rows_affected == 0 {
        return Ok(None);
    }
    let Some(row) = campaign::Entity::find_by_id(change.campaign_id)
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    if change.to.stops_ads() {
        // Ads owes this stop; the row makes the debt outlive a failed call (crate::reconcile).
        super::reconcile::insert(txn, row.organization_id, change.campaign_id, change.to, now)
            .await?;
    }
    if change.withdraw_pending {
        approval::Entity::update_many()
            .col_expr(
                approval::Column::Status,
                Expr::value(ApprovalStatus::Withdrawn.as_str()),
            )
            .col_expr(approval::Column::UpdatedAt, Expr::value(now))
            .filter(approval::Column::CampaignId.eq(change.campaign_id))
            .filter(approval::Column::Status.eq(ApprovalStatus::Pending.as_str()))
            .exec(txn)
            .await?;
    }
    if !change.request.is_empty() {
        let last: Option<Option<i32>> = approval::Entity::find()
            .select_only()
            .column_as(approval::Column::Round.max(), "last_round")
            .filter(approval::Column::CampaignId.eq(change.campaign_id))
            .into_tuple()
            .one(txn)
            .await?;
        let round = last.flatten().unwrap_or(0) + 1;
        let rows = change.request.iter().map(|kind| {
            approval::ActiveModel::from(approval::Model {
                id: new_id(),
                organization_id: row.organization_id,
                campaign_id: change.campaign_id,
                round,
                kind: kind.as_str().to_string(),
                status: ApprovalStatus::Pending.as_str().to_string(),
                requested_by: change.requested_by,
                resolved_by: None,
                comments: None,
                requested_at: now,
                resolved_at: None,
                created_at: now,
                updated_at: now,
            })
        });
        approval::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await?;
    }
    match campaigns::from_model(row) {
        Ok(campaign) => Ok(Some(campaign)),
        Err(e) => Err(DbErr::Custom(e.to_string())),
    }
}

const REFERENCE: &str = "the campaign does not exist in its organization";

pub(super) async fn change_status(
    db: &(impl ConnectionTrait + TransactionTrait),
    scope: TenantScope,
    change: StatusChange,
    entry: NewAuditEntry,
) -> Result<Campaign, WriteError> {
    let txn = db.begin().await.map_err(StoreError::from)?;
    let written = async {
        let Some(campaign) = apply_change(&txn, scope, &change).await? else {
            return Ok(None);
        };
        audit::insert(&txn, entry).await?;
        Ok::<_, DbErr>(Some(campaign))
    }
    .await;
    match written {
        Ok(Some(campaign)) => {
            txn.commit().await.map_err(StoreError::from)?;
            Ok(campaign)
        }
        Ok(None) => {
            let _ = txn.rollback().await;
            Err(moved_or_missing(db, scope, change.campaign_id).await)
        }
        Err(e) => {
            let _ = txn.rollback().await;
            Err(write_error(
                e,
                "these approvals were already requested",
                REFERENCE,
            ))
        }
    }
}

async fn moved_or_missing(db: &impl ConnectionTrait, scope: TenantScope, id: Uuid) -> WriteError {
    match campaigns::by_ids(db, scope, &[id]).await {
        Ok(found) if found.is_empty() => WriteError::NotFound {
            entity: "Campaign",
            id,
        },
        Ok(_) => WriteError::Conflict(format!(
            "campaign {id} was changed by someone else meanwhile; read it again and retry"
        )),
        Err(e) => WriteError::Store(e),
    }
}

pub(super) async fn resolve(
    db: &(impl ConnectionTrait + TransactionTrait),
    scope: TenantScope,
    decision: ApprovalDecision,
    entry: NewAuditEntry,
) -> Result<Approval, WriteError> {
    let now = domain::now();
    let txn = db.begin().await.map_err(StoreError::from)?;
    let written = async {
        let resolved = approval::Entity::update_many()
            .col_expr(
                approval::Column::Status,
                Expr::value(decision.status.as_str()),
            )
            .col_expr(
                approval::Column::ResolvedBy,
                Expr::value(decision.resolved_by),
            )
            .col_expr(
                approval::Column::Comments,
                Expr::value(decision.comments.clone()),
            )
            .col_expr(approval::Column::ResolvedAt, Expr::value(now))
            .col_expr(approval::Column::UpdatedAt, Expr::value(now))
            .filter(approval::Column::Id.eq(decision.approval_id))
            .filter(approval::Column::Status.eq(ApprovalStatus::Pending.as_str()))
            .filter(in_scope(approval::Column::OrganizationId, scope))
            .exec(&txn)
            .await?;
        if resolved.rows_affected == 0 {
            return Ok(false);
        }
        match &decision.campaign {
            Some(change) => {
                if apply_change(&txn, scope, change).await?.is_none() {
                    return Ok(false);
                }
            }
            None => {
                // No status change, but the campaign's version moves all the same, so a
                // concurrent decision taken on the same reading (say the other last grant) conflicts.
                let bumped = campaign::Entity::update_many()
                    .col_expr(campaign::Column::UpdatedAt, Expr::value(now))
                    .filter(campaign::Column::Id.eq(decision.campaign_id))
                    .filter(campaign::Column::UpdatedAt.eq(decision.campaign_version))
                    .exec(&txn)
                    .await?;
                if bumped.rows_affected == 0 {
                    return Ok(false);
                }
            }
        }
        audit::insert(&txn, entry).await?;
        Ok::<_, DbErr>(true)
    }
    .await;
    match written {
        Ok(true) => {
            txn.commit().await.map_err(StoreError::from)?;
        }
        Ok(false) => {
            let _ = txn.rollback().await;
            return Err(match by_ids(db, scope, &[decision.approval_id]).await {
                Ok(found) if found.is_empty() => WriteError::NotFound {
                    entity: "Approval",
                    id: decision.approval_id,
                },
                Ok(_) => WriteError::Conflict(
                    "the approval or its campaign changed meanwhile; read them again and retry"
                        .into(),
                ),
                Err(e) => WriteError::Store(e),
            });
        }
        Err(e) => {
            let _ = txn.rollback().await;
            return Err(write_error(e, "conflicting approval", REFERENCE));
        }
    }
    by_ids(db, scope, &[decision.approval_id])
        .await?
        .into_iter()
        .next()
        .ok_or(WriteError::NotFound {
            entity: "Approval",
            id: decision.approval_id,
        })
}

pub(super) async fn insert_proposal(
    db: &(impl ConnectionTrait + TransactionTrait),
    new: NewCampaign,
    strategy: Strategy,
    plan: Plan,
    proposed_by: Option<Uuid>,
    entry: NewAuditEntry,
) -> Result<(Campaign, CampaignPlan), WriteError> {
    let now = domain::now();
    let (strategy_json, plan_json) = match (
        serde_json::to_string(&strategy),
        serde_json::to_string(&plan),
    ) {
        (Ok(s), Ok(p)) => (s, p),
        _ => return Err(StoreError::Corrupt("a plan that does not serialise".into()).into()),
    };
    let txn = db.begin().await.map_err(StoreError::from)?;
    let campaign = match campaigns::insert(&txn, new).await {
        Ok(c) => c,
        Err(e) => {
            let _ = txn.rollback().await;
            return Err(e);
        }
    };
    let row = campaign_plan::Model {
        id: new_id(),
        organization_id: campaign.organization_id,
        campaign_id: campaign.id,
        strategy: strategy_json,
        plan: plan_json,
        based_on_history: plan.based_on_history,
        proposed_by,
        created_at: now,
        updated_at: now,
    };
    let written = async {
        campaign_plan::Entity::insert(campaign_plan::ActiveModel::from(row.clone()))
            .exec_without_returning(&txn)
            .await?;
        // The plan's calendar becomes the campaign's agenda, owned by the campaign's owner.
        let tasks = domain::agenda::from_plan(&plan.tasks, now)
            .into_iter()
            .map(|t| NewTask {
                organization_id: campaign.organization_id,
                campaign_id: campaign.id,
                kind: t.kind,
                title: t.title,
                owner_id: Some(campaign.owner_id),
                due_at: t.due_at,
                remind_at: t.remind_at,
            })
            .collect();
        super::agenda::insert_in(&txn, tasks).await?;
        let mut entry = entry;
        entry.target_id = Some(campaign.id.to_string());
        audit::insert(&txn, entry).await?;
        Ok::<_, DbErr>(())
    }
    .await;
    match written {
        Ok(()) => txn.commit().await.map_err(StoreError::from)?,
        Err(e) => {
            let _ = txn.rollback().await;
            return Err(write_error(
                e,
                "this campaign already has a plan",
                REFERENCE,
            ));
        }
    }
    Ok((
        campaign,
        CampaignPlan {
            id: row.id,
            organization_id: row.organization_id,
            campaign_id: row.campaign_id,
            strategy,
            plan,
            proposed_by,
            created_at: now,
        },
    ))
}

pub(super) async fn plans_of_campaigns(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    campaign_ids: &[Uuid],
) -> Result<Vec<CampaignPlan>, StoreError> {
    if campaign_ids.is_empty() {
        return Ok(Vec::new());
    }
    campaign_plan::Entity::find()
        .filter(campaign_plan::Column::CampaignId.is_in(campaign_ids.iter().copied()))
        .filter(in_scope(campaign_plan::Column::OrganizationId, scope))
        .all(db)
        .await?
        .into_iter()
        .map(plan_from_model)
        .collect()
}
