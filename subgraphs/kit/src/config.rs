//! Service configuration from environment variables, with documented defaults.
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

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// The environment variable naming the shared Redis.
pub const REDIS_URL_ENV: &str = "PROMPTSALES_REDIS_URL";
/// Its default.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// The shared Redis from `PROMPTSALES_REDIS_URL` (default [`DEFAULT_REDIS_URL`]); `None` when it is `off`.
pub fn redis_url_from_env() -> Option<String> {
    let url = std::env::var(REDIS_URL_ENV)
        .ok()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_REDIS_URL.to_string());
    (!url.eq_ignore_ascii_case("off")).then_some(url)
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
    std::env::var_os("PROMPTSALES_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("data"))
}

/// The embedded default database URL of a subgraph: a SQLite file in the data folder.
pub fn default_database_url(name: &str) -> String {
    format!("sqlite://{}/{name}.db?mode=rwc", data_dir().display())
}

impl ServiceConfig {
    /// Reads the configuration of subgraph `name` from the environment.
    pub fn from_env(name: &str) -> Result<Self, ConfigError> {
        let upper = name.to_ascii_uppercase();
        let host_var = format!("PROMPTSALES_{upper}_HOST");
        let port_var = format!("PROMPTSALES_{upper}_PORT");
        let host: IpAddr = match std::env::var(&host_var) {
            Ok(v) => v
                .parse()
                .map_err(|e: std::net::AddrParseError| ConfigError::Invalid {
                    name: host_var.clone(),
                    value: v.clone(),
                    reason: e.to_string(),
                })?,
            Err(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        let port: u16 = match std::env::var(&port_var) {
            Ok(v) => v
                .parse()
                .map_err(|e: std::num::ParseIntError| ConfigError::Invalid {
                    name: port_var.clone(),
                    value: v.clone(),
                    reason: e.to_string(),
                })?,
            Err(_) => default_port(name),
        };
        let database_url = std::env::var(format!("PROMPTSALES_{upper}_DATABASE_URL"))
            .unwrap_or_else(|_| default_database_url(name));
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
}
