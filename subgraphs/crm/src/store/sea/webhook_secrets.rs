//! The `crm_webhook_secrets` table: each organization's webhook secrets, sealed like personal data.

use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::context::TenantScope;
use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, QueryOrder, Set, TransactionTrait};

use super::errors::{unreadable, unsealable};
use super::in_scope;
use crate::crypto::{Field, KeyRing};
use crate::domain::webhook::WebhookSecret;

/// A `crm_webhook_secrets` row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "crm_webhook_secrets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub secret_enc: String,
    pub data_key_id: String,
    pub created_by: Option<Uuid>,
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The data key ids a batch of rows needs.
pub(super) fn key_ids(rows: &[Model]) -> impl Iterator<Item = &str> {
    rows.iter().map(|r| r.data_key_id.as_str())
}

fn to_domain(row: &Model) -> WebhookSecret {
    WebhookSecret {
        id: row.id,
        organization_id: row.organization_id,
        created_by: row.created_by,
        created_at: row.created_at,
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
    }
}

/// Issues `secret` for the organization and gives the secrets still signing at `now` until
/// `now + grace` at the latest, in one transaction.
pub(super) async fn issue<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    ring: &KeyRing,
    organization_id: Uuid,
    created_by: Option<Uuid>,
    secret: &str,
    now: DateTime<Utc>,
    grace: chrono::Duration,
) -> Result<WebhookSecret, StoreError> {
    let id = promptsales_kit::new_id();
    let sealed = ring
        .seal(Field::WebhookSecret, id, secret)
        .map_err(unsealable)?;
    let until = now + grace;
    let txn = db.begin().await?;
    // Only shortens: a secret already expiring sooner (an earlier rotation) keeps its end.
    Entity::update_many()
        .col_expr(Column::ExpiresAt, Expr::value(Some(until)))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::OrganizationId.eq(organization_id))
        .filter(Column::RevokedAt.is_null())
        .filter(
            sea_orm::Condition::any()
                .add(Column::ExpiresAt.is_null())
                .add(Column::ExpiresAt.gt(until)),
        )
        .exec(&txn)
        .await?;
    let row = Model {
        id,
        organization_id,
        secret_enc: sealed,
        data_key_id: ring.active_key_id().to_string(),
        created_by,
        expires_at: None,
        revoked_at: None,
        created_at: now,
        updated_at: now,
    };
    Entity::insert(ActiveModel {
        id: Set(row.id),
        organization_id: Set(row.organization_id),
        secret_enc: Set(row.secret_enc.clone()),
        data_key_id: Set(row.data_key_id.clone()),
        created_by: Set(row.created_by),
        expires_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(to_domain(&row))
}

/// The organization's secrets, newest first.
pub(super) async fn list(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    organization_id: Uuid,
) -> Result<Vec<WebhookSecret>, StoreError> {
    Ok(Entity::find()
        .filter(in_scope(scope, Column::OrganizationId))
        .filter(Column::OrganizationId.eq(organization_id))
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .all(db)
        .await?
        .iter()
        .map(to_domain)
        .collect())
}

/// The rows of the organization's secrets that sign at `now`.
pub(super) async fn usable_rows(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Model>, StoreError> {
    Ok(Entity::find()
        .filter(Column::OrganizationId.eq(organization_id))
        .filter(Column::RevokedAt.is_null())
        .filter(
            sea_orm::Condition::any()
                .add(Column::ExpiresAt.is_null())
                .add(Column::ExpiresAt.gt(now)),
        )
        .all(db)
        .await?)
}

/// Opens the secrets of `rows`.
pub(super) fn open(ring: &KeyRing, rows: &[Model]) -> Result<Vec<String>, StoreError> {
    rows.iter()
        .map(|row| {
            ring.open(Field::WebhookSecret, row.id, &row.secret_enc)
                .map_err(|e| unreadable("webhook secret", row.id, e))
        })
        .collect()
}

/// Revokes a secret visible in `scope` (already revoked: unchanged); `None` when not visible.
pub(super) async fn revoke(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<WebhookSecret>, StoreError> {
    Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(Some(now)))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(in_scope(scope, Column::OrganizationId))
        .filter(Column::Id.eq(id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(Entity::find_by_id(id)
        .filter(in_scope(scope, Column::OrganizationId))
        .one(db)
        .await?
        .as_ref()
        .map(to_domain))
}
