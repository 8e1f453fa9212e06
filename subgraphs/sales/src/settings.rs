//! Everything the sales subgraph reads from the environment, parsed once at start into
//! [`Settings`] and handed down as values. Every variable, with its default, is listed in
//! the README's "Configuration" table (the one place they are documented).
//!
//! Two reads stay where they are, on purpose: the ads endpoint of [`crate::ads_link`]
//! (`PROMPTSALES_ADS_URL`) and the reference owners' endpoints of
//! `promptsales_kit::references` are read on every call, which the end-to-end tests use to
//! take ads away and back while a platform runs.

use std::time::Duration;

use promptsales_kit::ServiceConfig;
use promptsales_kit::auth::AuthConfig;
use promptsales_kit::client_addr::TrustedProxies;
use promptsales_kit::config::{ConfigError, Vars};
use promptsales_kit::quota::WithoutRedis;
use promptsales_kit::server::transport::ServerLimits;

use crate::auth::Lifetimes;
use crate::auth::keys::{self, KeyFiles};
use crate::auth::throttle::ThrottleConfig;
use crate::limits::{DEFAULT_REDIS_URL, REDIS_URL_VAR};

/// The sales subgraph's configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Listen address and store (`PROMPTSALES_SALES_HOST`, `_PORT`, `_DATABASE_URL`, `PROMPTSALES_DATA_DIR`).
    pub service: ServiceConfig,
    /// Transport limits (`PROMPTSALES_SUBGRAPH_MAX_BODY_SIZE`, `_REQUEST_TIMEOUT`, `_MAX_JSON_DEPTH`, `_MAX_TOKENS`).
    pub limits: ServerLimits,
    /// Proxies whose `X-Forwarded-For` is believed (`PROMPTSALES_TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    /// Token issuer, audience, leeway and JWKS (`PROMPTSALES_JWT_*`, `PROMPTSALES_JWKS_URL`).
    pub auth: AuthConfig,
    /// Token lifetimes (`PROMPTSALES_ACCESS_TOKEN_TTL`, `PROMPTSALES_REFRESH_TOKEN_TTL`).
    pub lifetimes: Lifetimes,
    /// The signing key files (`PROMPTSALES_JWT_PRIVATE_KEY_FILE`, `PROMPTSALES_JWT_ROTATION_FILE`).
    pub key_files: KeyFiles,
    /// Between two readings of the key files (`PROMPTSALES_JWT_KEY_RELOAD_INTERVAL`).
    pub key_reload_interval: Duration,
    /// Failed-login limits (`PROMPTSALES_LOGIN_*`).
    pub throttle: ThrottleConfig,
    /// The Redis of plan limits, quotas and login counters (`PROMPTSALES_REDIS_URL`).
    pub redis_url: String,
    /// The Redis of live performance updates (`PROMPTSALES_REDIS_URL`; `None`: `off`, this instance only).
    pub bus_redis_url: Option<String>,
    /// What a quota reservation does without Redis (`PROMPTSALES_AI_LIMIT_WITHOUT_REDIS`).
    pub without_redis: WithoutRedis,
    /// Between two agenda ticks (`PROMPTSALES_SALES_SCHEDULER_INTERVAL`).
    pub scheduler_interval: Duration,
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
            trusted_proxies: TrustedProxies::from_vars(vars)?,
            auth: AuthConfig::from_vars(vars)?,
            lifetimes: Lifetimes::from_vars(vars)?,
            key_files: KeyFiles::from_vars(vars),
            key_reload_interval: keys::reload_interval(vars)?,
            throttle: ThrottleConfig::from_vars(vars)?,
            redis_url: redis_url(vars),
            bus_redis_url: promptsales_kit::config::redis_url(vars),
            without_redis: without_redis(vars),
            scheduler_interval: crate::scheduler::interval(vars),
        })
    }
}

/// `PROMPTSALES_REDIS_URL` as sales reads it: unset or blank is the default (sales has no `off`).
pub(crate) fn redis_url(vars: &Vars) -> String {
    vars.get(REDIS_URL_VAR)
        .filter(|u| !u.trim().is_empty())
        .unwrap_or(DEFAULT_REDIS_URL)
        .to_string()
}

/// `PROMPTSALES_AI_LIMIT_WITHOUT_REDIS`; a bad value is logged and the default (open) kept,
/// as sales always did: a quota setting meant for the AI gateway does not stop the portal.
pub(crate) fn without_redis(vars: &Vars) -> WithoutRedis {
    WithoutRedis::from_vars(vars).unwrap_or_else(|error| {
        tracing::error!(%error, "invalid quota setting; the default (open) applies");
        WithoutRedis::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_when_nothing_is_set() {
        let s = Settings::from_vars(&Vars::default()).unwrap();
        assert_eq!(s.service.listen.port(), 4001);
        assert_eq!(s.service.database_url, "sqlite://data/sales.db?mode=rwc");
        assert_eq!(s.limits, ServerLimits::default());
        assert!(s.trusted_proxies.is_empty());
        assert_eq!(s.auth, AuthConfig::default());
        assert_eq!(s.lifetimes, Lifetimes::default());
        assert_eq!(s.key_files, KeyFiles::beside("data/jwt-signing.pem"));
        assert_eq!(s.key_reload_interval, keys::DEFAULT_RELOAD_INTERVAL);
        assert_eq!(s.throttle, ThrottleConfig::default());
        assert_eq!(s.redis_url, DEFAULT_REDIS_URL);
        assert_eq!(s.bus_redis_url.as_deref(), Some(DEFAULT_REDIS_URL));
        assert_eq!(s.without_redis, WithoutRedis::Open);
        assert_eq!(s.scheduler_interval, crate::scheduler::DEFAULT_INTERVAL);
    }

    #[test]
    fn reads_valid_values() {
        let vars = Vars::from_pairs([
            ("PROMPTSALES_SALES_PORT", "5001"),
            ("PROMPTSALES_TRUSTED_PROXIES", "10.0.0.0/8"),
            ("PROMPTSALES_JWT_LEEWAY", "5"),
            ("PROMPTSALES_ACCESS_TOKEN_TTL", "60"),
            ("PROMPTSALES_JWT_PRIVATE_KEY_FILE", "/keys/k.pem"),
            ("PROMPTSALES_JWT_ROTATION_FILE", "/keys/r.json"),
            ("PROMPTSALES_JWT_KEY_RELOAD_INTERVAL", "0"),
            ("PROMPTSALES_LOGIN_MAX_FAILURES", "9"),
            ("PROMPTSALES_LOGIN_FAILURE_WINDOW", "0"),
            ("PROMPTSALES_REDIS_URL", "redis://cache:6379"),
            ("PROMPTSALES_AI_LIMIT_WITHOUT_REDIS", "closed"),
            ("PROMPTSALES_SALES_SCHEDULER_INTERVAL", "5"),
            ("PROMPTSALES_SUBGRAPH_MAX_BODY_SIZE", "64KB"),
        ]);
        let s = Settings::from_vars(&vars).unwrap();
        assert_eq!(s.service.listen.port(), 5001);
        assert!(s.trusted_proxies.contains("10.1.2.3".parse().unwrap()));
        assert_eq!(s.auth.leeway_seconds, 5);
        assert_eq!(s.lifetimes.access, Duration::from_secs(60));
        assert_eq!(s.key_files.key, std::path::PathBuf::from("/keys/k.pem"));
        assert_eq!(
            s.key_files.rotation,
            std::path::PathBuf::from("/keys/r.json")
        );
        // Both are floored at one second, as before.
        assert_eq!(s.key_reload_interval, Duration::from_secs(1));
        assert_eq!(s.throttle.window, Duration::from_secs(1));
        assert_eq!(s.throttle.max_per_account, 9);
        assert_eq!(s.redis_url, "redis://cache:6379");
        assert_eq!(s.bus_redis_url.as_deref(), Some("redis://cache:6379"));
        assert_eq!(s.without_redis, WithoutRedis::Closed);
        assert_eq!(s.scheduler_interval, Duration::from_secs(5));
        assert_eq!(s.limits.max_body_size, 64_000);
    }

    #[test]
    fn a_bad_value_is_an_error_naming_its_variable() {
        for name in [
            "PROMPTSALES_SALES_PORT",
            "PROMPTSALES_SALES_HOST",
            "PROMPTSALES_TRUSTED_PROXIES",
            "PROMPTSALES_JWT_LEEWAY",
            "PROMPTSALES_ACCESS_TOKEN_TTL",
            "PROMPTSALES_REFRESH_TOKEN_TTL",
            "PROMPTSALES_JWT_KEY_RELOAD_INTERVAL",
            "PROMPTSALES_LOGIN_MAX_FAILURES",
            "PROMPTSALES_LOGIN_MAX_FAILURES_PER_IP",
            "PROMPTSALES_LOGIN_FAILURE_WINDOW",
            "PROMPTSALES_SUBGRAPH_REQUEST_TIMEOUT",
        ] {
            let e = Settings::from_vars(&Vars::from_pairs([(name, "not-a-value")])).unwrap_err();
            assert!(e.to_string().contains(name), "{name}: {e}");
        }
    }

    #[test]
    fn lenient_values_keep_their_defaults_as_before() {
        let vars = Vars::from_pairs([
            ("PROMPTSALES_SALES_SCHEDULER_INTERVAL", "soon"),
            ("PROMPTSALES_AI_LIMIT_WITHOUT_REDIS", "maybe"),
            ("PROMPTSALES_REDIS_URL", "  "),
        ]);
        let s = Settings::from_vars(&vars).unwrap();
        assert_eq!(s.scheduler_interval, crate::scheduler::DEFAULT_INTERVAL);
        assert_eq!(s.without_redis, WithoutRedis::Open);
        assert_eq!(s.redis_url, DEFAULT_REDIS_URL);
    }
}
