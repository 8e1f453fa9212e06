//! Service configuration from environment variables, with documented defaults.
//!
//! Every variable any component reads is listed, with its default, in one place: the
//! README's "Configuration" table. Each component parses the variables it reads into one
//! typed `Settings` value at start (`Settings::from_env`, built on [`Vars`]), so a bad
//! value stops the start with a [`ConfigError`] naming the variable, and the rest of the
//! code takes values instead of reading the environment. The shared pieces live here:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PROMPTSALES_DATA_DIR` | `./data` | where the embedded SQLite files live |
//! | `PROMPTSALES_<NAME>_HOST` | `127.0.0.1` | listen address of subgraph `<NAME>` |
//! | `PROMPTSALES_<NAME>_PORT` | sales 4001, ads 4002, crm 4003, content 4004 | listen port |
//! | `PROMPTSALES_<NAME>_DATABASE_URL` | `sqlite://<data dir>/<name>.db?mode=rwc` | the store (`sqlite:` or `postgres:`) |
//! | `PROMPTSALES_LOG` | `info` | log filter (tracing `EnvFilter` syntax) |
//! | `PROMPTSALES_LOG_FORMAT` | `text` | `text` or `json` |
//! | `PROMPTSALES_REDIS_URL` | `redis://127.0.0.1:6379` | the shared Redis (`off`: none, where a component can do without) |

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// The environment variable naming the shared Redis.
pub const REDIS_URL_ENV: &str = "PROMPTSALES_REDIS_URL";
/// Its default.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// The shared Redis from `PROMPTSALES_REDIS_URL` (default [`DEFAULT_REDIS_URL`]); `None` when it is `off`.
pub fn redis_url_from_env() -> Option<String> {
    redis_url(&Vars::from_env())
}

/// The shared Redis of `vars` (`PROMPTSALES_REDIS_URL`, default [`DEFAULT_REDIS_URL`]); `None` when it is `off`.
pub fn redis_url(vars: &Vars) -> Option<String> {
    let url = vars
        .text(REDIS_URL_ENV)
        .unwrap_or_else(|| DEFAULT_REDIS_URL.to_string());
    (!url.eq_ignore_ascii_case("off")).then_some(url)
}

/// The environment's variables as read once at start; every `Settings` is parsed from it.
///
/// A value that is not UTF-8 reads as unset through [`Vars::get`] (as `std::env::var` has it)
/// and as itself through [`Vars::get_os`] (paths). `Debug` names the variables only: their
/// values may be secrets.
#[derive(Clone, Default)]
pub struct Vars(BTreeMap<String, OsString>);

impl std::fmt::Debug for Vars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Vars {
    /// The process's environment, now.
    pub fn from_env() -> Self {
        Self(
            std::env::vars_os()
                .filter_map(|(name, value)| Some((name.into_string().ok()?, value)))
                .collect(),
        )
    }

    /// The given variables only (tests).
    pub fn from_pairs<N, V>(pairs: impl IntoIterator<Item = (N, V)>) -> Self
    where
        N: Into<String>,
        V: Into<OsString>,
    {
        Self(
            pairs
                .into_iter()
                .map(|(name, value)| (name.into(), value.into()))
                .collect(),
        )
    }

    /// The value of `name` as it is (`None`: unset or not UTF-8).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name)?.to_str()
    }

    /// The value of `name` as it is, UTF-8 or not (paths).
    pub fn get_os(&self, name: &str) -> Option<&OsStr> {
        self.0.get(name).map(OsString::as_os_str)
    }

    /// The variables whose names start with `prefix`, as (the rest of the name, value); values
    /// that are not UTF-8 are left out.
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.0
            .iter()
            .filter_map(move |(name, value)| Some((name.strip_prefix(prefix)?, value.to_str()?)))
    }

    /// The value of `name` trimmed, `None` when unset or blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// The value of `name`, when set and not blank, through `parse` (given it trimmed); an
    /// error naming the variable and its value when `parse` refuses it.
    pub fn parse<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        match self.get(name) {
            Some(value) if !value.trim().is_empty() => parse(value.trim())
                .map(Some)
                .map_err(|reason| ConfigError::invalid(name, value, reason)),
            _ => Ok(None),
        }
    }
}

/// How the logs are written (`PROMPTSALES_LOG`, `PROMPTSALES_LOG_FORMAT`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSettings {
    /// The filter (`EnvFilter` syntax); `None` or one that does not parse: `info`.
    pub filter: Option<String>,
    /// JSON lines instead of text.
    pub json: bool,
}

impl LogSettings {
    /// Reads `PROMPTSALES_LOG` and `PROMPTSALES_LOG_FORMAT` (`json`, any case; anything else is text).
    pub fn from_vars(vars: &Vars) -> Self {
        Self {
            filter: vars.get("PROMPTSALES_LOG").map(str::to_string),
            json: vars
                .get("PROMPTSALES_LOG_FORMAT")
                .is_some_and(|f| f.eq_ignore_ascii_case("json")),
        }
    }
}

/// Why a configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable is set but its value cannot be used.
    #[error("environment variable {name} has an invalid value {value:?}: {reason}")]
    Invalid {
        /// The variable.
        name: String,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl ConfigError {
    /// Variable `name` holds `value`, which cannot be used because of `reason`.
    pub fn invalid(name: &str, value: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            name: name.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

/// How one subgraph service listens and where its store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceConfig {
    /// The subgraph's name: `sales`, `ads`, `crm` or `content`.
    pub name: String,
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// Database URL (`sqlite://...` or `postgres://...`).
    pub database_url: String,
}

/// The default port of each subgraph (ARCHITECTURE.md, "Ports").
pub fn default_port(name: &str) -> u16 {
    match name {
        "sales" => 4001,
        "ads" => 4002,
        "crm" => 4003,
        "content" => 4004,
        _ => 4009,
    }
}

/// The data folder of the embedded default.
pub fn data_dir() -> PathBuf {
    data_dir_of(&Vars::from_env())
}

/// The data folder of the embedded default in `vars` (`PROMPTSALES_DATA_DIR`, default `data`).
pub fn data_dir_of(vars: &Vars) -> PathBuf {
    vars.get_os("PROMPTSALES_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("data"))
}

/// The embedded default database URL of a subgraph: a SQLite file in the data folder.
pub fn default_database_url(name: &str) -> String {
    database_url_in(&data_dir(), name)
}

fn database_url_in(data_dir: &std::path::Path, name: &str) -> String {
    format!("sqlite://{}/{name}.db?mode=rwc", data_dir.display())
}

impl ServiceConfig {
    /// Reads the configuration of subgraph `name` from the environment.
    pub fn from_env(name: &str) -> Result<Self, ConfigError> {
        Self::from_vars(name, &Vars::from_env())
    }

    /// Reads the configuration of subgraph `name` from `vars`.
    pub fn from_vars(name: &str, vars: &Vars) -> Result<Self, ConfigError> {
        let upper = name.to_ascii_uppercase();
        let host_var = format!("PROMPTSALES_{upper}_HOST");
        let port_var = format!("PROMPTSALES_{upper}_PORT");
        let host: IpAddr = match vars.get(&host_var) {
            Some(v) => v
                .parse()
                .map_err(|e: std::net::AddrParseError| ConfigError::Invalid {
                    name: host_var.clone(),
                    value: v.to_string(),
                    reason: e.to_string(),
                })?,
            None => IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        let port: u16 = match vars.get(&port_var) {
            Some(v) => v
                .parse()
                .map_err(|e: std::num::ParseIntError| ConfigError::Invalid {
                    name: port_var.clone(),
                    value: v.to_string(),
                    reason: e.to_string(),
                })?,
            None => default_port(name),
        };
        let database_url = match vars.get(&format!("PROMPTSALES_{upper}_DATABASE_URL")) {
            Some(url) => url.to_string(),
            None => database_url_in(&data_dir_of(vars), name),
        };
        Ok(Self {
            name: name.to_string(),
            listen: SocketAddr::new(host, port),
            database_url,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_architecture_ports() {
        assert_eq!(default_port("sales"), 4001);
        assert_eq!(default_port("content"), 4004);
        assert!(default_database_url("crm").ends_with("/crm.db?mode=rwc"));
    }

    #[test]
    fn a_service_config_defaults_reads_and_names_a_bad_variable() {
        let config = ServiceConfig::from_vars("ads", &Vars::default()).unwrap();
        assert_eq!(config.listen, "127.0.0.1:4002".parse().unwrap());
        assert_eq!(config.database_url, "sqlite://data/ads.db?mode=rwc");
        let vars = Vars::from_pairs([
            ("PROMPTSALES_ADS_PORT", "5002"),
            ("PROMPTSALES_DATA_DIR", "/srv/ps"),
        ]);
        let config = ServiceConfig::from_vars("ads", &vars).unwrap();
        assert_eq!(config.listen.port(), 5002);
        assert_eq!(config.database_url, "sqlite:///srv/ps/ads.db?mode=rwc");
        let bad = Vars::from_pairs([("PROMPTSALES_ADS_PORT", "many")]);
        let e = ServiceConfig::from_vars("ads", &bad).unwrap_err();
        assert!(e.to_string().contains("PROMPTSALES_ADS_PORT"), "{e}");
    }

    #[test]
    fn the_shared_redis_and_log_settings_read_their_variables() {
        assert_eq!(
            redis_url(&Vars::default()).as_deref(),
            Some(DEFAULT_REDIS_URL)
        );
        assert_eq!(
            redis_url(&Vars::from_pairs([(REDIS_URL_ENV, " OFF ")])),
            None
        );
        let log = LogSettings::from_vars(&Vars::from_pairs([("PROMPTSALES_LOG_FORMAT", "JSON")]));
        assert!(log.json && log.filter.is_none());
    }

    #[test]
    fn vars_parse_names_the_variable_and_skips_blanks() {
        let vars = Vars::from_pairs([("A", " 7 "), ("B", "  "), ("C", "x")]);
        let number = |t: &str| t.parse::<u32>().map_err(|e| e.to_string());
        assert_eq!(vars.parse("A", number).unwrap(), Some(7));
        assert_eq!(vars.parse("B", number).unwrap(), None);
        assert_eq!(vars.parse("unset", number).unwrap(), None);
        let e = vars.parse("C", number).unwrap_err();
        assert!(e.to_string().contains("environment variable C"), "{e}");
        assert!(!format!("{vars:?}").contains('7'), "Debug shows no values");
    }
}
