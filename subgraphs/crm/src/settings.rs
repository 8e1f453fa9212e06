//! Everything the crm subgraph reads from the environment, parsed once at start into
//! [`Settings`] and handed down as values. Every variable, with its default, is listed in
//! the README's "Configuration" table (the one place they are documented); the reference
//! owners' endpoints and `PROMPTSALES_CHECK_REFERENCES` (`promptsales_kit::references`) are
//! still read on every check.

use std::sync::Arc;
use std::time::Duration;

use promptsales_kit::ServiceConfig;
use promptsales_kit::ai::AiConfig;
use promptsales_kit::auth::AuthConfig;
use promptsales_kit::config::{self, ConfigError, Vars};
use promptsales_kit::server::transport::ServerLimits;
use promptsales_kit::service_identity::ServiceIdentity;

use crate::REENCRYPT_INTERVAL_ENV;
use crate::crypto::KeySettings;
use crate::webhook::WebhookConfig;

/// The default pause between background re-encryption batches.
pub const DEFAULT_REENCRYPT_INTERVAL: Duration = Duration::from_secs(60);

/// The crm subgraph's configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Listen address and store (`PROMPTSALES_CRM_HOST`, `_PORT`, `_DATABASE_URL`, `PROMPTSALES_DATA_DIR`).
    pub service: ServiceConfig,
    /// Transport limits (`PROMPTSALES_SUBGRAPH_MAX_BODY_SIZE`, `_REQUEST_TIMEOUT`, `_MAX_JSON_DEPTH`, `_MAX_TOKENS`).
    pub limits: ServerLimits,
    /// How tokens are verified (`PROMPTSALES_JWT_ISSUER`, `_AUDIENCE`, `_LEEWAY`, `PROMPTSALES_JWKS_URL`).
    pub auth: AuthConfig,
    /// Where the personal-data keys come from (`PROMPTSALES_CRM_KEK_*`, `PROMPTSALES_CRM_DATA_KEY`).
    pub keys: KeySettings,
    /// Between background re-encryption batches (`PROMPTSALES_CRM_REENCRYPT_INTERVAL`; `None`: `0`, off).
    pub reencrypt_interval: Option<Duration>,
    /// The lead-capture webhook's replay window (`PROMPTSALES_CRM_WEBHOOK_WINDOW`).
    pub webhook: WebhookConfig,
    /// The AI model, cache and quotas (`PROMPTSALES_AI_*`).
    pub ai: AiConfig,
    /// The Redis of agent-queue updates (`PROMPTSALES_REDIS_URL`; `None`: `off`, this instance only).
    pub redis_url: Option<String>,
    /// The webhook's service client (`PROMPTSALES_SERVICE_CLIENT_ID`, `_SECRET`, `PROMPTSALES_TOKEN_URL`).
    pub service_identity: Option<Arc<ServiceIdentity>>,
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
            keys: KeySettings::from_vars(vars),
            reencrypt_interval: reencrypt_interval(vars)?,
            webhook: WebhookConfig::from_vars(vars)?,
            ai: AiConfig::from_vars(vars)?,
            redis_url: config::redis_url(vars),
            service_identity: ServiceIdentity::from_vars(vars).map(Arc::new),
        })
    }
}

/// `PROMPTSALES_CRM_REENCRYPT_INTERVAL` (seconds, default 60; `0`: no background batches).
fn reencrypt_interval(vars: &Vars) -> Result<Option<Duration>, ConfigError> {
    match vars.parse(REENCRYPT_INTERVAL_ENV, |v| {
        v.parse::<u64>()
            .map_err(|_| "must be a number of seconds".to_string())
    })? {
        Some(secs) => Ok((secs > 0).then(|| Duration::from_secs(secs))),
        None => Ok(Some(DEFAULT_REENCRYPT_INTERVAL)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::DEFAULT_WINDOW_SECS;

    #[test]
    fn defaults_when_nothing_is_set() {
        let s = Settings::from_vars(&Vars::default()).unwrap();
        assert_eq!(s.service.listen.port(), 4003);
        assert_eq!(s.limits, ServerLimits::default());
        assert_eq!(s.auth, AuthConfig::default());
        assert_eq!(
            s.keys,
            KeySettings {
                data_dir: "data".into(),
                ..KeySettings::default()
            }
        );
        assert_eq!(s.reencrypt_interval, Some(DEFAULT_REENCRYPT_INTERVAL));
        assert_eq!(s.webhook, WebhookConfig::new(DEFAULT_WINDOW_SECS));
        assert!(s.ai.openai.is_none());
        assert_eq!(s.redis_url.as_deref(), Some(config::DEFAULT_REDIS_URL));
        assert!(s.service_identity.is_none());
    }

    #[test]
    fn reads_valid_values() {
        let vars = Vars::from_pairs([
            ("PROMPTSALES_CRM_PORT", "5003"),
            ("PROMPTSALES_CRM_KEK_CERT", "/k/c.pem"),
            ("PROMPTSALES_CRM_KEK_KEY", "/k/k.pem"),
            ("PROMPTSALES_CRM_DATA_KEY", "c2VjcmV0"),
            ("PROMPTSALES_CRM_REENCRYPT_INTERVAL", "0"),
            ("PROMPTSALES_CRM_WEBHOOK_WINDOW", "30"),
            ("PROMPTSALES_REDIS_URL", "off"),
            ("PROMPTSALES_SERVICE_CLIENT_ID", "svc"),
            ("PROMPTSALES_SERVICE_CLIENT_SECRET", "s"),
        ]);
        let s = Settings::from_vars(&vars).unwrap();
        assert_eq!(s.service.listen.port(), 5003);
        assert_eq!(s.keys.cert.as_deref(), Some("/k/c.pem"));
        assert_eq!(s.keys.key.as_deref(), Some("/k/k.pem"));
        assert!(
            !format!("{:?}", s.keys).contains("c2VjcmV0"),
            "the key stays out of logs"
        );
        assert_eq!(s.reencrypt_interval, None);
        assert_eq!(s.webhook, WebhookConfig::new(30));
        assert_eq!(s.redis_url, None);
        assert!(s.service_identity.is_some());
    }

    #[test]
    fn a_bad_value_is_an_error_naming_its_variable() {
        for name in [
            "PROMPTSALES_CRM_PORT",
            "PROMPTSALES_CRM_REENCRYPT_INTERVAL",
            "PROMPTSALES_CRM_WEBHOOK_WINDOW",
            "PROMPTSALES_AI_CACHE_TTL",
            "PROMPTSALES_JWT_LEEWAY",
        ] {
            let e = Settings::from_vars(&Vars::from_pairs([(name, "-1x")])).unwrap_err();
            assert!(e.to_string().contains(name), "{name}: {e}");
        }
    }
}
