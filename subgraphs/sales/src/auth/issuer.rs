//! The token issuer: signs access tokens with the sales subgraph's key and
//! says how long tokens live.

use std::time::Duration;

use promptsales_kit::auth::{AuthConfig, Claims, SigningKey, TokenType, Verifier};
use promptsales_kit::config::ConfigError;
use uuid::Uuid;

/// How long tokens live, from the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// Access tokens (`PROMPTSALES_ACCESS_TOKEN_TTL`, seconds, default 900 = 15 minutes).
    pub access: Duration,
    /// Refresh tokens (`PROMPTSALES_REFRESH_TOKEN_TTL`, seconds, default 2 592 000 = 30 days).
    pub refresh: Duration,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            access: Duration::from_secs(15 * 60),
            refresh: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

impl Lifetimes {
    /// Reads `PROMPTSALES_ACCESS_TOKEN_TTL` and `PROMPTSALES_REFRESH_TOKEN_TTL` (seconds).
    pub fn from_env() -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let seconds = |name: &str, default: Duration| -> Result<Duration, ConfigError> {
            match std::env::var(name) {
                Ok(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|s| *s > 0)
                    .map(Duration::from_secs)
                    .ok_or_else(|| ConfigError::Invalid {
                        name: name.into(),
                        value: v.clone(),
                        reason: "must be a positive number of seconds".into(),
                    }),
                Err(_) => Ok(default),
            }
        };
        Ok(Self {
            access: seconds("PROMPTSALES_ACCESS_TOKEN_TTL", defaults.access)?,
            refresh: seconds("PROMPTSALES_REFRESH_TOKEN_TTL", defaults.refresh)?,
        })
    }
}

/// Signs access tokens; its public key is what every subgraph verifies with.
#[derive(Debug, Clone)]
pub struct Issuer {
    key: SigningKey,
    config: AuthConfig,
    lifetimes: Lifetimes,
}

/// An access token and what it says.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The compact JWT.
    pub token: String,
    /// Its claims.
    pub claims: Claims,
}

impl Issuer {
    /// An issuer signing with `key`, stamping `config`'s issuer and audience.
    pub fn new(key: SigningKey, config: AuthConfig, lifetimes: Lifetimes) -> Self {
        Self {
            key,
            config,
            lifetimes,
        }
    }

    /// The issuer of a running sales subgraph: the key file, token settings and lifetimes from the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        let key = super::keys::load_or_create(&super::keys::key_path())?;
        Ok(Self::new(
            key,
            AuthConfig::from_env()?,
            Lifetimes::from_env()?,
        ))
    }

    /// The signing key (its public half is published).
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// Issuer, audience and leeway.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// Token lifetimes.
    pub fn lifetimes(&self) -> Lifetimes {
        self.lifetimes
    }

    /// A verifier over this issuer's own keys (the sales subgraph needs no JWKS fetch).
    pub fn verifier(&self) -> Verifier {
        Verifier::local(&self.config, &self.key.jwks())
    }

    /// Signs an access token for `subject` living [`Lifetimes::access`].
    pub fn access_token(
        &self,
        subject: &str,
        typ: TokenType,
        organization: Option<Uuid>,
        roles: Vec<String>,
    ) -> Result<AccessToken, promptsales_kit::auth::signing::SigningError> {
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(self.lifetimes.access.as_secs()).unwrap_or(i64::MAX / 2);
        let claims = Claims {
            iss: self.config.issuer.clone(),
            aud: self.config.audience.clone(),
            sub: subject.to_string(),
            org: organization,
            roles,
            typ,
            exp: now.saturating_add(ttl),
            iat: now,
            jti: Uuid::now_v7().to_string(),
        };
        Ok(AccessToken {
            token: self.key.sign(&claims)?,
            claims,
        })
    }
}
