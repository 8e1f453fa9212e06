//! Campaign content generation: for each audience and channel, three variants
//! (question, benefit, proof angles) written through the AI gateway from the
//! channel's template, with hashtags and suggested assets. Everything is stored
//! PENDING_REVIEW in one transaction, or nothing is stored.

use promptsales_kit::StrEnum;
use std::collections::HashMap;

use promptsales_kit::ai::ChatRequest;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{ApiError, ResultExt, new_id};
use uuid::Uuid;

use super::ContentEngine;
use super::search::SearchRequest;
use crate::domain::ReviewStatus;
use crate::domain::channel::Channel;
use crate::domain::generation::{
    self, Angle, AudienceBrief, CampaignBrief, GeneratedContent, SUGGESTED_ASSETS, Variant,
};
use crate::domain::template::{self, PromptTemplate, TemplatePurpose};

/// Model calls of one request in flight at once.
const CALLS_IN_FLIGHT: usize = 4;

/// The template each channel uses: the chosen ones, checked, or the built-in body.
pub fn templates_by_channel(
    chosen: Vec<PromptTemplate>,
    purpose: TemplatePurpose,
    field: &str,
) -> Result<HashMap<Channel, PromptTemplate>, ApiError> {
    let mut by_channel = HashMap::new();
    for t in chosen {
        if t.purpose != purpose {
            return Err(ApiError::bad_input(
                field,
                format!(
                    "template {} v{} is a {} template, not {}",
                    t.name,
                    t.version,
                    t.purpose.as_str(),
                    purpose.as_str()
                ),
            ));
        }
        if by_channel.insert(t.channel, t).is_some() {
            return Err(ApiError::bad_input(
                field,
                format!("{field} names two templates for the same channel"),
            ));
        }
    }
    Ok(by_channel)
}

struct Piece<'a> {
    audience: &'a AudienceBrief,
    channel: Channel,
    angle: Angle,
}

impl ContentEngine {
    /// Writes, stores (PENDING_REVIEW) and returns the campaign's content for every audience and channel.
    #[tracing::instrument(name = "content.generate", skip_all, fields(campaign = %brief.campaign_id))]
    pub async fn generate_campaign_content(
        &self,
        organization: Uuid,
        brief: &CampaignBrief,
        templates: &HashMap<Channel, PromptTemplate>,
    ) -> Result<Vec<GeneratedContent>, ApiError> {
        let scope = TenantScope::Organization(organization);
        // Suggested assets: the usable assets nearest to each audience's brief.
        let mut suggestions: HashMap<usize, Vec<(Uuid, Vec<String>)>> = HashMap::new();
        for (i, audience) in brief.audiences.iter().enumerate() {
            let text = format!(
                "{} {} {}",
                brief.key_message,
                audience.name,
                audience.description.as_deref().unwrap_or("")
            );
            let hits = self
                .search(
                    scope,
                    &SearchRequest {
                        text: generation::clamp(&text, crate::domain::semantic::MAX_QUERY_CHARS),
                        kind: None,
                        review_status: None,
                        usable_only: true,
                        limit: SUGGESTED_ASSETS,
                    },
                )
                .await?;
            suggestions.insert(
                i,
                hits.into_iter()
                    .map(|h| (h.asset.id, h.asset.hashtags))
                    .collect(),
            );
        }
        let mut pieces: Vec<Piece<'_>> = Vec::new();
        for audience in &brief.audiences {
            for channel in &brief.channels {
                for angle in Angle::ALL {
                    pieces.push(Piece {
                        audience,
                        channel: *channel,
                        angle,
                    });
                }
            }
        }
        let requests: Vec<ChatRequest> = pieces
            .iter()
            .map(|piece| {
                let body = templates.get(&piece.channel).map_or_else(
                    || {
                        template::default_body_in(
                            TemplatePurpose::CampaignContent,
                            piece.channel,
                            piece.audience.language,
                        )
                        .to_string()
                    },
                    |t| t.body.clone(),
                );
                let values = generation::values(brief, piece.audience, piece.channel, piece.angle);
                let draft = template::render(&body, &values);
                ChatRequest::new(generation::messages(
                    brief,
                    piece.audience,
                    piece.channel,
                    piece.angle,
                    draft,
                ))
                .complex()
            })
            .collect();
        // One request against the plan: the generations are reserved together (refused
        // together past the limit) and given back when one fails (nothing is stored then).
        let generations = self
            .ai
            .generate_all(
                Some(organization),
                "content.generate",
                &requests,
                CALLS_IN_FLIGHT,
            )
            .await?;
        let now = chrono::Utc::now();
        let mut stored = Vec::new();
        for (a, audience) in brief.audiences.iter().enumerate() {
            let suggested = suggestions.remove(&a).unwrap_or_default();
            let asset_tags: Vec<Vec<String>> = suggested.iter().map(|(_, t)| t.clone()).collect();
            let asset_ids: Vec<Uuid> = suggested.iter().map(|(id, _)| *id).collect();
            for (c, channel) in brief.channels.iter().enumerate() {
                let hashtags = generation::hashtags_for(brief, *channel, &asset_tags);
                let base = (a * brief.channels.len() + c) * Angle::ALL.len();
                let mut variants = Vec::new();
                let (mut tokens_in, mut tokens_out, mut all_cached) = (0i64, 0i64, true);
                let mut model = String::new();
                for (v, angle) in Angle::ALL.iter().enumerate() {
                    let Some(g) = generations.get(base + v) else {
                        return Err(ApiError::Internal(std::sync::Arc::new(
                            promptsales_kit::StoreError::Corrupt("a generation is missing".into()),
                        )));
                    };
                    tokens_in += i64::try_from(g.output.usage.input).unwrap_or(i64::MAX);
                    tokens_out += i64::try_from(g.output.usage.output).unwrap_or(i64::MAX);
                    all_cached &= g.from_cache;
                    model.clone_from(&g.output.model);
                    variants.push(Variant {
                        index: v as i32,
                        angle: angle.as_str().to_string(),
                        text: generation::finish_text(*channel, &g.output.text, &hashtags),
                        hashtags: hashtags.clone(),
                        suggested_asset_ids: asset_ids.clone(),
                    });
                }
                let template = templates.get(channel);
                stored.push(GeneratedContent {
                    id: new_id(),
                    organization_id: organization,
                    campaign_id: brief.campaign_id,
                    audience_id: audience.id,
                    audience_name: audience.name.clone(),
                    channel: *channel,
                    variants,
                    template_id: template.map(|t| t.id),
                    template_version: template.map(|t| t.version),
                    model,
                    tokens_in,
                    tokens_out,
                    from_cache: all_cached,
                    review_status: ReviewStatus::PendingReview,
                    chosen_variant: None,
                    reviewer_id: None,
                    reviewed_at: None,
                    created_at: now,
                    updated_at: now,
                });
            }
        }
        self.store.insert_generated(&stored).await.api()?;
        tracing::info!(
            pieces = stored.len(),
            "campaign content generated, pending review"
        );
        Ok(stored)
    }
}
