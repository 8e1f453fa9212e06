//! The Redis connection the plugins share: connected lazily, every command
//! bounded by a short timeout, and every failure counted, so that a slow or
//! stopped Redis costs a request at most that timeout and never fails it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde::Deserialize;

use crate::metrics;
use crate::settings::{de_duration, parse_duration};

/// Where Redis is and how long a command may take.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    /// `redis://host:port[/db]` (`PROMPTSALES_REDIS_URL`).
    #[serde(default = "default_url")]
    pub url: String,
    /// Prepended to every key (`PROMPTSALES_REDIS_KEY_PREFIX`); lets routers share one Redis apart.
    #[serde(default)]
    pub key_prefix: String,
    /// The longest a request waits for one Redis command (`PROMPTSALES_REDIS_TIMEOUT`).
    #[serde(default = "default_timeout", deserialize_with = "de_duration")]
    pub timeout: Duration,
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self {
            url: default_url(),
            key_prefix: String::new(),
            timeout: default_timeout(),
        }
    }
}

/// The default Redis URL.
pub const DEFAULT_URL: &str = "redis://127.0.0.1:6379";

fn default_url() -> String {
    DEFAULT_URL.to_string()
}

fn default_timeout() -> Duration {
    parse_duration("50ms").unwrap_or(Duration::from_millis(50))
}

/// How long after a failed connection attempt the next one is made (requests skip Redis meanwhile).
const RECONNECT_AFTER: Duration = Duration::from_millis(500);

/// Why a command was not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RedisFailure {
    /// No connection could be made (or one is being retried).
    #[error("redis is unavailable")]
    Unavailable,
    /// The command took longer than the timeout.
    #[error("redis timed out")]
    Timeout,
    /// Redis answered with an error, or the connection broke.
    #[error("redis command failed")]
    Error,
}

impl RedisFailure {
    fn kind(self) -> &'static str {
        match self {
            Self::Unavailable => "unavailable",
            Self::Timeout => "timeout",
            Self::Error => "error",
        }
    }
}

/// A Redis server's version, as `INFO server` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServerVersion {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch.
    pub patch: u32,
}

impl std::fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The oldest Redis the response cache works with (`EXPIRE ... NX|GT` came in 7.0).
pub const RESPONSE_CACHE_MIN_VERSION: ServerVersion = ServerVersion {
    major: 7,
    minor: 0,
    patch: 0,
};

/// The `redis_version:` line of `INFO server` output (Valkey reports its Redis-compatible version there too).
pub fn parse_server_version(info: &str) -> Option<ServerVersion> {
    let version = info
        .lines()
        .find_map(|line| line.trim().strip_prefix("redis_version:"))?;
    let mut parts = version.trim().split('.').map(|p| p.parse::<u32>());
    Some(ServerVersion {
        major: parts.next()?.ok()?,
        minor: parts.next().unwrap_or(Ok(0)).ok()?,
        patch: parts.next().unwrap_or(Ok(0)).ok()?,
    })
}

/// `url` with any password replaced, for logs.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// A lazily connected Redis with a per-command timeout and a key prefix.
pub struct Redis {
    client: redis::Client,
    settings: RedisSettings,
    connection: Mutex<Option<ConnectionManager>>,
    last_failure: Mutex<Option<Instant>>,
    connecting: tokio::sync::Mutex<()>,
    /// Whether the current outage was logged at `warn` already (later attempts log at `debug`).
    outage_logged: AtomicBool,
    /// The server's version, read once after the first connection (shared with the task reading it).
    server_version: Arc<OnceLock<ServerVersion>>,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("url", &redacted(&self.settings.url))
            .field("key_prefix", &self.settings.key_prefix)
            .field("timeout", &self.settings.timeout)
            .finish()
    }
}

/// One shared connection per distinct settings, so the plugins of a router use one.
static SHARED: OnceLock<Mutex<HashMap<String, Arc<Redis>>>> = OnceLock::new();

/// The shared [`Redis`] for `settings`; fails only on a malformed URL.
pub fn shared(settings: &RedisSettings) -> Result<Arc<Redis>, redis::RedisError> {
    let id = format!(
        "{}\u{0}{}\u{0}{:?}",
        settings.url, settings.key_prefix, settings.timeout
    );
    let registry = SHARED.get_or_init(Default::default);
    let mut registry = registry.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(existing) = registry.get(&id) {
        return Ok(existing.clone());
    }
    let redis = Arc::new(Redis::new(settings.clone())?);
    registry.insert(id, redis.clone());
    Ok(redis)
}

impl Redis {
    /// A handle for `settings`; connects on first use.
    pub fn new(settings: RedisSettings) -> Result<Self, redis::RedisError> {
        Ok(Self {
            client: redis::Client::open(settings.url.as_str())?,
            settings,
            connection: Mutex::new(None),
            last_failure: Mutex::new(None),
            connecting: tokio::sync::Mutex::new(()),
            outage_logged: AtomicBool::new(false),
            server_version: Arc::default(),
        })
    }

    /// The server's version; `None` until it has been read after the first connection (or when it cannot be).
    pub fn server_version(&self) -> Option<ServerVersion> {
        self.server_version.get().copied()
    }

    /// Connects now rather than on the first request, so the server version is logged at startup.
    pub async fn warm_up(&self) {
        let _ = self.connection().await;
    }

    /// `key` with the configured prefix.
    pub fn key(&self, key: &str) -> String {
        format!("{}{key}", self.settings.key_prefix)
    }

    /// The configured key prefix.
    pub fn prefix(&self) -> &str {
        &self.settings.key_prefix
    }

    /// The per-command timeout.
    pub fn timeout(&self) -> Duration {
        self.settings.timeout
    }

    /// Runs `f` on the connection within the timeout; failures are counted under `feature` and logged.
    pub async fn run<T, F, Fut>(&self, feature: &'static str, f: F) -> Result<T, RedisFailure>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let attempt = async {
            let Some(connection) = self.connection().await else {
                return Err(RedisFailure::Unavailable);
            };
            f(connection).await.map_err(|error| {
                self.log_outage(
                    || tracing::warn!(%error, feature, "redis command failed; serving without it"),
                );
                RedisFailure::Error
            })
        };
        let result = match tokio::time::timeout(self.settings.timeout, attempt).await {
            Ok(result) => result,
            Err(_) => Err(RedisFailure::Timeout),
        };
        if result.is_ok() && self.outage_logged.load(Ordering::Relaxed) {
            self.outage_logged.store(false, Ordering::Relaxed);
            tracing::info!(feature, "redis answers again");
        }
        if let Err(failure) = result {
            if failure == RedisFailure::Timeout {
                self.log_outage(|| {
                    tracing::warn!(feature, timeout = ?self.settings.timeout, "redis slower than the timeout; serving without it")
                });
            }
            metrics::redis_failure(feature, failure.kind());
            tracing::debug!(feature, %failure, "answering without redis");
        }
        result
    }

    /// Runs one command (see [`Redis::run`]).
    pub async fn query<T: redis::FromRedisValue>(
        &self,
        feature: &'static str,
        cmd: &redis::Cmd,
    ) -> Result<T, RedisFailure> {
        self.run(feature, |mut connection| async move {
            cmd.query_async(&mut connection).await
        })
        .await
    }

    /// Runs a pipeline (see [`Redis::run`]).
    pub async fn pipeline<T: redis::FromRedisValue>(
        &self,
        feature: &'static str,
        pipe: &redis::Pipeline,
    ) -> Result<T, RedisFailure> {
        self.run(feature, |mut connection| async move {
            pipe.query_async(&mut connection).await
        })
        .await
    }

    /// Logs the first failure of an outage with `warn`; later ones only at `debug`.
    fn log_outage(&self, warn: impl FnOnce()) {
        if !self.outage_logged.swap(true, Ordering::Relaxed) {
            warn();
        }
    }

    /// The connection, made on first use; `None` while Redis cannot be reached.
    async fn connection(&self) -> Option<ConnectionManager> {
        if let Some(connection) = self.current() {
            return Some(connection);
        }
        let _one_attempt_at_a_time = self.connecting.lock().await;
        if let Some(connection) = self.current() {
            return Some(connection);
        }
        let recently_failed = self
            .last_failure
            .lock()
            .ok()
            .and_then(|t| *t)
            .is_some_and(|t| t.elapsed() < RECONNECT_AFTER);
        if recently_failed {
            return None;
        }
        // The manager reconnects by itself once it has connected; only the first
        // connection is made here. No retries: the caller's timeout is short.
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(0)
            .set_connection_timeout(Duration::from_secs(1))
            .set_response_timeout(self.settings.timeout.max(Duration::from_millis(100)));
        match ConnectionManager::new_with_config(self.client.clone(), config).await {
            Ok(connection) => {
                if let Ok(mut slot) = self.connection.lock() {
                    *slot = Some(connection.clone());
                }
                self.outage_logged.store(false, Ordering::Relaxed);
                tracing::info!(url = %redacted(&self.settings.url), "connected to redis");
                self.read_server_version(connection.clone());
                Some(connection)
            }
            Err(error) => {
                if let Ok(mut t) = self.last_failure.lock() {
                    *t = Some(Instant::now());
                }
                let url = redacted(&self.settings.url);
                self.log_outage(
                    || tracing::warn!(%url, %error, "redis unreachable; serving without it"),
                );
                tracing::debug!(%url, %error, "redis unreachable");
                None
            }
        }
    }

    /// Reads and logs the server version once, in the background (the request that connected does not wait).
    fn read_server_version(&self, mut connection: ConnectionManager) {
        if self.server_version.get().is_some() {
            return;
        }
        let slot = self.server_version.clone();
        tokio::spawn(async move {
            let info: redis::RedisResult<String> = redis::cmd("INFO")
                .arg("server")
                .query_async(&mut connection)
                .await;
            let Some(version) = info.ok().as_deref().and_then(parse_server_version) else {
                tracing::warn!(
                    "cannot read the redis server version (INFO server); the response cache needs Redis {RESPONSE_CACHE_MIN_VERSION} or later"
                );
                return;
            };
            if slot.set(version).is_err() {
                return;
            }
            if version < RESPONSE_CACHE_MIN_VERSION {
                tracing::warn!(
                    %version,
                    "redis is older than {RESPONSE_CACHE_MIN_VERSION}: the response cache (EXPIRE NX/GT) stays off; APQ and rate limits work"
                );
            } else {
                tracing::info!(%version, "redis server version");
            }
        });
    }

    fn current(&self) -> Option<ConnectionManager> {
        self.connection.lock().ok().and_then(|c| c.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_version_is_read_from_info() {
        let info = "# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\n";
        let version = parse_server_version(info).unwrap();
        assert_eq!(version.to_string(), "7.0.15");
        assert!(version >= RESPONSE_CACHE_MIN_VERSION);
        let old = parse_server_version("redis_version:6.2.14\n").unwrap();
        assert!(old < RESPONSE_CACHE_MIN_VERSION);
        assert_eq!(parse_server_version("redis_version:8\n").unwrap().major, 8);
        assert_eq!(parse_server_version("# Server\r\n"), None);
        assert_eq!(parse_server_version("redis_version:x.1\n"), None);
    }

    #[test]
    fn logged_urls_hide_the_password() {
        assert_eq!(
            redacted("redis://:s3cret@cache:6379/0"),
            "redis://***@cache:6379/0"
        );
        assert_eq!(redacted("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }

    #[test]
    fn keys_take_the_prefix() {
        let redis = Redis::new(RedisSettings {
            key_prefix: "t1:".into(),
            ..RedisSettings::default()
        })
        .unwrap();
        assert_eq!(redis.key("pq:abc"), "t1:pq:abc");
    }

    #[test]
    fn shared_handles_are_shared_per_settings() {
        let a = RedisSettings {
            key_prefix: "shared-a:".into(),
            ..RedisSettings::default()
        };
        let b = RedisSettings {
            key_prefix: "shared-b:".into(),
            ..RedisSettings::default()
        };
        assert!(Arc::ptr_eq(&shared(&a).unwrap(), &shared(&a).unwrap()));
        assert!(!Arc::ptr_eq(&shared(&a).unwrap(), &shared(&b).unwrap()));
        assert!(
            shared(&RedisSettings {
                url: "not a url".into(),
                ..RedisSettings::default()
            })
            .is_err()
        );
    }

    #[tokio::test]
    async fn an_unreachable_redis_fails_fast_and_is_not_retried_at_once() {
        // A port nothing listens on: connection refused.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let redis = Redis::new(RedisSettings {
            url: format!("redis://127.0.0.1:{port}"),
            timeout: Duration::from_secs(2),
            ..RedisSettings::default()
        })
        .unwrap();
        let first: Result<Option<String>, _> =
            redis.query("test", redis::cmd("GET").arg("k")).await;
        assert_eq!(first, Err(RedisFailure::Unavailable));
        assert!(
            redis.last_failure.lock().unwrap().is_some(),
            "the failed attempt is remembered, so requests skip redis for a while"
        );
        let second: Result<Option<String>, _> =
            redis.query("test", redis::cmd("GET").arg("k")).await;
        assert_eq!(second, Err(RedisFailure::Unavailable));
    }
}
