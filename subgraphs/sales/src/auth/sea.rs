//! The sea-orm adapter of [`AuthStore`] (SQLite embedded default and PostgreSQL).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use promptsales_kit::context::{Role, Subsystem, TenantScope};
use promptsales_kit::{StoreError, StrEnum};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use uuid::Uuid;

use super::entity::{account, oauth_client, permission, refresh_token};
use super::store::{Account, AuthStore, OAuthClient, Permission, RefreshRecord, Rotation};

/// The identity store over a migrated sales database.
#[derive(Debug, Clone)]
pub struct SeaAuthStore {
    db: DatabaseConnection,
}

impl SeaAuthStore {
    /// A store over an open connection migrated by the sales migrator.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn to_account(row: account::Model) -> Account {
    Account {
        id: row.id,
        organization_id: row.organization_id,
        email: row.email,
        password_hash: row.password_hash,
        active: row.active,
    }
}

fn to_client(row: oauth_client::Model) -> Result<OAuthClient, StoreError> {
    let roles: Vec<String> = serde_json::from_str(&row.roles).map_err(|e| {
        StoreError::Corrupt(format!("oauth_clients.roles of {}: {e}", row.client_id))
    })?;
    Ok(OAuthClient {
        id: row.id,
        client_id: row.client_id,
        secret_hash: row.secret_hash,
        name: row.name,
        organization_id: row.organization_id,
        roles,
        active: row.active,
    })
}

fn to_record(row: refresh_token::Model) -> RefreshRecord {
    RefreshRecord {
        id: row.id,
        user_id: row.user_id,
        organization_id: row.organization_id,
        family_id: row.family_id,
        token_hash: row.token_hash,
        expires_at: row.expires_at,
        rotated_at: row.rotated_at,
        revoked_at: row.revoked_at,
        scope: row.scope,
    }
}

fn to_permission(row: permission::Model) -> Result<Permission, StoreError> {
    let subsystem = Subsystem::parse(&row.subsystem)
        .ok_or_else(|| StoreError::Corrupt(format!("permissions.subsystem {:?}", row.subsystem)))?;
    let role = Role::parse(&row.role)
        .ok_or_else(|| StoreError::Corrupt(format!("permissions.role {:?}", row.role)))?;
    Ok(Permission {
        id: row.id,
        organization_id: row.organization_id,
        user_id: row.user_id,
        subsystem,
        role,
        granted_by: row.granted_by,
        granted_at: row.granted_at,
        revoked_by: row.revoked_by,
        revoked_at: row.revoked_at,
    })
}

fn new_refresh_row(record: &RefreshRecord, now: DateTime<Utc>) -> refresh_token::ActiveModel {
    refresh_token::ActiveModel {
        id: Set(record.id),
        organization_id: Set(record.organization_id),
        user_id: Set(record.user_id),
        family_id: Set(record.family_id),
        token_hash: Set(record.token_hash.clone()),
        expires_at: Set(record.expires_at),
        rotated_at: Set(None),
        replaced_by: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        scope: Set(record.scope.clone()),
    }
}

async fn revoke_family<C: sea_orm::ConnectionTrait>(
    db: &C,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .col_expr(refresh_token::Column::UpdatedAt, Expr::value(now))
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

#[async_trait]
impl AuthStore for SeaAuthStore {
    async fn account_by_email(&self, email: &str) -> Result<Option<Account>, StoreError> {
        let row = account::Entity::find()
            .filter(
                Expr::expr(Func::lower(Expr::col(account::Column::Email)))
                    .eq(email.trim().to_lowercase()),
            )
            .one(&self.db)
            .await?;
        Ok(row.map(to_account))
    }

    async fn account(&self, scope: TenantScope, id: Uuid) -> Result<Option<Account>, StoreError> {
        let row = account::Entity::find_by_id(id).one(&self.db).await?;
        Ok(row
            .filter(|r| scope.allows(r.organization_id))
            .map(to_account))
    }

    async fn set_password_hash(&self, user_id: Uuid, hash: &str) -> Result<bool, StoreError> {
        let done = account::Entity::update_many()
            .col_expr(account::Column::PasswordHash, Expr::value(hash.to_string()))
            .col_expr(account::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(account::Column::Id.eq(user_id))
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected > 0)
    }

    async fn client(&self, client_id: &str) -> Result<Option<OAuthClient>, StoreError> {
        oauth_client::Entity::find()
            .filter(oauth_client::Column::ClientId.eq(client_id))
            .one(&self.db)
            .await?
            .map(to_client)
            .transpose()
    }

    async fn upsert_client(&self, client: OAuthClient) -> Result<OAuthClient, StoreError> {
        let now = Utc::now();
        let roles = serde_json::to_string(&client.roles)
            .map_err(|e| StoreError::Corrupt(format!("client roles: {e}")))?;
        let txn = self.db.begin().await?;
        let existing = oauth_client::Entity::find()
            .filter(oauth_client::Column::ClientId.eq(client.client_id.as_str()))
            .one(&txn)
            .await?;
        let row = match existing {
            Some(row) => {
                let mut active: oauth_client::ActiveModel = row.into();
                active.secret_hash = Set(client.secret_hash.clone());
                active.name = Set(client.name.clone());
                active.organization_id = Set(client.organization_id);
                active.roles = Set(roles);
                active.active = Set(client.active);
                active.updated_at = Set(now);
                active.update(&txn).await?
            }
            None => {
                oauth_client::ActiveModel {
                    id: Set(client.id),
                    organization_id: Set(client.organization_id),
                    client_id: Set(client.client_id.clone()),
                    secret_hash: Set(client.secret_hash.clone()),
                    name: Set(client.name.clone()),
                    roles: Set(roles),
                    active: Set(client.active),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(&txn)
                .await?
            }
        };
        txn.commit().await?;
        to_client(row)
    }

    async fn insert_refresh(&self, record: RefreshRecord) -> Result<(), StoreError> {
        new_refresh_row(&record, Utc::now())
            .insert(&self.db)
            .await?;
        Ok(())
    }

    async fn refresh_record(&self, hash: &str) -> Result<Option<RefreshRecord>, StoreError> {
        Ok(refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(hash))
            .one(&self.db)
            .await?
            .map(to_record))
    }

    async fn rotate_refresh(
        &self,
        hash: &str,
        successor: RefreshRecord,
        now: DateTime<Utc>,
    ) -> Result<Rotation, StoreError> {
        let txn = self.db.begin().await?;
        let Some(row) = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(hash))
            .one(&txn)
            .await?
        else {
            return Ok(Rotation::Unknown);
        };
        let record = to_record(row);
        if record.rotated_at.is_some() {
            // A rotated token presented again: it was stolen or replayed. Revoke
            // every token of the login, the legitimate holder's current one too.
            revoke_family(&txn, record.family_id, now).await?;
            txn.commit().await?;
            return Ok(Rotation::Reused(record));
        }
        if record.revoked_at.is_some() || record.expires_at <= now {
            return Ok(Rotation::Dead(record));
        }
        // Guarded by `rotated_at IS NULL`: of two concurrent rotations only one
        // updates the row; the other sees nothing to update and counts as reuse.
        let updated = refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::RotatedAt, Expr::value(now))
            .col_expr(refresh_token::Column::ReplacedBy, Expr::value(successor.id))
            .col_expr(refresh_token::Column::UpdatedAt, Expr::value(now))
            .filter(refresh_token::Column::Id.eq(record.id))
            .filter(refresh_token::Column::RotatedAt.is_null())
            .filter(refresh_token::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            revoke_family(&txn, record.family_id, now).await?;
            txn.commit().await?;
            return Ok(Rotation::Reused(record));
        }
        let successor = RefreshRecord {
            family_id: record.family_id,
            user_id: record.user_id,
            organization_id: record.organization_id,
            ..successor
        };
        new_refresh_row(&successor, now).insert(&txn).await?;
        txn.commit().await?;
        Ok(Rotation::Rotated(record))
    }

    async fn revoke_refresh_family(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let Some(row) = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(hash))
            .one(&self.db)
            .await?
        else {
            return Ok(false);
        };
        revoke_family(&self.db, row.family_id, now).await?;
        Ok(true)
    }

    async fn permissions(
        &self,
        user_id: Uuid,
        include_revoked: bool,
    ) -> Result<Vec<Permission>, StoreError> {
        let mut query = permission::Entity::find().filter(permission::Column::UserId.eq(user_id));
        if !include_revoked {
            query = query.filter(permission::Column::RevokedAt.is_null());
        }
        query
            .order_by_asc(permission::Column::GrantedAt)
            .order_by_asc(permission::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_permission)
            .collect()
    }

    async fn grant_permission(&self, grant: Permission) -> Result<Permission, StoreError> {
        let txn = self.db.begin().await?;
        permission::Entity::update_many()
            .col_expr(permission::Column::RevokedAt, Expr::value(grant.granted_at))
            .col_expr(permission::Column::RevokedBy, Expr::value(grant.granted_by))
            .col_expr(permission::Column::UpdatedAt, Expr::value(grant.granted_at))
            .filter(permission::Column::UserId.eq(grant.user_id))
            .filter(permission::Column::Subsystem.eq(grant.subsystem.name()))
            .filter(permission::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        let row = permission::ActiveModel {
            id: Set(grant.id),
            organization_id: Set(grant.organization_id),
            user_id: Set(grant.user_id),
            subsystem: Set(grant.subsystem.name().to_string()),
            role: Set(grant.role.name().to_string()),
            granted_by: Set(grant.granted_by),
            granted_at: Set(grant.granted_at),
            revoked_by: Set(None),
            revoked_at: Set(None),
            created_at: Set(grant.granted_at),
            updated_at: Set(grant.granted_at),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        to_permission(row)
    }

    async fn revoke_permission(
        &self,
        user_id: Uuid,
        subsystem: Subsystem,
        by: Option<Uuid>,
        at: DateTime<Utc>,
    ) -> Result<Option<Permission>, StoreError> {
        let txn = self.db.begin().await?;
        let Some(row) = permission::Entity::find()
            .filter(permission::Column::UserId.eq(user_id))
            .filter(permission::Column::Subsystem.eq(subsystem.name()))
            .filter(permission::Column::RevokedAt.is_null())
            .one(&txn)
            .await?
        else {
            return Ok(None);
        };
        let mut active: permission::ActiveModel = row.into();
        active.revoked_at = Set(Some(at));
        active.revoked_by = Set(by);
        active.updated_at = Set(at);
        let row = active.update(&txn).await?;
        txn.commit().await?;
        to_permission(row).map(Some)
    }
}
