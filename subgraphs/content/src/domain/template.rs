//! Prompt templates: placeholders checked on save, rendering, the built-in defaults.

use promptsales_kit::StrEnum;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use promptsales_kit::ApiError;
use uuid::Uuid;

use super::channel::Channel;
use super::language::{BodyKind, Language};
use super::text::required_text;

/// The longest template body.
pub const MAX_BODY_CHARS: usize = 4000;
/// The longest name or use.
pub const MAX_NAME_CHARS: usize = 100;

/// What a template writes.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplatePurpose {
    /// Campaign messages per audience and channel.
    CampaignContent,
    /// Personal messages to one prospect.
    Outreach,
}

impl TemplatePurpose {
    /// The placeholders a template of this purpose may use.
    pub fn known_placeholders(self) -> &'static [&'static str] {
        match self {
            Self::CampaignContent => &[
                "campaign_name",
                "key_message",
                "audience",
                "channel",
                "angle",
                "hook",
                "call_to_action",
                "keywords",
            ],
            Self::Outreach => &[
                "prospect_name",
                "prospect_role",
                "prospect_company",
                "prospect_notes",
                "offer",
                "sender_name",
                "channel",
            ],
        }
    }

    /// The placeholders a template of this purpose must use.
    pub fn required_placeholders(self) -> &'static [&'static str] {
        match self {
            Self::CampaignContent => &["key_message"],
            Self::Outreach => &["prospect_name"],
        }
    }
}

/// A saved version of a prompt template.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptTemplate {
    /// Its id (one per version).
    pub id: Uuid,
    /// Tenant.
    pub organization_id: Uuid,
    /// The name that groups its versions.
    pub name: String,
    /// What it writes.
    pub purpose: TemplatePurpose,
    /// The role or use it serves (`outreach to a CTO`, `Instagram post`).
    pub use_case: String,
    /// The channel.
    pub channel: Channel,
    /// 1, 2, ... per name.
    pub version: i32,
    /// The text with `{{placeholders}}`.
    pub body: String,
    /// The placeholders it uses, in order of first use.
    pub placeholders: Vec<String>,
    /// Whether new work uses it.
    pub active: bool,
    /// Saved at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A template version to save (the store numbers it).
#[derive(Debug, Clone, PartialEq)]
pub struct NewPromptTemplate {
    /// Tenant.
    pub organization_id: Uuid,
    /// Name.
    pub name: String,
    /// Purpose.
    pub purpose: TemplatePurpose,
    /// Role or use.
    pub use_case: String,
    /// Channel.
    pub channel: Channel,
    /// Body.
    pub body: String,
    /// Its placeholders (checked).
    pub placeholders: Vec<String>,
}

/// The `{{name}}` placeholders of `body`, in order of first use; malformed braces are refused.
pub fn placeholders(field: &str, body: &str) -> Result<Vec<String>, ApiError> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or_else(|| {
            ApiError::bad_input(
                field,
                format!("{field} has a '{{{{' without its closing '}}}}'"),
            )
        })?;
        let name = after[..close].trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(ApiError::bad_input(
                field,
                format!(
                    "{field} has a malformed placeholder {{{{{}}}}}: use lower_snake_case names",
                    &after[..close]
                ),
            ));
        }
        if !found.iter().any(|f| f == name) {
            found.push(name.to_string());
        }
        rest = &after[close + 2..];
    }
    if rest.contains("}}") {
        return Err(ApiError::bad_input(
            field,
            format!("{field} has a '}}}}' without its opening '{{{{'"),
        ));
    }
    Ok(found)
}

/// Checks a body for `purpose`: every placeholder known, every required one present; names the field.
pub fn check_body(
    field: &str,
    purpose: TemplatePurpose,
    body: &str,
) -> Result<Vec<String>, ApiError> {
    let body = required_text(field, body, MAX_BODY_CHARS)?;
    let used = placeholders(field, &body)?;
    let known = purpose.known_placeholders();
    if let Some(unknown) = used.iter().find(|p| !known.contains(&p.as_str())) {
        return Err(ApiError::bad_input(
            field,
            format!(
                "{field} uses the unknown placeholder {{{{{unknown}}}}}; a {} template may use {}",
                purpose.as_str(),
                known
                    .iter()
                    .map(|k| format!("{{{{{k}}}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if let Some(missing) = purpose
        .required_placeholders()
        .iter()
        .find(|r| !used.iter().any(|u| u == *r))
    {
        return Err(ApiError::bad_input(
            field,
            format!("{field} must use the placeholder {{{{{missing}}}}}"),
        ));
    }
    Ok(used)
}

/// Validates a template to save.
pub fn validate_new_template(
    organization_id: Uuid,
    name: &str,
    purpose: TemplatePurpose,
    use_case: &str,
    channel: Channel,
    body: &str,
) -> Result<NewPromptTemplate, ApiError> {
    if purpose == TemplatePurpose::Outreach && !channel.is_outreach() {
        return Err(ApiError::bad_input(
            "input.channel",
            "outreach templates are for LINKEDIN or EMAIL",
        ));
    }
    let placeholders = check_body("input.body", purpose, body)?;
    Ok(NewPromptTemplate {
        organization_id,
        name: required_text("input.name", name, MAX_NAME_CHARS)?,
        purpose,
        use_case: required_text("input.useCase", use_case, MAX_NAME_CHARS)?,
        channel,
        body: body.trim().to_string(),
        placeholders,
    })
}

/// `body` with each `{{name}}` replaced by its value (an absent value renders empty), blank lines collapsed.
pub fn render(body: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(body.len() + 64);
    let mut rest = body;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        match after.find("}}") {
            Some(close) => {
                let name = after[..close].trim();
                out.push_str(values.get(name).map(String::as_str).unwrap_or(""));
                rest = &after[close + 2..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    // Empty values leave double spaces and empty lines behind.
    let mut lines: Vec<String> = Vec::new();
    for line in out.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

/// The built-in body used when no template is chosen (version 0, not stored).
pub fn default_body(purpose: TemplatePurpose, channel: Channel) -> &'static str {
    match (purpose, channel) {
        (TemplatePurpose::Outreach, Channel::Email) => {
            "Subject: An idea for {{prospect_company}}\n\nHi {{prospect_name}},\n\nAs {{prospect_role}} at {{prospect_company}}, {{prospect_notes}}\n\n{{offer}}\n\nWould a 15-minute call next week be useful?\n\n{{sender_name}}"
        }
        (TemplatePurpose::Outreach, _) => {
            "Hi {{prospect_name}}, I enjoyed reading about your work as {{prospect_role}} at {{prospect_company}}. {{prospect_notes}}\n\n{{offer}}\n\nOpen to a short chat?"
        }
        (TemplatePurpose::CampaignContent, _) => default_body_in(purpose, channel, Language::En),
    }
}

/// The built-in body in the audience's `language` (campaign content; outreach bodies are English).
pub fn default_body_in(
    purpose: TemplatePurpose,
    channel: Channel,
    language: Language,
) -> &'static str {
    match (purpose, channel) {
        (TemplatePurpose::Outreach, _) => default_body(purpose, channel),
        (TemplatePurpose::CampaignContent, Channel::Email) => {
            language.campaign_body(BodyKind::Email)
        }
        (TemplatePurpose::CampaignContent, Channel::Blog) => language.campaign_body(BodyKind::Blog),
        (TemplatePurpose::CampaignContent, _) => language.campaign_body(BodyKind::Post),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: Result<Vec<String>, ApiError>) -> (String, String) {
        match result {
            Err(ApiError::BadInput { field, message }) => (field, message),
            other => panic!("expected bad input, got {other:?}"),
        }
    }

    #[test]
    fn placeholders_are_found_once_in_order() {
        assert_eq!(
            placeholders("b", "Hi {{prospect_name}}, {{ offer }} {{prospect_name}}").ok(),
            Some(vec!["prospect_name".to_string(), "offer".to_string()])
        );
        assert!(placeholders("b", "Hi {{prospect_name").is_err());
        assert!(placeholders("b", "Hi prospect}}").is_err());
        assert!(placeholders("b", "Hi {{Prospect Name}}").is_err());
    }

    #[test]
    fn unknown_and_missing_placeholders_are_refused_naming_the_field() {
        let (field, message) = field_of(check_body(
            "input.body",
            TemplatePurpose::Outreach,
            "Hi {{prospect_name}}, {{discount_code}}",
        ));
        assert_eq!(field, "input.body");
        assert!(message.contains("{{discount_code}}"), "{message}");
        let (field, message) = field_of(check_body(
            "input.body",
            TemplatePurpose::Outreach,
            "Hi there, {{offer}}",
        ));
        assert_eq!(field, "input.body");
        assert!(message.contains("{{prospect_name}}"), "{message}");
        assert!(
            check_body(
                "input.body",
                TemplatePurpose::CampaignContent,
                "{{key_message}}"
            )
            .is_ok()
        );
    }

    #[test]
    fn every_default_body_passes_its_own_check() {
        for &channel in Channel::ALL {
            for purpose in [TemplatePurpose::CampaignContent, TemplatePurpose::Outreach] {
                let body = default_body(purpose, channel);
                assert!(
                    check_body("b", purpose, body).is_ok(),
                    "{purpose:?} {channel:?}"
                );
            }
        }
    }

    #[test]
    fn rendering_fills_values_and_tidies_blanks() {
        let values = BTreeMap::from([("prospect_name", "Ana".to_string())]);
        assert_eq!(
            render(
                "Hi {{prospect_name}},  {{offer}}\n\n\n{{offer}}\nBye",
                &values
            ),
            "Hi Ana,\n\nBye"
        );
    }
}
