//! Campaign content generation: the brief, three angles per audience and channel,
//! the prompt, the finishing of the text for its channel, and the review of the result.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use promptsales_kit::ApiError;
use promptsales_kit::ai::ChatMessage;
use uuid::Uuid;

use super::asset::ReviewStatus;
use super::channel::{Channel, SEARCH_AND_ANSWER_ENGINE_RULES};
use super::hashtags::normalize_hashtags;
use super::language::Language;
use super::text::{optional_text, required_text};

/// Most audiences in one request.
pub const MAX_AUDIENCES: usize = 10;
/// Most channels in one request.
pub const MAX_CHANNELS: usize = 8;
/// Variants written per audience and channel.
pub const VARIANTS: usize = 3;
/// Assets suggested per piece.
pub const SUGGESTED_ASSETS: usize = 3;

/// One audience of a campaign (a sales `Target`).
#[derive(Debug, Clone, PartialEq)]
pub struct AudienceBrief {
    /// The sales Target id, when known.
    pub id: Option<Uuid>,
    /// Its name (`Trail runners 25-40`).
    pub name: String,
    /// What characterises it.
    pub description: Option<String>,
    /// The language it reads (the offline writer writes in it; a model is asked to).
    pub language: Language,
}

/// What the writer needs to know about a campaign (the portal sends it from the sales subgraph).
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignBrief {
    /// The campaign.
    pub campaign_id: Uuid,
    /// The campaign's name; the writer puts it in the text.
    pub name: String,
    /// Its key message.
    pub key_message: String,
    /// Its audiences.
    pub audiences: Vec<AudienceBrief>,
    /// Channels to write for.
    pub channels: Vec<Channel>,
    /// Hashtags the campaign always uses.
    pub hashtags: Vec<String>,
    /// The closing call to action.
    pub call_to_action: String,
}

/// Validates the brief; errors name the `input.*` field.
pub fn validate_brief(
    campaign_id: Uuid,
    name: &str,
    key_message: &str,
    audiences: Vec<AudienceBrief>,
    channels: Vec<Channel>,
    hashtags: &[String],
    call_to_action: Option<&str>,
) -> Result<CampaignBrief, ApiError> {
    if audiences.is_empty() || audiences.len() > MAX_AUDIENCES {
        return Err(ApiError::bad_input(
            "input.audiences",
            format!("input.audiences must hold 1 to {MAX_AUDIENCES} audiences"),
        ));
    }
    let mut checked = Vec::with_capacity(audiences.len());
    for (i, audience) in audiences.into_iter().enumerate() {
        checked.push(AudienceBrief {
            id: audience.id,
            name: required_text(&format!("input.audiences[{i}].name"), &audience.name, 200)?,
            description: optional_text(
                &format!("input.audiences[{i}].description"),
                audience.description.as_deref(),
                500,
            )?,
            language: audience.language,
        });
    }
    let mut unique_channels: Vec<Channel> = Vec::new();
    for channel in channels {
        if !unique_channels.contains(&channel) {
            unique_channels.push(channel);
        }
    }
    if unique_channels.is_empty() || unique_channels.len() > MAX_CHANNELS {
        return Err(ApiError::bad_input(
            "input.channels",
            format!("input.channels must name 1 to {MAX_CHANNELS} channels"),
        ));
    }
    Ok(CampaignBrief {
        campaign_id,
        name: required_text("input.campaignName", name, 200)?,
        key_message: required_text("input.keyMessage", key_message, 500)?
            .trim_end_matches('.')
            .to_string(),
        audiences: checked,
        channels: unique_channels,
        hashtags: normalize_hashtags("input.hashtags", hashtags)?,
        call_to_action: optional_text("input.callToAction", call_to_action, 200)?
            .unwrap_or_else(|| Language::En.default_call_to_action().to_string()),
    })
}

/// The three angles of a piece's variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Angle {
    /// Opens with the audience's question (answer engines match questions).
    Question,
    /// Opens with the benefit.
    Benefit,
    /// Opens with proof and how-to.
    Proof,
}

impl Angle {
    /// The three, in variant order.
    pub const ALL: [Angle; VARIANTS] = [Self::Question, Self::Benefit, Self::Proof];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Question => "question",
            Self::Benefit => "benefit",
            Self::Proof => "proof",
        }
    }

    /// The opening line this angle gives the draft.
    pub fn hook(self, brief: &CampaignBrief, audience: &AudienceBrief) -> String {
        let message = lower_first(&brief.key_message);
        let language = audience.language;
        match self {
            Self::Question => language.question_hook(&audience.name, &message),
            Self::Benefit => format!("{}: {}.", brief.name, brief.key_message),
            Self::Proof => {
                language.proof_hook(&audience.name.to_lowercase(), &brief.name, &message)
            }
        }
    }

    /// What the model is asked to do for this angle.
    pub fn instruction(self) -> &'static str {
        match self {
            Self::Question => "Open with the question this audience asks, then answer it.",
            Self::Benefit => "Open with the main benefit for this audience.",
            Self::Proof => "Open with proof or a concrete how-to step.",
        }
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The meaningful words of the key message (search keywords), in order.
pub fn keywords(brief: &CampaignBrief) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in promptsales_kit::ai::hashing_embedder::words(&brief.key_message) {
        if word.chars().count() >= 4 && !words.contains(&word) {
            words.push(word);
        }
    }
    words.truncate(5);
    words
}

/// The brief's call to action; when the customer gave none, the default in the audience's language.
fn call_to_action(brief: &CampaignBrief, audience: &AudienceBrief) -> String {
    if brief.call_to_action == Language::En.default_call_to_action() {
        audience.language.default_call_to_action().to_string()
    } else {
        brief.call_to_action.clone()
    }
}

/// Placeholder values for one piece.
pub fn values(
    brief: &CampaignBrief,
    audience: &AudienceBrief,
    channel: Channel,
    angle: Angle,
) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("campaign_name", brief.name.clone()),
        ("key_message", brief.key_message.clone()),
        ("audience", audience.name.clone()),
        ("channel", channel.label().to_string()),
        ("angle", angle.as_str().to_string()),
        ("hook", angle.hook(brief, audience)),
        ("call_to_action", call_to_action(brief, audience)),
        ("keywords", keywords(brief).join(", ")),
    ])
}

/// The chat for one variant: instructions (channel, angle, search and answer engines) and the filled template as the draft.
pub fn messages(
    brief: &CampaignBrief,
    audience: &AudienceBrief,
    channel: Channel,
    angle: Angle,
    draft: String,
) -> Vec<ChatMessage> {
    let mut system = format!(
        "You write marketing copy for the campaign \"{}\". Rewrite the draft the user gives as one {} \
         for the audience \"{}\"{}. Style: {}. {} {} Keep within {} characters. Answer with the text only.",
        brief.name,
        channel.label(),
        audience.name,
        audience
            .description
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default(),
        channel.style(),
        angle.instruction(),
        SEARCH_AND_ANSWER_ENGINE_RULES,
        channel.max_chars(),
    );
    if channel.hashtag_count() == 0 {
        system.push_str(" Use no hashtags.");
    }
    if audience.language != Language::En {
        system.push_str(&format!(
            " Write in {}: the audience reads {}.",
            audience.language.english_name(),
            audience.language.english_name()
        ));
    }
    vec![ChatMessage::system(system), ChatMessage::user(draft)]
}

/// Hashtags for a piece: the campaign's, then the suggested assets' most common, up to the channel's count.
pub fn hashtags_for(
    brief: &CampaignBrief,
    channel: Channel,
    asset_tags: &[Vec<String>],
) -> Vec<String> {
    let wanted = channel.hashtag_count();
    let mut tags: Vec<String> = Vec::new();
    for tag in &brief.hashtags {
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for list in asset_tags {
        for tag in list {
            *counts.entry(tag.as_str()).or_default() += 1;
        }
    }
    let mut ranked: Vec<(&str, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    for (tag, _) in ranked {
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_string());
        }
    }
    for keyword in keywords(brief) {
        if !tags.contains(&keyword) {
            tags.push(keyword);
        }
    }
    tags.truncate(wanted);
    tags
}

/// The text as published: hashtags appended where the channel uses them (and the writer left them out), clamped to the channel.
pub fn finish_text(channel: Channel, text: &str, hashtags: &[String]) -> String {
    let mut text = text.trim().to_string();
    let missing: Vec<String> = hashtags
        .iter()
        .filter(|t| !text.to_lowercase().contains(&format!("#{t}")))
        .map(|t| format!("#{t}"))
        .collect();
    if !missing.is_empty() {
        text = format!("{text}\n\n{}", missing.join(" "));
    }
    clamp(&text, channel.max_chars())
}

/// `text` cut at a word boundary to at most `max` characters (with an ellipsis when cut).
pub fn clamp(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let at = cut.rfind(char::is_whitespace).unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end())
}

/// One of a piece's variants.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Variant {
    /// 0, 1, 2.
    pub index: i32,
    /// Its angle.
    pub angle: String,
    /// The text.
    pub text: String,
    /// Its hashtags (normalised).
    pub hashtags: Vec<String>,
    /// Assets that fit it.
    pub suggested_asset_ids: Vec<Uuid>,
}

/// Generated content for one audience and channel of a campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedContent {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Tenant.
    pub organization_id: Uuid,
    /// The campaign.
    pub campaign_id: Uuid,
    /// The sales Target, when known.
    pub audience_id: Option<Uuid>,
    /// The audience's name.
    pub audience_name: String,
    /// The channel.
    pub channel: Channel,
    /// The three variants.
    pub variants: Vec<Variant>,
    /// The template used (None: the built-in one).
    pub template_id: Option<Uuid>,
    /// Its version.
    pub template_version: Option<i32>,
    /// The model that wrote it.
    pub model: String,
    /// Prompt tokens of the three calls.
    pub tokens_in: i64,
    /// Completion tokens of the three calls.
    pub tokens_out: i64,
    /// All three variants came from the cache.
    pub from_cache: bool,
    /// Review state: everything generated starts PENDING_REVIEW.
    pub review_status: ReviewStatus,
    /// The variant the reviewer chose.
    pub chosen_variant: Option<i32>,
    /// Who reviewed it.
    pub reviewer_id: Option<Uuid>,
    /// When.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Generated at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl GeneratedContent {
    /// Usable in a campaign only once a person approved it.
    pub fn is_usable(&self) -> bool {
        self.review_status == ReviewStatus::Approved
    }
}

/// The review of a piece: only pending pieces, to a decision; an approval may choose a variant (checked).
pub fn review(
    current: &GeneratedContent,
    decision: ReviewStatus,
    chosen_variant: Option<i32>,
) -> Result<(ReviewStatus, Option<i32>), ApiError> {
    let status = super::review::review(current.review_status, decision)?;
    if let Some(index) = chosen_variant {
        if status != ReviewStatus::Approved {
            return Err(ApiError::bad_input(
                "chosenVariant",
                "chosenVariant applies to approvals only",
            ));
        }
        if !current.variants.iter().any(|v| v.index == index) {
            let last = current.variants.iter().map(|v| v.index).max().unwrap_or(0);
            return Err(ApiError::bad_input(
                "chosenVariant",
                format!("chosenVariant must be an index in 0..{last} (inclusive), got {index}"),
            ));
        }
    }
    Ok((status, chosen_variant))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brief() -> CampaignBrief {
        validate_brief(
            Uuid::now_v7(),
            "Trail Running Spring",
            "Lightweight trail shoes that grip wet granite.",
            vec![AudienceBrief {
                id: None,
                name: "Trail runners".into(),
                description: Some("25-40, weekend racers".into()),
                language: Language::En,
            }],
            vec![Channel::Instagram, Channel::Email, Channel::Instagram],
            &["#TrailRunning".to_string()],
            None,
        )
        .expect("valid brief")
    }

    #[test]
    fn a_brief_is_normalised_and_errors_name_fields() {
        let b = brief();
        assert_eq!(b.channels, vec![Channel::Instagram, Channel::Email]);
        assert_eq!(
            b.key_message,
            "Lightweight trail shoes that grip wet granite"
        );
        assert_eq!(b.hashtags, vec!["trailrunning"]);
        let bad = validate_brief(
            Uuid::now_v7(),
            "x",
            "y",
            vec![],
            vec![Channel::X],
            &[],
            None,
        );
        assert!(
            matches!(bad, Err(ApiError::BadInput { ref field, .. }) if field == "input.audiences")
        );
        let bad = validate_brief(
            Uuid::now_v7(),
            "x",
            "y",
            vec![AudienceBrief {
                id: None,
                name: " ".into(),
                description: None,
                language: Language::En,
            }],
            vec![Channel::X],
            &[],
            None,
        );
        assert!(
            matches!(bad, Err(ApiError::BadInput { ref field, .. }) if field == "input.audiences[0].name")
        );
    }

    #[test]
    fn the_three_angles_differ_and_the_text_fits_its_channel() {
        let b = brief();
        let a = &b.audiences[0];
        let hooks: Vec<String> = Angle::ALL.iter().map(|x| x.hook(&b, a)).collect();
        assert_eq!(hooks.len(), 3);
        assert!(hooks[0].ends_with('?') && hooks[0] != hooks[1] && hooks[1] != hooks[2]);
        let tags = hashtags_for(
            &b,
            Channel::Instagram,
            &[
                vec!["running".into(), "spring".into()],
                vec!["running".into()],
            ],
        );
        assert_eq!(
            &tags[..2],
            &["trailrunning".to_string(), "running".to_string()]
        );
        assert!(hashtags_for(&b, Channel::Email, &[]).is_empty());
        let text = finish_text(Channel::X, &"word ".repeat(100), &["trail".into()]);
        assert!(text.chars().count() <= 280 && text.ends_with('…'));
        let text = finish_text(
            Channel::Instagram,
            "Run #trail",
            &["trail".into(), "spring".into()],
        );
        assert_eq!(text, "Run #trail\n\n#spring");
        let chat = messages(&b, a, Channel::Email, Angle::Question, "draft".into());
        assert!(chat[0].content.contains("In short:") && chat[0].content.contains("no hashtags"));
    }

    #[test]
    fn the_offline_wording_follows_the_audience_language_and_a_model_is_asked_for_it() {
        use crate::domain::template::{TemplatePurpose, default_body_in, render};
        let mut b = brief();
        for (language, marker, hook, cta) in [
            (Language::En, "In short:", "what if", "Find out more today."),
            (Language::Es, "En resumen:", "¿y si", "Descubre más hoy."),
            (Language::Fr, "En bref :", "et si", "Découvrez-en plus"),
        ] {
            b.audiences[0].language = language;
            let a = &b.audiences[0];
            let body = default_body_in(
                TemplatePurpose::CampaignContent,
                Channel::Instagram,
                language,
            );
            let draft = render(body, &values(&b, a, Channel::Instagram, Angle::Question));
            assert!(draft.contains(marker), "{language:?}: {draft}");
            assert!(draft.contains(hook), "{language:?}: {draft}");
            assert!(draft.contains(cta), "{language:?}: {draft}");
            let email = default_body_in(TemplatePurpose::CampaignContent, Channel::Email, language);
            assert!(render(email, &values(&b, a, Channel::Email, Angle::Proof)).contains(marker));
            let chat = messages(&b, a, Channel::Instagram, Angle::Question, draft);
            let asked = chat[0]
                .content
                .contains(&format!("Write in {}", language.english_name()));
            assert_eq!(asked, language != Language::En, "{}", chat[0].content);
        }
    }
}
