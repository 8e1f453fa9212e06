//! The third-party service registry: credentials sealed before they reach the store, never returned.

use std::sync::Arc;

use chrono::SubsecRound;
use promptsales_kit::{ApiError, ResultExt, new_id};
use uuid::Uuid;

use super::ContentEngine;
use crate::crypto::Field;
use crate::domain::services::{ServiceDraft, ThirdPartyService, credential_hint};

fn key_unavailable(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "content data key unavailable");
    ApiError::Internal(Arc::new(promptsales_kit::StoreError::Corrupt(
        "the content data key is unavailable".into(),
    )))
}

impl ContentEngine {
    fn seal_credential(
        &self,
        id: Uuid,
        credential: Option<&str>,
    ) -> Result<(Option<String>, Option<String>), ApiError> {
        match credential {
            None => Ok((None, None)),
            Some(secret) => {
                let cipher = self.cipher.get().map_err(key_unavailable)?;
                let sealed = cipher
                    .seal(Field::Credential, id, secret)
                    .map_err(key_unavailable)?;
                Ok((Some(sealed), Some(credential_hint(secret))))
            }
        }
    }

    /// Registers a service, its credential sealed.
    pub async fn register_service(
        &self,
        organization: Uuid,
        draft: ServiceDraft,
    ) -> Result<ThirdPartyService, ApiError> {
        let id = new_id();
        let (credential_enc, credential_hint) =
            self.seal_credential(id, draft.credential.as_deref())?;
        let now = chrono::Utc::now().trunc_subsecs(6);
        let service = ThirdPartyService {
            id,
            organization_id: organization,
            name: draft.name,
            kind: draft.kind,
            provider: draft.provider,
            base_url: draft.base_url,
            credential_enc,
            credential_hint,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_service(&service).await.api()?;
        tracing::info!(service = %service.id, provider = %service.provider, "third-party service registered");
        Ok(service)
    }

    /// Replaces (or removes, with `None`) a service's credential.
    pub async fn rotate_credential(
        &self,
        scope: promptsales_kit::context::TenantScope,
        id: Uuid,
        credential: Option<&str>,
    ) -> Result<ThirdPartyService, ApiError> {
        let (credential_enc, credential_hint) = self.seal_credential(id, credential)?;
        self.store
            .update_service_credential(scope, id, credential_enc, credential_hint)
            .await
            .api()?
            .ok_or_else(|| ApiError::not_found("ThirdPartyService", id))
    }

    /// The clear credential of a visible service, for server-side calls to it (never for clients).
    pub async fn service_credential(
        &self,
        scope: promptsales_kit::context::TenantScope,
        id: Uuid,
    ) -> Result<Option<String>, ApiError> {
        let service = self
            .store
            .services(scope)
            .await
            .api()?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| ApiError::not_found("ThirdPartyService", id))?;
        let Some(sealed) = service.credential_enc else {
            return Ok(None);
        };
        let cipher = self.cipher.get().map_err(key_unavailable)?;
        cipher
            .open(Field::Credential, id, &sealed)
            .map(Some)
            .map_err(key_unavailable)
    }
}
