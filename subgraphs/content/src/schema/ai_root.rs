//! Root fields of the AI side: semantic search, generation and review, templates,
//! outreach (with its progress subscription), the service registry, the request log.
//! Thin: they parse, call the domain and the engine, and shape the answer.

use promptsales_kit::StrEnum;
use std::sync::Arc;

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, Object, Result, Subscription as SubscriptionObject};
use futures::Stream;
use promptsales_kit::context::TenantScope;
use promptsales_kit::ids::parse_ids;
use promptsales_kit::{
    ApiError, PageRequest, RequestContext, ResultExt, Role, Subsystem, parse_id,
};
use uuid::Uuid;

use super::ai_inputs::{
    GenerateCampaignContentInput, GenerateOutreachMessageInput, GeneratedContentFilter,
    PromptTemplateFilter, RegisterThirdPartyServiceInput, SavePromptTemplateInput,
    StartOutreachBatchInput,
};
use super::enums::{AssetKind, AssetReviewStatus, ContentChannel};
use super::generated::GeneratedContent;
use super::outreach::{OutreachJob, OutreachMessage};
use super::request_log::{AiRequestLogEntry, AiUsage};
use super::search::ContentSearchHit;
use super::services::ThirdPartyService;
use super::templates::{PromptTemplate, PromptTemplateComparison, PromptTemplateResults};
use crate::domain::generation::{self, AudienceBrief};
use crate::domain::outreach::{self as outreach_rules, OutreachStatus, Pitch};
use crate::domain::template::{self as template_rules, TemplatePurpose};
use crate::domain::{ReviewStatus, services as service_rules};
use crate::engine::ContentEngine;
use crate::engine::generation::templates_by_channel;
use crate::engine::outreach::{BatchRequest, open};
use crate::engine::search::SearchRequest;
use crate::store::{GeneratedFilter, OutreachFilter, TemplateFilter};
use promptsales_kit::references::{self, Reference};

fn engine<'a>(ctx: &Context<'a>) -> Result<&'a Arc<ContentEngine>> {
    ctx.data::<Arc<ContentEngine>>()
}

fn caller<'a>(ctx: &Context<'a>) -> Result<&'a RequestContext> {
    ctx.data::<RequestContext>()
}

fn scope(ctx: &Context<'_>) -> Result<TenantScope> {
    Ok(caller(ctx)?.scope())
}

/// The organization a write goes to (the caller's own, or the one an operator names).
fn write_org(ctx: &Context<'_>, given: Option<&ID>) -> Result<Uuid> {
    let given = given
        .map(|id| parse_id("input.organizationId", id))
        .transpose()?;
    Ok(scope(ctx)?.organization_for_write(given, "input.organizationId")?)
}

/// The visible templates named by `ids`, in order; an unknown one is NOT_FOUND.
async fn templates(
    ctx: &Context<'_>,
    ids: &[ID],
    field: &str,
    organization: Uuid,
) -> Result<Vec<crate::domain::template::PromptTemplate>> {
    let ids = parse_ids(field, ids)?;
    let found = engine(ctx)?
        .store
        .templates_by_ids(TenantScope::Organization(organization), &ids)
        .await
        .api()?;
    ids.iter()
        .map(|id| {
            found
                .iter()
                .find(|t| t.id == *id)
                .cloned()
                .ok_or_else(|| ApiError::not_found("PromptTemplate", id).into())
        })
        .collect()
}

fn changed_meanwhile(entity: &str, id: Uuid) -> ApiError {
    ApiError::Conflict(format!(
        "{entity} {id} changed meanwhile; read it again and retry"
    ))
}

/// Semantic search over the caller's assets.
pub async fn search_content(
    ctx: &Context<'_>,
    description: String,
    kind: Option<AssetKind>,
    status: Option<AssetReviewStatus>,
    usable_only: bool,
    first: Option<i32>,
) -> Result<Vec<ContentSearchHit>> {
    let limit = PageRequest::new(first, None)?.first;
    let request = SearchRequest {
        text: crate::domain::semantic::query("description", &description)?,
        kind: kind.map(Into::into),
        review_status: status.map(Into::into),
        usable_only,
        limit: usize::try_from(limit).unwrap_or(usize::MAX),
    };
    let hits = engine(ctx)?.search(scope(ctx)?, &request).await?;
    Ok(hits.into_iter().map(ContentSearchHit::from).collect())
}

/// One generated piece.
pub async fn generated_content(ctx: &Context<'_>, id: ID) -> Result<Option<GeneratedContent>> {
    let id = parse_id("id", &id)?;
    let found = engine(ctx)?
        .store
        .generated_by_ids(scope(ctx)?, &[id])
        .await
        .api()?;
    Ok(Some(GeneratedContent(
        found
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::not_found("GeneratedContent", id))?,
    )))
}

/// Generated pieces, filtered; `approved_only` is the usable-content view.
pub async fn generated_contents(
    ctx: &Context<'_>,
    filter: GeneratedFilter,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Connection<String, GeneratedContent, EmptyFields, EmptyFields>> {
    let page = PageRequest::new(first, after)?;
    let found = engine(ctx)?
        .store
        .list_generated(scope(ctx)?, &filter, &page)
        .await
        .api()?;
    Ok(found.into_connection(&page, |g| g.id, GeneratedContent))
}

/// The store filter of `GeneratedContentFilter`.
pub fn generated_filter(filter: Option<GeneratedContentFilter>) -> Result<GeneratedFilter> {
    let filter = filter.unwrap_or_default();
    Ok(GeneratedFilter {
        campaign_id: filter
            .campaign_id
            .map(|id| parse_id("filter.campaignId", &id))
            .transpose()?,
        review_status: filter.status.map(Into::into),
        channel: filter.channel.map(Into::into),
    })
}

/// Templates, filtered.
pub async fn prompt_templates(
    ctx: &Context<'_>,
    filter: Option<PromptTemplateFilter>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Connection<String, PromptTemplate, EmptyFields, EmptyFields>> {
    let page = PageRequest::new(first, after)?;
    let filter = filter.unwrap_or_default();
    let filter = TemplateFilter {
        name: filter.name.map(|n| n.trim().to_string()),
        purpose: filter.purpose.map(Into::into),
        use_case: filter.use_case.map(|u| u.trim().to_string()),
        channel: filter.channel.map(Into::into),
        active_only: filter.active_only,
    };
    let found = engine(ctx)?
        .store
        .list_templates(scope(ctx)?, &filter, &page)
        .await
        .api()?;
    Ok(found.into_connection(&page, |t| t.id, PromptTemplate))
}

/// Two template versions and their results side by side.
pub async fn compare_prompt_templates(
    ctx: &Context<'_>,
    a: ID,
    b: ID,
) -> Result<PromptTemplateComparison> {
    let (a, b) = (parse_id("a", &a)?, parse_id("b", &b)?);
    let store = &engine(ctx)?.store;
    let found = store.templates_by_ids(scope(ctx)?, &[a, b]).await.api()?;
    let pick = |id: Uuid| {
        found
            .iter()
            .find(|t| t.id == id)
            .cloned()
            .ok_or_else(|| ApiError::not_found("PromptTemplate", id))
    };
    let (ta, tb) = (pick(a)?, pick(b)?);
    let results = store.template_results(scope(ctx)?, &[a, b]).await.api()?;
    let ra: PromptTemplateResults = results.get(&a).copied().unwrap_or_default().into();
    let rb: PromptTemplateResults = results.get(&b).copied().unwrap_or_default().into();
    let key = |r: &PromptTemplateResults| (r.reply_rate, r.approval_rate);
    let leader = match key(&ra).partial_cmp(&key(&rb)) {
        Some(std::cmp::Ordering::Greater) => Some(ID(a.to_string())),
        Some(std::cmp::Ordering::Less) => Some(ID(b.to_string())),
        _ => None,
    };
    Ok(PromptTemplateComparison {
        a: PromptTemplate(ta),
        b: PromptTemplate(tb),
        a_results: ra,
        b_results: rb,
        leader_id: leader,
    })
}

/// A batch's progress.
pub async fn outreach_job(ctx: &Context<'_>, id: ID) -> Result<Option<OutreachJob>> {
    let id = parse_id("id", &id)?;
    let job = engine(ctx)?.store.job(scope(ctx)?, id).await.api()?;
    Ok(Some(OutreachJob(
        job.ok_or_else(|| ApiError::not_found("OutreachJob", id))?,
    )))
}

/// Outreach history, opened for the caller.
pub async fn outreach_messages(
    ctx: &Context<'_>,
    job_id: Option<ID>,
    template_id: Option<ID>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Connection<String, OutreachMessage, EmptyFields, EmptyFields>> {
    let page = PageRequest::new(first, after)?;
    let filter = OutreachFilter {
        job_id: job_id.map(|id| parse_id("jobId", &id)).transpose()?,
        template_id: template_id
            .map(|id| parse_id("templateId", &id))
            .transpose()?,
    };
    let engine = engine(ctx)?;
    let found = engine
        .store
        .list_outreach(scope(ctx)?, &filter, &page)
        .await
        .api()?;
    let cipher = engine.cipher.get().map_err(|_| {
        ApiError::Internal(Arc::new(promptsales_kit::StoreError::Corrupt(
            "the content data key is unavailable".into(),
        )))
    })?;
    let mut opened = Vec::with_capacity(found.items.len());
    for row in found.items {
        opened.push(open(&cipher, row)?);
    }
    let page_of = promptsales_kit::Page {
        items: opened,
        has_next: found.has_next,
    };
    Ok(page_of.into_connection(&page, |m| m.id, OutreachMessage))
}

/// The registry (admins only: it lists what the organization is connected to).
pub async fn third_party_services(ctx: &Context<'_>) -> Result<Vec<ThirdPartyService>> {
    caller(ctx)?.require(Subsystem::Content, Role::Admin)?;
    let services = engine(ctx)?.store.services(scope(ctx)?).await.api()?;
    Ok(services.into_iter().map(ThirdPartyService).collect())
}

/// The request log, newest first.
pub async fn ai_request_log(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Connection<String, AiRequestLogEntry, EmptyFields, EmptyFields>> {
    let page = PageRequest::new(first, after)?;
    let found = engine(ctx)?
        .store
        .request_logs(scope(ctx)?, &page)
        .await
        .api()?;
    Ok(found.into_connection(&page, |e| e.id, AiRequestLogEntry::from))
}

/// The caller's AI usage this month; null without Redis (usage is counted there).
pub async fn ai_usage(ctx: &Context<'_>) -> Result<Option<AiUsage>> {
    let Some(organization) = scope(ctx)?.organization() else {
        return Err(ApiError::bad_input(
            "organization",
            "aiUsage is per organization: act for one",
        )
        .into());
    };
    let usage = engine(ctx)?.ai.monthly_usage(organization).await;
    let signed = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    Ok(usage.map(|u| AiUsage {
        month: promptsales_kit::ai::gateway::current_month(),
        generations: signed(u.generations),
        limit: signed(u.limit),
        tokens_in: signed(u.tokens_in),
        tokens_out: signed(u.tokens_out),
    }))
}

/// Mutations of the AI side.
#[derive(Debug, Default)]
pub struct AiMutation;

#[Object]
impl AiMutation {
    /// Writes three variants per audience and channel; all stored PENDING_REVIEW (unusable until approved).
    async fn generate_campaign_content(
        &self,
        ctx: &Context<'_>,
        input: GenerateCampaignContentInput,
    ) -> Result<Vec<GeneratedContent>> {
        let organization = write_org(ctx, input.organization_id.as_ref())?;
        let mut audiences = Vec::with_capacity(input.audiences.len());
        for (i, a) in input.audiences.into_iter().enumerate() {
            audiences.push(AudienceBrief {
                id: a
                    .id
                    .map(|id| parse_id(&format!("input.audiences[{i}].id"), &id))
                    .transpose()?,
                name: a.name,
                description: a.description,
                language: crate::domain::language::Language::parse(
                    &format!("input.audiences[{i}].language"),
                    a.language.as_deref(),
                )?,
            });
        }
        let brief = generation::validate_brief(
            parse_id("input.campaignId", &input.campaign_id)?,
            &input.campaign_name,
            &input.key_message,
            audiences,
            input.channels.into_iter().map(Into::into).collect(),
            &input.hashtags,
            input.call_to_action.as_deref(),
        )?;
        let chosen = templates(ctx, &input.template_ids, "input.templateIds", organization).await?;
        let by_channel = templates_by_channel(
            chosen,
            TemplatePurpose::CampaignContent,
            "input.templateIds",
        )?;
        // The campaign is sales': it must be the caller's before anything is generated or counted.
        references::check_for(
            ctx,
            vec![Reference::campaign("input.campaignId", brief.campaign_id)],
        )
        .await?;
        let pieces = engine(ctx)?
            .generate_campaign_content(organization, &brief, &by_channel)
            .await?;
        Ok(pieces.into_iter().map(GeneratedContent).collect())
    }

    /// Approves (optionally choosing a variant) or rejects a piece waiting for review.
    async fn review_generated_content(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: AssetReviewStatus,
        chosen_variant: Option<i32>,
    ) -> Result<GeneratedContent> {
        let id = parse_id("id", &id)?;
        let engine = engine(ctx)?;
        let scope = scope(ctx)?;
        let current = engine
            .store
            .generated_by_ids(scope, &[id])
            .await
            .api()?
            .pop()
            .ok_or_else(|| ApiError::not_found("GeneratedContent", id))?;
        let (decided, chosen) = generation::review(&current, status.into(), chosen_variant)?;
        let next = crate::domain::generation::GeneratedContent {
            review_status: decided,
            chosen_variant: chosen,
            reviewer_id: caller(ctx)?.user,
            reviewed_at: Some(chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6)),
            ..current.clone()
        };
        let reviewed = engine
            .store
            .review_generated(scope, current.review_status, &next)
            .await
            .api()?
            .ok_or_else(|| changed_meanwhile("generated content", id))?;
        tracing::info!(piece = %id, status = decided.as_str(), "generated content reviewed");
        Ok(GeneratedContent(reviewed))
    }

    /// Saves a template version (1 for a new name, else the next); placeholders are checked.
    async fn save_prompt_template(
        &self,
        ctx: &Context<'_>,
        input: SavePromptTemplateInput,
    ) -> Result<PromptTemplate> {
        let organization = write_org(ctx, input.organization_id.as_ref())?;
        let new = template_rules::validate_new_template(
            organization,
            &input.name,
            input.purpose.into(),
            &input.use_case,
            input.channel.into(),
            &input.body,
        )?;
        let engine = engine(ctx)?;
        let saved = engine.store.insert_template(new).await.api()?;
        engine.template_changed(saved.organization_id, saved.id);
        Ok(PromptTemplate(saved))
    }

    /// Turns a template version on or off.
    async fn set_prompt_template_active(
        &self,
        ctx: &Context<'_>,
        id: ID,
        active: bool,
    ) -> Result<PromptTemplate> {
        let id = parse_id("id", &id)?;
        let engine = engine(ctx)?;
        let template = engine
            .store
            .set_template_active(scope(ctx)?, id, active)
            .await
            .api()?
            .ok_or_else(|| ApiError::not_found("PromptTemplate", id))?;
        // Announced even when it already had that state: a listener only re-reads its list.
        engine.template_changed(template.organization_id, template.id);
        Ok(PromptTemplate(template))
    }

    /// Writes (and keeps) a personalised message for one prospect.
    async fn generate_outreach_message(
        &self,
        ctx: &Context<'_>,
        input: GenerateOutreachMessageInput,
    ) -> Result<OutreachMessage> {
        let organization = write_org(ctx, input.organization_id.as_ref())?;
        let channel = outreach_rules::outreach_channel("input.channel", input.channel.into())?;
        let template = match &input.template_id {
            Some(id) => {
                Some(outreach_template(ctx, id, "input.templateId", organization, channel).await?)
            }
            None => None,
        };
        let pitch = pitch(&input.offer, input.sender_name.as_deref())?;
        let message = engine(ctx)?
            .outreach_one(
                organization,
                channel,
                template.as_ref(),
                &pitch,
                input.prospect.into(),
            )
            .await?;
        Ok(OutreachMessage(message))
    }

    /// Starts a batch: returns the job at once; follow it with `outreachJob` or `outreachJobProgress`.
    async fn start_outreach_batch(
        &self,
        ctx: &Context<'_>,
        input: StartOutreachBatchInput,
    ) -> Result<OutreachJob> {
        let organization = write_org(ctx, input.organization_id.as_ref())?;
        let channel = outreach_rules::outreach_channel("input.channel", input.channel.into())?;
        if input.prospects.is_empty() || input.prospects.len() > outreach_rules::MAX_BATCH {
            return Err(ApiError::bad_input(
                "input.prospects",
                format!(
                    "input.prospects must hold 1 to {} profiles",
                    outreach_rules::MAX_BATCH
                ),
            )
            .into());
        }
        let mut chosen = Vec::new();
        for id in &input.template_ids {
            chosen.push(
                outreach_template(ctx, id, "input.templateIds", organization, channel).await?,
            );
        }
        let request = BatchRequest {
            channel,
            templates: chosen,
            pitch: pitch(&input.offer, input.sender_name.as_deref())?,
            prospects: input.prospects.into_iter().map(Into::into).collect(),
        };
        let job = engine(ctx)?.start_batch(organization, request).await?;
        Ok(OutreachJob(job))
    }

    /// Records that a message was sent.
    async fn mark_outreach_sent(&self, ctx: &Context<'_>, id: ID) -> Result<OutreachMessage> {
        mark(ctx, id, OutreachStatus::Sent).await
    }

    /// Records that the prospect replied.
    async fn mark_outreach_replied(&self, ctx: &Context<'_>, id: ID) -> Result<OutreachMessage> {
        mark(ctx, id, OutreachStatus::Replied).await
    }

    /// Registers a third-party service; its credential is encrypted at rest and never returned (admins).
    async fn register_third_party_service(
        &self,
        ctx: &Context<'_>,
        input: RegisterThirdPartyServiceInput,
    ) -> Result<ThirdPartyService> {
        caller(ctx)?.require(Subsystem::Content, Role::Admin)?;
        let organization = write_org(ctx, input.organization_id.as_ref())?;
        let draft = service_rules::validate_service(
            &input.name,
            input.kind.into(),
            &input.provider,
            input.base_url.as_deref(),
            input.credential.as_deref(),
        )?;
        let service = engine(ctx)?.register_service(organization, draft).await?;
        Ok(ThirdPartyService(service))
    }

    /// Replaces a service's credential, or removes it with `null` (admins).
    async fn set_third_party_service_credential(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(secret)] credential: Option<String>,
    ) -> Result<ThirdPartyService> {
        caller(ctx)?.require(Subsystem::Content, Role::Admin)?;
        let id = parse_id("id", &id)?;
        let credential = crate::domain::text::optional_text(
            "credential",
            credential.as_deref(),
            service_rules::MAX_CREDENTIAL_CHARS,
        )?;
        let service = engine(ctx)?
            .rotate_credential(scope(ctx)?, id, credential.as_deref())
            .await?;
        Ok(ThirdPartyService(service))
    }
}

fn pitch(offer: &str, sender: Option<&str>) -> Result<Pitch> {
    Ok(Pitch {
        offer: crate::domain::text::required_text("input.offer", offer, 500)?,
        sender_name: crate::domain::text::optional_text("input.senderName", sender, 120)?,
    })
}

async fn outreach_template(
    ctx: &Context<'_>,
    id: &ID,
    field: &str,
    organization: Uuid,
    channel: crate::domain::channel::Channel,
) -> Result<crate::domain::template::PromptTemplate> {
    let template = templates(ctx, std::slice::from_ref(id), field, organization)
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("PromptTemplate", id.as_str()))?;
    if template.purpose != TemplatePurpose::Outreach || template.channel != channel {
        return Err(ApiError::bad_input(
            field,
            format!(
                "template {} v{} is not an outreach template for {}",
                template.name,
                template.version,
                channel.label()
            ),
        )
        .into());
    }
    Ok(template)
}

async fn mark(ctx: &Context<'_>, id: ID, to: OutreachStatus) -> Result<OutreachMessage> {
    let id = parse_id("id", &id)?;
    let engine = engine(ctx)?;
    let scope = scope(ctx)?;
    let current = engine
        .store
        .outreach_by_ids(scope, &[id])
        .await
        .api()?
        .pop()
        .ok_or_else(|| ApiError::not_found("OutreachMessage", id))?;
    let next_status = outreach_rules::advance(current.status, to)?;
    let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6);
    let next = crate::store::SealedOutreach {
        status: next_status,
        sent_at: current.sent_at.or(Some(now)),
        replied_at: if next_status == OutreachStatus::Replied {
            current.replied_at.or(Some(now))
        } else {
            current.replied_at
        },
        ..current.clone()
    };
    let updated = engine
        .store
        .update_outreach_status(scope, id, current.status, &next)
        .await
        .api()?
        .ok_or_else(|| changed_meanwhile("outreach message", id))?;
    let cipher = engine.cipher.get().map_err(|_| {
        ApiError::Internal(Arc::new(promptsales_kit::StoreError::Corrupt(
            "the content data key is unavailable".into(),
        )))
    })?;
    Ok(OutreachMessage(open(&cipher, updated)?))
}

/// Live updates.
#[derive(Debug, Default)]
pub struct Subscription;

#[SubscriptionObject]
impl Subscription {
    /// A batch's progress: its current state, then a snapshot after every finished item, until it completes.
    async fn outreach_job_progress(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<impl Stream<Item = OutreachJob> + use<>> {
        let id = parse_id("id", &id)?;
        let engine = engine(ctx)?.clone();
        let progress = engine.follow_batch(scope(ctx)?, id).await?;
        use futures::StreamExt;
        Ok(progress.map(OutreachJob))
    }
}

/// `ContentChannel` list of a channel filter (helper for resolvers of other types).
pub fn channel_of(channel: Option<ContentChannel>) -> Option<crate::domain::channel::Channel> {
    channel.map(Into::into)
}

/// The review states a usable-content query accepts.
pub const USABLE: ReviewStatus = ReviewStatus::Approved;
