//! The sea-orm adapter of the content store (embedded SQLite by default, PostgreSQL).

mod ai_store;
pub mod asset_embedding;
pub mod asset_version;
pub mod campaign_asset;
pub mod conditions;
mod etl;
pub mod generated_content;
pub mod media_asset;
pub mod outreach_job;
pub mod outreach_message;
pub mod prompt_template;
pub mod request_log;
pub mod third_party_service;

use promptsales_kit::StrEnum;
use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Page, PageRequest, StoreError, new_id};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Alias, Asterisk, Expr, OnConflict, Order, Query, WindowStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult,
    Iterable, QueryFilter, QueryOrder, QuerySelect, TransactionTrait, TryInsertResult,
};
use uuid::Uuid;

use self::conditions::{campaign_filter, has_hashtag, in_scope, links_in_scope, mentions};
use crate::domain::ReviewStatus;
use crate::domain::generation::GeneratedContent;
use crate::domain::outreach::{OutreachJob, OutreachStatus};
use crate::domain::request_log::RequestLogEntry;
use crate::domain::services::ThirdPartyService;
use crate::domain::template::{NewPromptTemplate, PromptTemplate};
use crate::domain::{AssetKind, MediaAsset, NewMediaAsset};
use crate::store::{
    AssetFilter, AssetVector, AssetVersion, CampaignAssetFilter, CampaignAssetLink, ContentStore,
    GeneratedFilter, JobLease, OutreachFilter, Revision, SealedOutreach, StoredEmbedding,
    TemplateFilter, TemplateResults, WriteError,
};

/// Rows per multi-row INSERT: far below SQLite's bound-variable limit.
const INSERT_CHUNK: usize = 100;

/// The content store over a sea-orm connection.
#[derive(Debug, Clone)]
pub struct SeaContentStore {
    db: DatabaseConnection,
}

impl SeaContentStore {
    /// A store over an already migrated connection.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// Now, at the microsecond precision PostgreSQL keeps, so that what we return equals what a read gives.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn link_model(link: CampaignAssetLink, at: DateTime<Utc>) -> campaign_asset::ActiveModel {
    campaign_asset::ActiveModel {
        campaign_id: Set(link.campaign_id),
        asset_id: Set(link.asset_id),
        organization_id: Set(link.organization_id),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

/// Inserts assets and their links on `conn` (a transaction), in chunks.
async fn insert_all<C: ConnectionTrait>(
    conn: &C,
    assets: &[(MediaAsset, Vec<Uuid>)],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    for chunk in assets.chunks(INSERT_CHUNK) {
        let rows = chunk
            .iter()
            .map(|(asset, _)| media_asset::active_model(asset))
            .collect::<Result<Vec<_>, _>>()?;
        media_asset::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
    }
    let links: Vec<campaign_asset::ActiveModel> = assets
        .iter()
        .flat_map(|(asset, campaigns)| {
            campaigns.iter().map(move |campaign_id| {
                link_model(
                    CampaignAssetLink {
                        campaign_id: *campaign_id,
                        asset_id: asset.id,
                        organization_id: asset.organization_id,
                    },
                    at,
                )
            })
        })
        .collect();
    for chunk in links.chunks(INSERT_CHUNK) {
        campaign_asset::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

fn into_domain(rows: Vec<media_asset::Model>) -> Result<Vec<MediaAsset>, StoreError> {
    rows.into_iter()
        .map(media_asset::Model::into_domain)
        .collect()
}

#[async_trait]
impl ContentStore for SeaContentStore {
    async fn content_changes(
        &self,
        generated: bool,
        window: promptsales_kit::changes::ChangeWindow,
    ) -> Result<Vec<promptsales_kit::changes::Change>, StoreError> {
        etl::changes(&self.db, generated, window).await
    }

    async fn campaign_day_content(
        &self,
        keys: &[(Uuid, chrono::NaiveDate)],
    ) -> Result<Vec<crate::store::CampaignDayContent>, StoreError> {
        etl::campaign_day_content(&self.db, keys).await
    }

    async fn insert_asset(&self, asset: NewMediaAsset) -> Result<MediaAsset, StoreError> {
        let mut inserted = self.insert_assets(vec![asset]).await?;
        inserted
            .pop()
            .ok_or_else(|| StoreError::Corrupt("an insert of one asset returned none".into()))
    }

    async fn insert_assets(
        &self,
        assets: Vec<NewMediaAsset>,
    ) -> Result<Vec<MediaAsset>, StoreError> {
        if assets.is_empty() {
            return Ok(Vec::new());
        }
        let at = now();
        let rows: Vec<(MediaAsset, Vec<Uuid>)> = assets
            .into_iter()
            .map(|new| {
                let id = new.id.unwrap_or_else(new_id);
                (media_asset::created(&new, id, at), new.campaign_ids)
            })
            .collect();
        let txn = self.db.begin().await?;
        insert_all(&txn, &rows, at).await?;
        txn.commit().await?;
        tracing::debug!(count = rows.len(), "media assets inserted");
        Ok(rows.into_iter().map(|(asset, _)| asset).collect())
    }

    async fn link_asset_to_campaign(&self, link: CampaignAssetLink) -> Result<bool, StoreError> {
        let asset_id = link.asset_id;
        let inserted = campaign_asset::Entity::insert(link_model(link, now()))
            .on_conflict(
                OnConflict::columns([
                    campaign_asset::Column::CampaignId,
                    campaign_asset::Column::AssetId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .do_nothing()
            .exec_without_returning(&self.db)
            .await?;
        let linked = matches!(inserted, TryInsertResult::Inserted(n) if n > 0);
        if linked {
            // The asset's campaigns are part of it: its `updated_at` moves, so the ETL's
            // read of changed assets sees the new link.
            media_asset::Entity::update_many()
                .col_expr(media_asset::Column::UpdatedAt, Expr::value(now()))
                .filter(media_asset::Column::Id.eq(asset_id))
                .exec(&self.db)
                .await?;
        }
        Ok(linked)
    }

    async fn assets_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<MediaAsset>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = media_asset::Entity::find()
            .filter(media_asset::Column::Id.is_in(ids.iter().copied()))
            .filter(in_scope(media_asset::Column::OrganizationId, scope))
            .all(&self.db)
            .await?;
        into_domain(rows)
    }

    async fn list_assets(
        &self,
        scope: TenantScope,
        filter: &AssetFilter,
        page: &PageRequest,
    ) -> Result<Page<MediaAsset>, StoreError> {
        let mut condition = in_scope(media_asset::Column::OrganizationId, scope);
        if let Some(kind) = filter.kind {
            condition = condition.add(media_asset::Column::Kind.eq(kind.as_str()));
        }
        if let Some(status) = filter.review_status {
            condition = condition.add(media_asset::Column::ReviewStatus.eq(status.as_str()));
        }
        if let Some(category) = &filter.category {
            condition = condition.add(media_asset::Column::Category.eq(category.as_str()));
        }
        if let Some(tag) = &filter.hashtag {
            condition = condition.add(has_hashtag(tag));
        }
        if let Some(campaign_id) = filter.campaign_id {
            let used_by = Query::select()
                .column(campaign_asset::Column::AssetId)
                .from(campaign_asset::Entity)
                .and_where(
                    Expr::col((campaign_asset::Entity, campaign_asset::Column::CampaignId))
                        .eq(campaign_id),
                )
                .cond_where(links_in_scope(scope))
                .to_owned();
            condition = condition.add(media_asset::Column::Id.in_subquery(used_by));
        }
        if let Some(after) = page.after {
            condition = condition.add(media_asset::Column::Id.gt(after));
        }
        let rows = media_asset::Entity::find()
            .filter(condition)
            .order_by_asc(media_asset::Column::Id)
            .limit(page.fetch_limit())
            .all(&self.db)
            .await?;
        Ok(Page::from_rows(into_domain(rows)?, page))
    }

    async fn campaign_assets(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
        filter: &CampaignAssetFilter,
        page: &PageRequest,
    ) -> Result<HashMap<Uuid, Page<MediaAsset>>, StoreError> {
        if campaign_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let link_campaign = Alias::new("link_campaign_id");
        let link_rank = Alias::new("link_rank");
        let mut condition = Condition::all()
            .add(
                Expr::col((campaign_asset::Entity, campaign_asset::Column::CampaignId))
                    .is_in(campaign_ids.iter().copied()),
            )
            .add(links_in_scope(scope))
            .add(campaign_filter(filter));
        if let Some(after) = page.after {
            condition =
                condition.add(Expr::col((media_asset::Entity, media_asset::Column::Id)).gt(after));
        }
        // One page per campaign in one statement: number each campaign's
        // assets in id order and keep the first `fetch_limit` of each.
        let ranked = Query::select()
            .columns(media_asset::Column::iter().map(|c| (media_asset::Entity, c)))
            .expr_as(
                Expr::col((campaign_asset::Entity, campaign_asset::Column::CampaignId)),
                link_campaign.clone(),
            )
            .expr_window_as(
                Expr::cust("ROW_NUMBER()"),
                WindowStatement::partition_by((
                    campaign_asset::Entity,
                    campaign_asset::Column::CampaignId,
                ))
                .order_by((media_asset::Entity, media_asset::Column::Id), Order::Asc)
                .to_owned(),
                link_rank.clone(),
            )
            .from(media_asset::Entity)
            .inner_join(
                campaign_asset::Entity,
                Condition::all()
                    .add(
                        Expr::col((campaign_asset::Entity, campaign_asset::Column::AssetId))
                            .equals((media_asset::Entity, media_asset::Column::Id)),
                    )
                    .add(
                        Expr::col((
                            campaign_asset::Entity,
                            campaign_asset::Column::OrganizationId,
                        ))
                        .equals((media_asset::Entity, media_asset::Column::OrganizationId)),
                    ),
            )
            .cond_where(condition)
            .to_owned();
        let limit = i64::try_from(page.fetch_limit()).unwrap_or(i64::MAX);
        let select = Query::select()
            .column(Asterisk)
            .from_subquery(ranked, Alias::new("ranked"))
            .and_where(Expr::col(link_rank).lte(limit))
            .order_by(link_campaign.clone(), Order::Asc)
            .order_by(media_asset::Column::Id, Order::Asc)
            .to_owned();
        let backend = self.db.get_database_backend();
        let rows = self.db.query_all(backend.build(&select)).await?;
        let mut grouped: HashMap<Uuid, Vec<MediaAsset>> = HashMap::new();
        for row in rows {
            let campaign_id: Uuid = row.try_get("", "link_campaign_id")?;
            let asset = media_asset::Model::from_query_result(&row, "")?.into_domain()?;
            grouped.entry(campaign_id).or_default().push(asset);
        }
        Ok(grouped
            .into_iter()
            .map(|(campaign_id, rows)| (campaign_id, Page::from_rows(rows, page)))
            .collect())
    }

    async fn campaign_asset_counts(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, u64>, StoreError> {
        if campaign_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let select = Query::select()
            .column(campaign_asset::Column::CampaignId)
            .expr_as(
                Expr::col(campaign_asset::Column::AssetId).count(),
                Alias::new("asset_count"),
            )
            .from(campaign_asset::Entity)
            .and_where(
                Expr::col((campaign_asset::Entity, campaign_asset::Column::CampaignId))
                    .is_in(campaign_ids.iter().copied()),
            )
            .cond_where(links_in_scope(scope))
            .group_by_col(campaign_asset::Column::CampaignId)
            .to_owned();
        let backend = self.db.get_database_backend();
        let rows = self.db.query_all(backend.build(&select)).await?;
        let mut counts = HashMap::with_capacity(rows.len());
        for row in rows {
            let campaign_id: Uuid = row.try_get("", "campaign_id")?;
            let count: i64 = row.try_get("", "asset_count")?;
            counts.insert(campaign_id, u64::try_from(count).unwrap_or(0));
        }
        Ok(counts)
    }

    async fn campaigns_of_assets(
        &self,
        scope: TenantScope,
        asset_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<Uuid>>, StoreError> {
        if asset_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let links = campaign_asset::Entity::find()
            .filter(campaign_asset::Column::AssetId.is_in(asset_ids.iter().copied()))
            .filter(in_scope(campaign_asset::Column::OrganizationId, scope))
            .order_by_asc(campaign_asset::Column::AssetId)
            .order_by_asc(campaign_asset::Column::CampaignId)
            .all(&self.db)
            .await?;
        let mut campaigns: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for link in links {
            campaigns
                .entry(link.asset_id)
                .or_default()
                .push(link.campaign_id);
        }
        Ok(campaigns)
    }

    async fn search_candidates(
        &self,
        scope: TenantScope,
        terms: &[String],
        kind: Option<AssetKind>,
        limit: u64,
    ) -> Result<Vec<MediaAsset>, StoreError> {
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let mut condition = in_scope(media_asset::Column::OrganizationId, scope);
        if let Some(kind) = kind {
            condition = condition.add(media_asset::Column::Kind.eq(kind.as_str()));
        }
        let any_term = terms
            .iter()
            .fold(Condition::any(), |any, term| any.add(mentions(term)));
        let rows = media_asset::Entity::find()
            .filter(condition.add(any_term))
            .order_by_desc(media_asset::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        into_domain(rows)
    }

    async fn update_asset(
        &self,
        scope: TenantScope,
        expected: Revision,
        next: &MediaAsset,
    ) -> Result<Option<MediaAsset>, StoreError> {
        let at = now();
        let mut row = media_asset::active_model(next)?;
        // Identity, tenant and birth never change.
        row.id = NotSet;
        row.organization_id = NotSet;
        row.created_at = NotSet;
        row.updated_at = Set(at);
        let txn = self.db.begin().await?;
        if next.version != expected.version {
            // The replaced version goes to the history in the same transaction.
            let current = media_asset::Entity::find_by_id(next.id)
                .filter(in_scope(media_asset::Column::OrganizationId, scope))
                .one(&txn)
                .await?
                .map(media_asset::Model::into_domain)
                .transpose()?;
            match current {
                Some(current) if Revision::of(&current) == expected => {
                    Self::keep_version(&txn, &current).await?;
                }
                _ => return Ok(None),
            }
        }
        let result = media_asset::Entity::update_many()
            .set(row)
            .filter(media_asset::Column::Id.eq(next.id))
            .filter(in_scope(media_asset::Column::OrganizationId, scope))
            .filter(media_asset::Column::Version.eq(expected.version))
            .filter(media_asset::Column::ReviewStatus.eq(expected.review_status.as_str()))
            .exec(&txn)
            .await?;
        if result.rows_affected == 0 {
            return Ok(None);
        }
        txn.commit().await?;
        Ok(Some(MediaAsset {
            updated_at: at,
            ..next.clone()
        }))
    }

    async fn register_asset(
        &self,
        asset: NewMediaAsset,
        embedding: Option<StoredEmbedding>,
    ) -> Result<MediaAsset, StoreError> {
        self.do_register_asset(asset, embedding).await
    }

    async fn set_embeddings(
        &self,
        embeddings: &[(Uuid, StoredEmbedding)],
    ) -> Result<(), StoreError> {
        self.do_set_embeddings(embeddings).await
    }

    async fn asset_vectors(
        &self,
        model: &str,
        dimensions: usize,
    ) -> Result<Vec<AssetVector>, StoreError> {
        self.do_asset_vectors(model, dimensions).await
    }

    async fn assets_without_embedding(
        &self,
        model: &str,
        dimensions: usize,
        limit: u64,
    ) -> Result<Vec<MediaAsset>, StoreError> {
        self.do_assets_without_embedding(model, dimensions, limit)
            .await
    }

    async fn asset_versions(
        &self,
        scope: TenantScope,
        asset_id: Uuid,
    ) -> Result<Vec<AssetVersion>, StoreError> {
        self.do_asset_versions(scope, asset_id).await
    }

    async fn insert_request_log(&self, entry: &RequestLogEntry) -> Result<(), StoreError> {
        self.do_insert_request_log(entry).await
    }

    async fn request_logs(
        &self,
        scope: TenantScope,
        page: &PageRequest,
    ) -> Result<Page<RequestLogEntry>, StoreError> {
        self.do_request_logs(scope, page).await
    }

    async fn insert_template(&self, new: NewPromptTemplate) -> Result<PromptTemplate, WriteError> {
        self.do_insert_template(new).await
    }

    async fn templates_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<PromptTemplate>, StoreError> {
        self.do_templates_by_ids(scope, ids).await
    }

    async fn list_templates(
        &self,
        scope: TenantScope,
        filter: &TemplateFilter,
        page: &PageRequest,
    ) -> Result<Page<PromptTemplate>, StoreError> {
        self.do_list_templates(scope, filter, page).await
    }

    async fn set_template_active(
        &self,
        scope: TenantScope,
        id: Uuid,
        active: bool,
    ) -> Result<Option<PromptTemplate>, StoreError> {
        self.do_set_template_active(scope, id, active).await
    }

    async fn template_results(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, TemplateResults>, StoreError> {
        self.do_template_results(scope, ids).await
    }

    async fn insert_generated(&self, pieces: &[GeneratedContent]) -> Result<(), StoreError> {
        self.do_insert_generated(pieces).await
    }

    async fn generated_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<GeneratedContent>, StoreError> {
        self.do_generated_by_ids(scope, ids).await
    }

    async fn list_generated(
        &self,
        scope: TenantScope,
        filter: &GeneratedFilter,
        page: &PageRequest,
    ) -> Result<Page<GeneratedContent>, StoreError> {
        self.do_list_generated(scope, filter, page).await
    }

    async fn review_generated(
        &self,
        scope: TenantScope,
        expected: ReviewStatus,
        next: &GeneratedContent,
    ) -> Result<Option<GeneratedContent>, StoreError> {
        self.do_review_generated(scope, expected, next).await
    }

    async fn insert_job(
        &self,
        job: &OutreachJob,
        request_enc: &str,
        lease: &JobLease,
    ) -> Result<(), StoreError> {
        self.do_insert_job(job, request_enc, lease).await
    }

    async fn orphaned_jobs(&self, now: DateTime<Utc>, limit: u64) -> Result<Vec<Uuid>, StoreError> {
        self.do_orphaned_jobs(now, limit).await
    }

    async fn claim_job(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        lease: &JobLease,
    ) -> Result<Option<(OutreachJob, String)>, StoreError> {
        self.do_claim_job(id, now, lease).await
    }

    async fn renew_job_lease(&self, id: Uuid, lease: &JobLease) -> Result<bool, StoreError> {
        self.do_renew_job_lease(id, lease).await
    }

    async fn job_item_indexes(&self, id: Uuid) -> Result<Vec<i32>, StoreError> {
        self.do_job_item_indexes(id).await
    }

    async fn job(&self, scope: TenantScope, id: Uuid) -> Result<Option<OutreachJob>, StoreError> {
        self.do_job(scope, id).await
    }

    async fn record_job_item(
        &self,
        job_id: Uuid,
        item: &SealedOutreach,
    ) -> Result<Option<OutreachJob>, StoreError> {
        self.do_record_job_item(job_id, item).await
    }

    async fn insert_outreach(&self, message: &SealedOutreach) -> Result<(), StoreError> {
        self.do_insert_outreach(message).await
    }

    async fn outreach_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<SealedOutreach>, StoreError> {
        self.do_outreach_by_ids(scope, ids).await
    }

    async fn list_outreach(
        &self,
        scope: TenantScope,
        filter: &OutreachFilter,
        page: &PageRequest,
    ) -> Result<Page<SealedOutreach>, StoreError> {
        self.do_list_outreach(scope, filter, page).await
    }

    async fn update_outreach_status(
        &self,
        scope: TenantScope,
        id: Uuid,
        expected: OutreachStatus,
        next: &SealedOutreach,
    ) -> Result<Option<SealedOutreach>, StoreError> {
        self.do_update_outreach_status(scope, id, expected, next)
            .await
    }

    async fn insert_service(&self, service: &ThirdPartyService) -> Result<(), WriteError> {
        self.do_insert_service(service).await
    }

    async fn services(&self, scope: TenantScope) -> Result<Vec<ThirdPartyService>, StoreError> {
        self.do_services(scope).await
    }

    async fn update_service_credential(
        &self,
        scope: TenantScope,
        id: Uuid,
        credential_enc: Option<String>,
        credential_hint: Option<String>,
    ) -> Result<Option<ThirdPartyService>, StoreError> {
        self.do_update_service_credential(scope, id, credential_enc, credential_hint)
            .await
    }
}
