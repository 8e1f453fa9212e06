//! The token issuer: signs access tokens with the sales subgraph's current key,
//! publishes its keys (rotations included) and says how long tokens live.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::jwk::JwkSet;
use promptsales_kit::auth::jwks::SharedKeys;
use promptsales_kit::auth::{AuthConfig, Claims, SigningKey, TokenType, Verifier};
use promptsales_kit::config::{ConfigError, Vars};
use uuid::Uuid;

use super::keys::{KeyFileError, KeyFiles, KeyRing};

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
        Self::from_vars(&Vars::from_env())
    }

    /// [`Lifetimes::from_env`] from `vars`.
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let seconds = |name: &str, default: Duration| -> Result<Duration, ConfigError> {
            match vars.get(name) {
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|s| *s > 0)
                    .map(Duration::from_secs)
                    .ok_or_else(|| {
                        ConfigError::invalid(name, v, "must be a positive number of seconds")
                    }),
                None => Ok(default),
            }
        };
        Ok(Self {
            access: seconds("PROMPTSALES_ACCESS_TOKEN_TTL", defaults.access)?,
            refresh: seconds("PROMPTSALES_REFRESH_TOKEN_TTL", defaults.refresh)?,
        })
    }
}

/// Signs access tokens; its public keys are what every subgraph verifies with.
///
/// The keys may rotate while it runs ([`super::keys`]): [`Issuer::reload`]
/// re-reads the key files, and the issuer's own [`Issuer::verifier`] follows.
#[derive(Debug)]
pub struct Issuer {
    ring: RwLock<KeyRing>,
    files: Option<KeyFiles>,
    published: SharedKeys,
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
    /// An issuer signing with `key` (kept in memory only), stamping `config`'s issuer and audience.
    pub fn new(key: SigningKey, config: AuthConfig, lifetimes: Lifetimes) -> Self {
        Self::with_ring(KeyRing::single(key), None, config, lifetimes)
    }

    /// An issuer over `ring`, re-read from `files` on [`Issuer::reload`] when given.
    pub fn with_ring(
        ring: KeyRing,
        files: Option<KeyFiles>,
        config: AuthConfig,
        lifetimes: Lifetimes,
    ) -> Self {
        let published = SharedKeys::new(&ring.published(Utc::now()));
        Self {
            ring: RwLock::new(ring),
            files,
            published,
            config,
            lifetimes,
        }
    }

    /// The issuer of a running sales subgraph: its key files (created on first start), token
    /// settings and lifetimes as its settings say.
    pub fn from_settings(settings: &crate::Settings) -> anyhow::Result<Self> {
        let files = settings.key_files.clone();
        let ring = files.load_or_create()?;
        Ok(Self::with_ring(
            ring,
            Some(files),
            settings.auth.clone(),
            settings.lifetimes,
        ))
    }

    fn ring(&self) -> std::sync::RwLockReadGuard<'_, KeyRing> {
        match self.ring.read() {
            Ok(ring) => ring,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn update(&self, change: impl FnOnce(&mut KeyRing)) {
        let now = Utc::now();
        let mut ring = match self.ring.write() {
            Ok(ring) => ring,
            Err(poisoned) => poisoned.into_inner(),
        };
        change(&mut ring);
        self.published.replace(&ring.published(now));
    }

    /// The key signing now (its public half is published).
    pub fn key(&self) -> SigningKey {
        self.ring().signing(Utc::now()).clone()
    }

    /// The public keys to publish now: the signing key, a pending next key, and
    /// superseded keys whose tokens have not all expired.
    pub fn jwks(&self) -> JwkSet {
        self.ring().published(Utc::now())
    }

    /// How long a superseded key stays published after it stops signing: the
    /// access token lifetime plus the verifiers' leeway.
    pub fn retirement_grace(&self) -> Duration {
        self.lifetimes.access + Duration::from_secs(self.config.leeway_seconds)
    }

    /// Starts signing with `key` after `delay` (published from now); the key it
    /// supersedes stays published for [`Issuer::retirement_grace`] more. In memory only.
    pub fn rotate(&self, key: SigningKey, delay: Duration) -> Result<(), KeyFileError> {
        let grace = self.retirement_grace();
        let mut outcome = Ok(());
        self.update(|ring| {
            outcome = ring
                .rotate(key, Utc::now(), delay, grace)
                .map(|next| tracing::info!(kid = next.key.kid(), activate_at = %next.activate_at, "signing key rotation started"));
        });
        outcome
    }

    /// Stops publishing `kid` now: tokens it signed are refused from now on. In memory only.
    pub fn retire(&self, kid: &str) -> Result<(), KeyFileError> {
        let mut outcome = Ok(());
        self.update(|ring| outcome = ring.retire(kid, Utc::now()));
        outcome
    }

    /// Re-reads the key files (when the issuer has them) and republishes: a
    /// rotation or retirement made by `promptsales signing-key` takes effect, and
    /// keys whose time has come start signing or drop out. A file that cannot be
    /// read leaves the keys as they were (logged).
    pub fn reload(&self) {
        let loaded = match &self.files {
            Some(files) => match files.load() {
                Ok(ring) => Some(ring),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot re-read the signing keys; keeping the loaded ones");
                    None
                }
            },
            None => None,
        };
        let before = self.published.kids();
        self.update(|ring| {
            if let Some(loaded) = loaded {
                *ring = loaded;
            }
        });
        let after = self.published.kids();
        if before != after {
            tracing::info!(signing = self.key().kid(), published = ?after, "the published signing keys changed");
        }
    }

    /// Calls [`Issuer::reload`] every `interval` until the task is aborted.
    pub fn spawn_reload(self: &Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        let issuer = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let Some(issuer) = issuer.upgrade() else {
                    break;
                };
                issuer.reload();
            }
        })
    }

    /// Issuer, audience and leeway.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// Token lifetimes.
    pub fn lifetimes(&self) -> Lifetimes {
        self.lifetimes
    }

    /// A verifier over this issuer's own published keys, following its rotations
    /// (the sales subgraph needs no JWKS fetch).
    pub fn verifier(&self) -> Verifier {
        Verifier::shared(&self.config, self.published.clone())
    }

    /// Signs an access token for `subject` living [`Lifetimes::access`].
    pub fn access_token(
        &self,
        subject: &str,
        typ: TokenType,
        organization: Option<Uuid>,
        roles: Vec<String>,
    ) -> Result<AccessToken, promptsales_kit::auth::signing::SigningError> {
        let now = Utc::now().timestamp();
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
        let token = self.key().sign(&claims)?;
        Ok(AccessToken { token, claims })
    }
}
