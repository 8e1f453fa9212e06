//! The content store: the narrow interface the schema and the seeds use, and its input types.
//!
//! Every read takes the request's [`TenantScope`]; rows outside it are
//! simply not returned. Writes of several rows are atomic.

pub mod sea;

use std::collections::HashMap;

use async_trait::async_trait;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Page, PageRequest, StoreError};
use uuid::Uuid;

use crate::domain::channel::Channel;
pub use crate::domain::generation::GeneratedContent;
pub use crate::domain::outreach::{JobStatus, OutreachJob, OutreachStatus};
pub use crate::domain::request_log::RequestLogEntry;
pub use crate::domain::services::ThirdPartyService;
pub use crate::domain::template::{NewPromptTemplate, PromptTemplate, TemplatePurpose};
pub use crate::domain::{
    AssetKind, MediaAsset, NewMediaAsset, ReviewStatus, TechnicalMetadata, UsageRights,
};
use chrono::{DateTime, Utc};

/// A write refused by a rule of the store.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A uniqueness rule or a concurrent change.
    #[error("{0}")]
    Conflict(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<WriteError> for promptsales_kit::ApiError {
    fn from(err: WriteError) -> Self {
        match err {
            WriteError::Conflict(message) => Self::Conflict(message),
            WriteError::Store(e) => Self::from(e),
        }
    }
}

/// An asset's embedding as stored: the model that made it and the vector (its length is
/// stored beside it as the dimension).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEmbedding {
    /// The embedding model (vectors of different models are never compared).
    pub model: String,
    /// The vector.
    pub vector: Vec<f32>,
}

/// An asset's vector, for the search index.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetVector {
    /// The asset.
    pub id: Uuid,
    /// Its tenant.
    pub organization_id: Uuid,
    /// Its embedding.
    pub vector: Vec<f32>,
}

/// A past version of an asset.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetVersion {
    /// The asset as it was.
    pub asset: MediaAsset,
    /// When that version was replaced.
    pub replaced_at: DateTime<Utc>,
}

/// Filters of the template list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateFilter {
    /// Only this name (all its versions).
    pub name: Option<String>,
    /// Only this purpose.
    pub purpose: Option<TemplatePurpose>,
    /// Only this use.
    pub use_case: Option<String>,
    /// Only this channel.
    pub channel: Option<Channel>,
    /// Only active ones.
    pub active_only: bool,
}

/// What a template version produced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TemplateResults {
    /// Pieces and messages written with it.
    pub generated: u64,
    /// Generated pieces a reviewer approved.
    pub approved: u64,
    /// Outreach messages sent (or replied to).
    pub sent: u64,
    /// Outreach messages that got a reply.
    pub replied: u64,
}

/// Filters of generated content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GeneratedFilter {
    /// Only this campaign's.
    pub campaign_id: Option<Uuid>,
    /// Only this review state.
    pub review_status: Option<ReviewStatus>,
    /// Only this channel.
    pub channel: Option<Channel>,
}

/// An outreach message as stored: prospect and text sealed (AES-256-GCM envelopes).
#[derive(Debug, Clone, PartialEq)]
pub struct SealedOutreach {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Tenant.
    pub organization_id: Uuid,
    /// Its batch.
    pub job_id: Option<Uuid>,
    /// Position in the batch.
    pub item_index: i32,
    /// Channel.
    pub channel: Channel,
    /// Template.
    pub template_id: Option<Uuid>,
    /// Template version.
    pub template_version: Option<i32>,
    /// Sealed prospect (JSON).
    pub prospect_enc: String,
    /// Sealed text.
    pub text_enc: Option<String>,
    /// Status.
    pub status: OutreachStatus,
    /// Why it failed (names fields, never personal data).
    pub error: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Prompt tokens.
    pub tokens_in: i64,
    /// Completion tokens.
    pub tokens_out: i64,
    /// From the cache.
    pub from_cache: bool,
    /// Sent at.
    pub sent_at: Option<DateTime<Utc>>,
    /// Replied at.
    pub replied_at: Option<DateTime<Utc>>,
    /// Written at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Who runs a batch, and until when it counts as alive (the owner renews it while it runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobLease {
    /// The instance.
    pub owner: Uuid,
    /// When the lease runs out.
    pub until: DateTime<Utc>,
}

/// Filters of outreach messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutreachFilter {
    /// Only this batch's.
    pub job_id: Option<Uuid>,
    /// Only those written with this template.
    pub template_id: Option<Uuid>,
}

/// Filters of the asset list; all given ones must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetFilter {
    /// Only this kind.
    pub kind: Option<AssetKind>,
    /// Only this review state.
    pub review_status: Option<ReviewStatus>,
    /// Only this category (exact).
    pub category: Option<String>,
    /// Only assets carrying this normalised hashtag.
    pub hashtag: Option<String>,
    /// Only assets used by this campaign.
    pub campaign_id: Option<Uuid>,
}

/// Filters of a campaign's assets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CampaignAssetFilter {
    /// Only this kind.
    pub kind: Option<AssetKind>,
    /// Only this review state.
    pub review_status: Option<ReviewStatus>,
}

/// A campaign's use of an asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CampaignAssetLink {
    /// The campaign (owned by the sales subgraph).
    pub campaign_id: Uuid,
    /// The asset.
    pub asset_id: Uuid,
    /// The tenant of both.
    pub organization_id: Uuid,
}

/// The state an update expects to find, so that a concurrent change is detected rather than overwritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revision {
    /// The content version read.
    pub version: i32,
    /// The review state read.
    pub review_status: ReviewStatus,
}

impl Revision {
    /// The revision of an asset as read.
    pub fn of(asset: &MediaAsset) -> Self {
        Self {
            version: asset.version,
            review_status: asset.review_status,
        }
    }
}

/// One (campaign, day, content type) key's production, recomputed from the assets and
/// generated pieces (what the ETL reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignDayContent {
    /// The tenant.
    pub organization_id: Uuid,
    /// The campaign.
    pub campaign_id: Uuid,
    /// The day the pieces were made (UTC).
    pub day: chrono::NaiveDate,
    /// `image`, `video`, `text` or `audio` (generated content is `text`).
    pub content_type: String,
    /// Pieces.
    pub total: i64,
    /// Approved.
    pub approved: i64,
    /// Rejected.
    pub rejected: i64,
    /// Waiting for review.
    pub pending: i64,
}

/// The content store.
#[async_trait]
pub trait ContentStore: Send + Sync {
    /// Inserts an asset (version 1, timestamps now) and its campaign links in one transaction.
    /// Media assets (`generated == false`) or generated content changed within `window`, in
    /// `(updated_at, id)` order, each with the (campaign, day) keys it counts for (the ETL's
    /// delta read; every tenant).
    async fn content_changes(
        &self,
        generated: bool,
        window: promptsales_kit::changes::ChangeWindow,
    ) -> Result<Vec<promptsales_kit::changes::Change>, StoreError>;
    /// The production of these (campaign, day) keys per content type (the source truth the ETL
    /// recomputes summaries from; keys without pieces are absent).
    async fn campaign_day_content(
        &self,
        keys: &[(Uuid, chrono::NaiveDate)],
    ) -> Result<Vec<CampaignDayContent>, StoreError>;
    async fn insert_asset(&self, asset: NewMediaAsset) -> Result<MediaAsset, StoreError>;

    /// Inserts many assets and their links in one transaction (seeds, imports).
    async fn insert_assets(
        &self,
        assets: Vec<NewMediaAsset>,
    ) -> Result<Vec<MediaAsset>, StoreError>;

    /// Links an asset to a campaign; `false` when the link already existed.
    async fn link_asset_to_campaign(&self, link: CampaignAssetLink) -> Result<bool, StoreError>;

    /// The visible assets among `ids` (any order; missing ones are left out).
    async fn assets_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<MediaAsset>, StoreError>;

    /// One page of visible assets in id order.
    async fn list_assets(
        &self,
        scope: TenantScope,
        filter: &AssetFilter,
        page: &PageRequest,
    ) -> Result<Page<MediaAsset>, StoreError>;

    /// One page of assets per campaign, all campaigns in one query; campaigns without assets are absent.
    async fn campaign_assets(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
        filter: &CampaignAssetFilter,
        page: &PageRequest,
    ) -> Result<HashMap<Uuid, Page<MediaAsset>>, StoreError>;

    /// How many visible assets each campaign uses; campaigns without any are absent.
    async fn campaign_asset_counts(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, u64>, StoreError>;

    /// The campaigns using each asset, in id order; assets without any are absent.
    async fn campaigns_of_assets(
        &self,
        scope: TenantScope,
        asset_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<Uuid>>, StoreError>;

    /// Up to `limit` of the newest visible assets whose description or hashtags contain any of `terms`.
    async fn search_candidates(
        &self,
        scope: TenantScope,
        terms: &[String],
        kind: Option<AssetKind>,
        limit: u64,
    ) -> Result<Vec<MediaAsset>, StoreError>;

    /// Writes `next` over the stored asset if it is still at `expected`, keeping the replaced
    /// version in the history when the version changes (one transaction); `None` when it changed or vanished.
    async fn update_asset(
        &self,
        scope: TenantScope,
        expected: Revision,
        next: &MediaAsset,
    ) -> Result<Option<MediaAsset>, StoreError>;

    /// Inserts an asset with its embedding in one transaction (the registration mutation).
    async fn register_asset(
        &self,
        asset: NewMediaAsset,
        embedding: Option<StoredEmbedding>,
    ) -> Result<MediaAsset, StoreError>;

    /// Stores embeddings of assets (any tenant: the index build and re-embedding after changes).
    async fn set_embeddings(
        &self,
        embeddings: &[(Uuid, StoredEmbedding)],
    ) -> Result<(), StoreError>;

    /// Every asset vector made by `model` with `dimensions` components, all tenants (the index
    /// build; the index filters by tenant). Vectors of another model or size are never returned.
    async fn asset_vectors(
        &self,
        model: &str,
        dimensions: usize,
    ) -> Result<Vec<AssetVector>, StoreError>;

    /// Up to `limit` assets, all tenants, without an embedding of `model` and `dimensions` (to backfill).
    async fn assets_without_embedding(
        &self,
        model: &str,
        dimensions: usize,
        limit: u64,
    ) -> Result<Vec<MediaAsset>, StoreError>;

    /// The replaced versions of a visible asset, newest first.
    async fn asset_versions(
        &self,
        scope: TenantScope,
        asset_id: Uuid,
    ) -> Result<Vec<AssetVersion>, StoreError>;

    /// Appends an entry to the request log.
    async fn insert_request_log(&self, entry: &RequestLogEntry) -> Result<(), StoreError>;

    /// One page of the visible request log, newest first.
    async fn request_logs(
        &self,
        scope: TenantScope,
        page: &PageRequest,
    ) -> Result<Page<RequestLogEntry>, StoreError>;

    /// Saves the next version of template `new.name` (1 for a new name); CONFLICT when a concurrent save took the number.
    async fn insert_template(&self, new: NewPromptTemplate) -> Result<PromptTemplate, WriteError>;

    /// The visible templates among `ids`.
    async fn templates_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<PromptTemplate>, StoreError>;

    /// One page of visible templates (name, then version).
    async fn list_templates(
        &self,
        scope: TenantScope,
        filter: &TemplateFilter,
        page: &PageRequest,
    ) -> Result<Page<PromptTemplate>, StoreError>;

    /// Turns a template version on or off; `None` when not visible.
    async fn set_template_active(
        &self,
        scope: TenantScope,
        id: Uuid,
        active: bool,
    ) -> Result<Option<PromptTemplate>, StoreError>;

    /// What each template version produced.
    async fn template_results(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, TemplateResults>, StoreError>;

    /// Inserts generated pieces in one transaction.
    async fn insert_generated(&self, pieces: &[GeneratedContent]) -> Result<(), StoreError>;

    /// The visible generated pieces among `ids`.
    async fn generated_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<GeneratedContent>, StoreError>;

    /// One page of visible generated pieces in id order.
    async fn list_generated(
        &self,
        scope: TenantScope,
        filter: &GeneratedFilter,
        page: &PageRequest,
    ) -> Result<Page<GeneratedContent>, StoreError>;

    /// Writes a review over a piece still in `expected`; `None` when it changed or vanished.
    async fn review_generated(
        &self,
        scope: TenantScope,
        expected: ReviewStatus,
        next: &GeneratedContent,
    ) -> Result<Option<GeneratedContent>, StoreError>;

    /// Inserts a new batch with its sealed request, leased to the instance that runs it.
    async fn insert_job(
        &self,
        job: &OutreachJob,
        request_enc: &str,
        lease: &JobLease,
    ) -> Result<(), StoreError>;

    /// Running batches of any tenant, with a stored request, whose lease ran out before `now`
    /// (their owner is gone), oldest first, at most `limit`.
    async fn orphaned_jobs(&self, now: DateTime<Utc>, limit: u64) -> Result<Vec<Uuid>, StoreError>;

    /// Takes batch `id` over with `lease` if it is still running and its lease ran out before
    /// `now`; the batch and its sealed request, `None` when it finished or another instance was first.
    async fn claim_job(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        lease: &JobLease,
    ) -> Result<Option<(OutreachJob, String)>, StoreError>;

    /// Extends the lease of running batch `id` held by `lease.owner`; false when the batch
    /// finished or is no longer this owner's.
    async fn renew_job_lease(&self, id: Uuid, lease: &JobLease) -> Result<bool, StoreError>;

    /// The positions of batch `id` already finished (written or failed).
    async fn job_item_indexes(&self, id: Uuid) -> Result<Vec<i32>, StoreError>;

    /// A visible batch.
    async fn job(&self, scope: TenantScope, id: Uuid) -> Result<Option<OutreachJob>, StoreError>;

    /// Inserts one finished item of batch `job_id` and counts it (completing the batch with its
    /// last item) in one transaction; the batch after it. An item already recorded at that
    /// position (a batch taken over) is neither written nor counted again.
    async fn record_job_item(
        &self,
        job_id: Uuid,
        item: &SealedOutreach,
    ) -> Result<Option<OutreachJob>, StoreError>;

    /// Inserts a single (unbatched) outreach message.
    async fn insert_outreach(&self, message: &SealedOutreach) -> Result<(), StoreError>;

    /// The visible outreach messages among `ids`.
    async fn outreach_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<SealedOutreach>, StoreError>;

    /// One page of visible outreach messages (batch item order within a batch, else id order).
    async fn list_outreach(
        &self,
        scope: TenantScope,
        filter: &OutreachFilter,
        page: &PageRequest,
    ) -> Result<Page<SealedOutreach>, StoreError>;

    /// Moves a message from `expected` to `next` status (setting its sent or replied time); `None` when it changed.
    async fn update_outreach_status(
        &self,
        scope: TenantScope,
        id: Uuid,
        expected: OutreachStatus,
        next: &SealedOutreach,
    ) -> Result<Option<SealedOutreach>, StoreError>;

    /// Registers a service; CONFLICT when the organization already has one of that name.
    async fn insert_service(&self, service: &ThirdPartyService) -> Result<(), WriteError>;

    /// The visible services, by name.
    async fn services(&self, scope: TenantScope) -> Result<Vec<ThirdPartyService>, StoreError>;

    /// Replaces a visible service's sealed credential and hint; `None` when not visible.
    async fn update_service_credential(
        &self,
        scope: TenantScope,
        id: Uuid,
        credential_enc: Option<String>,
        credential_hint: Option<String>,
    ) -> Result<Option<ThirdPartyService>, StoreError>;
}
