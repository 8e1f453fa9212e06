//! Cached responses in Redis: `{rc:<org>}:<hash>` holds a response shared by a scope,
//! or a marker saying the operation is private and each user's response lives
//! at `{rc:<org>}:<hash>:u:<user>`; `{rc:<org>}:tag:<tag>` sets list the keys holding an
//! entity (`Type:id`) or a list (`Type:*`, `Type:*@<organization>`). `{rc:<org>}` is a
//! Redis Cluster hash tag per tenant (`{rc:all}` for callers scoped to none): one slot
//! for a tenant's keys, so lookups, stores and one invalidation script never cross
//! slots, and tenants spread over the shards (see `promptsales_kit::cache_tags`).

use std::time::{SystemTime, UNIX_EPOCH};

use promptsales_kit::cache_tags::{response_key, tag_key, tenants_key};

use crate::redis_conn::{Redis, RedisFailure};

const FEATURE: &str = "response_cache";
const HEADER: &[u8] = b"PSRC1 ";
/// Stored at the shared key when the operation's responses are private.
const PRIVATE_MARKER: &[u8] = b"PSRC1 private";

/// One cached response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// When it was stored (Unix seconds).
    pub stored_at: u64,
    /// Its max-age in seconds.
    pub max_age: u64,
    /// Whether it is scoped to a user.
    pub private: bool,
    /// The response body, as sent.
    pub body: Vec<u8>,
}

impl Entry {
    /// The stored form: `PSRC1 {stored_at} {max_age} {p|s}\n{body}`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = format!(
            "PSRC1 {} {} {}\n",
            self.stored_at,
            self.max_age,
            if self.private { "p" } else { "s" }
        )
        .into_bytes();
        out.extend_from_slice(&self.body);
        out
    }

    /// Reads [`Entry::encode`]'s form; `None` for anything else (the marker included).
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let rest = bytes.strip_prefix(HEADER)?;
        let newline = rest.iter().position(|b| *b == b'\n')?;
        let header = std::str::from_utf8(&rest[..newline]).ok()?;
        let mut parts = header.split(' ');
        let stored_at = parts.next()?.parse().ok()?;
        let max_age = parts.next()?.parse().ok()?;
        let private = match parts.next()? {
            "p" => true,
            "s" => false,
            _ => return None,
        };
        Some(Self {
            stored_at,
            max_age,
            private,
            body: rest[newline + 1..].to_vec(),
        })
    }

    /// Seconds since it was stored.
    pub fn age(&self, now: u64) -> u64 {
        now.saturating_sub(self.stored_at)
    }
}

/// Now, in Unix seconds.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A response shared by the scope, at the shared key.
    Shared(Entry),
    /// The operation is private (a marker at the shared key), and this is the user's response.
    Private(Entry),
    /// Nothing usable.
    Nothing,
}

/// Looks up the response at `shared_key` (the scope's) and, for private operations, at
/// `user_key` (see [`response_key`]): one round trip.
pub async fn lookup(
    redis: &Redis,
    shared_key: &str,
    user_key: Option<&str>,
) -> Result<Found, RedisFailure> {
    let mut cmd = redis::cmd("MGET");
    cmd.arg(shared_key);
    if let Some(user_key) = user_key {
        cmd.arg(user_key);
    }
    let found: Vec<Option<Vec<u8>>> = redis.query(FEATURE, &cmd).await?;
    let mut found = found.into_iter();
    let shared = found.next().flatten();
    let personal = found.next().flatten();
    let decoded = match shared {
        Some(marker) if marker == PRIVATE_MARKER => personal
            .as_deref()
            .and_then(Entry::decode)
            .map(Found::Private),
        Some(bytes) => Entry::decode(&bytes).map(Found::Shared),
        None => None,
    };
    Ok(decoded.unwrap_or(Found::Nothing))
}

/// Stores `entry` for `organization` under `hash` (the base, or the user hash of a private one),
/// tagged with `tags`, for its max-age.
pub async fn store(
    redis: &Redis,
    organization: Option<&str>,
    base: &str,
    hash: &str,
    entry: &Entry,
    tags: &[String],
) -> Result<(), RedisFailure> {
    let prefix = redis.prefix();
    let key = response_key(prefix, organization, hash);
    let ttl = entry.max_age.max(1);
    if let Some(organization) = organization {
        // Registered before the response exists, so an invalidation for every tenant that
        // runs once the response is stored finds the tenant's slot. Another slot than the
        // response's, hence its own round trip.
        let tenants = tenants_key(prefix);
        let mut register = redis::pipe();
        register
            .cmd("SADD")
            .arg(&tenants)
            .arg(organization)
            .ignore();
        register
            .cmd("EXPIRE")
            .arg(&tenants)
            .arg(ttl)
            .arg("NX")
            .ignore();
        register
            .cmd("EXPIRE")
            .arg(&tenants)
            .arg(ttl)
            .arg("GT")
            .ignore();
        redis.pipeline::<()>(FEATURE, &register).await?;
    }
    let mut pipe = redis::pipe();
    pipe.atomic();
    pipe.cmd("SET")
        .arg(&key)
        .arg(entry.encode())
        .arg("EX")
        .arg(ttl)
        .ignore();
    if entry.private {
        pipe.cmd("SET")
            .arg(response_key(prefix, organization, base))
            .arg(PRIVATE_MARKER)
            .arg("EX")
            .arg(ttl)
            .ignore();
    }
    for tag in tags {
        let tag_key = tag_key(prefix, organization, tag);
        pipe.cmd("SADD").arg(&tag_key).arg(&key).ignore();
        // A tag set lives as long as its longest-lived response (EXPIRE NX/GT: Redis 7).
        pipe.cmd("EXPIRE").arg(&tag_key).arg(ttl).arg("NX").ignore();
        pipe.cmd("EXPIRE").arg(&tag_key).arg(ttl).arg("GT").ignore();
    }
    redis.pipeline(FEATURE, &pipe).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip() {
        let entry = Entry {
            stored_at: 1_700_000_000,
            max_age: 60,
            private: true,
            body: br#"{"data":{"a":"line\nbreak"}}"#.to_vec(),
        };
        assert_eq!(Entry::decode(&entry.encode()), Some(entry.clone()));
        assert_eq!(entry.age(1_700_000_007), 7);
        assert_eq!(Entry::decode(PRIVATE_MARKER), None);
        assert_eq!(Entry::decode(b"garbage"), None);
        assert_eq!(Entry::decode(b"PSRC1 1 2 x\n{}"), None);
    }
}
