//! The smart agenda in the sea-orm store, and the scheduler's exactly-once tick.
//!
//! Each reminder (and each overdue alert) is claimed by one conditional
//! `UPDATE ... WHERE reminder_sent_at IS NULL`: whichever process runs it
//! first gets the row, any other gets nothing, before or after a restart.
//! On PostgreSQL the tick also holds a transaction-scoped advisory lock, so
//! replicas do not even scan at the same time, and announces what it fired
//! with `pg_notify`, which every replica's listener forwards to its subscribers.

use chrono::{DateTime, Utc};
use promptsales_kit::StrEnum;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{StoreError, new_id};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, TransactionTrait,
};
use uuid::Uuid;

use super::entity::schedule_task;
use super::errors::{corrupt, in_scope, write_error};
use crate::domain;
use crate::domain::agenda::{NotificationKind, TaskKind, TaskStatus};
use crate::store::WriteError;
use crate::store::agenda::{AgendaNotification, NewTask, ScheduleTask};

/// The PostgreSQL channel agenda notifications are announced on.
pub const CHANNEL: &str = "promptsales_agenda";
/// The advisory lock key of the scheduler's tick ("agenda" in ASCII).
const LOCK_KEY: i64 = 0x6167_656e_6461;
/// The most notifications of one kind a tick fires (the next tick takes the rest).
const BATCH: u64 = 500;

fn from_model(m: schedule_task::Model) -> Result<ScheduleTask, StoreError> {
    Ok(ScheduleTask {
        kind: TaskKind::parse(&m.kind)
            .ok_or_else(|| corrupt("schedule_tasks", m.id, format!("unknown kind {:?}", m.kind)))?,
        status: TaskStatus::parse(&m.status).ok_or_else(|| {
            corrupt(
                "schedule_tasks",
                m.id,
                format!("unknown status {:?}", m.status),
            )
        })?,
        id: m.id,
        organization_id: m.organization_id,
        campaign_id: m.campaign_id,
        title: m.title,
        owner_id: m.owner_id,
        due_at: m.due_at,
        remind_at: m.remind_at,
        reminder_sent_at: m.reminder_sent_at,
        overdue_alerted_at: m.overdue_alerted_at,
        completed_at: m.completed_at,
    })
}

/// Inserts tasks on `db` (a transaction when they come with a proposal).
pub(super) async fn insert_in(
    db: &impl ConnectionTrait,
    tasks: Vec<NewTask>,
) -> Result<Vec<schedule_task::Model>, DbErr> {
    let now = domain::now();
    let rows: Vec<schedule_task::Model> = tasks
        .into_iter()
        .map(|t| schedule_task::Model {
            id: new_id(),
            organization_id: t.organization_id,
            campaign_id: t.campaign_id,
            kind: t.kind.as_str().to_string(),
            title: t.title,
            owner_id: t.owner_id,
            due_at: t.due_at,
            remind_at: t.remind_at,
            status: TaskStatus::Open.as_str().to_string(),
            reminder_sent_at: None,
            overdue_alerted_at: None,
            completed_at: None,
            created_at: now,
            updated_at: now,
        })
        .collect();
    if !rows.is_empty() {
        schedule_task::Entity::insert_many(
            rows.iter().cloned().map(schedule_task::ActiveModel::from),
        )
        .exec_without_returning(db)
        .await?;
    }
    Ok(rows)
}

pub(super) async fn insert(
    db: &(impl ConnectionTrait + TransactionTrait),
    tasks: Vec<NewTask>,
) -> Result<Vec<ScheduleTask>, WriteError> {
    let txn = db.begin().await.map_err(StoreError::from)?;
    match insert_in(&txn, tasks).await {
        Ok(rows) => {
            txn.commit().await.map_err(StoreError::from)?;
            Ok(rows.into_iter().map(from_model).collect::<Result<_, _>>()?)
        }
        Err(e) => {
            let _ = txn.rollback().await;
            Err(write_error(
                e,
                "duplicate task",
                "the campaign does not exist in the organization",
            ))
        }
    }
}

pub(super) async fn of_campaigns(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    campaign_ids: &[Uuid],
) -> Result<Vec<ScheduleTask>, StoreError> {
    if campaign_ids.is_empty() {
        return Ok(Vec::new());
    }
    schedule_task::Entity::find()
        .filter(schedule_task::Column::CampaignId.is_in(campaign_ids.iter().copied()))
        .filter(in_scope(schedule_task::Column::OrganizationId, scope))
        .order_by_asc(schedule_task::Column::DueAt)
        .order_by_asc(schedule_task::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}

pub(super) async fn finish(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    id: Uuid,
    status: TaskStatus,
) -> Result<ScheduleTask, WriteError> {
    let now = domain::now();
    let changed = schedule_task::Entity::update_many()
        .col_expr(schedule_task::Column::Status, Expr::value(status.as_str()))
        .col_expr(schedule_task::Column::CompletedAt, Expr::value(now))
        .col_expr(schedule_task::Column::UpdatedAt, Expr::value(now))
        .filter(schedule_task::Column::Id.eq(id))
        .filter(schedule_task::Column::Status.eq(TaskStatus::Open.as_str()))
        .filter(in_scope(schedule_task::Column::OrganizationId, scope))
        .exec(db)
        .await
        .map_err(StoreError::from)?;
    let row = schedule_task::Entity::find_by_id(id)
        .filter(in_scope(schedule_task::Column::OrganizationId, scope))
        .one(db)
        .await
        .map_err(StoreError::from)?
        .ok_or(WriteError::NotFound {
            entity: "ScheduleTask",
            id,
        })?;
    if changed.rows_affected == 0 {
        return Err(WriteError::Conflict(format!(
            "the task is already {}",
            row.status
        )));
    }
    Ok(from_model(row)?)
}

/// Claims the due notifications of one kind: candidates first, then one conditional update each.
async fn claim(
    txn: &impl ConnectionTrait,
    kind: NotificationKind,
    now: DateTime<Utc>,
) -> Result<Vec<AgendaNotification>, DbErr> {
    let (marker, due) = match kind {
        NotificationKind::Reminder => (
            schedule_task::Column::ReminderSentAt,
            schedule_task::Column::RemindAt,
        ),
        NotificationKind::Overdue => (
            schedule_task::Column::OverdueAlertedAt,
            schedule_task::Column::DueAt,
        ),
    };
    let candidates = schedule_task::Entity::find()
        .filter(schedule_task::Column::Status.eq(TaskStatus::Open.as_str()))
        .filter(marker.is_null())
        .filter(due.lte(now))
        .order_by_asc(due)
        .limit(BATCH)
        .all(txn)
        .await?;
    let mut fired = Vec::new();
    for task in candidates {
        let claimed = schedule_task::Entity::update_many()
            .col_expr(marker, Expr::value(now))
            .col_expr(schedule_task::Column::UpdatedAt, Expr::value(now))
            .filter(schedule_task::Column::Id.eq(task.id))
            .filter(schedule_task::Column::Status.eq(TaskStatus::Open.as_str()))
            .filter(marker.is_null())
            .exec(txn)
            .await?;
        if claimed.rows_affected == 1 {
            fired.push(AgendaNotification {
                task_id: task.id,
                organization_id: task.organization_id,
                campaign_id: task.campaign_id,
                owner_id: task.owner_id,
                kind: kind.as_str().to_string(),
                title: task.title,
                due_at: task.due_at,
                fired_at: now,
            });
        }
    }
    Ok(fired)
}

pub(super) async fn fire_due(
    db: &(impl ConnectionTrait + TransactionTrait),
    now: DateTime<Utc>,
) -> Result<Vec<AgendaNotification>, StoreError> {
    let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
    let txn = db.begin().await?;
    if postgres {
        let locked = txn
            .query_one(Statement::from_string(
                DatabaseBackend::Postgres,
                format!("SELECT pg_try_advisory_xact_lock({LOCK_KEY}) AS locked"),
            ))
            .await?
            .map(|row| row.try_get::<bool>("", "locked"))
            .transpose()?
            .unwrap_or(false);
        if !locked {
            // Another replica is ticking; what it leaves, the next tick takes.
            txn.rollback().await?;
            return Ok(Vec::new());
        }
    }
    let mut fired = claim(&txn, NotificationKind::Reminder, now).await?;
    fired.extend(claim(&txn, NotificationKind::Overdue, now).await?);
    if postgres {
        for notification in &fired {
            let payload = serde_json::to_string(notification).unwrap_or_default();
            txn.execute(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [CHANNEL.into(), payload.into()],
            ))
            .await?;
        }
    }
    txn.commit().await?;
    Ok(fired)
}
