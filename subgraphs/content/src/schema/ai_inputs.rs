//! GraphQL inputs of generation, templates, outreach and the service registry.

use async_graphql::{ID, InputObject};

use super::enums::{
    AssetReviewStatus, ContentChannel, PromptTemplatePurpose, ThirdPartyServiceKind,
};
use crate::domain::outreach::Prospect;

/// An audience of the campaign (a sales Target).
#[derive(Debug, InputObject)]
#[graphql(name = "ContentAudienceInput")]
pub struct AudienceInput {
    /// The Target's id, when known.
    pub id: Option<ID>,
    /// Trimmed, 1 to 200 characters; the hooks address the audience by it.
    pub name: String,
    /// What characterises it.
    pub description: Option<String>,
    /// The language it reads, ISO 639-1: `en` (default), `es` or `fr`. The offline writer
    /// writes its built-in wording in it; a model is asked to write in it.
    pub language: Option<String>,
}

/// What to generate: the campaign's brief (from the sales subgraph), audiences and channels.
#[derive(Debug, InputObject)]
pub struct GenerateCampaignContentInput {
    /// The owning organization; defaults to the caller's tenant.
    pub organization_id: Option<ID>,
    /// The campaign.
    pub campaign_id: ID,
    /// The campaign's name as sales holds it; trimmed, 1 to 200 characters.
    pub campaign_name: String,
    /// Its key message.
    pub key_message: String,
    /// Its audiences (1..10).
    pub audiences: Vec<AudienceInput>,
    /// Channels to write for (1..8).
    pub channels: Vec<ContentChannel>,
    /// Hashtags the campaign always uses.
    #[graphql(default)]
    pub hashtags: Vec<String>,
    /// The closing call to action.
    pub call_to_action: Option<String>,
    /// Templates to use, at most one per channel (others use the built-in one).
    #[graphql(default)]
    pub template_ids: Vec<ID>,
}

/// Filters of generated content.
#[derive(Debug, Default, InputObject)]
pub struct GeneratedContentFilter {
    /// Only this campaign's.
    pub campaign_id: Option<ID>,
    /// Only this review state.
    pub status: Option<AssetReviewStatus>,
    /// Only this channel.
    pub channel: Option<ContentChannel>,
}

/// A prompt template version to save; placeholders are checked.
#[derive(Debug, InputObject)]
pub struct SavePromptTemplateInput {
    /// The owning organization; defaults to the caller's tenant.
    pub organization_id: Option<ID>,
    /// The name grouping its versions (saving an existing name adds a version).
    pub name: String,
    /// What it writes (decides the allowed placeholders).
    pub purpose: PromptTemplatePurpose,
    /// The role or use it serves (`outreach to a CTO`, `Instagram post`).
    pub use_case: String,
    /// The channel.
    pub channel: ContentChannel,
    /// The text with `{{placeholders}}`.
    pub body: String,
}

/// Filters of the template list.
#[derive(Debug, Default, InputObject)]
pub struct PromptTemplateFilter {
    /// Only this name (all its versions).
    pub name: Option<String>,
    /// Only this purpose.
    pub purpose: Option<PromptTemplatePurpose>,
    /// Only this use.
    pub use_case: Option<String>,
    /// Only this channel.
    pub channel: Option<ContentChannel>,
    /// Only active versions.
    #[graphql(default)]
    pub active_only: bool,
}

/// A prospect's profile.
#[derive(Debug, Clone, InputObject)]
pub struct ProspectInput {
    /// Full name.
    pub name: String,
    /// Role or title.
    pub role: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// What we know about them.
    pub notes: Option<String>,
}

impl From<ProspectInput> for Prospect {
    fn from(p: ProspectInput) -> Self {
        Self {
            name: p.name,
            role: p.role,
            company: p.company,
            notes: p.notes,
        }
    }
}

/// One outreach message to write now.
#[derive(Debug, InputObject)]
pub struct GenerateOutreachMessageInput {
    /// The owning organization; defaults to the caller's tenant.
    pub organization_id: Option<ID>,
    /// LINKEDIN or EMAIL.
    pub channel: ContentChannel,
    /// The prospect.
    pub prospect: ProspectInput,
    /// What we offer, in a sentence.
    pub offer: String,
    /// The signature.
    pub sender_name: Option<String>,
    /// The template (an OUTREACH template of the channel); the built-in one when absent.
    pub template_id: Option<ID>,
}

/// A batch of outreach messages, written in the background.
#[derive(Debug, InputObject)]
pub struct StartOutreachBatchInput {
    /// The owning organization; defaults to the caller's tenant.
    pub organization_id: Option<ID>,
    /// LINKEDIN or EMAIL.
    pub channel: ContentChannel,
    /// The prospects (1..500); a bad profile fails only its own item.
    pub prospects: Vec<ProspectInput>,
    /// What we offer.
    pub offer: String,
    /// The signature.
    pub sender_name: Option<String>,
    /// Templates run side by side: item i uses templateIds[i mod n] (A/B); the built-in one when empty.
    #[graphql(default)]
    pub template_ids: Vec<ID>,
}

/// A third-party service to register.
#[derive(Debug, InputObject)]
pub struct RegisterThirdPartyServiceInput {
    /// The owning organization; defaults to the caller's tenant.
    pub organization_id: Option<ID>,
    /// The organization's name for it (unique).
    pub name: String,
    /// What it does.
    pub kind: ThirdPartyServiceKind,
    /// The provider code (`canva`, `adobe`, `meta_business_suite`, `openai`, ...).
    pub provider: String,
    /// Its API root.
    pub base_url: Option<String>,
    /// The credential (API key, token); stored encrypted, never returned.
    #[graphql(secret)]
    pub credential: Option<String>,
}
