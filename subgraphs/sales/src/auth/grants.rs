//! The OAuth 2.0 grants (RFC 6749 section 4) and revocation (RFC 7009), apart
//! from HTTP: who gets which token, and why not.

use std::sync::Arc;

use chrono::Utc;
use promptsales_kit::auth::TokenType;
use promptsales_kit::context::TenantScope;
use serde::Serialize;
use uuid::Uuid;

use super::Issuer;
use super::scope::{self, InvalidScope, Roles};
use super::secret::{random_token, token_digest, verify_secret_blocking};
use super::store::{Account, AuthStore, RefreshRecord, Rotation};
use super::throttle::{Attempt, LoginThrottle};
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
    /// The requested `scope` is malformed or exceeds what is held.
    InvalidScope(String),
    /// Too many failed logins for the account or from the client IP (HTTP 429, `Retry-After`).
    Throttled {
        /// Seconds until logins are counted afresh.
        retry_after: u64,
    },
    /// The request body is over the subgraph's limit (HTTP 413, `invalid_request`).
    TooLarge,
    /// The store failed (logged; the client sees no detail).
    ServerError,
}

impl OAuthError {
    /// The `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            // RFC 6749 has no throttling code; `invalid_request` is one every client
            // knows, and the 429 status with Retry-After says the rest.
            // RFC 6749 has no size code either: the 413 status says which request it was.
            Self::InvalidRequest(_) | Self::Throttled { .. } | Self::TooLarge => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::UnsupportedGrantType(_) => "unsupported_grant_type",
            Self::InvalidScope(_) => "invalid_scope",
            Self::ServerError => "server_error",
        }
    }

    /// The `error_description`.
    pub fn description(&self) -> String {
        match self {
            Self::InvalidRequest(d) | Self::InvalidGrant(d) | Self::InvalidScope(d) => d.clone(),
            Self::Throttled { retry_after } => {
                format!("too many failed logins; slow down and retry in {retry_after} seconds")
            }
            Self::InvalidClient => "client authentication failed".into(),
            Self::UnsupportedGrantType(g) => format!(
                "grant_type {g:?} is not supported (client_credentials, password, refresh_token)"
            ),
            Self::TooLarge => {
                "the request body is larger than this server accepts (PROMPTSALES_SUBGRAPH_MAX_BODY_SIZE)"
                    .into()
            }
            Self::ServerError => "the token could not be issued; retry later".into(),
        }
    }
}

impl From<InvalidScope> for OAuthError {
    fn from(e: InvalidScope) -> Self {
        Self::InvalidScope(e.0)
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
    /// Failed-login counters (`None`: no throttling).
    pub throttle: Option<Arc<LoginThrottle>>,
    /// The proxies whose `X-Forwarded-For` names the client (audit origin, per-address throttle).
    pub trusted_proxies: Arc<promptsales_kit::client_addr::TrustedProxies>,
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

    /// Refuses `attempt` when it is over a failure limit (audited once per limit and window).
    async fn throttled(
        &self,
        attempt: &Attempt,
        grant: &str,
        audit: impl FnOnce(serde_json::Value) -> NewAuditEntry,
    ) -> Result<(), OAuthError> {
        let Some(throttle) = &self.throttle else {
            return Ok(());
        };
        let Some(throttled) = throttle.check(attempt).await else {
            return Ok(());
        };
        tracing::warn!(
            grant,
            limit = throttled.limit.name(),
            retry_after = throttled.retry_after,
            "login throttled"
        );
        if throttled.first {
            self.audit(audit(serde_json::json!({
                "grant": grant,
                "limit": throttled.limit.name(),
                "retry_after": throttled.retry_after,
            })))
            .await;
        }
        Err(OAuthError::Throttled {
            retry_after: throttled.retry_after,
        })
    }

    async fn count_failure(&self, attempt: &Attempt) {
        if let Some(throttle) = &self.throttle {
            throttle.failed(attempt).await;
        }
    }

    async fn count_success(&self, attempt: &Attempt) {
        if let Some(throttle) = &self.throttle {
            throttle.succeeded(attempt).await;
        }
    }

    /// `grant_type=client_credentials`: a service or agent with its id and secret,
    /// its roles narrowed to `scope` when one is asked for, and its tenant narrowed to
    /// `for_organization` when one is asked for: a platform client (every tenant) may ask
    /// for a token of one organization, which is how a service acts for one tenant only
    /// (crm's lead webhook checks the campaign it names as the webhook's organization);
    /// a tenant client may name only its own organization (else `invalid_scope`).
    pub async fn client_credentials(
        &self,
        client_id: &str,
        client_secret: &str,
        requested_scope: Option<&str>,
        for_organization: Option<Uuid>,
        origin: Origin,
    ) -> Result<TokenResponse, OAuthError> {
        let requested = scope::parse(requested_scope)?;
        let attempt = Attempt::client(client_id, origin.ip.as_deref());
        let client = self.store.client(client_id).await.map_err(server_error)?;
        let organization = client.as_ref().and_then(|c| c.organization_id);
        self.throttled(&attempt, "client_credentials", |metadata| NewAuditEntry {
            organization_id: organization,
            actor_id: None,
            action: "auth.login_throttled".into(),
            target_type: "OAuthClient".into(),
            target_id: Some(client_id.to_string()),
            severity: Severity::Warning,
            origin: origin.clone(),
            metadata,
        })
        .await?;
        let hash = client.as_ref().map(|c| c.secret_hash.clone());
        let matches = verify_secret_blocking(client_secret.to_string(), hash).await;
        let client = match client {
            Some(client) if matches && client.active => client,
            _ => {
                self.count_failure(&attempt).await;
                return Err(OAuthError::InvalidClient);
            }
        };
        self.count_success(&attempt).await;
        // Narrowing only: a platform client's tokens already reach every tenant.
        let organization = match (client.organization_id, for_organization) {
            (held, None) => held,
            (None, Some(asked)) => Some(asked),
            (Some(held), Some(asked)) if held == asked => Some(held),
            (Some(_), Some(_)) => {
                return Err(OAuthError::InvalidScope(
                    "organization_id: this client acts for another organization".into(),
                ));
            }
        };
        let roles = match &requested {
            Some(requested) => {
                scope::to_strings(&scope::within(requested, &scope::held(&client.roles))?)
            }
            None => client.roles,
        };
        self.access(
            &client.client_id,
            TokenType::Client,
            organization,
            roles,
            None,
        )
    }

    /// `grant_type=password`: a user's email and password (the first-party portal),
    /// their roles narrowed to `scope` when one is asked for (and so are the
    /// tokens refreshed from this login).
    pub async fn password(
        &self,
        email: &str,
        password: &str,
        requested_scope: Option<&str>,
        origin: Origin,
    ) -> Result<TokenResponse, OAuthError> {
        let requested = scope::parse(requested_scope)?;
        let attempt = Attempt::user(email, origin.ip.as_deref());
        let account = self
            .store
            .account_by_email(email)
            .await
            .map_err(server_error)?;
        let about = |action: &str, severity: Severity, metadata: serde_json::Value| NewAuditEntry {
            organization_id: account.as_ref().map(|a| a.organization_id),
            actor_id: account.as_ref().map(|a| a.id),
            action: action.into(),
            target_type: "User".into(),
            target_id: account.as_ref().map(|a| a.id.to_string()),
            severity,
            origin: origin.clone(),
            metadata,
        };
        self.throttled(&attempt, "password", |metadata| {
            about("auth.login_throttled", Severity::Warning, metadata)
        })
        .await?;
        let hash = account.as_ref().and_then(|a| a.password_hash.clone());
        let matches = verify_secret_blocking(password.to_string(), hash).await;
        let refused = |reason: &str| {
            about(
                "auth.login_failed",
                Severity::Warning,
                serde_json::json!({ "grant": "password", "reason": reason }),
            )
        };
        let account = match account.as_ref() {
            Some(a) if matches => a.clone(),
            _ => {
                self.count_failure(&attempt).await;
                self.audit(refused("bad credentials")).await;
                // The same answer for an unknown email and a wrong password.
                return Err(OAuthError::InvalidGrant("invalid email or password".into()));
            }
        };
        // The password was right: whatever follows, this account starts afresh.
        self.count_success(&attempt).await;
        if !account.active {
            self.audit(refused("inactive account")).await;
            return Err(OAuthError::InvalidGrant("this account is inactive".into()));
        }
        let held = self.roles_of(account.id).await?;
        let (roles, granted_scope) = match &requested {
            Some(requested) => match scope::within(requested, &scope::held(&held)) {
                Ok(narrowed) => (
                    scope::to_strings(&narrowed),
                    Some(scope::to_text(&narrowed)),
                ),
                Err(e) => {
                    self.audit(refused("scope exceeds the permissions")).await;
                    return Err(e.into());
                }
            },
            None => (held, None),
        };
        let refresh = self
            .new_refresh(&account, Uuid::now_v7(), granted_scope.clone())
            .await?;
        let response = self.access(
            &account.id.to_string(),
            TokenType::User,
            Some(account.organization_id),
            roles,
            Some(refresh),
        )?;
        let mut metadata = serde_json::json!({ "grant": "password" });
        if let Some(granted) = granted_scope {
            metadata["scope"] = granted.into();
        }
        self.audit(about("auth.login", Severity::Info, metadata))
            .await;
        Ok(response)
    }

    fn refresh_record(
        &self,
        account: &Account,
        family_id: Uuid,
        token: &str,
        scope: Option<String>,
    ) -> RefreshRecord {
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
            scope,
        }
    }

    async fn new_refresh(
        &self,
        account: &Account,
        family_id: Uuid,
        scope: Option<String>,
    ) -> Result<String, OAuthError> {
        let token = random_token();
        self.store
            .insert_refresh(self.refresh_record(account, family_id, &token, scope))
            .await
            .map_err(server_error)?;
        Ok(token)
    }

    /// `grant_type=refresh_token`: exchanges a refresh token for new tokens; the
    /// presented one stops working (rotation), and presenting it again revokes
    /// every token of that login (reuse detection). The login's scope is kept; a
    /// `scope` asked for here may narrow it further (never widen it), and the
    /// narrower scope sticks to the successor.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        requested_scope: Option<&str>,
        origin: Origin,
    ) -> Result<TokenResponse, OAuthError> {
        let requested = scope::parse(requested_scope)?;
        let now = Utc::now();
        let digest = token_digest(refresh_token);
        // The scope is checked before the token is rotated: an invalid_scope leaves it usable.
        let stored = self
            .store
            .refresh_record(&digest)
            .await
            .map_err(server_error)?;
        let kept: Option<Roles> = match stored.as_ref().and_then(|r| r.scope.as_deref()) {
            Some(text) => Some(scope::parse(Some(text))?.unwrap_or_default()),
            None => None,
        };
        let successor_scope: Option<Roles> = match (&requested, &kept) {
            (Some(requested), Some(kept)) => Some(scope::within(requested, kept)?),
            (Some(requested), None) => match &stored {
                // Never narrowed: the bound is what the user holds now.
                Some(record) => Some(scope::within(
                    requested,
                    &scope::held(&self.roles_of(record.user_id).await?),
                )?),
                None => None,
            },
            (None, kept) => kept.clone(),
        };
        let token = random_token();
        // The successor's owner and family are the presented token's (the store sets them).
        let placeholder = Account {
            id: Uuid::nil(),
            organization_id: Uuid::nil(),
            email: String::new(),
            password_hash: None,
            active: true,
        };
        let successor = self.refresh_record(
            &placeholder,
            Uuid::nil(),
            &token,
            successor_scope.as_ref().map(scope::to_text),
        );
        let rotation = self
            .store
            .rotate_refresh(&digest, successor, now)
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
        let held = self.roles_of(account.id).await?;
        let roles = match &successor_scope {
            Some(bound) => scope::to_strings(&scope::narrow(&scope::held(&held), bound)),
            None => held,
        };
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
