//! The identity store: the narrow interface the token endpoint and the
//! permission resolvers use, and the types it speaks.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::context::{Role, Subsystem, TenantScope};
use uuid::Uuid;

/// What a login needs to know of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The user id (`sub` of their tokens).
    pub id: Uuid,
    /// Their organization.
    pub organization_id: Uuid,
    /// Their email.
    pub email: String,
    /// The argon2id PHC string, when a password was set.
    pub password_hash: Option<String>,
    /// Inactive users cannot log in or refresh.
    pub active: bool,
}

/// A service or agent allowed the `client_credentials` grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthClient {
    /// Row id.
    pub id: Uuid,
    /// The public client id.
    pub client_id: String,
    /// The argon2id PHC string of its secret.
    pub secret_hash: String,
    /// A readable name.
    pub name: String,
    /// Its tenant; `None` for a platform client (every tenant).
    pub organization_id: Option<Uuid>,
    /// `subsystem:role` strings its tokens carry.
    pub roles: Vec<String>,
    /// Inactive clients get no tokens.
    pub active: bool,
}

/// A refresh token's record (the token itself is never stored, only its digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRecord {
    /// Row id.
    pub id: Uuid,
    /// The user it refreshes.
    pub user_id: Uuid,
    /// Their organization.
    pub organization_id: Uuid,
    /// The login it descends from.
    pub family_id: Uuid,
    /// SHA-256 hex of the token.
    pub token_hash: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was exchanged for a successor (then it may not be used again).
    pub rotated_at: Option<DateTime<Utc>>,
    /// When it (or its family) was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The scope its login asked for (canonical `subsystem:role` text); `None`: no narrowing.
    pub scope: Option<String>,
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// It was live: it is now rotated and `successor` stored in its place.
    Rotated(RefreshRecord),
    /// It had been rotated already: someone replayed it; its whole family is now revoked.
    Reused(RefreshRecord),
    /// It is expired or revoked.
    Dead(RefreshRecord),
    /// No such token.
    Unknown,
}

/// One grant of a role in a subsystem to a user, live or revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// Row id.
    pub id: Uuid,
    /// The grantee's organization.
    pub organization_id: Uuid,
    /// The grantee.
    pub user_id: Uuid,
    /// The subsystem.
    pub subsystem: Subsystem,
    /// The role.
    pub role: Role,
    /// Who granted it (absent: the system).
    pub granted_by: Option<Uuid>,
    /// When.
    pub granted_at: DateTime<Utc>,
    /// Who revoked it.
    pub revoked_by: Option<Uuid>,
    /// When (absent while live).
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The identity store.
#[async_trait]
pub trait AuthStore: Send + Sync {
    /// The account with `email` (compared case-insensitively), in any tenant: logins name no tenant.
    async fn account_by_email(&self, email: &str) -> Result<Option<Account>, StoreError>;

    /// The account `id` if visible in `scope`.
    async fn account(&self, scope: TenantScope, id: Uuid) -> Result<Option<Account>, StoreError>;

    /// Sets (or replaces) a user's password hash; false when there is no such user.
    async fn set_password_hash(&self, user_id: Uuid, hash: &str) -> Result<bool, StoreError>;

    /// The client with this public id.
    async fn client(&self, client_id: &str) -> Result<Option<OAuthClient>, StoreError>;

    /// Inserts a client, or replaces the one with the same `client_id`.
    async fn upsert_client(&self, client: OAuthClient) -> Result<OAuthClient, StoreError>;

    /// Stores a new refresh token record.
    async fn insert_refresh(&self, record: RefreshRecord) -> Result<(), StoreError>;

    /// The record of the token with digest `hash`, whatever its state (nothing changes).
    async fn refresh_record(&self, hash: &str) -> Result<Option<RefreshRecord>, StoreError>;

    /// Atomically exchanges the token with digest `hash` for `successor` (same
    /// family, `successor`'s scope), or says why not; a replayed token revokes its whole family.
    async fn rotate_refresh(
        &self,
        hash: &str,
        successor: RefreshRecord,
        now: DateTime<Utc>,
    ) -> Result<Rotation, StoreError>;

    /// Revokes the family of the token with digest `hash`; false when unknown.
    async fn revoke_refresh_family(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// A user's permissions, oldest first; revoked ones too when asked.
    async fn permissions(
        &self,
        user_id: Uuid,
        include_revoked: bool,
    ) -> Result<Vec<Permission>, StoreError>;

    /// Grants `permission` in one transaction: the user's live grant in the same
    /// subsystem (if any) is revoked by the same actor at the same time.
    async fn grant_permission(&self, permission: Permission) -> Result<Permission, StoreError>;

    /// Revokes the user's live grant in `subsystem`; `None` when there is none.
    async fn revoke_permission(
        &self,
        user_id: Uuid,
        subsystem: Subsystem,
        by: Option<Uuid>,
        at: DateTime<Utc>,
    ) -> Result<Option<Permission>, StoreError>;
}
