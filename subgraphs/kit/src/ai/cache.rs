//! A Redis handle that degrades to "no cache": an outage never fails a caller.
//!
//! The connection is made lazily and re-made after failures (at most one
//! attempt per [`RECONNECT_PAUSE`]); every command has a short timeout.
//! Callers get `None` (no connection) or an `Err` they are expected to treat
//! as a cache miss.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// Pause between two connection attempts after a failure.
pub const RECONNECT_PAUSE: Duration = Duration::from_secs(2);
/// Timeout of a connection attempt and of one command.
pub const COMMAND_TIMEOUT: Duration = Duration::from_millis(500);

/// The shared Redis, optional and fail-soft.
pub struct RedisCache {
    client: redis::Client,
    prefix: String,
    connection: tokio::sync::Mutex<Option<ConnectionManager>>,
    paused_until: Mutex<Option<Instant>>,
}

impl fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCache")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// A Redis command failed or timed out (treated as a miss by callers).
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// Redis answered with an error or the connection broke.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis did not answer in time.
    #[error("redis did not answer within {COMMAND_TIMEOUT:?}")]
    Timeout,
    /// No connection could be made.
    #[error("redis is unreachable")]
    Unreachable,
}

impl RedisCache {
    /// A handle on `url` (nothing is connected yet); keys get `prefix` (empty in production, unique in tests).
    pub fn open(url: &str, prefix: impl Into<String>) -> Result<Self, CacheError> {
        Ok(Self {
            client: redis::Client::open(url)?,
            prefix: prefix.into(),
            connection: tokio::sync::Mutex::new(None),
            paused_until: Mutex::new(None),
        })
    }

    /// `key` with this handle's prefix.
    pub fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn paused(&self) -> bool {
        match self.paused_until.lock() {
            Ok(guard) => guard.is_some_and(|until| Instant::now() < until),
            Err(_) => false,
        }
    }

    fn pause(&self) {
        if let Ok(mut guard) = self.paused_until.lock() {
            *guard = Some(Instant::now() + RECONNECT_PAUSE);
        }
    }

    /// A connection, made now if needed; `None` while Redis is unreachable.
    pub async fn connection(&self) -> Option<ConnectionManager> {
        if self.paused() {
            return None;
        }
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Some(connection.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(COMMAND_TIMEOUT)
            .set_response_timeout(COMMAND_TIMEOUT)
            .set_number_of_retries(1);
        let made = tokio::time::timeout(
            COMMAND_TIMEOUT * 2,
            ConnectionManager::new_with_config(self.client.clone(), config),
        )
        .await;
        match made {
            Ok(Ok(connection)) => {
                *slot = Some(connection.clone());
                Some(connection)
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "redis unreachable; continuing without cache");
                self.pause();
                None
            }
            Err(_) => {
                tracing::warn!("redis connection timed out; continuing without cache");
                self.pause();
                None
            }
        }
    }

    /// Runs `command` on a connection with the command timeout; a failure pauses reconnection.
    pub async fn run<T: redis::FromRedisValue>(
        &self,
        command: &redis::Cmd,
    ) -> Result<T, CacheError> {
        let mut connection = self.connection().await.ok_or(CacheError::Unreachable)?;
        match tokio::time::timeout(COMMAND_TIMEOUT, command.query_async(&mut connection)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => {
                if e.is_connection_dropped() || e.is_connection_refusal() || e.is_io_error() {
                    self.pause();
                }
                Err(e.into())
            }
            Err(_) => {
                self.pause();
                Err(CacheError::Timeout)
            }
        }
    }

    /// Runs a pipeline atomically (MULTI/EXEC) with the command timeout.
    pub async fn run_pipeline<T: redis::FromRedisValue>(
        &self,
        pipeline: &redis::Pipeline,
    ) -> Result<T, CacheError> {
        let mut connection = self.connection().await.ok_or(CacheError::Unreachable)?;
        match tokio::time::timeout(COMMAND_TIMEOUT, pipeline.query_async(&mut connection)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => {
                if e.is_connection_dropped() || e.is_connection_refusal() || e.is_io_error() {
                    self.pause();
                }
                Err(e.into())
            }
            Err(_) => {
                self.pause();
                Err(CacheError::Timeout)
            }
        }
    }

    /// The string at `key` (prefixed), `None` on a miss or any failure.
    pub async fn get(&self, key: &str) -> Option<String> {
        match self
            .run::<Option<String>>(redis::cmd("GET").arg(self.key(key)))
            .await
        {
            Ok(value) => value,
            Err(e) => {
                tracing::debug!(error = %e, "cache read skipped");
                None
            }
        }
    }

    /// Stores `value` at `key` (prefixed) for `ttl`; failures are logged and ignored.
    pub async fn set(&self, key: &str, value: &str, ttl: Duration) {
        let seconds = ttl.as_secs().max(1);
        let result = self
            .run::<()>(
                redis::cmd("SET")
                    .arg(self.key(key))
                    .arg(value)
                    .arg("EX")
                    .arg(seconds),
            )
            .await;
        if let Err(e) = result {
            tracing::debug!(error = %e, "cache write skipped");
        }
    }

    /// Increments the counter at `key` (prefixed); `None` when Redis is unavailable.
    pub async fn incr(&self, key: &str) -> Option<i64> {
        self.run::<i64>(redis::cmd("INCR").arg(self.key(key)))
            .await
            .ok()
    }
}
