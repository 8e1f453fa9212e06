//! Failed-login throttling at the token endpoint (`password` and
//! `client_credentials` grants): failures are counted in Redis per account
//! (the email, or the client id) and per client IP over a fixed window; past
//! either limit the endpoint answers 429 with `Retry-After` until the window
//! ends, without checking the credentials. A successful login clears its
//! account's counter (not its IP's).
//!
//! Redis is a guard here, not a dependency: when it is down or slow the login
//! goes ahead unthrottled (fail open), and the outage is logged and counted
//! ([`LoginThrottle::unavailable`]); for a few seconds after a failure Redis is
//! not asked at all, so an outage costs logins no latency.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PROMPTSALES_LOGIN_MAX_FAILURES` | `5` | failed logins per account per window (0 = no limit) |
//! | `PROMPTSALES_LOGIN_MAX_FAILURES_PER_IP` | `30` | failed logins per client IP per window (0 = no limit) |
//! | `PROMPTSALES_LOGIN_FAILURE_WINDOW` | `900` | the window, seconds |
//! | `PROMPTSALES_REDIS_URL` | `redis://127.0.0.1:6379` | where the counters live |

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use promptsales_kit::config::{ConfigError, Vars};
use redis::aio::ConnectionManager;
use tokio::sync::Mutex;

use super::secret::token_digest;

/// The most a Redis round trip may take before the login goes ahead without it.
pub const TIMEOUT: Duration = Duration::from_millis(300);
/// How long Redis is left alone after it failed.
pub const BACKOFF: Duration = Duration::from_secs(5);

/// The limits, from the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Failures per account per window (0: none counted).
    pub max_per_account: u64,
    /// Failures per client IP per window (0: none counted).
    pub max_per_ip: u64,
    /// The counting window.
    pub window: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            max_per_account: 5,
            max_per_ip: 30,
            window: Duration::from_secs(900),
        }
    }
}

impl ThrottleConfig {
    /// Reads `PROMPTSALES_LOGIN_MAX_FAILURES`, `PROMPTSALES_LOGIN_MAX_FAILURES_PER_IP`
    /// and `PROMPTSALES_LOGIN_FAILURE_WINDOW` (seconds, at least 1).
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let number = |name: &str, default: u64| -> Result<u64, ConfigError> {
            Ok(vars
                .parse(name, |v| v.parse::<u64>().map_err(|e| e.to_string()))?
                .unwrap_or(default))
        };
        Ok(Self {
            max_per_account: number("PROMPTSALES_LOGIN_MAX_FAILURES", defaults.max_per_account)?,
            max_per_ip: number("PROMPTSALES_LOGIN_MAX_FAILURES_PER_IP", defaults.max_per_ip)?,
            window: Duration::from_secs(
                number(
                    "PROMPTSALES_LOGIN_FAILURE_WINDOW",
                    defaults.window.as_secs(),
                )?
                .max(1),
            ),
        })
    }
}

/// Who is logging in: the account and, when known, the client IP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    account: String,
    ip: Option<String>,
}

impl Attempt {
    /// A user logging in with `email` (compared case-insensitively, as logins are).
    pub fn user(email: &str, ip: Option<&str>) -> Self {
        // Keys carry a digest, so Redis holds no email addresses.
        Self::new(
            format!("user:{}", token_digest(&email.trim().to_lowercase())),
            ip,
        )
    }

    /// A client authenticating as `client_id`.
    pub fn client(client_id: &str, ip: Option<&str>) -> Self {
        Self::new(format!("client:{}", token_digest(client_id)), ip)
    }

    fn new(account: String, ip: Option<&str>) -> Self {
        Self {
            account,
            ip: ip.map(str::to_string),
        }
    }
}

/// Which limit was hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Too many failures for this account.
    Account,
    /// Too many failures from this IP.
    Ip,
}

impl Limit {
    /// Its name in the audit log.
    pub fn name(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Ip => "ip",
        }
    }
}

/// A refused attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// The limit hit.
    pub limit: Limit,
    /// Seconds until the window ends.
    pub retry_after: u64,
    /// True for the first refusal of this window (the one to audit).
    pub first: bool,
}

/// The failure counters; cheap to share, connects lazily.
pub struct LoginThrottle {
    url: String,
    prefix: String,
    config: ThrottleConfig,
    connection: Mutex<Option<ConnectionManager>>,
    down_until: std::sync::Mutex<Option<Instant>>,
    unavailable: AtomicU64,
}

impl std::fmt::Debug for LoginThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginThrottle")
            .field("url", &promptsales_kit::db::redacted(&self.url))
            .field("config", &self.config)
            .field("unavailable", &self.unavailable())
            .finish()
    }
}

impl LoginThrottle {
    /// Counters in the Redis at `url`, keys prefixed with `prefix` (tests isolate themselves so).
    pub fn new(url: impl Into<String>, prefix: impl Into<String>, config: ThrottleConfig) -> Self {
        Self {
            url: url.into(),
            prefix: prefix.into(),
            config,
            connection: Mutex::new(None),
            down_until: std::sync::Mutex::new(None),
            unavailable: AtomicU64::new(0),
        }
    }

    /// Counters in the sales Redis (`PROMPTSALES_REDIS_URL`) with the limits its settings say.
    pub fn from_settings(settings: &crate::Settings) -> Self {
        Self::new(settings.redis_url.clone(), "", settings.throttle)
    }

    /// The limits.
    pub fn config(&self) -> ThrottleConfig {
        self.config
    }

    /// Redis operations skipped or failed so far (each one let a login through unthrottled).
    pub fn unavailable(&self) -> u64 {
        self.unavailable.load(Ordering::Relaxed)
    }

    fn counters(&self, attempt: &Attempt) -> Vec<(Limit, String, u64)> {
        let mut keys = Vec::new();
        if self.config.max_per_account > 0 {
            keys.push((
                Limit::Account,
                format!("{}login:failures:{}", self.prefix, attempt.account),
                self.config.max_per_account,
            ));
        }
        if let Some(ip) = attempt.ip.as_deref().filter(|_| self.config.max_per_ip > 0) {
            keys.push((
                Limit::Ip,
                format!("{}login:failures:ip:{ip}", self.prefix),
                self.config.max_per_ip,
            ));
        }
        keys
    }

    async fn connection(&self) -> Result<ConnectionManager, String> {
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Ok(connection.clone());
        }
        let client = redis::Client::open(self.url.as_str()).map_err(|e| e.to_string())?;
        let connection = client
            .get_connection_manager()
            .await
            .map_err(|e| e.to_string())?;
        *slot = Some(connection.clone());
        Ok(connection)
    }

    fn resting(&self) -> bool {
        let slot = match self.down_until.lock() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        slot.is_some_and(|until| Instant::now() < until)
    }

    /// Runs `pipe` with the timeout; `None` (logged, counted) when Redis cannot answer.
    async fn query<T: redis::FromRedisValue>(
        &self,
        what: &str,
        pipe: redis::Pipeline,
    ) -> Option<T> {
        if self.resting() {
            self.unavailable.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let attempt = async {
            let mut connection = self.connection().await?;
            pipe.query_async::<T>(&mut connection)
                .await
                .map_err(|e| e.to_string())
        };
        let outcome = match tokio::time::timeout(TIMEOUT, attempt).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {TIMEOUT:?}")),
        };
        match outcome {
            Ok(value) => Some(value),
            Err(error) => {
                let count = self.unavailable.fetch_add(1, Ordering::Relaxed) + 1;
                if let Ok(mut slot) = self.down_until.lock() {
                    *slot = Some(Instant::now() + BACKOFF);
                }
                tracing::warn!(%error, what, unavailable = count, "login throttling skipped: Redis is unavailable");
                None
            }
        }
    }

    /// Whether `attempt` must be refused now (before its credentials are checked).
    pub async fn check(&self, attempt: &Attempt) -> Option<Throttled> {
        let counters = self.counters(attempt);
        if counters.is_empty() {
            return None;
        }
        let mut pipe = redis::pipe();
        for (_, key, _) in &counters {
            pipe.get(key).ttl(key);
        }
        // GET then TTL per counter, flat.
        let values: Vec<Option<i64>> = self.query("check", pipe).await?;
        let (limit, key, ttl) = counters
            .iter()
            .zip(values.chunks(2))
            .find(|((_, _, max), pair)| {
                let count = pair.first().copied().flatten().unwrap_or(0);
                u64::try_from(count).unwrap_or(0) >= *max
            })
            .map(|((limit, key, _), pair)| {
                (
                    *limit,
                    key.clone(),
                    pair.get(1).copied().flatten().unwrap_or(0),
                )
            })?;
        let retry_after = u64::try_from(ttl).unwrap_or(0).max(1);
        // One audit entry per limit and window, however many attempts are refused.
        let mut mark = redis::pipe();
        mark.cmd("SET")
            .arg(format!("{key}:refused"))
            .arg(1)
            .arg("NX")
            .arg("EX")
            .arg(retry_after);
        let first: Option<Vec<Option<String>>> = self.query("mark", mark).await;
        Some(Throttled {
            limit,
            retry_after,
            first: first.is_some_and(|set| matches!(set.first(), Some(Some(_)))),
        })
    }

    /// Counts a failed attempt; the window starts at an account's or IP's first failure.
    pub async fn failed(&self, attempt: &Attempt) {
        let counters = self.counters(attempt);
        if counters.is_empty() {
            return;
        }
        let window = self.config.window.as_secs();
        let mut pipe = redis::pipe();
        pipe.atomic();
        for (_, key, _) in &counters {
            pipe.cmd("SET")
                .arg(key)
                .arg(0)
                .arg("NX")
                .arg("EX")
                .arg(window)
                .ignore();
            pipe.incr(key, 1).ignore();
        }
        let _: Option<()> = self.query("count", pipe).await;
    }

    /// A successful login: its account starts afresh.
    pub async fn succeeded(&self, attempt: &Attempt) {
        let Some((_, key, _)) = self
            .counters(attempt)
            .into_iter()
            .find(|(limit, _, _)| *limit == Limit::Account)
        else {
            return;
        };
        let mut pipe = redis::pipe();
        pipe.del(&key)
            .ignore()
            .del(format!("{key}:refused"))
            .ignore();
        let _: Option<()> = self.query("reset", pipe).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hold_digests_not_emails_and_a_zero_limit_counts_nothing() {
        let throttle = LoginThrottle::new("redis://127.0.0.1:1", "t:", ThrottleConfig::default());
        let attempt = Attempt::user(" Mara@Acme.example ", Some("203.0.113.9"));
        let keys = throttle.counters(&attempt);
        assert_eq!(keys.len(), 2);
        assert!(keys.iter().all(|(_, k, _)| !k.contains("acme")), "{keys:?}");
        assert_eq!(
            keys[0].1,
            throttle.counters(&Attempt::user("mara@acme.example", None))[0].1
        );
        assert!(keys[1].1.ends_with(":ip:203.0.113.9"));
        let off = LoginThrottle::new(
            "redis://127.0.0.1:1",
            "t:",
            ThrottleConfig {
                max_per_account: 0,
                max_per_ip: 0,
                window: Duration::from_secs(1),
            },
        );
        assert!(off.counters(&attempt).is_empty());
    }
}
