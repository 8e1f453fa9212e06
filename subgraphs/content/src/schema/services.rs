//! `ThirdPartyService`: the registry; credentials are never returned, only a masked hint.

use async_graphql::{ID, Object};
use chrono::{DateTime, Utc};

use super::enums::ThirdPartyServiceKind;
use crate::domain::services;

/// A service the organization connects (Canva, Adobe, Meta Business Suite, a model provider).
pub struct ThirdPartyService(pub services::ThirdPartyService);

/// A service the organization connects; its credential is stored encrypted and never returned.
#[Object(cache_control(max_age = 60, private))]
impl ThirdPartyService {
    /// The service's UUIDv7.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The organization's name for it.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What it does.
    async fn kind(&self) -> ThirdPartyServiceKind {
        self.0.kind.into()
    }

    /// The provider code.
    async fn provider(&self) -> &str {
        &self.0.provider
    }

    /// Its API root.
    async fn base_url(&self) -> Option<&str> {
        self.0.base_url.as_deref()
    }

    /// Whether a credential is stored.
    async fn has_credential(&self) -> bool {
        self.0.credential_enc.is_some()
    }

    /// The credential's masked hint (`••••1a2b`), never the credential.
    async fn credential_hint(&self) -> Option<&str> {
        self.0.credential_hint.as_deref()
    }

    /// When it was registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
