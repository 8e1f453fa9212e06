//! Everything the ads subgraph reads from the environment, parsed once at start into
//! [`Settings`] and handed down as values. Every variable, with its default, is listed in
//! the README's "Configuration" table (the one place they are documented); the reference
//! owners' endpoints (`promptsales_kit::references`) are still read on every check.

use std::time::Duration;

use promptsales_kit::ServiceConfig;
use promptsales_kit::auth::AuthConfig;
use promptsales_kit::config::{self, ConfigError, Vars};
use promptsales_kit::server::transport::ServerLimits;

use crate::directory::{cache_ttl, sales_url};
use crate::http::WebhookConfig;
use crate::platforms::MetaConfig;

/// The ads subgraph's configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Listen address and store (`PROMPTSALES_ADS_HOST`, `_PORT`, `_DATABASE_URL`, `PROMPTSALES_DATA_DIR`).
    pub service: ServiceConfig,
    /// Transport limits (`PROMPTSALES_SUBGRAPH_MAX_BODY_SIZE`, `_REQUEST_TIMEOUT`, `_MAX_JSON_DEPTH`, `_MAX_TOKENS`).
    pub limits: ServerLimits,
    /// How tokens are verified (`PROMPTSALES_JWT_ISSUER`, `_AUDIENCE`, `_LEEWAY`, `PROMPTSALES_JWKS_URL`).
    pub auth: AuthConfig,
    /// The sales endpoint campaigns are read from (`PROMPTSALES_SALES_URL`).
    pub sales_url: String,
    /// How long a campaign read from sales is reused (`PROMPTSALES_ADS_CAMPAIGN_CACHE_TTL`).
    pub campaign_cache_ttl: Duration,
    /// The Redis of live metrics (`PROMPTSALES_REDIS_URL`; `None`: `off`, this instance only).
    pub redis_url: Option<String>,
    /// The Meta connector (`PROMPTSALES_META_*`; `None`: not configured).
    pub meta: Option<MetaConfig>,
    /// The platforms' webhook (`PROMPTSALES_ADS_WEBHOOK_SECRET_<PLATFORM>`, `_TOLERANCE`).
    pub webhooks: WebhookConfig,
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
            sales_url: sales_url(vars),
            campaign_cache_ttl: cache_ttl(vars),
            redis_url: config::redis_url(vars),
            meta: MetaConfig::from_vars(vars),
            webhooks: WebhookConfig::from_vars(vars),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::{DEFAULT_CACHE_TTL, DEFAULT_SALES_URL};
    use crate::http::DEFAULT_TOLERANCE_SECS;

    #[test]
    fn defaults_when_nothing_is_set() {
        let s = Settings::from_vars(&Vars::default()).unwrap();
        assert_eq!(s.service.listen.port(), 4002);
        assert_eq!(s.limits, ServerLimits::default());
        assert_eq!(s.auth, AuthConfig::default());
        assert_eq!(s.sales_url, DEFAULT_SALES_URL);
        assert_eq!(s.campaign_cache_ttl, DEFAULT_CACHE_TTL);
        assert_eq!(s.redis_url.as_deref(), Some(config::DEFAULT_REDIS_URL));
        assert!(s.meta.is_none());
        assert!(s.webhooks.secrets.is_empty());
        assert_eq!(s.webhooks.tolerance_secs, DEFAULT_TOLERANCE_SECS);
    }

    #[test]
    fn reads_valid_values() {
        let vars = Vars::from_pairs([
            ("PROMPTSALES_ADS_PORT", "5002"),
            ("PROMPTSALES_SALES_URL", "http://sales:4001/graphql"),
            ("PROMPTSALES_ADS_CAMPAIGN_CACHE_TTL", "0"),
            ("PROMPTSALES_REDIS_URL", "off"),
            ("PROMPTSALES_META_ACCESS_TOKEN", "t"),
            ("PROMPTSALES_META_AD_ACCOUNT_ID", "1"),
            ("PROMPTSALES_META_ADSET_ID", "2"),
            ("PROMPTSALES_META_CREATIVE_ID", "3"),
            ("PROMPTSALES_ADS_WEBHOOK_SECRET_META", "s3cret"),
            ("PROMPTSALES_ADS_WEBHOOK_TOLERANCE", "60"),
        ]);
        let s = Settings::from_vars(&vars).unwrap();
        assert_eq!(s.service.listen.port(), 5002);
        assert_eq!(s.sales_url, "http://sales:4001/graphql");
        assert_eq!(s.campaign_cache_ttl, Duration::ZERO);
        assert_eq!(s.redis_url, None);
        assert_eq!(s.meta.map(|m| m.creative_id).as_deref(), Some("3"));
        assert_eq!(
            s.webhooks.secrets.get("meta").map(Vec::as_slice),
            Some(&b"s3cret"[..])
        );
        assert_eq!(s.webhooks.tolerance_secs, 60);
    }

    #[test]
    fn a_bad_value_is_an_error_naming_its_variable() {
        for name in [
            "PROMPTSALES_ADS_PORT",
            "PROMPTSALES_ADS_HOST",
            "PROMPTSALES_JWT_LEEWAY",
            "PROMPTSALES_SUBGRAPH_MAX_BODY_SIZE",
        ] {
            let e = Settings::from_vars(&Vars::from_pairs([(name, "not-a-value")])).unwrap_err();
            assert!(e.to_string().contains(name), "{name}: {e}");
        }
    }

    #[test]
    fn lenient_values_keep_their_defaults_as_before() {
        let vars = Vars::from_pairs([
            ("PROMPTSALES_ADS_CAMPAIGN_CACHE_TTL", "soon"),
            ("PROMPTSALES_ADS_WEBHOOK_TOLERANCE", "long"),
        ]);
        let s = Settings::from_vars(&vars).unwrap();
        assert_eq!(s.campaign_cache_ttl, DEFAULT_CACHE_TTL);
        assert_eq!(s.webhooks.tolerance_secs, DEFAULT_TOLERANCE_SECS);
    }
}
