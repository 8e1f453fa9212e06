//! The third-party service registry: which services an organization connects, and the credential's masked hint.

use chrono::{DateTime, Utc};
use promptsales_kit::ApiError;
use uuid::Uuid;

use super::text::{http_url, optional_text, required_text};

/// The longest credential accepted.
pub const MAX_CREDENTIAL_CHARS: usize = 4096;

/// What a service does for us.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceKind {
    /// Design tools (Canva, Adobe).
    Design,
    /// Social publishing (Meta Business Suite, LinkedIn).
    Social,
    /// AI model providers (OpenAI, Gemini, a local Ollama).
    ModelProvider,
    /// Anything else.
    Other,
}

/// A registered service; its credential stays sealed in the store.
#[derive(Debug, Clone, PartialEq)]
pub struct ThirdPartyService {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Tenant.
    pub organization_id: Uuid,
    /// The organization's name for it (unique per organization).
    pub name: String,
    /// What it does.
    pub kind: ServiceKind,
    /// The provider (`canva`, `adobe`, `meta_business_suite`, `openai`...).
    pub provider: String,
    /// Its API root, when it has one.
    pub base_url: Option<String>,
    /// The sealed credential (AES-256-GCM envelope), never sent to clients.
    pub credential_enc: Option<String>,
    /// The last four characters of the credential (`••••1a2b`).
    pub credential_hint: Option<String>,
    /// Registered at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// The masked hint of a credential: its last four characters, only when it is long enough to keep the rest secret.
pub fn credential_hint(credential: &str) -> String {
    let chars: Vec<char> = credential.chars().collect();
    if chars.len() < 12 {
        return "••••".to_string();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("••••{tail}")
}

/// A validated registration (credential still in clear; the caller seals it).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceDraft {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: ServiceKind,
    /// Provider code, lower case.
    pub provider: String,
    /// API root.
    pub base_url: Option<String>,
    /// The credential in clear.
    pub credential: Option<String>,
}

/// Validates a registration; errors name the field.
pub fn validate_service(
    name: &str,
    kind: ServiceKind,
    provider: &str,
    base_url: Option<&str>,
    credential: Option<&str>,
) -> Result<ServiceDraft, ApiError> {
    let provider = required_text("input.provider", provider, 64)?.to_lowercase();
    if !provider
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        return Err(ApiError::bad_input(
            "input.provider",
            "input.provider must be a code such as canva, adobe, meta_business_suite or openai",
        ));
    }
    Ok(ServiceDraft {
        name: required_text("input.name", name, 100)?,
        kind,
        provider,
        base_url: base_url.map(|u| http_url("input.baseUrl", u)).transpose()?,
        credential: optional_text("input.credential", credential, MAX_CREDENTIAL_CHARS)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_show_four_characters_of_long_secrets_only() {
        assert_eq!(credential_hint("sk-live-abcdefgh1234"), "••••1234");
        assert_eq!(credential_hint("short"), "••••");
        assert!(validate_service("Canva", ServiceKind::Design, "Canva", None, Some("k")).is_ok());
        assert!(validate_service("x", ServiceKind::Design, "can va", None, None).is_err());
    }
}
