//! The audit log in the sea-orm store.

use chrono::{DateTime, Utc};
use promptsales_kit::StrEnum;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Page, PageRequest, StoreError, new_id};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::entity::audit_log;
use super::errors::corrupt;
use crate::domain;
use crate::store::audit::{AuditEntry, AuditFilter, NewAuditEntry, Origin, Severity};

fn truncated(text: Option<String>, max: usize) -> Option<String> {
    text.map(|t| t.chars().take(max).collect())
}

/// Inserts an entry on `db` (a transaction when it goes with the action it records).
pub(super) async fn insert(
    db: &impl ConnectionTrait,
    entry: NewAuditEntry,
) -> Result<AuditEntry, DbErr> {
    let now = domain::now();
    let id = new_id();
    let row = audit_log::Model {
        id,
        organization_id: entry.organization_id,
        actor_id: entry.actor_id,
        action: entry.action.chars().take(100).collect(),
        target_type: entry.target_type.chars().take(50).collect(),
        target_id: truncated(entry.target_id.clone(), 100),
        severity: entry.severity.as_str().to_string(),
        ip: truncated(entry.origin.ip.clone(), 64),
        user_agent: truncated(entry.origin.user_agent.clone(), 300),
        metadata: entry.metadata.to_string(),
        occurred_at: now,
        created_at: now,
        updated_at: now,
    };
    audit_log::Entity::insert(audit_log::ActiveModel::from(row))
        .exec_without_returning(db)
        .await?;
    Ok(AuditEntry {
        id,
        entry,
        occurred_at: now,
    })
}

fn from_model(m: audit_log::Model) -> Result<AuditEntry, StoreError> {
    let severity = Severity::parse(&m.severity).ok_or_else(|| {
        corrupt(
            "audit_log",
            m.id,
            format!("unknown severity {:?}", m.severity),
        )
    })?;
    let metadata = serde_json::from_str(&m.metadata)
        .map_err(|e| corrupt("audit_log", m.id, format!("metadata is not JSON: {e}")))?;
    Ok(AuditEntry {
        id: m.id,
        entry: NewAuditEntry {
            organization_id: m.organization_id,
            actor_id: m.actor_id,
            action: m.action,
            target_type: m.target_type,
            target_id: m.target_id,
            severity,
            origin: Origin {
                ip: m.ip,
                user_agent: m.user_agent,
            },
            metadata,
        },
        occurred_at: m.occurred_at,
    })
}

pub(super) async fn list(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    filter: &AuditFilter,
    page: PageRequest,
) -> Result<Page<AuditEntry>, StoreError> {
    let mut condition = Condition::all();
    if let Some(organization) = scope.organization() {
        condition = condition.add(audit_log::Column::OrganizationId.eq(organization));
    }
    if let Some(organization) = filter.organization_id {
        condition = condition.add(audit_log::Column::OrganizationId.eq(organization));
    }
    if let Some(action) = &filter.action {
        condition = condition.add(audit_log::Column::Action.eq(action.as_str()));
    }
    if let Some(target) = &filter.target_id {
        condition = condition.add(audit_log::Column::TargetId.eq(target.as_str()));
    }
    if let Some(actor) = filter.actor_id {
        condition = condition.add(audit_log::Column::ActorId.eq(actor));
    }
    // Ids are time-ordered (v7): newest first is descending ids, and the cursor goes down.
    if let Some(after) = page.after {
        condition = condition.add(audit_log::Column::Id.lt(after));
    }
    let rows = audit_log::Entity::find()
        .filter(condition)
        .order_by_desc(audit_log::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?;
    let entries = rows
        .into_iter()
        .map(from_model)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(entries, &page))
}

pub(super) async fn purge(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let result = audit_log::Entity::delete_many()
        .filter(audit_log::Column::OccurredAt.lt(before))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
