//! The GraphQL surface: thin resolvers that parse, call the domain, and go to the store.

pub mod ai_inputs;
pub mod ai_root;
pub mod campaign;
pub mod enums;
pub mod generated;
pub mod inputs;
pub mod loaders;
pub mod media_asset;
pub mod organization;
pub mod outreach;
pub mod request_log;
pub mod search;
pub mod services;
pub mod templates;

use promptsales_kit::StrEnum;
use std::sync::Arc;

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, MergedObject, Object, Result, Schema, SchemaBuilder};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{ApiError, PageRequest, RequestContext, ResultExt, parse_id};

use self::ai_inputs::{GeneratedContentFilter, PromptTemplateFilter};
use self::campaign::Campaign;
use self::enums::ContentChannel;
use self::enums::{AssetKind, AssetReviewStatus};
use self::generated::GeneratedContent;
use self::inputs::{MediaAssetFilter, RegisterMediaAssetInput, UpdateMediaAssetInput};
use self::media_asset::MediaAsset;
use self::outreach::{OutreachJob, OutreachMessage};
use self::request_log::{AiRequestLogEntry, AiUsage};
use self::search::{AssetSearchHit, ContentSearchHit};
use self::services::ThirdPartyService;
use self::templates::{PromptTemplate, PromptTemplateComparison};
use crate::domain;
use crate::engine::ContentEngine;
use crate::store::{CampaignAssetLink, ContentStore};
use promptsales_kit::references::{self, Reference};

pub use self::ai_root::Subscription;

/// The content subgraph's executable schema.
pub type ContentSchema = Schema<Query, Mutation, Subscription>;

pub use promptsales_kit::limits::MAX_DEPTH;
/// Field count bound of one operation.
pub const MAX_COMPLEXITY: usize = 2000;

/// The schema's builder, without a store (enough for the SDL).
pub fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    promptsales_kit::schema::subgraph_schema(Query, Mutation::default(), Subscription)
        .limit_complexity(MAX_COMPLEXITY)
}

fn store<'a>(ctx: &Context<'a>) -> Result<&'a Arc<dyn ContentStore>> {
    ctx.data::<Arc<dyn ContentStore>>()
}

fn engine<'a>(ctx: &Context<'a>) -> Result<&'a Arc<ContentEngine>> {
    ctx.data::<Arc<ContentEngine>>()
}

fn scope(ctx: &Context<'_>) -> Result<TenantScope> {
    Ok(ctx.data::<RequestContext>()?.scope())
}

/// The visible asset `id`, or NOT_FOUND.
async fn visible_asset(ctx: &Context<'_>, id: uuid::Uuid) -> Result<domain::MediaAsset> {
    let asset = loaders::asset(ctx, id).await?;
    Ok(asset.ok_or_else(|| ApiError::not_found("MediaAsset", id))?)
}

/// Root queries.
#[derive(Debug, Default)]
pub struct Query;

#[Object]
impl Query {
    /// One media asset of the caller's tenant (NOT_FOUND otherwise).
    async fn media_asset(&self, ctx: &Context<'_>, id: ID) -> Result<Option<MediaAsset>> {
        let id = parse_id("id", &id)?;
        Ok(Some(MediaAsset(visible_asset(ctx, id).await?)))
    }

    /// The caller's media assets in registration order, optionally filtered.
    async fn media_assets(
        &self,
        ctx: &Context<'_>,
        filter: Option<MediaAssetFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, MediaAsset, EmptyFields, EmptyFields>> {
        let page = PageRequest::new(first, after)?;
        let filter = filter
            .map(MediaAssetFilter::into_store)
            .transpose()?
            .unwrap_or_default();
        let assets = store(ctx)?
            .list_assets(scope(ctx)?, &filter, &page)
            .await
            .api()?;
        Ok(assets.into_connection(&page, |a| a.id, MediaAsset))
    }

    /// Assets whose description or hashtags contain the words of `text`, best first.
    ///
    /// Hashtag matches weigh more than description matches and assets
    /// matching more words rank higher; ties go to the newer asset. The
    /// ranking considers the newest 500 candidates.
    async fn search_assets(
        &self,
        ctx: &Context<'_>,
        text: String,
        kind: Option<AssetKind>,
        first: Option<i32>,
    ) -> Result<Vec<AssetSearchHit>> {
        let limit = PageRequest::new(first, None)?.first;
        let terms = domain::search::terms("text", &text)?;
        let candidates = store(ctx)?
            .search_candidates(
                scope(ctx)?,
                &terms,
                kind.map(Into::into),
                domain::search::CANDIDATE_LIMIT,
            )
            .await
            .api()?;
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(domain::search::rank(candidates, &terms, limit)
            .into_iter()
            .map(AssetSearchHit::from)
            .collect())
    }

    /// Content for a description: the caller's assets ranked by semantic similarity
    /// (embeddings in a vector index), with their hashtags and scores; cached for 2 h.
    async fn search_content(
        &self,
        ctx: &Context<'_>,
        description: String,
        kind: Option<AssetKind>,
        status: Option<AssetReviewStatus>,
        #[graphql(default)] usable_only: bool,
        first: Option<i32>,
    ) -> Result<Vec<ContentSearchHit>> {
        ai_root::search_content(ctx, description, kind, status, usable_only, first).await
    }

    /// One piece of generated content (NOT_FOUND when not visible).
    async fn generated_content(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<GeneratedContent>> {
        ai_root::generated_content(ctx, id).await
    }

    /// Generated content in generation order, optionally filtered (any review state).
    async fn generated_contents(
        &self,
        ctx: &Context<'_>,
        filter: Option<GeneratedContentFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, GeneratedContent, EmptyFields, EmptyFields>> {
        let filter = ai_root::generated_filter(filter)?;
        ai_root::generated_contents(ctx, filter, first, after).await
    }

    /// The content a campaign may use: APPROVED pieces only, never pending or rejected ones.
    async fn usable_content(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        channel: Option<ContentChannel>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, GeneratedContent, EmptyFields, EmptyFields>> {
        let filter = crate::store::GeneratedFilter {
            campaign_id: Some(parse_id("campaignId", &campaign_id)?),
            review_status: Some(ai_root::USABLE),
            channel: ai_root::channel_of(channel),
        };
        ai_root::generated_contents(ctx, filter, first, after).await
    }

    /// Prompt templates (every version), optionally filtered.
    async fn prompt_templates(
        &self,
        ctx: &Context<'_>,
        filter: Option<PromptTemplateFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, PromptTemplate, EmptyFields, EmptyFields>> {
        ai_root::prompt_templates(ctx, filter, first, after).await
    }

    /// Two template versions side by side with what each produced (generated, approved, sent, replied).
    async fn compare_prompt_templates(
        &self,
        ctx: &Context<'_>,
        a: ID,
        b: ID,
    ) -> Result<PromptTemplateComparison> {
        ai_root::compare_prompt_templates(ctx, a, b).await
    }

    /// An outreach batch and its progress.
    async fn outreach_job(&self, ctx: &Context<'_>, id: ID) -> Result<Option<OutreachJob>> {
        ai_root::outreach_job(ctx, id).await
    }

    /// Outreach history (generated, sent, replied, failed), optionally of one batch or template.
    async fn outreach_messages(
        &self,
        ctx: &Context<'_>,
        job_id: Option<ID>,
        template_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, OutreachMessage, EmptyFields, EmptyFields>> {
        ai_root::outreach_messages(ctx, job_id, template_id, first, after).await
    }

    /// The organization's third-party services (admins); credentials appear only as masked hints.
    async fn third_party_services(&self, ctx: &Context<'_>) -> Result<Vec<ThirdPartyService>> {
        ai_root::third_party_services(ctx).await
    }

    /// Every AI call made for the caller, newest first: service, operation, status, latency, tokens, cache.
    async fn ai_request_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, AiRequestLogEntry, EmptyFields, EmptyFields>> {
        ai_root::ai_request_log(ctx, first, after).await
    }

    /// The caller's AI usage this month against its plan; null when usage cannot be read (no Redis).
    async fn ai_usage(&self, ctx: &Context<'_>) -> Result<Option<AiUsage>> {
        ai_root::ai_usage(ctx).await
    }

    /// Federation: a media asset by key, batched; `null` with `NOT_FOUND` at its `_entities`
    /// index when not visible (the rest of the batch resolves).
    #[graphql(entity)]
    async fn find_media_asset_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<MediaAsset>> {
        let key = parse_id("id", &id)?;
        Ok(match loaders::asset(ctx, key).await? {
            Some(asset) => Some(MediaAsset(asset)),
            None => promptsales_kit::entity_errors::not_found(ctx, "MediaAsset", &id),
        })
    }

    /// Federation: a campaign (owned by sales) by key; no store is touched.
    #[graphql(entity)]
    async fn find_campaign_by_id(&self, id: ID) -> Result<Campaign> {
        Ok(Campaign {
            id: parse_id("id", &id)?,
        })
    }
}

/// Root mutations: the media assets' and the AI side's.
#[derive(Default, MergedObject)]
pub struct Mutation(AssetMutation, ai_root::AiMutation);

/// Mutations of media assets.
#[derive(Debug, Default)]
pub struct AssetMutation;

#[Object]
impl AssetMutation {
    /// Registers a media asset (waiting for review), optionally used by campaigns from the start.
    async fn register_media_asset(
        &self,
        ctx: &Context<'_>,
        input: RegisterMediaAssetInput,
    ) -> Result<MediaAsset> {
        let draft = input.into_draft(scope(ctx)?)?;
        let new = domain::input::validate_new_asset(draft)?;
        references::check_for(
            ctx,
            Reference::each("input.campaignIds", &new.campaign_ids, Reference::campaign),
        )
        .await?;
        // Embedded, stored with its vector, indexed, and cached searches invalidated.
        let asset = engine(ctx)?.register_asset(new).await?;
        tracing::info!(asset = %asset.id, organization = %asset.organization_id, "media asset registered");
        Ok(MediaAsset(asset))
    }

    /// Changes an asset; a change of what the audience sees sends it back to review.
    async fn update_media_asset(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateMediaAssetInput,
    ) -> Result<MediaAsset> {
        let id = parse_id("id", &id)?;
        let patch = input.into_patch();
        let current = visible_asset(ctx, id).await?;
        let Some(next) = domain::input::apply_patch(&current, patch)? else {
            return Ok(MediaAsset(current));
        };
        let updated = engine(ctx)?
            .update_asset(scope(ctx)?, &current, &next)
            .await?
            .ok_or_else(|| changed_meanwhile(id))?;
        Ok(MediaAsset(updated))
    }

    /// Records that a campaign uses an asset (idempotent).
    async fn link_asset_to_campaign(
        &self,
        ctx: &Context<'_>,
        asset_id: ID,
        campaign_id: ID,
    ) -> Result<MediaAsset> {
        let asset_id = parse_id("assetId", &asset_id)?;
        let campaign_id = parse_id("campaignId", &campaign_id)?;
        let asset = visible_asset(ctx, asset_id).await?;
        references::check_for(ctx, vec![Reference::campaign("campaignId", campaign_id)]).await?;
        let created = store(ctx)?
            .link_asset_to_campaign(CampaignAssetLink {
                campaign_id,
                asset_id,
                organization_id: asset.organization_id,
            })
            .await
            .api()?;
        if created {
            tracing::info!(asset = %asset_id, campaign = %campaign_id, "asset linked to campaign");
        }
        Ok(MediaAsset(asset))
    }

    /// Approves or rejects an asset waiting for review.
    async fn review_media_asset(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: AssetReviewStatus,
    ) -> Result<MediaAsset> {
        let id = parse_id("id", &id)?;
        let current = visible_asset(ctx, id).await?;
        let decided = domain::review::review(current.review_status, status.into())?;
        let next = domain::MediaAsset {
            review_status: decided,
            ..current.clone()
        };
        let reviewed = engine(ctx)?
            .update_asset(scope(ctx)?, &current, &next)
            .await?
            .ok_or_else(|| changed_meanwhile(id))?;
        tracing::info!(asset = %id, status = decided.as_str(), "media asset reviewed");
        Ok(MediaAsset(reviewed))
    }
}

fn changed_meanwhile(id: uuid::Uuid) -> ApiError {
    ApiError::Conflict(format!(
        "media asset {id} changed meanwhile; read it again and retry"
    ))
}
