//! What the delta ETL (`etl/`) writes into sales: summaries of recomputed
//! (campaign, day) keys, the campaigns' spent budget, the watermark of the source
//! it read and its run, all in one transaction fenced by the runner's lease; and
//! what admins read of it (`etlStatus`).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use promptsales_kit::changes::Watermark;
use promptsales_kit::{Decimal4, StoreError};
use uuid::Uuid;

use super::results::{AdsSummaryRow, ContentSummaryRow, CrmSummaryRow};

/// A runner's hold on one source group: it may commit while `fence` is the lease's current token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The group (`ads`, `crm`, `content`).
    pub name: String,
    /// The runner.
    pub owner: String,
    /// The fencing token: incremented on every acquisition, checked by every commit.
    pub fence: i64,
}

/// What the ETL needs of a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtlCampaign {
    /// The campaign's UUIDv7, as sales stores it.
    pub id: Uuid,
    /// Its organization.
    pub organization_id: Uuid,
    /// Its budget's currency (summaries are kept in it).
    pub currency: String,
    /// Its budget total.
    pub budget_total: Decimal4,
}

/// A source row the ETL could not interpret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRow {
    /// The source table (`crm.sales`).
    pub source: String,
    /// The row.
    pub row_id: Uuid,
    /// Its tenant, when known.
    pub organization_id: Option<Uuid>,
    /// Why it was skipped.
    pub reason: String,
    /// Its `updated_at` when it was read.
    pub row_updated_at: DateTime<Utc>,
}

/// One cycle's work on one source, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtlRun {
    /// Its id (one per cycle and source; each commit of the cycle rewrites it).
    pub id: Uuid,
    /// The source table.
    pub source: String,
    /// `ok`, `failed` or `fenced`.
    pub status: String,
    /// Changed rows read.
    pub rows_read: i64,
    /// Summary rows written.
    pub rows_written: i64,
    /// Rows recorded as failed.
    pub rows_failed: i64,
    /// When the cycle started on this source.
    pub started_at: DateTime<Utc>,
    /// When it last committed or failed.
    pub finished_at: DateTime<Utc>,
    /// What went wrong, if anything.
    pub error: Option<String>,
}

/// One page of a source, recomputed: written with the watermark advance in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct EtlCommit {
    /// The lease it is written under (its fence is checked).
    pub lease: Lease,
    /// How long the lease lasts from this commit on.
    pub lease_ttl: Duration,
    /// The source table whose watermark moves.
    pub source: String,
    /// The new watermark (`None`: unchanged).
    pub watermark: Option<Watermark>,
    /// Set when the source is read up to this instant (no more changes before it).
    pub caught_up_to: Option<DateTime<Utc>>,
    /// Ads keys recomputed (their rows are replaced by `ads`).
    pub ads_keys: Vec<(Uuid, NaiveDate)>,
    /// Their rows.
    pub ads: Vec<AdsSummaryRow>,
    /// CRM keys recomputed.
    pub crm_keys: Vec<(Uuid, NaiveDate)>,
    /// Their rows.
    pub crm: Vec<CrmSummaryRow>,
    /// Content keys recomputed.
    pub content_keys: Vec<(Uuid, NaiveDate)>,
    /// Their rows.
    pub content: Vec<ContentSummaryRow>,
    /// Rows of this page that could not be interpreted.
    pub failed: Vec<FailedRow>,
    /// Rows of this page read fine (an earlier failure of theirs is cleared).
    pub resolved: Vec<Uuid>,
    /// The run, as it stands after this commit.
    pub run: EtlRun,
}

/// What a commit changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committed {
    /// The campaigns whose summaries or performance changed, with their organization.
    pub campaigns: Vec<(Uuid, Uuid)>,
    /// Campaigns whose ads spent more than their budget total: `spent` left as it was.
    pub over_budget: Vec<(Uuid, Decimal4)>,
}

/// How a commit ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOutcome {
    /// Written.
    Committed(Committed),
    /// Not written: the lease's fence moved on (another runner holds the source).
    Fenced,
}

/// What an admin sees of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtlSourceStatus {
    /// The source table.
    pub source: String,
    /// Its watermark.
    pub watermark: Option<Watermark>,
    /// The instant up to which it is fully read.
    pub caught_up_to: Option<DateTime<Utc>>,
    /// Its latest run.
    pub last_run: Option<EtlRun>,
    /// Its latest run that failed.
    pub last_error: Option<EtlRun>,
    /// Its rows recorded as failed.
    pub failed_rows: i64,
}

/// Every summary and the campaigns' spent budgets (what a rebuild is compared with).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummarySnapshot {
    /// Ads summaries, by campaign, day, channel.
    pub ads: Vec<AdsSummaryRow>,
    /// CRM summaries, by campaign, day.
    pub crm: Vec<CrmSummaryRow>,
    /// Content summaries, by campaign, day, type.
    pub content: Vec<ContentSummaryRow>,
    /// Campaign performance: (campaign, spend, impressions, clicks, conversions, leads, customers, revenue).
    pub performance: Vec<(Uuid, [i64; 7])>,
    /// Spent budget per campaign.
    pub spent: Vec<(Uuid, Decimal4)>,
}

/// The sales side of the ETL.
#[async_trait]
pub trait EtlSink: Send + Sync {
    /// Takes the lease of group `name` for `owner` when it is free or expired; `None` when
    /// another runner holds it.
    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>, StoreError>;
    /// Lets the lease go (if still held by it).
    async fn release_lease(&self, lease: &Lease) -> Result<(), StoreError>;
    /// A source's watermark.
    async fn watermark(&self, source: &str) -> Result<Option<Watermark>, StoreError>;
    /// The campaigns among `ids` (every tenant).
    async fn campaigns(&self, ids: &[Uuid]) -> Result<Vec<EtlCampaign>, StoreError>;
    /// Writes a page in one transaction: summaries of its keys replaced, performance and
    /// spent budget of their campaigns recomputed, failures recorded, watermark and run
    /// written; nothing when the lease's fence moved on.
    async fn commit(&self, commit: EtlCommit) -> Result<CommitOutcome, StoreError>;
    /// Records a run outside a commit (a failed cycle).
    async fn record_run(&self, run: &EtlRun) -> Result<(), StoreError>;
    /// Deletes the runs that started before `before`, except each source's latest (so
    /// `etlStatus` still shows when a quiet source last ran); returns how many it deleted.
    async fn purge_runs(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
    /// Every source's status, by source.
    async fn status(&self) -> Result<Vec<EtlSourceStatus>, StoreError>;
    /// Every summary (tests and the rebuild compare them).
    async fn snapshot(&self) -> Result<SummarySnapshot, StoreError>;
    /// Forgets every summary, watermark and failure (a cold rebuild starts from nothing).
    async fn reset(&self) -> Result<(), StoreError>;
}
