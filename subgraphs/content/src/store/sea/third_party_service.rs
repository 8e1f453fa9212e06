//! The `third_party_services` table (credentials sealed).

use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::StrEnum;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use uuid::Uuid;

use crate::domain::services::{ServiceKind, ThirdPartyService};

/// A row of `third_party_services`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "third_party_services")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Tenant.
    pub organization_id: Uuid,
    /// Name.
    pub name: String,
    /// Kind code.
    pub kind: String,
    /// Provider code.
    pub provider: String,
    /// API root.
    #[sea_orm(column_type = "Text", nullable)]
    pub base_url: Option<String>,
    /// Sealed credential.
    #[sea_orm(column_type = "Text", nullable)]
    pub credential_enc: Option<String>,
    /// Masked hint.
    pub credential_hint: Option<String>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// No relation is navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The domain service.
    pub fn into_domain(self) -> Result<ThirdPartyService, StoreError> {
        Ok(ThirdPartyService {
            kind: ServiceKind::parse(&self.kind).ok_or_else(|| {
                StoreError::Corrupt(format!("third_party_services {}: kind", self.id))
            })?,
            id: self.id,
            organization_id: self.organization_id,
            name: self.name,
            provider: self.provider,
            base_url: self.base_url,
            credential_enc: self.credential_enc,
            credential_hint: self.credential_hint,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The row of a service.
pub fn active_model(s: &ThirdPartyService) -> ActiveModel {
    ActiveModel {
        id: Set(s.id),
        organization_id: Set(s.organization_id),
        name: Set(s.name.clone()),
        kind: Set(s.kind.as_str().into()),
        provider: Set(s.provider.clone()),
        base_url: Set(s.base_url.clone()),
        credential_enc: Set(s.credential_enc.clone()),
        credential_hint: Set(s.credential_hint.clone()),
        created_at: Set(s.created_at),
        updated_at: Set(s.updated_at),
    }
}
