//! Store types of the ads reconcile outbox: campaign stops that ads has not confirmed yet.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::context::TenantScope;
use uuid::Uuid;

use super::audit::NewAuditEntry;
use crate::domain::campaign::CampaignStatus;

/// A stop of a campaign's ads that ads has not confirmed yet (written with the status change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingReconcile {
    /// Primary key of the pending stop (UUIDv7).
    pub id: Uuid,
    /// The campaign's organization (the tenant the sweep acts for).
    pub organization_id: Uuid,
    /// The campaign.
    pub campaign_id: Uuid,
    /// The status the campaign moved to.
    pub status: CampaignStatus,
    /// Failed attempts so far.
    pub attempts: i32,
    /// When the sweep may try it next (a claimed row is pushed past its lease).
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the status changed.
    pub created_at: DateTime<Utc>,
}

/// The outbox's store.
#[async_trait]
pub trait ReconcileStore: Send + Sync {
    /// Rows due at `now` (every tenant: the sweep's), oldest first, at most `limit`.
    async fn due_reconciles(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<PendingReconcile>, StoreError>;
    /// Takes `row` for one attempt if no one else did since it was read: moves its next
    /// attempt to `until` (a lease); `false` when another sweep took it first.
    async fn claim_reconcile(
        &self,
        row: &PendingReconcile,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Ads confirmed the campaign's status as it was at `asked_at`: deletes the campaign's rows
    /// written up to then (a later stop keeps its own row); how many.
    async fn reconcile_done(
        &self,
        campaign_id: Uuid,
        asked_at: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
    /// Counts a failed attempt of `id` with its reason and the time of the next one, with
    /// `audit` when one is given (the failure's visible trace), all or nothing.
    async fn reconcile_failed(
        &self,
        id: Uuid,
        error: &str,
        next_attempt_at: DateTime<Utc>,
        audit: Option<NewAuditEntry>,
    ) -> Result<(), StoreError>;
    /// The pending rows of these campaigns in scope.
    async fn pending_reconciles(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<Vec<PendingReconcile>, StoreError>;
}
