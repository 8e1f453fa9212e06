//! Store types of the campaign workflow: approvals, status changes and proposed plans.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::context::TenantScope;
use uuid::Uuid;

use super::audit::NewAuditEntry;
use super::{Campaign, NewCampaign, WriteError};
use crate::domain::campaign::CampaignStatus;
use crate::domain::planner::{Plan, Strategy};
use crate::domain::workflow::{ApprovalKind, ApprovalStatus};

/// A request for approval of one aspect of a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Its organization.
    pub organization_id: Uuid,
    /// Its campaign.
    pub campaign_id: Uuid,
    /// The submission it belongs to (1, 2, ...): grants of an earlier round never count again.
    pub round: i32,
    /// What it authorises.
    pub kind: ApprovalKind,
    /// Where it stands.
    pub status: ApprovalStatus,
    /// Who asked.
    pub requested_by: Option<Uuid>,
    /// Who decided.
    pub resolved_by: Option<Uuid>,
    /// The decider's comments.
    pub comments: Option<String>,
    /// When it was asked.
    pub requested_at: DateTime<Utc>,
    /// When it was decided.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A status change decided by the domain, to write if the campaign is still in `from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// The campaign.
    pub campaign_id: Uuid,
    /// Its `updated_at` when the decision was made: a campaign changed since is a conflict,
    /// so two decisions taken on the same reading never both land.
    pub version: DateTime<Utc>,
    /// The status it must still have.
    pub from: CampaignStatus,
    /// The status it gets.
    pub to: CampaignStatus,
    /// Approvals to request, in a new round.
    pub request: Vec<ApprovalKind>,
    /// Who asks for them.
    pub requested_by: Option<Uuid>,
    /// Whether its pending approvals are withdrawn.
    pub withdraw_pending: bool,
}

/// A decision on an approval, to write if it is still pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalDecision {
    /// The approval.
    pub approval_id: Uuid,
    /// Its new status.
    pub status: ApprovalStatus,
    /// Who decided.
    pub resolved_by: Uuid,
    /// Why.
    pub comments: Option<String>,
    /// The campaign and its `updated_at` when the decision was made (bumped by the write,
    /// so concurrent decisions on one campaign serialise).
    pub campaign_id: Uuid,
    /// See `campaign_id`.
    pub campaign_version: DateTime<Utc>,
    /// The campaign's status change it causes.
    pub campaign: Option<StatusChange>,
}

/// A plan proposed for a campaign, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignPlan {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Its organization.
    pub organization_id: Uuid,
    /// The campaign it plans (created as a draft with it).
    pub campaign_id: Uuid,
    /// The strategy it came from.
    pub strategy: Strategy,
    /// The suggestion.
    pub plan: Plan,
    /// Who asked for it.
    pub proposed_by: Option<Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The workflow's store.
#[async_trait]
pub trait WorkflowStore: Send + Sync {
    /// The approvals of these campaigns (every round), by campaign, round and kind.
    async fn approvals_of_campaigns(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<Vec<Approval>, StoreError>;
    /// The approvals among `ids` in scope.
    async fn approvals_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<Approval>, StoreError>;
    /// The pending approvals in scope (optionally of one organization), oldest first, at most `limit`.
    async fn pending_approvals(
        &self,
        scope: TenantScope,
        organization_id: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Approval>, StoreError>;
    /// Writes a status change (and its approvals) with its audit entry, all or nothing;
    /// a campaign no longer in `from` is a conflict.
    async fn change_status(
        &self,
        scope: TenantScope,
        change: StatusChange,
        audit: NewAuditEntry,
    ) -> Result<Campaign, WriteError>;
    /// Writes a decision (and the status change it causes) with its audit entry, all or nothing;
    /// an approval no longer pending is a conflict.
    async fn resolve_approval(
        &self,
        scope: TenantScope,
        decision: ApprovalDecision,
        audit: NewAuditEntry,
    ) -> Result<Approval, WriteError>;
    /// Creates the draft campaign of a proposal with its plan and audit entry, all or nothing.
    async fn insert_proposal(
        &self,
        campaign: NewCampaign,
        strategy: Strategy,
        plan: Plan,
        proposed_by: Option<Uuid>,
        audit: NewAuditEntry,
    ) -> Result<(Campaign, CampaignPlan), WriteError>;
    /// The plans of these campaigns.
    async fn plans_of_campaigns(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<Vec<CampaignPlan>, StoreError>;
}
