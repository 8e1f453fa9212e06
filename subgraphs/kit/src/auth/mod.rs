//! Access tokens: what every subgraph verifies before it answers.
//!
//! The sales subgraph issues OAuth 2.0 access tokens: JWTs signed with ES256
//! (ECDSA P-256, accepted by both `jsonwebtoken` and Hive Router's JWT
//! support), the key named by `kid` in the header and published at
//! `/.well-known/jwks.json`. Every subgraph verifies the token itself
//! ([`Verifier`]: signature, algorithm allow-list, issuer, audience, expiry)
//! and turns its [`Claims`] into the [`crate::RequestContext`] resolvers read;
//! [`AccessGuard`] then refuses operations without the subsystem's role.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PROMPTSALES_JWKS_URL` | `http://127.0.0.1:4001/.well-known/jwks.json` | where subgraphs fetch the issuer's public keys |
//! | `PROMPTSALES_JWT_ISSUER` | `promptsales` | the `iss` tokens are issued with and must carry |
//! | `PROMPTSALES_JWT_AUDIENCE` | `promptsales-api` | the `aud` tokens are issued with and must carry |
//! | `PROMPTSALES_JWT_LEEWAY` | `30` | seconds of clock skew tolerated on `exp` |

pub mod bearer;
pub mod claims;
pub mod guard;
pub mod jwks;
pub mod signing;
pub mod verifier;

pub use claims::{Claims, TokenType};
pub use guard::{AccessGuard, MemberFields, Unauthenticated};
pub use signing::SigningKey;
pub use verifier::{TokenError, Verifier};

use crate::config::{ConfigError, Vars};

/// The only signature algorithm tokens may use (the allow-list is this one entry).
pub const ALGORITHM: jsonwebtoken::Algorithm = jsonwebtoken::Algorithm::ES256;
/// The default `iss`.
pub const DEFAULT_ISSUER: &str = "promptsales";
/// The default `aud`.
pub const DEFAULT_AUDIENCE: &str = "promptsales-api";
/// The default JWKS address: the sales subgraph on its default port.
pub const DEFAULT_JWKS_URL: &str = "http://127.0.0.1:4001/.well-known/jwks.json";
/// Where the issuer publishes its public keys (path on the sales subgraph).
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// What a verifier checks tokens against, from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// The required `iss`.
    pub issuer: String,
    /// The required `aud`.
    pub audience: String,
    /// Seconds of clock skew tolerated on `exp`.
    pub leeway_seconds: u64,
    /// Where the public keys are fetched from (subgraphs other than the issuer).
    pub jwks_url: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            issuer: DEFAULT_ISSUER.to_string(),
            audience: DEFAULT_AUDIENCE.to_string(),
            leeway_seconds: 30,
            jwks_url: DEFAULT_JWKS_URL.to_string(),
        }
    }
}

impl AuthConfig {
    /// Reads `PROMPTSALES_JWT_ISSUER`, `PROMPTSALES_JWT_AUDIENCE`, `PROMPTSALES_JWT_LEEWAY`
    /// and `PROMPTSALES_JWKS_URL`, each with its default.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&Vars::from_env())
    }

    /// [`AuthConfig::from_env`] from `vars`.
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let text = |name: &str, default: String| {
            vars.get(name)
                .filter(|v| !v.trim().is_empty())
                .map(str::to_string)
                .unwrap_or(default)
        };
        let leeway_seconds = match vars.get("PROMPTSALES_JWT_LEEWAY") {
            Some(v) => v.trim().parse().map_err(|e: std::num::ParseIntError| {
                ConfigError::invalid("PROMPTSALES_JWT_LEEWAY", v, e.to_string())
            })?,
            None => defaults.leeway_seconds,
        };
        Ok(Self {
            issuer: text("PROMPTSALES_JWT_ISSUER", defaults.issuer),
            audience: text("PROMPTSALES_JWT_AUDIENCE", defaults.audience),
            leeway_seconds,
            jwks_url: text("PROMPTSALES_JWKS_URL", defaults.jwks_url),
        })
    }
}
