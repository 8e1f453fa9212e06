//! Store types of the smart agenda.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::StrEnum;
use promptsales_kit::context::TenantScope;
use uuid::Uuid;

use super::WriteError;
use crate::domain::agenda::{NotificationKind, TaskKind, TaskStatus};

/// A task of a campaign's calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleTask {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Its organization.
    pub organization_id: Uuid,
    /// Its campaign.
    pub campaign_id: Uuid,
    /// What.
    pub kind: TaskKind,
    /// Title.
    pub title: String,
    /// Who does it.
    pub owner_id: Option<Uuid>,
    /// When due.
    pub due_at: DateTime<Utc>,
    /// When its owner is reminded.
    pub remind_at: DateTime<Utc>,
    /// Where it stands.
    pub status: TaskStatus,
    /// When the reminder went out.
    pub reminder_sent_at: Option<DateTime<Utc>>,
    /// When the overdue alert went out.
    pub overdue_alerted_at: Option<DateTime<Utc>>,
    /// When it was done.
    pub completed_at: Option<DateTime<Utc>>,
}

/// A task to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    /// Its organization.
    pub organization_id: Uuid,
    /// Its campaign.
    pub campaign_id: Uuid,
    /// What.
    pub kind: TaskKind,
    /// Title.
    pub title: String,
    /// Who does it.
    pub owner_id: Option<Uuid>,
    /// When due.
    pub due_at: DateTime<Utc>,
    /// When to remind.
    pub remind_at: DateTime<Utc>,
}

/// A reminder or overdue alert the scheduler fired.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgendaNotification {
    /// The task.
    pub task_id: Uuid,
    /// Its organization (subscribers see only their own).
    pub organization_id: Uuid,
    /// Its campaign.
    pub campaign_id: Uuid,
    /// Its owner.
    pub owner_id: Option<Uuid>,
    /// `reminder` or `overdue`.
    pub kind: String,
    /// The task's title.
    pub title: String,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// When the scheduler fired it.
    pub fired_at: DateTime<Utc>,
}

impl AgendaNotification {
    /// Its kind.
    pub fn kind(&self) -> Option<NotificationKind> {
        NotificationKind::parse(&self.kind)
    }
}

/// The agenda store.
#[async_trait]
pub trait AgendaStore: Send + Sync {
    /// Inserts tasks.
    async fn insert_tasks(&self, tasks: Vec<NewTask>) -> Result<Vec<ScheduleTask>, WriteError>;
    /// The tasks of these campaigns, by due time.
    async fn tasks_of_campaigns(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<Vec<ScheduleTask>, StoreError>;
    /// Marks an open task done (or cancelled).
    async fn finish_task(
        &self,
        scope: TenantScope,
        id: Uuid,
        status: TaskStatus,
    ) -> Result<ScheduleTask, WriteError>;
    /// The scheduler's tick: marks every reminder and overdue alert due at `now` and returns
    /// them; each fires exactly once across restarts and replicas (a conditional update per
    /// task; on PostgreSQL under an advisory lock, and announced with `NOTIFY`).
    async fn fire_due(&self, now: DateTime<Utc>) -> Result<Vec<AgendaNotification>, StoreError>;
}
