//! Who calls a tool: bearer tokens verified against the sales JWKS (HTTP), or the adapter's
//! own service credential obtained with the client-credentials grant (stdio).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use promptsales_kit::context::{Role, Subsystem};
use serde::Deserialize;
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::error::McpError;

/// The caller of a tool call, as far as the adapter knows it.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The bearer token forwarded to the router.
    pub token: Option<String>,
    /// Whether the claims below come from a verified token.
    pub verified: bool,
    /// The tenant (absent for platform operators).
    pub organization: Option<Uuid>,
    /// The user id (absent for services).
    pub user: Option<Uuid>,
    /// The `sub` claim.
    pub subject: Option<String>,
    /// Roles per subsystem.
    pub roles: BTreeMap<Subsystem, Role>,
}

impl Caller {
    /// Whether the caller holds every role in `required`.
    pub fn may(&self, required: &BTreeMap<Subsystem, Role>) -> bool {
        required
            .iter()
            .all(|(subsystem, role)| self.roles.get(subsystem).is_some_and(|held| held >= role))
    }
}

/// `sales`, `ads`, `crm`, `content`.
pub fn subsystem_name(s: Subsystem) -> &'static str {
    match s {
        Subsystem::Sales => "sales",
        Subsystem::Ads => "ads",
        Subsystem::Crm => "crm",
        Subsystem::Content => "content",
    }
}

/// `read`, `write`, `admin`.
pub fn role_name(r: Role) -> &'static str {
    match r {
        Role::Read => "read",
        Role::Write => "write",
        Role::Admin => "admin",
    }
}

/// Verifies bearer tokens: the kit's verifier (ES256, `kid` from the sales JWKS, issuer,
/// audience, expiry), its claims turned into a [`Caller`].
#[derive(Debug)]
pub struct Verifier {
    inner: promptsales_kit::auth::Verifier,
}

impl Verifier {
    /// A verifier of tokens from `issuer` for `audience`, keys at `jwks_url`.
    pub fn new(jwks_url: String, issuer: String, audience: String) -> Self {
        // The leeway (and anything else the kit reads) as every subgraph has it.
        let config = promptsales_kit::auth::AuthConfig {
            issuer,
            audience,
            jwks_url,
            ..promptsales_kit::auth::AuthConfig::from_env().unwrap_or_default()
        };
        Self {
            inner: promptsales_kit::auth::Verifier::remote(&config),
        }
    }

    /// The caller a token stands for, or why it is refused (said in the 401's `error_description`).
    pub async fn verify(&self, token: &str) -> Result<Caller, String> {
        let claims = self.inner.verify(token).await.map_err(|e| e.to_string())?;
        let context = claims.context();
        Ok(Caller {
            token: Some(token.to_string()),
            verified: true,
            organization: context.organization,
            user: context.user,
            subject: Some(claims.sub),
            roles: context.roles,
        })
    }
}

/// The adapter's own credential (stdio): client id and secret exchanged for a token.
#[derive(Debug)]
pub struct ServiceCredential {
    token_url: String,
    client_id: String,
    client_secret: String,
    http: reqwest::Client,
    cached: Mutex<Option<(Caller, Instant)>>,
}

#[derive(Debug, Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl ServiceCredential {
    /// A credential exchanged at `token_url` (`POST /oauth/token` of the sales subgraph).
    pub fn new(token_url: String, client_id: String, client_secret: String) -> Self {
        Self {
            token_url,
            client_id,
            client_secret,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            cached: Mutex::new(None),
        }
    }

    /// The service's caller: a cached token while it has a minute left, else a new one.
    pub async fn caller(&self, verifier: &Verifier) -> Result<Caller, McpError> {
        let mut cached = self.cached.lock().await;
        if let Some((caller, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(caller.clone());
        }
        let response = self
            .http
            .post(&self.token_url)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.as_str()),
            ])
            .send()
            .await
            .map_err(|e| McpError::Identity(format!("{} unreachable: {e}", self.token_url)))?;
        let status = response.status();
        if !status.is_success() {
            let body: String = response
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect();
            return Err(McpError::Identity(format!(
                "{} refused the client credentials ({status}): {body}",
                self.token_url
            )));
        }
        let token: TokenResponse = response
            .json()
            .await
            .map_err(|e| McpError::Identity(format!("not a token response: {e}")))?;
        let caller = verifier
            .verify(&token.access_token)
            .await
            .map_err(McpError::Identity)?;
        let lifetime = Duration::from_secs(token.expires_in.unwrap_or(300).saturating_sub(60));
        *cached = Some((caller.clone(), Instant::now() + lifetime));
        Ok(caller)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_may_use_what_its_roles_cover() {
        let caller = Caller {
            roles: [
                (Subsystem::Crm, Role::Write),
                (Subsystem::Sales, Role::Read),
            ]
            .into(),
            ..Caller::default()
        };
        assert!(caller.may(&[(Subsystem::Crm, Role::Read)].into()));
        assert!(
            caller.may(
                &[
                    (Subsystem::Crm, Role::Write),
                    (Subsystem::Sales, Role::Read)
                ]
                .into()
            )
        );
        assert!(!caller.may(&[(Subsystem::Sales, Role::Write)].into()));
        assert!(!caller.may(&[(Subsystem::Ads, Role::Read)].into()));
        assert!(caller.may(&BTreeMap::new()));
    }
}
