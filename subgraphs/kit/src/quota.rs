//! Monthly quotas kept in Redis: one counter per organization, feature and
//! month, reserved and released atomically.
//!
//! The counter of AI generations is the hash `ai:tokens:{org}:{yyyymm}`
//! (DATA_MODEL.md, "Redis keys"), field [`GENERATIONS_FIELD`]; the content
//! subgraph's `aiUsage` and the sales subgraph's `subscriptionUsage` both read
//! it, and every generation (the AI gateway) or recorded use (`recordUsage`)
//! reserves in it. Reserving is one Lua script: `n` is added only when
//! `used + n <= limit`, so concurrent callers near the limit can never
//! overshoot it and a refused request adds nothing. What a request reserved
//! and did not use (a failure, a cache hit) is given back with [`release`],
//! which never takes the counter below zero.
//!
//! The month is the calendar month (UTC) of the key, not the subscription's
//! billing period: renewing a subscription does not reset it, a new month
//! does (a new key; the old one expires after [`USAGE_TTL`]).
//!
//! Redis down: every reservation (the AI gateway's and sales' `recordUsage`) goes through
//! [`admit`], which applies ONE setting, [`WithoutRedis`] (`PROMPTSALES_AI_LIMIT_WITHOUT_REDIS`,
//! default `open`), so a generation and a recorded use never disagree on what an outage means.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::ConnectionLike;
use uuid::Uuid;

/// Life of a monthly usage hash (a month and a few days, for late reads).
pub const USAGE_TTL: Duration = Duration::from_secs(35 * 24 * 3600);
/// The usage hash field counting AI generations.
pub const GENERATIONS_FIELD: &str = "generations";
/// The plan feature limiting AI generations (published in `plan:{org}`).
pub const AI_GENERATIONS_FEATURE: &str = "ai_generations_per_month";

/// `yyyymm` of now (UTC): the month usage counts toward.
pub fn current_month() -> String {
    chrono::Utc::now().format("%Y%m").to_string()
}

/// The usage hash of `organization` in `month` (unprefixed).
pub fn usage_key(organization: Uuid, month: &str) -> String {
    format!("ai:tokens:{organization}:{month}")
}

/// The outcome of a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserve {
    /// Reserved; the counter now reads `used`.
    Granted {
        /// The counter after the reservation.
        used: u64,
    },
    /// Refused: `used + n` would pass `limit`; nothing was added.
    Refused {
        /// The counter, unchanged.
        used: u64,
    },
}

/// The setting that decides what a reservation does when Redis cannot be reached.
pub const WITHOUT_REDIS_ENV: &str = "PROMPTSALES_AI_LIMIT_WITHOUT_REDIS";

/// What a quota does when Redis, where its counter lives, cannot be reached.
///
/// The default is [`WithoutRedis::Open`], because Redis is the platform's cache and
/// coordination store and a cache outage must never fail a request (ARCHITECTURE.md; the
/// chart's production notes say the same of rate limits and quotas, and the login throttle
/// fails open too): failing closed would stop content generation for every tenant for the
/// length of an outage, while failing open lets through at most that outage's use, of a
/// monthly cap, and never silently: every unmetered use is logged (`warn`), counted
/// ([`unmetered`]) and marked (`metered = false` in the AI request log and in `recordUsage`'s
/// answer). An operator who bills strictly by the quota sets `closed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WithoutRedis {
    /// Admit the use unmetered (logged, counted, marked `metered = false`).
    #[default]
    Open,
    /// Refuse it (`SERVICE_UNAVAILABLE`): usage cannot be known without Redis.
    Closed,
}

impl WithoutRedis {
    /// Reads `open` or `closed` (anything else is an error naming the setting).
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "open" => Ok(Self::Open),
            "closed" => Ok(Self::Closed),
            other => Err(format!(
                "{WITHOUT_REDIS_ENV}={other:?} must be open or closed"
            )),
        }
    }

    /// The setting from [`WITHOUT_REDIS_ENV`] (unset or empty: the default, `open`).
    pub fn from_env() -> Result<Self, String> {
        Self::from_vars(&crate::config::Vars::from_env())
    }

    /// The setting of `vars` (unset or empty: the default, `open`).
    pub fn from_vars(vars: &crate::config::Vars) -> Result<Self, String> {
        match vars.get(WITHOUT_REDIS_ENV) {
            Some(text) if !text.trim().is_empty() => Self::parse(text),
            _ => Ok(Self::default()),
        }
    }
}

/// What [`admit`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Reserved in the counter, which now reads `used`.
    Granted {
        /// The counter after the reservation.
        used: u64,
    },
    /// Refused by the limit; nothing was added.
    Refused {
        /// The counter, unchanged.
        used: u64,
    },
    /// Redis could not be reached and the setting is `open`: admitted, counted nowhere.
    Unmetered,
}

/// Redis could not be reached and the setting is `closed`: the use is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("usage cannot be metered right now (the usage store is unavailable): {0}")]
pub struct MeteringUnavailable(pub String);

static UNMETERED: AtomicU64 = AtomicU64::new(0);

/// Uses admitted unmetered by [`admit`] in this process since it started.
pub fn unmetered() -> u64 {
    UNMETERED.load(Ordering::Relaxed)
}

/// The one way a quota reservation meets a Redis outage: runs `attempt` (the caller's
/// reservation, [`reserve`] on its connection, with its own timeout) and, when it could not
/// reach Redis (`Err`), applies `policy`: `Open` admits the `n` uses unmetered (warned and
/// counted), `Closed` refuses them with [`MeteringUnavailable`]. `what` names the caller in the log.
pub async fn admit<E, F>(
    policy: WithoutRedis,
    what: &str,
    organization: Uuid,
    n: u64,
    attempt: F,
) -> Result<Admission, MeteringUnavailable>
where
    E: std::fmt::Display,
    F: Future<Output = Result<Reserve, E>>,
{
    match attempt.await {
        Ok(Reserve::Granted { used }) => Ok(Admission::Granted { used }),
        Ok(Reserve::Refused { used }) => Ok(Admission::Refused { used }),
        Err(error) => match policy {
            WithoutRedis::Open => {
                let total = UNMETERED.fetch_add(n, Ordering::Relaxed) + n;
                tracing::warn!(%error, %organization, n, total, what, "quota not metered: Redis unavailable ({WITHOUT_REDIS_ENV}=open)");
                Ok(Admission::Unmetered)
            }
            WithoutRedis::Closed => {
                tracing::warn!(%error, %organization, n, what, "quota refused: Redis unavailable ({WITHOUT_REDIS_ENV}=closed)");
                Err(MeteringUnavailable(error.to_string()))
            }
        },
    }
}

// KEYS[1] hash, ARGV: field, n, limit, ttl seconds. Returns {granted 0/1, used}.
const RESERVE: &str = r"
local used = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local n = tonumber(ARGV[2])
if used + n > tonumber(ARGV[3]) then
  return {0, used}
end
used = redis.call('HINCRBY', KEYS[1], ARGV[1], n)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return {1, used}
";

// KEYS[1] hash, ARGV: field, n. Gives back at most what is counted. Returns the counter.
const RELEASE: &str = r"
local used = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local n = math.min(tonumber(ARGV[2]), used)
if n > 0 then
  used = redis.call('HINCRBY', KEYS[1], ARGV[1], -n)
end
return used
";

/// Reserves `n` of `field` in the hash `key` when the counter stays within `limit` (atomic).
pub async fn reserve<C: ConnectionLike + Send>(
    connection: &mut C,
    key: &str,
    field: &str,
    n: u64,
    limit: u64,
) -> redis::RedisResult<Reserve> {
    let (granted, used): (i64, i64) = redis::Script::new(RESERVE)
        .key(key)
        .arg(field)
        .arg(n)
        .arg(limit)
        .arg(USAGE_TTL.as_secs())
        .invoke_async(connection)
        .await?;
    let used = u64::try_from(used).unwrap_or(0);
    Ok(if granted == 1 {
        Reserve::Granted { used }
    } else {
        Reserve::Refused { used }
    })
}

/// Gives back `n` of `field` in `key` (never below zero); returns the counter after.
pub async fn release<C: ConnectionLike + Send>(
    connection: &mut C,
    key: &str,
    field: &str,
    n: u64,
) -> redis::RedisResult<u64> {
    if n == 0 {
        return used(connection, key, field).await;
    }
    let used: i64 = redis::Script::new(RELEASE)
        .key(key)
        .arg(field)
        .arg(n)
        .invoke_async(connection)
        .await?;
    Ok(u64::try_from(used).unwrap_or(0))
}

/// The counter `field` of `key` (0 when absent).
pub async fn used<C: ConnectionLike + Send>(
    connection: &mut C,
    key: &str,
    field: &str,
) -> redis::RedisResult<u64> {
    let value: Option<u64> = redis::cmd("HGET")
        .arg(key)
        .arg(field)
        .query_async(connection)
        .await?;
    Ok(value.unwrap_or(0))
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;

    async fn connection() -> (redis::aio::MultiplexedConnection, String) {
        let server = crate::testing::redis().await;
        let client = redis::Client::open(server.url()).expect("redis url");
        let connection = client
            .get_multiplexed_async_connection()
            .await
            .expect("redis");
        (
            connection,
            format!(
                "{}{}",
                server.fresh_prefix(),
                usage_key(Uuid::now_v7(), "202601")
            ),
        )
    }

    #[tokio::test]
    async fn concurrent_requests_near_the_limit_never_overshoot_it() {
        let (connection, key) = connection().await;
        // 40 requests of 3 against a limit of 100: 33 fit (99), 7 are refused.
        let attempts = (0..40).map(|_| {
            let (mut connection, key) = (connection.clone(), key.clone());
            tokio::spawn(async move {
                reserve(&mut connection, &key, GENERATIONS_FIELD, 3, 100)
                    .await
                    .expect("reserve")
            })
        });
        let mut granted = 0;
        for attempt in attempts {
            match attempt.await.expect("task") {
                Reserve::Granted { used } => {
                    assert!(used <= 100, "overshot: {used}");
                    granted += 1;
                }
                Reserve::Refused { used } => assert!(used + 3 > 100, "refused at {used}"),
            }
        }
        assert_eq!(granted, 33);
        let mut c = connection.clone();
        assert_eq!(
            used(&mut c, &key, GENERATIONS_FIELD).await.expect("read"),
            99
        );
        // One more that fits exactly is granted; nothing more after it.
        assert_eq!(
            reserve(&mut c, &key, GENERATIONS_FIELD, 1, 100)
                .await
                .expect("reserve"),
            Reserve::Granted { used: 100 }
        );
        let ttl: i64 = redis::cmd("TTL")
            .arg(&key)
            .query_async(&mut c)
            .await
            .expect("ttl");
        assert!(ttl > 30 * 24 * 3600, "the month's counter expires: {ttl}");
    }

    #[tokio::test]
    async fn a_refused_request_adds_nothing_and_a_release_never_goes_below_zero() {
        let (mut c, key) = connection().await;
        assert_eq!(
            reserve(&mut c, &key, GENERATIONS_FIELD, 963, 1000)
                .await
                .expect("reserve"),
            Reserve::Granted { used: 963 }
        );
        assert_eq!(
            reserve(&mut c, &key, GENERATIONS_FIELD, 240, 1000)
                .await
                .expect("reserve"),
            Reserve::Refused { used: 963 }
        );
        // The refusal consumed nothing: 37 still fit.
        assert_eq!(
            reserve(&mut c, &key, GENERATIONS_FIELD, 37, 1000)
                .await
                .expect("reserve"),
            Reserve::Granted { used: 1000 }
        );
        assert_eq!(
            release(&mut c, &key, GENERATIONS_FIELD, 30)
                .await
                .expect("release"),
            970
        );
        assert_eq!(
            release(&mut c, &key, GENERATIONS_FIELD, 5000)
                .await
                .expect("release"),
            0
        );
    }
}
