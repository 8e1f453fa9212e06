//! Verifying an access token: algorithm allow-list, key by `kid`, signature,
//! issuer, audience and expiry (with a small leeway). A token that passes
//! every check becomes the request's context; any other is refused.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};

use super::claims::Claims;
use super::jwks::{KeyMap, RemoteJwks, SharedKeys, key_map};
use super::{ALGORITHM, AuthConfig};
use crate::context::RequestContext;
use crate::error::ApiError;

/// Why a token was refused. Messages are safe to show the caller.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    /// No token was sent.
    #[error("this operation needs a bearer token (Authorization: Bearer <access token>)")]
    Missing,
    /// Not a compact JWT, or the `Authorization` header is not `Bearer <token>`.
    #[error("the access token is malformed")]
    Malformed,
    /// The header names an algorithm other than ES256 (`none`, `HS256`, ...).
    #[error("the access token's algorithm {0} is not accepted")]
    Algorithm(String),
    /// The header has no `kid`.
    #[error("the access token names no key (kid)")]
    MissingKeyId,
    /// No published key has this `kid`.
    #[error("the access token's key {0} is not one of the issuer's keys")]
    UnknownKey(String),
    /// The signature does not verify.
    #[error("the access token's signature is invalid")]
    Signature,
    /// Past `exp` (beyond the leeway).
    #[error("the access token has expired")]
    Expired,
    /// Wrong `iss`.
    #[error("the access token was not issued by this platform")]
    Issuer,
    /// Wrong `aud`.
    #[error("the access token is not meant for this API")]
    Audience,
    /// Missing or malformed claims.
    #[error("the access token's claims are invalid")]
    Claims,
    /// The issuer's keys cannot be fetched (the issuer is down); not the caller's fault.
    #[error(
        "the access token cannot be verified now (the issuer's keys are unavailable); retry later"
    )]
    KeysUnavailable(String),
}

impl TokenError {
    /// The API error a client receives: always `UNAUTHENTICATED` (when the
    /// issuer's keys cannot be fetched the message says to retry later).
    pub fn to_api(&self) -> ApiError {
        ApiError::Unauthenticated(self.to_string())
    }
}

enum Keys {
    Local(KeyMap),
    Shared(SharedKeys),
    Remote(RemoteJwks),
}

/// Verifies access tokens against the issuer's public keys.
pub struct Verifier {
    issuer: String,
    audience: String,
    leeway_seconds: u64,
    keys: Keys,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field(
                "keys",
                &match &self.keys {
                    Keys::Local(keys) => format!("{} local", keys.len()),
                    Keys::Shared(keys) => format!("{} shared", keys.len()),
                    Keys::Remote(remote) => remote.url().to_string(),
                },
            )
            .finish()
    }
}

impl Verifier {
    /// Verifies with keys fetched from `config.jwks_url` (every subgraph but the issuer).
    pub fn remote(config: &AuthConfig) -> Self {
        Self::with_remote(config, RemoteJwks::new(config.jwks_url.clone()))
    }

    /// Verifies with keys from `jwks` (a configured [`RemoteJwks`]).
    pub fn with_remote(config: &AuthConfig, jwks: RemoteJwks) -> Self {
        Self {
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            leeway_seconds: config.leeway_seconds,
            keys: Keys::Remote(jwks),
        }
    }

    /// Verifies with a key set held in memory (the issuer verifies with its own keys).
    pub fn local(config: &AuthConfig, jwks: &JwkSet) -> Self {
        Self {
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            leeway_seconds: config.leeway_seconds,
            keys: Keys::Local(key_map(jwks)),
        }
    }

    /// Verifies with keys held in memory that their owner replaces (the issuer, across key rotations).
    pub fn shared(config: &AuthConfig, keys: SharedKeys) -> Self {
        Self {
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            leeway_seconds: config.leeway_seconds,
            keys: Keys::Shared(keys),
        }
    }

    /// The verifier a standalone subgraph uses: settings from the environment, keys from the JWKS URL.
    pub fn from_env() -> Result<Self, crate::config::ConfigError> {
        Ok(Self::remote(&AuthConfig::from_env()?))
    }

    async fn key(&self, kid: &str) -> Result<DecodingKey, TokenError> {
        match &self.keys {
            Keys::Local(keys) => keys
                .get(kid)
                .cloned()
                .ok_or_else(|| TokenError::UnknownKey(kid.to_string())),
            Keys::Shared(keys) => keys
                .get(kid)
                .ok_or_else(|| TokenError::UnknownKey(kid.to_string())),
            Keys::Remote(remote) => remote.key(kid).await,
        }
    }

    /// The claims of `token` if it passes every check.
    pub async fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
            // `alg: none` and unknown algorithms fail here, before any key is looked at.
            ErrorKind::Json(_) => TokenError::Algorithm("(unsupported)".into()),
            _ => TokenError::Malformed,
        })?;
        if header.alg != ALGORITHM {
            return Err(TokenError::Algorithm(format!("{:?}", header.alg)));
        }
        let kid = header.kid.ok_or(TokenError::MissingKeyId)?;
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(ALGORITHM);
        validation.algorithms = vec![ALGORITHM];
        validation.leeway = self.leeway_seconds;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| match e
            .kind()
        {
            ErrorKind::InvalidSignature => TokenError::Signature,
            ErrorKind::ExpiredSignature => TokenError::Expired,
            ErrorKind::InvalidIssuer => TokenError::Issuer,
            ErrorKind::InvalidAudience => TokenError::Audience,
            ErrorKind::InvalidAlgorithm => TokenError::Algorithm(format!("{:?}", header.alg)),
            ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Utf8(_) => {
                TokenError::Malformed
            }
            _ => TokenError::Claims,
        })?;
        Ok(data.claims)
    }

    /// The request context of `token` if it passes every check.
    pub async fn context(&self, token: &str) -> Result<RequestContext, TokenError> {
        Ok(self.verify(token).await?.context())
    }
}

#[cfg(test)]
mod tests;
