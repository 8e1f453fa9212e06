//! A service acting for ONE tenant, when no caller's token is there to act with (a signed
//! webhook, a background sweep): a platform service client of the sales token endpoint
//! (`client_credentials`) asks for a token narrowed to one organization (`organization_id`)
//! and to the roles it needs (`scope`), so the subgraph it then calls applies that tenant
//! exactly as for a user of it ([`crate::references::check`] answers `NOT_FOUND` for another
//! tenant's id). Never a platform-wide token: a token without an organization passes the
//! checks for every tenant's ids.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PROMPTSALES_SERVICE_CLIENT_ID` / `PROMPTSALES_SERVICE_CLIENT_SECRET` | unset: no service identity | the platform client (no organization) the service authenticates as; `promptsales up` gives the subgraphs its demo client |
//! | `PROMPTSALES_TOKEN_URL` | the sales endpoint of [`crate::references::Owner::Sales`] with `/oauth/token` for `/graphql` | the token endpoint |
//!
//! Tokens are kept per (organization, scope) until a minute before they expire.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use uuid::Uuid;

use crate::ApiError;

/// The service client's id.
pub const CLIENT_ID_ENV: &str = "PROMPTSALES_SERVICE_CLIENT_ID";
/// The service client's secret.
pub const CLIENT_SECRET_ENV: &str = "PROMPTSALES_SERVICE_CLIENT_SECRET";
/// The token endpoint.
pub const TOKEN_URL_ENV: &str = "PROMPTSALES_TOKEN_URL";
/// How long before its expiry a kept token is replaced.
const MARGIN: Duration = Duration::from_secs(60);
/// How long the token endpoint may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// A platform service client that gets tokens for one organization at a time.
pub struct ServiceIdentity {
    token_url: String,
    client_id: String,
    client_secret: String,
    kept: Mutex<HashMap<(Uuid, String), (String, Instant)>>,
}

impl std::fmt::Debug for ServiceIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceIdentity")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl ServiceIdentity {
    /// The client `client_id` with `client_secret`, asking `token_url`.
    pub fn new(
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Self {
            token_url: token_url.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            kept: Mutex::new(HashMap::new()),
        }
    }

    /// The identity the environment configures, or `None` when its client is not set.
    pub fn from_env() -> Option<Self> {
        Self::from_vars(&crate::config::Vars::from_env())
    }

    /// The identity `vars` configure, or `None` when its client is not set.
    pub fn from_vars(vars: &crate::config::Vars) -> Option<Self> {
        let (id, secret) = (vars.text(CLIENT_ID_ENV)?, vars.text(CLIENT_SECRET_ENV)?);
        let url = vars.text(TOKEN_URL_ENV).unwrap_or_else(|| {
            let sales = crate::references::Owner::Sales.url_in(vars);
            format!(
                "{}/oauth/token",
                sales.trim_end_matches('/').trim_end_matches("/graphql")
            )
        });
        Some(Self::new(url, id, secret))
    }

    /// `Bearer <token>` acting for `organization` with `scope` (`sales:read ads:read`), kept
    /// until shortly before it expires. `SERVICE_UNAVAILABLE` when the token endpoint cannot
    /// be reached or refuses (logged with its reason: a misconfigured client).
    pub async fn authorization(&self, organization: Uuid, scope: &str) -> Result<String, ApiError> {
        let key = (organization, scope.to_string());
        let mut kept = self.kept.lock().await;
        if let Some((token, until)) = kept.get(&key)
            && Instant::now() < *until
        {
            return Ok(format!("Bearer {token}"));
        }
        let unavailable = |reason: String| {
            tracing::warn!(%organization, scope, client = %self.client_id, %reason, "no service token");
            ApiError::Unavailable("the platform's token service is unavailable; try again".into())
        };
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| unavailable(e.to_string()))?;
        let response = http
            .post(&self.token_url)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.as_str()),
                ("scope", scope),
                ("organization_id", &organization.to_string()),
            ])
            .send()
            .await
            .map_err(|e| unavailable(format!("unreachable: {}", e.without_url())))?;
        let status = response.status();
        let body: serde_json::Value = response
            .json()
            .await
            .map_err(|e| unavailable(format!("not JSON: {}", e.without_url())))?;
        let (Some(token), true) = (body["access_token"].as_str(), status.is_success()) else {
            return Err(unavailable(format!(
                "{status}: {} {}",
                body["error"].as_str().unwrap_or_default(),
                body["error_description"].as_str().unwrap_or_default()
            )));
        };
        let lives = Duration::from_secs(body["expires_in"].as_u64().unwrap_or(0));
        let until = Instant::now() + lives.saturating_sub(MARGIN);
        kept.insert(key, (token.to_string(), until));
        Ok(format!("Bearer {token}"))
    }
}
