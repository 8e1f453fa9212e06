//! Everything the content subgraph reads from the environment, parsed once at start into
//! [`Settings`] and handed down as values. Every variable, with its default, is listed in
//! the README's "Configuration" table (the one place they are documented); the reference
//! owners' endpoints and `PROMPTSALES_CHECK_REFERENCES` (`promptsales_kit::references`) are
//! still read on every check.

use std::path::PathBuf;

use promptsales_kit::ServiceConfig;
use promptsales_kit::ai::AiConfig;
use promptsales_kit::auth::AuthConfig;
use promptsales_kit::config::{self, ConfigError, Vars};
use promptsales_kit::server::transport::ServerLimits;

use crate::crypto::key_file;
use crate::engine::EngineConfig;

/// The content subgraph's configuration.
#[derive(Clone)]
pub struct Settings {
    /// Listen address and store (`PROMPTSALES_CONTENT_HOST`, `_PORT`, `_DATABASE_URL`, `PROMPTSALES_DATA_DIR`).
    pub service: ServiceConfig,
    /// Transport limits (`PROMPTSALES_SUBGRAPH_MAX_BODY_SIZE`, `_REQUEST_TIMEOUT`, `_MAX_JSON_DEPTH`, `_MAX_TOKENS`).
    pub limits: ServerLimits,
    /// How tokens are verified (`PROMPTSALES_JWT_ISSUER`, `_AUDIENCE`, `_LEEWAY`, `PROMPTSALES_JWKS_URL`).
    pub auth: AuthConfig,
    /// Search cache and outreach batches (`PROMPTSALES_CONTENT_SEARCH_CACHE_TTL`, `_OUTREACH_*`).
    pub engine: EngineConfig,
    /// The AI model, cache and quotas (`PROMPTSALES_AI_*`, `PROMPTSALES_MODELS_DIR`).
    pub ai: AiConfig,
    /// Where batch progress and template changes reach the other instances
    /// (`PROMPTSALES_REDIS_URL`; `None`: `off`, this instance only).
    pub redis_url: Option<String>,
    /// The key sealing credentials and prospects (`PROMPTSALES_CONTENT_DATA_KEY`, base64), a secret.
    pub data_key: Option<String>,
    /// The data folder, where `content.key` is when no key is set (`PROMPTSALES_DATA_DIR`).
    pub data_dir: PathBuf,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The data key never reaches a log.
        f.debug_struct("Settings")
            .field("service", &self.service)
            .field("limits", &self.limits)
            .field("auth", &self.auth)
            .field("engine", &self.engine)
            .field("ai", &self.ai)
            .field("redis_url", &self.redis_url)
            .field("data_key", &self.data_key.as_ref().map(|_| "<redacted>"))
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

impl Settings {
    /// Reads the settings from the process's environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&Vars::from_env())
    }

    /// Reads the settings from `vars`; the first unusable value is the error, naming its variable.
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        Ok(Self {
            service: ServiceConfig::from_vars(crate::NAME, vars)?,
            limits: ServerLimits::from_vars(vars)?,
            auth: AuthConfig::from_vars(vars)?,
            engine: EngineConfig::from_vars(vars)?,
            ai: AiConfig::from_vars(vars)?,
            redis_url: config::redis_url(vars),
            data_key: vars.get(key_file::ENV_VAR).map(str::to_string),
            data_dir: config::data_dir_of(vars),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn defaults_when_nothing_is_set() {
        let s = Settings::from_vars(&Vars::default()).unwrap();
        assert_eq!(s.service.listen.port(), 4004);
        assert_eq!(s.limits, ServerLimits::default());
        assert_eq!(s.auth, AuthConfig::default());
        assert_eq!(s.engine, EngineConfig::default());
        assert!(s.ai.openai.is_none());
        assert_eq!(s.redis_url.as_deref(), Some(config::DEFAULT_REDIS_URL));
        assert_eq!(s.data_key, None);
        assert_eq!(s.data_dir, PathBuf::from("data"));
    }

    #[test]
    fn reads_valid_values() {
        let vars = Vars::from_pairs([
            ("PROMPTSALES_CONTENT_PORT", "5004"),
            ("PROMPTSALES_CONTENT_SEARCH_CACHE_TTL", "5m"),
            ("PROMPTSALES_CONTENT_OUTREACH_CONCURRENCY", "8"),
            ("PROMPTSALES_CONTENT_OUTREACH_LEASE", "2s"),
            ("PROMPTSALES_CONTENT_DATA_KEY", "c2VjcmV0"),
            ("PROMPTSALES_REDIS_URL", "off"),
            ("PROMPTSALES_DATA_DIR", "/srv"),
        ]);
        let s = Settings::from_vars(&vars).unwrap();
        assert_eq!(s.service.listen.port(), 5004);
        assert_eq!(s.engine.search_cache_ttl, Duration::from_secs(300));
        assert_eq!(s.engine.outreach_concurrency, 8);
        assert_eq!(s.engine.outreach_lease, Duration::from_secs(2));
        assert_eq!(s.data_key.as_deref(), Some("c2VjcmV0"));
        assert!(
            !format!("{s:?}").contains("c2VjcmV0"),
            "the key stays out of logs"
        );
        assert_eq!(s.redis_url, None);
        assert_eq!(s.data_dir, PathBuf::from("/srv"));
    }

    #[test]
    fn a_bad_value_is_an_error_naming_its_variable() {
        for (name, value) in [
            ("PROMPTSALES_CONTENT_PORT", "x"),
            ("PROMPTSALES_CONTENT_SEARCH_CACHE_TTL", "soon"),
            ("PROMPTSALES_CONTENT_OUTREACH_CONCURRENCY", "65"),
            ("PROMPTSALES_CONTENT_OUTREACH_LEASE", "500ms"),
            ("PROMPTSALES_AI_CACHE_TTL", "0s"),
            ("PROMPTSALES_SUBGRAPH_MAX_TOKENS", "0"),
        ] {
            let e = Settings::from_vars(&Vars::from_pairs([(name, value)])).unwrap_err();
            assert!(e.to_string().contains(name), "{name}: {e}");
        }
    }
}
