//! The adapter's AI-side methods: embeddings, versions, request log, templates,
//! generated content, outreach and the service registry. The trait impl in
//! `mod.rs` delegates here.

use promptsales_kit::StrEnum;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Page, PageRequest, StoreError, new_id};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Alias, Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, SqlErr, TransactionTrait,
};
use uuid::Uuid;

use super::conditions::in_scope;
use super::{
    SeaContentStore, asset_embedding, asset_version, generated_content, media_asset, now,
    outreach_job, outreach_message, prompt_template, request_log, third_party_service,
};
use crate::domain::generation::GeneratedContent;
use crate::domain::outreach::{JobStatus, OutreachJob, OutreachStatus};
use crate::domain::request_log::RequestLogEntry;
use crate::domain::services::ThirdPartyService;
use crate::domain::template::{NewPromptTemplate, PromptTemplate};
use crate::domain::{MediaAsset, NewMediaAsset, ReviewStatus};
use crate::store::{
    AssetVector, AssetVersion, GeneratedFilter, JobLease, OutreachFilter, SealedOutreach,
    StoredEmbedding, TemplateFilter, TemplateResults, WriteError,
};

fn unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Writes one embedding on `conn`.
async fn write_embedding<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    embedding: &StoredEmbedding,
) -> Result<(), StoreError> {
    asset_embedding::Entity::update_many()
        .col_expr(
            asset_embedding::Column::EmbeddingModel,
            Expr::value(embedding.model.clone()),
        )
        .col_expr(
            asset_embedding::Column::Embedding,
            Expr::value(asset_embedding::encode(&embedding.vector)),
        )
        .col_expr(
            asset_embedding::Column::EmbeddingDimensions,
            Expr::value(i32::try_from(embedding.vector.len()).unwrap_or(i32::MAX)),
        )
        .filter(asset_embedding::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

impl SeaContentStore {
    pub(super) async fn do_register_asset(
        &self,
        asset: NewMediaAsset,
        embedding: Option<StoredEmbedding>,
    ) -> Result<MediaAsset, StoreError> {
        let at = now();
        let id = asset.id.unwrap_or_else(new_id);
        let created = media_asset::created(&asset, id, at);
        let txn = self.db.begin().await?;
        super::insert_all(&txn, &[(created.clone(), asset.campaign_ids)], at).await?;
        if let Some(embedding) = &embedding {
            write_embedding(&txn, id, embedding).await?;
        }
        txn.commit().await?;
        Ok(created)
    }

    pub(super) async fn do_set_embeddings(
        &self,
        embeddings: &[(Uuid, StoredEmbedding)],
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        for (id, embedding) in embeddings {
            write_embedding(&txn, *id, embedding).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    pub(super) async fn do_asset_vectors(
        &self,
        model: &str,
        dimensions: usize,
    ) -> Result<Vec<AssetVector>, StoreError> {
        let dimensions = i32::try_from(dimensions).unwrap_or(i32::MAX);
        let rows = asset_embedding::Entity::find()
            .filter(asset_embedding::Column::EmbeddingModel.eq(model))
            .filter(asset_embedding::Column::EmbeddingDimensions.eq(dimensions))
            .filter(asset_embedding::Column::Embedding.is_not_null())
            .order_by_asc(asset_embedding::Column::Id)
            .all(&self.db)
            .await?;
        rows.into_iter()
            .filter_map(|row| {
                let text = row.embedding?;
                Some(
                    asset_embedding::decode(row.id, &text).map(|vector| AssetVector {
                        id: row.id,
                        organization_id: row.organization_id,
                        vector,
                    }),
                )
            })
            .collect()
    }

    pub(super) async fn do_assets_without_embedding(
        &self,
        model: &str,
        dimensions: usize,
        limit: u64,
    ) -> Result<Vec<MediaAsset>, StoreError> {
        let dimensions = i32::try_from(dimensions).unwrap_or(i32::MAX);
        let missing = Query::select()
            .column(asset_embedding::Column::Id)
            .from(asset_embedding::Entity)
            .cond_where(
                Condition::any()
                    .add(asset_embedding::Column::EmbeddingModel.is_null())
                    .add(asset_embedding::Column::EmbeddingModel.ne(model))
                    .add(asset_embedding::Column::Embedding.is_null())
                    .add(asset_embedding::Column::EmbeddingDimensions.is_null())
                    .add(asset_embedding::Column::EmbeddingDimensions.ne(dimensions)),
            )
            .to_owned();
        let rows = media_asset::Entity::find()
            .filter(media_asset::Column::Id.in_subquery(missing))
            .order_by_asc(media_asset::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(media_asset::Model::into_domain)
            .collect()
    }

    /// Inserts the snapshot of `current` into the history on `conn`.
    pub(super) async fn keep_version<C: ConnectionTrait>(
        conn: &C,
        current: &MediaAsset,
    ) -> Result<(), StoreError> {
        let at = now();
        asset_version::Entity::insert(asset_version::ActiveModel {
            asset_id: Set(current.id),
            version: Set(current.version),
            organization_id: Set(current.organization_id),
            snapshot: Set(asset_version::snapshot(current)?),
            created_at: Set(at),
            updated_at: Set(at),
        })
        .exec_without_returning(conn)
        .await?;
        Ok(())
    }

    pub(super) async fn do_asset_versions(
        &self,
        scope: TenantScope,
        asset_id: Uuid,
    ) -> Result<Vec<AssetVersion>, StoreError> {
        let rows = asset_version::Entity::find()
            .filter(asset_version::Column::AssetId.eq(asset_id))
            .filter(in_scope(asset_version::Column::OrganizationId, scope))
            .order_by_desc(asset_version::Column::Version)
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|row| {
                let replaced_at = row.created_at;
                Ok(AssetVersion {
                    asset: row.into_domain()?,
                    replaced_at,
                })
            })
            .collect()
    }

    pub(super) async fn do_insert_request_log(
        &self,
        entry: &RequestLogEntry,
    ) -> Result<(), StoreError> {
        request_log::Entity::insert(request_log::active_model(entry))
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    pub(super) async fn do_request_logs(
        &self,
        scope: TenantScope,
        page: &PageRequest,
    ) -> Result<Page<RequestLogEntry>, StoreError> {
        let mut select = request_log::Entity::find();
        if let Some(org) = scope.organization() {
            select = select.filter(request_log::Column::OrganizationId.eq(org));
        }
        if let Some(after) = page.after {
            select = select.filter(request_log::Column::Id.lt(after));
        }
        let rows = select
            .order_by_desc(request_log::Column::Id)
            .limit(page.fetch_limit())
            .all(&self.db)
            .await?;
        Ok(Page::from_rows(
            rows.into_iter().map(Into::into).collect(),
            page,
        ))
    }

    pub(super) async fn do_insert_template(
        &self,
        new: NewPromptTemplate,
    ) -> Result<PromptTemplate, WriteError> {
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        let latest = prompt_template::Entity::find()
            .filter(prompt_template::Column::OrganizationId.eq(new.organization_id))
            .filter(prompt_template::Column::Name.eq(new.name.as_str()))
            .order_by_desc(prompt_template::Column::Version)
            .one(&txn)
            .await
            .map_err(StoreError::from)?;
        if let Some(latest) = &latest
            && latest.purpose != new.purpose.as_str()
        {
            return Err(WriteError::Conflict(format!(
                "template {:?} is a {} template; its versions keep that purpose",
                new.name, latest.purpose
            )));
        }
        let version = latest.map_or(1, |l| l.version.saturating_add(1));
        let at = now();
        let template = PromptTemplate {
            id: new_id(),
            organization_id: new.organization_id,
            name: new.name,
            purpose: new.purpose,
            use_case: new.use_case,
            channel: new.channel,
            version,
            body: new.body,
            placeholders: new.placeholders,
            active: true,
            created_at: at,
            updated_at: at,
        };
        let inserted = prompt_template::Entity::insert(prompt_template::active_model(&template)?)
            .exec_without_returning(&txn)
            .await;
        match inserted {
            Err(e) if unique_violation(&e) => {
                return Err(WriteError::Conflict(format!(
                    "version {version} of template {:?} was saved meanwhile; save again",
                    template.name
                )));
            }
            other => {
                other.map_err(StoreError::from)?;
            }
        }
        txn.commit().await.map_err(StoreError::from)?;
        Ok(template)
    }

    pub(super) async fn do_templates_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<PromptTemplate>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        prompt_template::Entity::find()
            .filter(prompt_template::Column::Id.is_in(ids.iter().copied()))
            .filter(in_scope(prompt_template::Column::OrganizationId, scope))
            .all(&self.db)
            .await?
            .into_iter()
            .map(prompt_template::Model::into_domain)
            .collect()
    }

    pub(super) async fn do_list_templates(
        &self,
        scope: TenantScope,
        filter: &TemplateFilter,
        page: &PageRequest,
    ) -> Result<Page<PromptTemplate>, StoreError> {
        let mut condition = in_scope(prompt_template::Column::OrganizationId, scope);
        if let Some(name) = &filter.name {
            condition = condition.add(prompt_template::Column::Name.eq(name.as_str()));
        }
        if let Some(purpose) = filter.purpose {
            condition = condition.add(prompt_template::Column::Purpose.eq(purpose.as_str()));
        }
        if let Some(use_case) = &filter.use_case {
            condition = condition.add(prompt_template::Column::UseCase.eq(use_case.as_str()));
        }
        if let Some(channel) = filter.channel {
            condition = condition.add(prompt_template::Column::Channel.eq(channel.as_str()));
        }
        if filter.active_only {
            condition = condition.add(prompt_template::Column::Active.eq(true));
        }
        if let Some(after) = page.after {
            condition = condition.add(prompt_template::Column::Id.gt(after));
        }
        let rows = prompt_template::Entity::find()
            .filter(condition)
            .order_by_asc(prompt_template::Column::Id)
            .limit(page.fetch_limit())
            .all(&self.db)
            .await?;
        let items = rows
            .into_iter()
            .map(prompt_template::Model::into_domain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(items, page))
    }

    pub(super) async fn do_set_template_active(
        &self,
        scope: TenantScope,
        id: Uuid,
        active: bool,
    ) -> Result<Option<PromptTemplate>, StoreError> {
        prompt_template::Entity::update_many()
            .col_expr(prompt_template::Column::Active, Expr::value(active))
            .col_expr(prompt_template::Column::UpdatedAt, Expr::value(now()))
            .filter(prompt_template::Column::Id.eq(id))
            .filter(in_scope(prompt_template::Column::OrganizationId, scope))
            .exec(&self.db)
            .await?;
        Ok(self.do_templates_by_ids(scope, &[id]).await?.pop())
    }

    pub(super) async fn do_template_results(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, TemplateResults>, StoreError> {
        let mut results: HashMap<Uuid, TemplateResults> = HashMap::new();
        if ids.is_empty() {
            return Ok(results);
        }
        let backend = self.db.get_database_backend();
        let count = Alias::new("n");
        let mut generated = Query::select();
        generated
            .column(generated_content::Column::TemplateId)
            .column(generated_content::Column::ReviewStatus)
            .expr_as(
                Expr::col(generated_content::Column::Id).count(),
                count.clone(),
            )
            .from(generated_content::Entity)
            .and_where(Expr::col(generated_content::Column::TemplateId).is_in(ids.iter().copied()))
            .cond_where(in_scope(generated_content::Column::OrganizationId, scope))
            .group_by_col(generated_content::Column::TemplateId)
            .group_by_col(generated_content::Column::ReviewStatus);
        for row in self.db.query_all(backend.build(&generated)).await? {
            let id: Uuid = row.try_get("", "template_id")?;
            let status: String = row.try_get("", "review_status")?;
            let n = u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0);
            let entry = results.entry(id).or_default();
            entry.generated += n;
            if status == ReviewStatus::Approved.as_str() {
                entry.approved += n;
            }
        }
        let mut outreach = Query::select();
        outreach
            .column(outreach_message::Column::TemplateId)
            .column(outreach_message::Column::Status)
            .expr_as(Expr::col(outreach_message::Column::Id).count(), count)
            .from(outreach_message::Entity)
            .and_where(Expr::col(outreach_message::Column::TemplateId).is_in(ids.iter().copied()))
            .cond_where(in_scope(outreach_message::Column::OrganizationId, scope))
            .group_by_col(outreach_message::Column::TemplateId)
            .group_by_col(outreach_message::Column::Status);
        for row in self.db.query_all(backend.build(&outreach)).await? {
            let id: Uuid = row.try_get("", "template_id")?;
            let status = OutreachStatus::parse(&row.try_get::<String>("", "status")?);
            let n = u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0);
            let entry = results.entry(id).or_default();
            match status {
                Some(OutreachStatus::Generated) => entry.generated += n,
                Some(OutreachStatus::Sent) => {
                    entry.generated += n;
                    entry.sent += n;
                }
                Some(OutreachStatus::Replied) => {
                    entry.generated += n;
                    entry.sent += n;
                    entry.replied += n;
                }
                Some(OutreachStatus::Failed) | None => {}
            }
        }
        Ok(results)
    }

    pub(super) async fn do_insert_generated(
        &self,
        pieces: &[GeneratedContent],
    ) -> Result<(), StoreError> {
        if pieces.is_empty() {
            return Ok(());
        }
        let rows = pieces
            .iter()
            .map(generated_content::active_model)
            .collect::<Result<Vec<_>, _>>()?;
        let txn = self.db.begin().await?;
        for chunk in rows.chunks(50) {
            generated_content::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    pub(super) async fn do_generated_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<GeneratedContent>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        generated_content::Entity::find()
            .filter(generated_content::Column::Id.is_in(ids.iter().copied()))
            .filter(in_scope(generated_content::Column::OrganizationId, scope))
            .all(&self.db)
            .await?
            .into_iter()
            .map(generated_content::Model::into_domain)
            .collect()
    }

    pub(super) async fn do_list_generated(
        &self,
        scope: TenantScope,
        filter: &GeneratedFilter,
        page: &PageRequest,
    ) -> Result<Page<GeneratedContent>, StoreError> {
        let mut condition = in_scope(generated_content::Column::OrganizationId, scope);
        if let Some(campaign) = filter.campaign_id {
            condition = condition.add(generated_content::Column::CampaignId.eq(campaign));
        }
        if let Some(status) = filter.review_status {
            condition = condition.add(generated_content::Column::ReviewStatus.eq(status.as_str()));
        }
        if let Some(channel) = filter.channel {
            condition = condition.add(generated_content::Column::Channel.eq(channel.as_str()));
        }
        if let Some(after) = page.after {
            condition = condition.add(generated_content::Column::Id.gt(after));
        }
        let rows = generated_content::Entity::find()
            .filter(condition)
            .order_by_asc(generated_content::Column::Id)
            .limit(page.fetch_limit())
            .all(&self.db)
            .await?;
        let items = rows
            .into_iter()
            .map(generated_content::Model::into_domain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(items, page))
    }

    pub(super) async fn do_review_generated(
        &self,
        scope: TenantScope,
        expected: ReviewStatus,
        next: &GeneratedContent,
    ) -> Result<Option<GeneratedContent>, StoreError> {
        let at = now();
        let result = generated_content::Entity::update_many()
            .col_expr(
                generated_content::Column::ReviewStatus,
                Expr::value(next.review_status.as_str()),
            )
            .col_expr(
                generated_content::Column::ChosenVariant,
                Expr::value(next.chosen_variant),
            )
            .col_expr(
                generated_content::Column::ReviewerId,
                Expr::value(next.reviewer_id),
            )
            .col_expr(
                generated_content::Column::ReviewedAt,
                Expr::value(next.reviewed_at),
            )
            .col_expr(generated_content::Column::UpdatedAt, Expr::value(at))
            .filter(generated_content::Column::Id.eq(next.id))
            .filter(in_scope(generated_content::Column::OrganizationId, scope))
            .filter(generated_content::Column::ReviewStatus.eq(expected.as_str()))
            .exec(&self.db)
            .await?;
        if result.rows_affected == 0 {
            return Ok(None);
        }
        Ok(Some(GeneratedContent {
            updated_at: at,
            ..next.clone()
        }))
    }

    pub(super) async fn do_insert_job(
        &self,
        job: &OutreachJob,
        request_enc: &str,
        lease: &JobLease,
    ) -> Result<(), StoreError> {
        outreach_job::Entity::insert(outreach_job::active_model(job, request_enc, lease))
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// Running, resumable, and nobody's lease holds it.
    fn orphaned(now: DateTime<Utc>) -> Condition {
        Condition::all()
            .add(outreach_job::Column::Status.eq(JobStatus::Running.as_str()))
            .add(outreach_job::Column::RequestEnc.is_not_null())
            .add(
                Condition::any()
                    .add(outreach_job::Column::LeaseUntil.is_null())
                    .add(outreach_job::Column::LeaseUntil.lt(now)),
            )
    }

    pub(super) async fn do_orphaned_jobs(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Uuid>, StoreError> {
        Ok(outreach_job::Entity::find()
            .select_only()
            .column(outreach_job::Column::Id)
            .filter(Self::orphaned(now))
            .order_by_asc(outreach_job::Column::CreatedAt)
            .limit(limit)
            .into_tuple::<Uuid>()
            .all(&self.db)
            .await?)
    }

    pub(super) async fn do_claim_job(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        lease: &JobLease,
    ) -> Result<Option<(OutreachJob, String)>, StoreError> {
        // One conditional UPDATE: PostgreSQL re-checks the lease on the row it locked, so of
        // two instances claiming at once the second finds the first's fresh lease and gets nothing.
        let claimed = outreach_job::Entity::update_many()
            .col_expr(outreach_job::Column::LeaseOwner, Expr::value(lease.owner))
            .col_expr(outreach_job::Column::LeaseUntil, Expr::value(lease.until))
            .filter(outreach_job::Column::Id.eq(id))
            .filter(Self::orphaned(now))
            .exec(&self.db)
            .await?;
        if claimed.rows_affected == 0 {
            return Ok(None);
        }
        let Some(row) = outreach_job::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        let Some(request) = row.request_enc.clone() else {
            return Ok(None);
        };
        Ok(Some((row.into_domain()?, request)))
    }

    pub(super) async fn do_renew_job_lease(
        &self,
        id: Uuid,
        lease: &JobLease,
    ) -> Result<bool, StoreError> {
        let renewed = outreach_job::Entity::update_many()
            .col_expr(outreach_job::Column::LeaseUntil, Expr::value(lease.until))
            .filter(outreach_job::Column::Id.eq(id))
            .filter(outreach_job::Column::LeaseOwner.eq(lease.owner))
            .filter(outreach_job::Column::Status.eq(JobStatus::Running.as_str()))
            .exec(&self.db)
            .await?;
        Ok(renewed.rows_affected > 0)
    }

    pub(super) async fn do_job_item_indexes(&self, id: Uuid) -> Result<Vec<i32>, StoreError> {
        Ok(outreach_message::Entity::find()
            .select_only()
            .column(outreach_message::Column::ItemIndex)
            .filter(outreach_message::Column::JobId.eq(id))
            .into_tuple::<i32>()
            .all(&self.db)
            .await?)
    }

    pub(super) async fn do_job(
        &self,
        scope: TenantScope,
        id: Uuid,
    ) -> Result<Option<OutreachJob>, StoreError> {
        outreach_job::Entity::find()
            .filter(outreach_job::Column::Id.eq(id))
            .filter(in_scope(outreach_job::Column::OrganizationId, scope))
            .one(&self.db)
            .await?
            .map(outreach_job::Model::into_domain)
            .transpose()
    }

    pub(super) async fn do_record_job_item(
        &self,
        job_id: Uuid,
        item: &SealedOutreach,
    ) -> Result<Option<OutreachJob>, StoreError> {
        let at = now();
        let txn = self.db.begin().await?;
        let inserted = outreach_message::Entity::insert(outreach_message::active_model(item))
            .on_conflict(
                OnConflict::columns([
                    outreach_message::Column::JobId,
                    outreach_message::Column::ItemIndex,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        if inserted == 0 {
            // Another run of the batch (a take-over) recorded this position first.
            let job = outreach_job::Entity::find_by_id(job_id).one(&txn).await?;
            txn.rollback().await?;
            return job.map(outreach_job::Model::into_domain).transpose();
        }
        // Counted in SQL, so concurrent items never lose one another's increments.
        let column = if item.status == OutreachStatus::Failed {
            outreach_job::Column::Failed
        } else {
            outreach_job::Column::Succeeded
        };
        outreach_job::Entity::update_many()
            .col_expr(column, Expr::col(column).add(1))
            .col_expr(outreach_job::Column::UpdatedAt, Expr::value(at))
            .filter(outreach_job::Column::Id.eq(job_id))
            .exec(&txn)
            .await?;
        outreach_job::Entity::update_many()
            .col_expr(
                outreach_job::Column::Status,
                Expr::value(JobStatus::Completed.as_str()),
            )
            .col_expr(outreach_job::Column::FinishedAt, Expr::value(Some(at)))
            // Nothing is left to resume: the prospects stay only in their (sealed) messages.
            .col_expr(
                outreach_job::Column::RequestEnc,
                Expr::value(Option::<String>::None),
            )
            .filter(outreach_job::Column::Id.eq(job_id))
            .filter(outreach_job::Column::Status.eq(JobStatus::Running.as_str()))
            .filter(
                Expr::expr(
                    Expr::col(outreach_job::Column::Succeeded)
                        .add(Expr::col(outreach_job::Column::Failed)),
                )
                .gte(Expr::col(outreach_job::Column::Total)),
            )
            .exec(&txn)
            .await?;
        let job = outreach_job::Entity::find_by_id(job_id).one(&txn).await?;
        txn.commit().await?;
        job.map(outreach_job::Model::into_domain).transpose()
    }

    pub(super) async fn do_insert_outreach(
        &self,
        message: &SealedOutreach,
    ) -> Result<(), StoreError> {
        outreach_message::Entity::insert(outreach_message::active_model(message))
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    pub(super) async fn do_outreach_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<SealedOutreach>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        outreach_message::Entity::find()
            .filter(outreach_message::Column::Id.is_in(ids.iter().copied()))
            .filter(in_scope(outreach_message::Column::OrganizationId, scope))
            .all(&self.db)
            .await?
            .into_iter()
            .map(outreach_message::Model::into_store)
            .collect()
    }

    pub(super) async fn do_list_outreach(
        &self,
        scope: TenantScope,
        filter: &OutreachFilter,
        page: &PageRequest,
    ) -> Result<Page<SealedOutreach>, StoreError> {
        let mut condition = in_scope(outreach_message::Column::OrganizationId, scope);
        if let Some(job) = filter.job_id {
            condition = condition.add(outreach_message::Column::JobId.eq(job));
        }
        if let Some(template) = filter.template_id {
            condition = condition.add(outreach_message::Column::TemplateId.eq(template));
        }
        if let Some(after) = page.after {
            condition = condition.add(outreach_message::Column::Id.gt(after));
        }
        let rows = outreach_message::Entity::find()
            .filter(condition)
            .order_by_asc(outreach_message::Column::Id)
            .limit(page.fetch_limit())
            .all(&self.db)
            .await?;
        let items = rows
            .into_iter()
            .map(outreach_message::Model::into_store)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(items, page))
    }

    pub(super) async fn do_update_outreach_status(
        &self,
        scope: TenantScope,
        id: Uuid,
        expected: OutreachStatus,
        next: &SealedOutreach,
    ) -> Result<Option<SealedOutreach>, StoreError> {
        let at = now();
        let result = outreach_message::Entity::update_many()
            .col_expr(
                outreach_message::Column::Status,
                Expr::value(next.status.as_str()),
            )
            .col_expr(outreach_message::Column::SentAt, Expr::value(next.sent_at))
            .col_expr(
                outreach_message::Column::RepliedAt,
                Expr::value(next.replied_at),
            )
            .col_expr(outreach_message::Column::UpdatedAt, Expr::value(at))
            .filter(outreach_message::Column::Id.eq(id))
            .filter(in_scope(outreach_message::Column::OrganizationId, scope))
            .filter(outreach_message::Column::Status.eq(expected.as_str()))
            .exec(&self.db)
            .await?;
        if result.rows_affected == 0 {
            return Ok(None);
        }
        Ok(Some(SealedOutreach {
            updated_at: at,
            ..next.clone()
        }))
    }

    pub(super) async fn do_insert_service(
        &self,
        service: &ThirdPartyService,
    ) -> Result<(), WriteError> {
        match third_party_service::Entity::insert(third_party_service::active_model(service))
            .exec_without_returning(&self.db)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if unique_violation(&e) => Err(WriteError::Conflict(format!(
                "a service named {:?} is already registered",
                service.name
            ))),
            Err(e) => Err(WriteError::Store(e.into())),
        }
    }

    pub(super) async fn do_services(
        &self,
        scope: TenantScope,
    ) -> Result<Vec<ThirdPartyService>, StoreError> {
        third_party_service::Entity::find()
            .filter(in_scope(third_party_service::Column::OrganizationId, scope))
            .order_by_asc(third_party_service::Column::Name)
            .order_by_asc(third_party_service::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(third_party_service::Model::into_domain)
            .collect()
    }

    pub(super) async fn do_update_service_credential(
        &self,
        scope: TenantScope,
        id: Uuid,
        credential_enc: Option<String>,
        credential_hint: Option<String>,
    ) -> Result<Option<ThirdPartyService>, StoreError> {
        let result = third_party_service::Entity::update_many()
            .col_expr(
                third_party_service::Column::CredentialEnc,
                Expr::value(credential_enc),
            )
            .col_expr(
                third_party_service::Column::CredentialHint,
                Expr::value(credential_hint),
            )
            .col_expr(third_party_service::Column::UpdatedAt, Expr::value(now()))
            .filter(third_party_service::Column::Id.eq(id))
            .filter(in_scope(third_party_service::Column::OrganizationId, scope))
            .exec(&self.db)
            .await?;
        if result.rows_affected == 0 {
            return Ok(None);
        }
        third_party_service::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(third_party_service::Model::into_domain)
            .transpose()
    }
}
