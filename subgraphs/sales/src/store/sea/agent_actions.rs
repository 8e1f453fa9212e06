//! Supervised agent actions in the sea-orm store.

use promptsales_kit::context::TenantScope;
use promptsales_kit::{StoreError, StrEnum, new_id};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use uuid::Uuid;

use super::audit;
use super::entity::agent_action_request as row;
use super::errors::{corrupt, in_scope, write_error};
use crate::domain;
use crate::domain::agent_action::{AgentActionStatus, NewAgentAction};
use crate::store::WriteError;
use crate::store::agent_actions::{AgentAction, AgentActionResolution};
use crate::store::audit::NewAuditEntry;

const REFERENCE: &str = "the organization does not exist";

fn from_model(m: row::Model) -> Result<AgentAction, StoreError> {
    Ok(AgentAction {
        status: AgentActionStatus::parse(&m.status).ok_or_else(|| {
            corrupt(
                "agent_action_requests",
                m.id,
                format!("unknown status {:?}", m.status),
            )
        })?,
        id: m.id,
        organization_id: m.organization_id,
        requested_by: m.requested_by,
        tool: m.tool,
        risk: m.risk,
        arguments: m.arguments,
        summary: m.summary,
        resolved_by: m.resolved_by,
        comment: m.comment,
        requested_at: m.requested_at,
        resolved_at: m.resolved_at,
        used_at: m.used_at,
    })
}

/// The requester condition: the same user, or no user (a service) for no user.
fn same_requester(requested_by: Option<Uuid>) -> sea_orm::Condition {
    match requested_by {
        Some(user) => sea_orm::Condition::all().add(row::Column::RequestedBy.eq(user)),
        None => sea_orm::Condition::all().add(row::Column::RequestedBy.is_null()),
    }
}

async fn matching(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    requested_by: Option<Uuid>,
    tool: &str,
    arguments: &str,
    status: AgentActionStatus,
) -> Result<Option<row::Model>, DbErr> {
    row::Entity::find()
        .filter(row::Column::OrganizationId.eq(organization_id))
        .filter(same_requester(requested_by))
        .filter(row::Column::Tool.eq(tool))
        .filter(row::Column::Arguments.eq(arguments))
        .filter(row::Column::Status.eq(status.as_str()))
        .order_by_asc(row::Column::Id)
        .one(db)
        .await
}

pub(super) async fn file(
    db: &(impl ConnectionTrait + TransactionTrait),
    new: NewAgentAction,
    entry: NewAuditEntry,
) -> Result<AgentAction, WriteError> {
    let txn = db.begin().await.map_err(StoreError::from)?;
    let written = async {
        // Asking again while a person has not decided yet is the same request.
        if let Some(existing) = matching(
            &txn,
            new.organization_id,
            new.requested_by,
            &new.tool,
            &new.arguments,
            AgentActionStatus::Pending,
        )
        .await?
        {
            return Ok(existing);
        }
        let now = domain::now();
        let model = row::Model {
            id: new_id(),
            organization_id: new.organization_id,
            requested_by: new.requested_by,
            tool: new.tool,
            risk: new.risk,
            arguments: new.arguments,
            summary: new.summary,
            status: AgentActionStatus::Pending.as_str().to_string(),
            resolved_by: None,
            comment: None,
            requested_at: now,
            resolved_at: None,
            used_at: None,
            created_at: now,
            updated_at: now,
        };
        row::Entity::insert(row::ActiveModel::from(model.clone()))
            .exec_without_returning(&txn)
            .await?;
        let mut entry = entry;
        entry.target_id = Some(model.id.to_string());
        audit::insert(&txn, entry).await?;
        Ok::<_, DbErr>(model)
    }
    .await;
    match written {
        Ok(model) => {
            txn.commit().await.map_err(StoreError::from)?;
            Ok(from_model(model)?)
        }
        Err(e) => {
            let _ = txn.rollback().await;
            Err(write_error(e, "this request was already filed", REFERENCE))
        }
    }
}

pub(super) async fn by_ids(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    ids: &[Uuid],
) -> Result<Vec<AgentAction>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    row::Entity::find()
        .filter(row::Column::Id.is_in(ids.iter().copied()))
        .filter(in_scope(row::Column::OrganizationId, scope))
        .all(db)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}

pub(super) async fn list(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    status: Option<AgentActionStatus>,
    limit: u64,
) -> Result<Vec<AgentAction>, StoreError> {
    let mut query = row::Entity::find().filter(in_scope(row::Column::OrganizationId, scope));
    if let Some(status) = status {
        query = query.filter(row::Column::Status.eq(status.as_str()));
    }
    query
        .order_by_desc(row::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}

pub(super) async fn resolve(
    db: &(impl ConnectionTrait + TransactionTrait),
    scope: TenantScope,
    resolution: AgentActionResolution,
    entry: NewAuditEntry,
) -> Result<AgentAction, WriteError> {
    let now = domain::now();
    let txn = db.begin().await.map_err(StoreError::from)?;
    let written = async {
        let changed = row::Entity::update_many()
            .col_expr(row::Column::Status, Expr::value(resolution.status.as_str()))
            .col_expr(row::Column::ResolvedBy, Expr::value(resolution.resolved_by))
            .col_expr(
                row::Column::Comment,
                Expr::value(resolution.comment.clone()),
            )
            .col_expr(row::Column::ResolvedAt, Expr::value(now))
            .col_expr(row::Column::UpdatedAt, Expr::value(now))
            .filter(row::Column::Id.eq(resolution.id))
            .filter(row::Column::Status.eq(AgentActionStatus::Pending.as_str()))
            .filter(in_scope(row::Column::OrganizationId, scope))
            .exec(&txn)
            .await?;
        if changed.rows_affected == 0 {
            return Ok(None);
        }
        audit::insert(&txn, entry).await?;
        row::Entity::find_by_id(resolution.id).one(&txn).await
    }
    .await;
    match written {
        Ok(Some(model)) => {
            txn.commit().await.map_err(StoreError::from)?;
            Ok(from_model(model)?)
        }
        Ok(None) => {
            let _ = txn.rollback().await;
            match by_ids(db, scope, &[resolution.id]).await {
                Ok(found) if found.is_empty() => Err(WriteError::NotFound {
                    entity: "AgentActionRequest",
                    id: resolution.id,
                }),
                Ok(_) => Err(WriteError::Conflict(
                    "this request was decided meanwhile; read it again".into(),
                )),
                Err(e) => Err(WriteError::Store(e)),
            }
        }
        Err(e) => {
            let _ = txn.rollback().await;
            Err(write_error(
                e,
                "this request was already decided",
                REFERENCE,
            ))
        }
    }
}

pub(super) async fn use_approved(
    db: &(impl ConnectionTrait + TransactionTrait),
    organization_id: Uuid,
    requested_by: Option<Uuid>,
    tool: &str,
    arguments: &str,
    entry: NewAuditEntry,
) -> Result<Option<AgentAction>, WriteError> {
    let now = domain::now();
    let txn = db.begin().await.map_err(StoreError::from)?;
    let written = async {
        let Some(approved) = matching(
            &txn,
            organization_id,
            requested_by,
            tool,
            arguments,
            AgentActionStatus::Approved,
        )
        .await?
        else {
            return Ok(None);
        };
        // Only one call uses an approval: the update counts only while it is still approved.
        let changed = row::Entity::update_many()
            .col_expr(
                row::Column::Status,
                Expr::value(AgentActionStatus::Used.as_str()),
            )
            .col_expr(row::Column::UsedAt, Expr::value(now))
            .col_expr(row::Column::UpdatedAt, Expr::value(now))
            .filter(row::Column::Id.eq(approved.id))
            .filter(row::Column::Status.eq(AgentActionStatus::Approved.as_str()))
            .exec(&txn)
            .await?;
        if changed.rows_affected == 0 {
            return Ok(None);
        }
        let mut entry = entry;
        entry.target_id = Some(approved.id.to_string());
        audit::insert(&txn, entry).await?;
        row::Entity::find_by_id(approved.id).one(&txn).await
    }
    .await;
    match written {
        Ok(Some(model)) => {
            txn.commit().await.map_err(StoreError::from)?;
            Ok(Some(from_model(model)?))
        }
        Ok(None) => {
            let _ = txn.rollback().await;
            Ok(None)
        }
        Err(e) => {
            let _ = txn.rollback().await;
            Err(write_error(e, "this approval was already used", REFERENCE))
        }
    }
}
