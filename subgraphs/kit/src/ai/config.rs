//! AI configuration from the environment, with documented defaults.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PROMPTSALES_AI_BASE_URL` | unset: offline defaults | OpenAI-compatible API root including its version (`https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`) |
//! | `PROMPTSALES_AI_MODEL` | `gpt-4o-mini` | chat model name |
//! | `PROMPTSALES_AI_EMBEDDING_MODEL` | unset: the offline hashing embedder | embedding model name |
//! | `PROMPTSALES_AI_API_KEY` | unset (no `Authorization` header) | bearer key; never logged |
//! | `PROMPTSALES_AI_TIMEOUT_SIMPLE` / `PROMPTSALES_AI_TIMEOUT_COMPLEX` | `7s` / `20s` | whole-call budget, retries included |
//! | `PROMPTSALES_AI_MAX_RETRIES` | `3` | retries on 429, 5xx and connection failures |
//! | `PROMPTSALES_AI_CACHE_TTL` | `24h` | life of a cached generation |
//! | `PROMPTSALES_AI_GENERATIONS_PER_MONTH` | `1000` | limit when the plan publishes none (`plan:{org}` field `ai_generations_per_month`) |
//! | `PROMPTSALES_AI_LIMIT_WITHOUT_REDIS` | `open` | every quota reservation with Redis down (this gateway's and sales' `recordUsage`, `kit::quota::admit`): `open` admits unmetered (logged, counted), `closed` refuses |
//! | `PROMPTSALES_AI_EMBEDDER` | unset: `openai` when an embedding model is configured, else `local` when its files are there, else `hashing` | `local` (all-MiniLM-L6-v2 in-process; an error when its files are missing), `hashing` (offline bag of words), `openai` (needs `PROMPTSALES_AI_BASE_URL` and `PROMPTSALES_AI_EMBEDDING_MODEL`) |
//! | `PROMPTSALES_MODELS_DIR` | `<data dir>/models` | where `promptsales models fetch` puts model files and the local embedder reads them |
//! | `PROMPTSALES_AI_REDIS_URL` | `PROMPTSALES_REDIS_URL`, else `redis://127.0.0.1:6379` | the shared Redis; `off` disables cache and metering |

use std::time::Duration;

use super::AiError;
use super::openai::OpenAiConfig;
use crate::config::{ConfigError, Vars};

/// Default Redis, the same the router uses.
pub use crate::config::DEFAULT_REDIS_URL;
/// Default chat model name.
pub const DEFAULT_MODEL: &str = "gpt-4o-mini";
/// Default budget of a simple request.
pub const DEFAULT_SIMPLE_TIMEOUT: Duration = Duration::from_secs(7);
/// Default budget of a complex request.
pub const DEFAULT_COMPLEX_TIMEOUT: Duration = Duration::from_secs(20);
/// Default life of a cached generation.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(24 * 3600);
/// Default monthly generations when the plan publishes no limit.
pub const DEFAULT_GENERATIONS_PER_MONTH: u64 = 1000;

/// Which embedder serves embeddings (`PROMPTSALES_AI_EMBEDDER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EmbedderChoice {
    /// The remote model when one is configured, else the local model when its files are there, else hashing.
    #[default]
    Auto,
    /// all-MiniLM-L6-v2 in-process; its files must be there.
    Local,
    /// The offline feature-hashing bag of words (not a neural model).
    Hashing,
    /// The OpenAI-compatible endpoint's embedding model.
    OpenAi,
}

impl EmbedderChoice {
    /// Reads `local`, `hashing` or `openai`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "local" => Some(Self::Local),
            "hashing" => Some(Self::Hashing),
            "openai" => Some(Self::OpenAi),
            "auto" | "" => Some(Self::Auto),
            _ => None,
        }
    }
}

/// The models folder: `PROMPTSALES_MODELS_DIR`, else `<data dir>/models`.
pub fn models_dir() -> std::path::PathBuf {
    models_dir_of(&Vars::from_env())
}

/// [`models_dir`] in `vars`.
pub fn models_dir_of(vars: &Vars) -> std::path::PathBuf {
    vars.text("PROMPTSALES_MODELS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| crate::config::data_dir_of(vars).join("models"))
}

/// What happens to the plan limit when Redis (where usage is counted) is down: the one
/// setting of every quota, [`crate::quota::WithoutRedis`] (why `open` is the default is there).
pub use crate::quota::WithoutRedis as LimitWithoutRedis;

/// The whole AI configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct AiConfig {
    /// The remote model, when configured.
    pub openai: Option<OpenAiConfig>,
    /// The shared Redis, when configured.
    pub redis_url: Option<String>,
    /// Life of a cached generation.
    pub cache_ttl: Duration,
    /// Monthly generations when the plan publishes none.
    pub default_generations_per_month: u64,
    /// Limit behaviour without Redis.
    pub limit_without_redis: LimitWithoutRedis,
    /// Which embedder serves embeddings.
    pub embedder: EmbedderChoice,
    /// Where model files are (the local embedder's is `<models_dir>/all-MiniLM-L6-v2`).
    pub models_dir: std::path::PathBuf,
}

impl Default for AiConfig {
    fn default() -> Self {
        Self {
            openai: None,
            redis_url: None,
            cache_ttl: DEFAULT_CACHE_TTL,
            default_generations_per_month: DEFAULT_GENERATIONS_PER_MONTH,
            limit_without_redis: LimitWithoutRedis::Open,
            embedder: EmbedderChoice::Auto,
            models_dir: models_dir(),
        }
    }
}

/// Parses `250ms`, `7s`, `5m`, `24h` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: u64 = number.parse().ok()?;
    match unit.trim() {
        "ms" => Some(Duration::from_millis(value)),
        "s" => Some(Duration::from_secs(value)),
        "m" => Some(Duration::from_secs(value.checked_mul(60)?)),
        "h" => Some(Duration::from_secs(value.checked_mul(3600)?)),
        _ => None,
    }
}

fn duration_var(vars: &Vars, name: &str, default: Duration) -> Result<Duration, ConfigError> {
    Ok(vars
        .parse(name, |v| {
            parse_duration(v)
                .filter(|d| !d.is_zero())
                .ok_or_else(|| "not a duration such as 7s".to_string())
        })?
        .unwrap_or(default))
}

fn number_var(vars: &Vars, name: &str, default: u64) -> Result<u64, ConfigError> {
    Ok(vars
        .parse(name, |v| {
            v.parse().map_err(|_| "not a whole number".to_string())
        })?
        .unwrap_or(default))
}

impl AiConfig {
    /// Reads the configuration from the environment (table above).
    pub fn from_env() -> Result<Self, AiError> {
        Self::from_vars(&Vars::from_env()).map_err(|e| AiError::Config(e.to_string()))
    }

    /// Reads the configuration from `vars` (table above); a bad value is an error naming it.
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let var = |name: &str| vars.text(name);
        let openai = match var("PROMPTSALES_AI_BASE_URL") {
            None => None,
            Some(base_url) => Some(OpenAiConfig {
                base_url,
                model: var("PROMPTSALES_AI_MODEL").unwrap_or_else(|| DEFAULT_MODEL.into()),
                embedding_model: var("PROMPTSALES_AI_EMBEDDING_MODEL"),
                api_key: var("PROMPTSALES_AI_API_KEY").map(Into::into),
                simple_timeout: duration_var(
                    vars,
                    "PROMPTSALES_AI_TIMEOUT_SIMPLE",
                    DEFAULT_SIMPLE_TIMEOUT,
                )?,
                complex_timeout: duration_var(
                    vars,
                    "PROMPTSALES_AI_TIMEOUT_COMPLEX",
                    DEFAULT_COMPLEX_TIMEOUT,
                )?,
                retry: super::retry::RetryPolicy {
                    max_retries: u32::try_from(number_var(vars, "PROMPTSALES_AI_MAX_RETRIES", 3)?)
                        .unwrap_or(u32::MAX),
                    ..super::retry::RetryPolicy::default()
                },
            }),
        };
        let limit_without_redis = match var(crate::quota::WITHOUT_REDIS_ENV) {
            None => LimitWithoutRedis::default(),
            Some(text) => LimitWithoutRedis::parse(&text).map_err(|reason| {
                ConfigError::invalid(crate::quota::WITHOUT_REDIS_ENV, &text, reason)
            })?,
        };
        Ok(Self {
            openai,
            redis_url: match var("PROMPTSALES_AI_REDIS_URL")
                .or_else(|| var("PROMPTSALES_REDIS_URL"))
            {
                Some(off) if off == "off" => None,
                Some(url) => Some(url),
                None => Some(DEFAULT_REDIS_URL.to_string()),
            },
            cache_ttl: duration_var(vars, "PROMPTSALES_AI_CACHE_TTL", DEFAULT_CACHE_TTL)?,
            default_generations_per_month: number_var(
                vars,
                "PROMPTSALES_AI_GENERATIONS_PER_MONTH",
                DEFAULT_GENERATIONS_PER_MONTH,
            )?,
            limit_without_redis,
            embedder: match var("PROMPTSALES_AI_EMBEDDER") {
                None => EmbedderChoice::Auto,
                Some(text) => EmbedderChoice::parse(&text).ok_or_else(|| {
                    ConfigError::invalid(
                        "PROMPTSALES_AI_EMBEDDER",
                        &text,
                        "must be local, hashing or openai",
                    )
                })?,
            },
            models_dir: models_dir_of(vars),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_common_units() {
        assert_eq!(parse_duration("7s"), Some(Duration::from_secs(7)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("24h"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("20"), Some(Duration::from_secs(20)));
        assert_eq!(parse_duration("7 parsecs"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn the_ai_settings_default_read_and_name_a_bad_variable() {
        let config = AiConfig::from_vars(&Vars::default()).unwrap();
        assert!(config.openai.is_none());
        assert_eq!(config.redis_url.as_deref(), Some(DEFAULT_REDIS_URL));
        assert_eq!(config.cache_ttl, DEFAULT_CACHE_TTL);
        assert_eq!(config.models_dir, std::path::PathBuf::from("data/models"));
        let vars = Vars::from_pairs([
            ("PROMPTSALES_AI_BASE_URL", "http://llm/v1"),
            ("PROMPTSALES_AI_TIMEOUT_SIMPLE", "2s"),
            ("PROMPTSALES_AI_REDIS_URL", "off"),
            ("PROMPTSALES_AI_EMBEDDER", "hashing"),
        ]);
        let config = AiConfig::from_vars(&vars).unwrap();
        let openai = config.openai.unwrap();
        assert_eq!(openai.model, DEFAULT_MODEL);
        assert_eq!(openai.simple_timeout, Duration::from_secs(2));
        assert_eq!(config.redis_url, None);
        assert_eq!(config.embedder, EmbedderChoice::Hashing);
        for name in [
            "PROMPTSALES_AI_CACHE_TTL",
            "PROMPTSALES_AI_GENERATIONS_PER_MONTH",
            "PROMPTSALES_AI_LIMIT_WITHOUT_REDIS",
            "PROMPTSALES_AI_EMBEDDER",
        ] {
            let e = AiConfig::from_vars(&Vars::from_pairs([(name, "bad")])).unwrap_err();
            assert!(e.to_string().contains(name), "{name}: {e}");
        }
    }
}
