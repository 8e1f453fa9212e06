//! Store types of supervised agent actions (tool calls waiting for a person's decision).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::context::TenantScope;
use uuid::Uuid;

use super::WriteError;
use super::audit::NewAuditEntry;
use crate::domain::agent_action::{AgentActionStatus, NewAgentAction};

/// A stored request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentAction {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Its organization.
    pub organization_id: Uuid,
    /// The user the agent acts for (absent for a service).
    pub requested_by: Option<Uuid>,
    /// The tool.
    pub tool: String,
    /// Its risk class.
    pub risk: String,
    /// Its arguments (canonical JSON object).
    pub arguments: String,
    /// What it will do, in words.
    pub summary: Option<String>,
    /// Where it stands.
    pub status: AgentActionStatus,
    /// Who decided.
    pub resolved_by: Option<Uuid>,
    /// Why.
    pub comment: Option<String>,
    /// When it was asked.
    pub requested_at: DateTime<Utc>,
    /// When it was decided.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When it ran.
    pub used_at: Option<DateTime<Utc>>,
}

/// A decision to write if the request is still pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentActionResolution {
    /// The request.
    pub id: Uuid,
    /// Approved or rejected.
    pub status: AgentActionStatus,
    /// Who decided.
    pub resolved_by: Uuid,
    /// Why.
    pub comment: Option<String>,
}

/// The queue of supervised agent actions.
#[async_trait]
pub trait AgentActionStore: Send + Sync {
    /// Files a request with its audit entry; an identical request (same organization,
    /// requester, tool and arguments) still pending is returned instead of a second one.
    async fn file_agent_action(
        &self,
        new: NewAgentAction,
        audit: NewAuditEntry,
    ) -> Result<AgentAction, WriteError>;
    /// The requests among `ids` in scope.
    async fn agent_actions_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<AgentAction>, StoreError>;
    /// The requests in scope (optionally of one status), newest first, at most `limit`.
    async fn agent_actions(
        &self,
        scope: TenantScope,
        status: Option<AgentActionStatus>,
        limit: u64,
    ) -> Result<Vec<AgentAction>, StoreError>;
    /// Writes a decision with its audit entry if the request is still pending (else a conflict).
    async fn resolve_agent_action(
        &self,
        scope: TenantScope,
        resolution: AgentActionResolution,
        audit: NewAuditEntry,
    ) -> Result<AgentAction, WriteError>;
    /// Marks the approved request of exactly this call used (once) with its audit entry, and
    /// returns it; `None` when no approved, unused request matches.
    async fn use_agent_action(
        &self,
        organization_id: Uuid,
        requested_by: Option<Uuid>,
        tool: &str,
        arguments: &str,
        audit: NewAuditEntry,
    ) -> Result<Option<AgentAction>, WriteError>;
}
