//! The OAuth 2.0 grants (RFC 6749 section 4) and revocation (RFC 7009), apart
//! from HTTP: who gets which token, and why not.

use std::sync::Arc;

use chrono::Utc;
use promptsales_kit::auth::TokenType;
use promptsales_kit::context::TenantScope;
use serde::Serialize;
use uuid::Uuid;

use super::Issuer;
use super::secret::{random_token, token_digest, verify_secret_blocking};
use super::store::{Account, AuthStore, RefreshRecord, Rotation};
use crate::audit::{NewAuditEntry, Origin, Severity};
use crate::store::SalesStore;

/// An OAuth error (RFC 6749 section 5.2); `description` is safe to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthError {
    /// A parameter is missing or malformed.
    InvalidRequest(String),
    /// The client is unknown, inactive or its secret is wrong.
    InvalidClient,
    /// The credentials or refresh token are invalid, expired, revoked or reused.
    InvalidGrant(String),
    /// A grant type this server does not support.
    UnsupportedGrantType(String),
    /// The store failed (logged; the client sees no detail).
    ServerError,
}

impl OAuthError {
    /// The `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::UnsupportedGrantType(_) => "unsupported_grant_type",
            Self::ServerError => "server_error",
        }
    }

    /// The `error_description`.
    pub fn description(&self) -> String {
        match self {
            Self::InvalidRequest(d) | Self::InvalidGrant(d) => d.clone(),
            Self::InvalidClient => "client authentication failed".into(),
            Self::UnsupportedGrantType(g) => format!(
                "grant_type {g:?} is not supported (client_credentials, password, refresh_token)"
            ),
            Self::ServerError => "the token could not be issued; retry later".into(),
        }
    }
}

fn server_error(e: impl std::fmt::Display) -> OAuthError {
    tracing::error!(error = %e, "token endpoint failure");
    OAuthError::ServerError
}

/// A successful token response (RFC 6749 section 5.1).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TokenResponse {
    /// The JWT.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds the access token lives.
    pub expires_in: u64,
    /// The refresh token (user grants only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The roles granted, space separated (`sales:admin ads:read`).
    pub scope: String,
}

/// Issues tokens from the identity store's accounts, clients and refresh tokens.
#[derive(Clone)]
pub struct TokenService {
    /// Signs access tokens.
    pub issuer: Arc<Issuer>,
    /// Accounts, clients, refresh tokens, permissions.
    pub store: Arc<dyn AuthStore>,
    /// Where logins are audited.
    pub audit: Arc<dyn SalesStore>,
}

impl TokenService {
    fn access(
        &self,
        subject: &str,
        typ: TokenType,
        organization: Option<Uuid>,
        roles: Vec<String>,
        refresh_token: Option<String>,
    ) -> Result<TokenResponse, OAuthError> {
        let scope = roles.join(" ");
        let token = self
            .issuer
            .access_token(subject, typ, organization, roles)
            .map_err(server_error)?;
        Ok(TokenResponse {
            access_token: token.token,
            token_type: "Bearer",
            expires_in: self.issuer.lifetimes().access.as_secs(),
            refresh_token,
            scope,
        })
    }

    async fn roles_of(&self, user_id: Uuid) -> Result<Vec<String>, OAuthError> {
        let permissions = self
            .store
            .permissions(user_id, false)
            .await
            .map_err(server_error)?;
        Ok(permissions
            .iter()
            .map(|p| format!("{}:{}", p.subsystem.name(), p.role.name()))
            .collect())
    }

    async fn audit(&self, entry: NewAuditEntry) {
        // An audit failure must not turn a valid login into an error; it is logged loudly.
        if let Err(e) = crate::audit::record(self.audit.as_ref(), entry).await {
            tracing::error!(error = %e, "could not record a login in the audit log");
        }
    }

    /// `grant_type=client_credentials`: a service or agent with its id and secret.
    pub async fn client_credentials(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> Result<TokenResponse, OAuthError> {
        let client = self.store.client(client_id).await.map_err(server_error)?;
        let hash = client.as_ref().map(|c| c.secret_hash.clone());
        let matches = verify_secret_blocking(client_secret.to_string(), hash).await;
        match client {
            Some(client) if matches && client.active => self.access(
                &client.client_id,
                TokenType::Client,
                client.organization_id,
                client.roles,
                None,
            ),
            _ => Err(OAuthError::InvalidClient),
        }
    }

    /// `grant_type=password`: a user's email and password (the first-party portal).
    pub async fn password(
        &self,
        email: &str,
        password: &str,
        origin: Origin,
    ) -> Result<TokenResponse, OAuthError> {
        let account = self
            .store
            .account_by_email(email)
            .await
            .map_err(server_error)?;
        let hash = account.as_ref().and_then(|a| a.password_hash.clone());
        let matches = verify_secret_blocking(password.to_string(), hash).await;
        let refused = |reason: &str| NewAuditEntry {
            organization_id: account.as_ref().map(|a| a.organization_id),
            actor_id: account.as_ref().map(|a| a.id),
            action: "auth.login_failed".into(),
            target_type: "User".into(),
            target_id: account.as_ref().map(|a| a.id.to_string()),
            severity: Severity::Warning,
            origin: origin.clone(),
            metadata: serde_json::json!({ "grant": "password", "reason": reason }),
        };
        let account = match account.as_ref() {
            Some(a) if matches => a.clone(),
            _ => {
                self.audit(refused("bad credentials")).await;
                // The same answer for an unknown email and a wrong password.
                return Err(OAuthError::InvalidGrant("invalid email or password".into()));
            }
        };
        if !account.active {
            self.audit(refused("inactive account")).await;
            return Err(OAuthError::InvalidGrant("this account is inactive".into()));
        }
        let refresh = self.new_refresh(&account, Uuid::now_v7()).await?;
        let roles = self.roles_of(account.id).await?;
        let response = self.access(
            &account.id.to_string(),
            TokenType::User,
            Some(account.organization_id),
            roles,
            Some(refresh),
        )?;
        self.audit(NewAuditEntry {
            organization_id: Some(account.organization_id),
            actor_id: Some(account.id),
            action: "auth.login".into(),
            target_type: "User".into(),
            target_id: Some(account.id.to_string()),
            severity: Severity::Info,
            origin,
            metadata: serde_json::json!({ "grant": "password" }),
        })
        .await;
        Ok(response)
    }

    fn refresh_record(&self, account: &Account, family_id: Uuid, token: &str) -> RefreshRecord {
        let ttl = chrono::Duration::from_std(self.issuer.lifetimes().refresh)
            .unwrap_or(chrono::Duration::days(30));
        RefreshRecord {
            id: Uuid::now_v7(),
            user_id: account.id,
            organization_id: account.organization_id,
            family_id,
            token_hash: token_digest(token),
            expires_at: Utc::now() + ttl,
            rotated_at: None,
            revoked_at: None,
        }
    }

    async fn new_refresh(&self, account: &Account, family_id: Uuid) -> Result<String, OAuthError> {
        let token = random_token();
        self.store
            .insert_refresh(self.refresh_record(account, family_id, &token))
            .await
            .map_err(server_error)?;
        Ok(token)
    }

    /// `grant_type=refresh_token`: exchanges a refresh token for new tokens; the
    /// presented one stops working (rotation), and presenting it again revokes
    /// every token of that login (reuse detection).
    pub async fn refresh(
        &self,
        refresh_token: &str,
        origin: Origin,
    ) -> Result<TokenResponse, OAuthError> {
        let now = Utc::now();
        let token = random_token();
        // The successor's owner and family are the presented token's (the store sets them).
        let placeholder = Account {
            id: Uuid::nil(),
            organization_id: Uuid::nil(),
            email: String::new(),
            password_hash: None,
            active: true,
        };
        let successor = self.refresh_record(&placeholder, Uuid::nil(), &token);
        let rotation = self
            .store
            .rotate_refresh(&token_digest(refresh_token), successor, now)
            .await
            .map_err(server_error)?;
        let record = match rotation {
            Rotation::Rotated(record) => record,
            Rotation::Reused(record) => {
                self.audit(NewAuditEntry {
                    organization_id: Some(record.organization_id),
                    actor_id: Some(record.user_id),
                    action: "auth.refresh_reused".into(),
                    target_type: "User".into(),
                    target_id: Some(record.user_id.to_string()),
                    severity: Severity::Critical,
                    origin,
                    metadata: serde_json::json!({ "family": record.family_id.to_string() }),
                })
                .await;
                return Err(OAuthError::InvalidGrant(
                    "the refresh token was already used; every token of this login is revoked"
                        .into(),
                ));
            }
            Rotation::Dead(_) => {
                return Err(OAuthError::InvalidGrant(
                    "the refresh token is expired or revoked".into(),
                ));
            }
            Rotation::Unknown => {
                return Err(OAuthError::InvalidGrant("unknown refresh token".into()));
            }
        };
        let account = self
            .store
            .account(TenantScope::All, record.user_id)
            .await
            .map_err(server_error)?;
        let Some(account) = account.filter(|a| a.active) else {
            // Deactivated since login: the new token is useless, end the login.
            self.store
                .revoke_refresh_family(&token_digest(&token), now)
                .await
                .map_err(server_error)?;
            return Err(OAuthError::InvalidGrant("this account is inactive".into()));
        };
        // Roles are read again: a permission revoked since login is gone from the new token.
        let roles = self.roles_of(account.id).await?;
        self.access(
            &account.id.to_string(),
            TokenType::User,
            Some(account.organization_id),
            roles,
            Some(token),
        )
    }

    /// Revokes a refresh token and the login it belongs to (RFC 7009: unknown
    /// tokens and access tokens are not an error; access tokens simply expire).
    pub async fn revoke(&self, token: &str) -> Result<(), OAuthError> {
        self.store
            .revoke_refresh_family(&token_digest(token), Utc::now())
            .await
            .map_err(server_error)?;
        Ok(())
    }
}
