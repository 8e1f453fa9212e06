//! The audit log's store types: who did what to what, when and from where.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Page, PageRequest, StoreError};
use uuid::Uuid;

/// How serious an audited action is.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// Routine (a login, a read export).
    Info,
    /// Changes rights or money (permission change, budget movement, approval).
    Warning,
    /// Irreversible or security-relevant (erasure, failed logins in a row).
    Critical,
}

/// Where a request came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The client's IP address (the peer, or what a trusted proxy forwarded).
    pub ip: Option<String>,
    /// Its user agent.
    pub user_agent: Option<String>,
}

/// An audited action to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    /// The tenant it concerns (absent for platform-level actions).
    pub organization_id: Option<Uuid>,
    /// Who did it (absent for the system itself).
    pub actor_id: Option<Uuid>,
    /// What was done, dotted (`campaign.status_changed`, `auth.login`).
    pub action: String,
    /// The kind of thing it was done to (`Campaign`, `User`).
    pub target_type: String,
    /// Which one.
    pub target_id: Option<String>,
    /// How serious.
    pub severity: Severity,
    /// From where.
    pub origin: Origin,
    /// Details (never secrets).
    pub metadata: serde_json::Value,
}

/// A recorded action.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// What was recorded.
    pub entry: NewAuditEntry,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
}

/// Which entries a listing returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this organization's.
    pub organization_id: Option<Uuid>,
    /// Only this action.
    pub action: Option<String>,
    /// Only actions on this target.
    pub target_id: Option<String>,
    /// Only by this actor.
    pub actor_id: Option<Uuid>,
}

/// The audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an entry.
    async fn record_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry, StoreError>;
    /// A page of the entries in scope that pass `filter`, newest first.
    async fn audit_entries(
        &self,
        scope: TenantScope,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError>;
    /// Deletes the entries that happened before `before`; returns how many.
    async fn purge_audit(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}
