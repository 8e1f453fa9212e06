//! Invalidating the router's response cache by entity tag, from any component.
//!
//! The router stores each cached response under `{prefix}{rc:<org>}:<hash>`
//! and adds that key to one Redis set per entity it holds,
//! `{prefix}{rc:<org>}:tag:<Type>:<id>`, where `<org>` is the organization the
//! caller is scoped to, or `all` for a caller scoped to none (a platform
//! operator, an anonymous caller; tags come from [`crate::cache_hints`]). A
//! mutation through the router invalidates the tags it returns by itself; a
//! component that changes data without going through the router (the ETL, a
//! webhook) calls [`invalidate_for`] the organization the rows belong to (or
//! [`invalidate`], which reaches every tenant) with the tags of the entities it
//! changed and, when it created or deleted some, the list tags of their type
//! ([`list_tags_changed_by`] the organization; [`list_tag`] reaches every
//! tenant's lists):
//!
//! ```no_run
//! # async fn example(redis: &mut redis::aio::ConnectionManager) -> redis::RedisResult<()> {
//! let (organization_id, campaign_id) = ("0190f0c4-...", "0190f0c5-...");
//! let mut tags = vec![promptsales_kit::cache_tags::entity_tag("Campaign", campaign_id)];
//! tags.extend(promptsales_kit::cache_tags::list_tags_changed_by("Campaign", Some(organization_id)));
//! let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
//! promptsales_kit::cache_tags::invalidate_for(redis, "", Some(organization_id), &tags).await?;
//! # Ok(()) }
//! ```
//!
//! The prefix is the router's `PROMPTSALES_REDIS_KEY_PREFIX` (empty by default;
//! tests give each router its own); the `_in`/`_for` forms take it explicitly.
//!
//! Redis Cluster: the hash tag `{rc:<org>}` puts one tenant's keys in one slot,
//! so the lookup (`MGET` of a shared and a per-user key), the store (`MULTI` of
//! a response and its tag sets) and one run of [`INVALIDATE_SCRIPT`] (which
//! deletes keys it reads from the tag sets) never cross slots, while the
//! tenants spread over the cluster's shards. An invalidation for one
//! organization runs the script twice: in the tenant's slot and in `{rc:all}`
//! (responses read across tenants may hold the tenant's entities). An
//! invalidation for no organization runs it in `{rc:all}` and in the slot of
//! every tenant the router has cached for, which it registers in the set
//! [`tenants_key`] (itself in `{rc:all}`) before storing a tenant's response.
//! The router also needs Redis 7 or later (`EXPIRE ... NX|GT` on the tag sets).
//!
//! Every router also keeps its hottest responses in memory: the script publishes the keys
//! it deleted on [`invalidation_channel`], whoever ran it, and each router drops them there
//! too (so an invalidation from the ETL or another replica reaches every router's memory).

pub use crate::cache_hints::{
    entity_tag, list_tag, list_tags_changed_by, list_tags_stored_for, tenant_list_tag,
};

/// What stands for "no single organization" in a hash tag (organization ids are UUIDs, never this).
pub const CROSS_TENANT: &str = "all";

/// The Redis Cluster hash tag of the keys cached for `organization`: `{rc:<org>}`, `{rc:all}` for `None`.
pub fn hash_tag(organization: Option<&str>) -> String {
    format!("{{rc:{}}}", organization.unwrap_or(CROSS_TENANT))
}

/// The key of a response cached for `organization`: `{prefix}{rc:<org>}:<hash>`.
pub fn response_key(prefix: &str, organization: Option<&str>, hash: &str) -> String {
    format!("{prefix}{}:{hash}", hash_tag(organization))
}

/// The set of the response keys cached for `organization` tagged with `tag`: `{prefix}{rc:<org>}:tag:<tag>`.
pub fn tag_key(prefix: &str, organization: Option<&str>, tag: &str) -> String {
    format!("{prefix}{}:tag:{tag}", hash_tag(organization))
}

/// The set of organizations with cached responses: `{prefix}{rc:all}:tenants`.
pub fn tenants_key(prefix: &str) -> String {
    format!("{prefix}{}:tenants", hash_tag(None))
}

/// The Pub/Sub channel the response keys deleted by an invalidation are published on
/// (newline-separated), for the routers' in-memory caches: `{prefix}rc:invalidated`.
pub fn invalidation_channel(prefix: &str) -> String {
    format!("{prefix}rc:invalidated")
}

/// Deletes every response listed in the given tag sets, then the sets, and publishes the
/// deleted keys on the channel `ARGV[1]`; returns how many responses were deleted and their keys.
/// One script, so a response stored concurrently is either deleted or tagged after the deletion,
/// and the routers hear of a deletion no later than the caller does.
pub const INVALIDATE_SCRIPT: &str = r#"
local deleted = 0
local keys = {}
for _, tag in ipairs(KEYS) do
  local members = redis.call('SMEMBERS', tag)
  for i = 1, #members, 500 do
    deleted = deleted + redis.call('DEL', unpack(members, i, math.min(i + 499, #members)))
  end
  for _, member in ipairs(members) do
    keys[#keys + 1] = member
  end
  redis.call('DEL', tag)
end
if #keys > 0 then
  redis.call('PUBLISH', ARGV[1], table.concat(keys, '\n'))
end
return {deleted, keys}
"#;

/// Invalidates every cached response tagged with one of `tags`, for every tenant (router key prefix empty);
/// returns how many were deleted.
pub async fn invalidate<C>(redis: &mut C, tags: &[&str]) -> redis::RedisResult<u64>
where
    C: redis::aio::ConnectionLike + Send,
{
    invalidate_in(redis, "", tags).await
}

/// [`invalidate`] for a router whose keys start with `prefix`.
pub async fn invalidate_in<C>(redis: &mut C, prefix: &str, tags: &[&str]) -> redis::RedisResult<u64>
where
    C: redis::aio::ConnectionLike + Send,
{
    invalidate_for(redis, prefix, None, tags).await
}

/// Invalidates the responses tagged with one of `tags` that a change to `organization`'s data can
/// reach: those cached for it and those cached across tenants; `None`: those of every tenant.
/// One script per slot; returns how many responses were deleted.
pub async fn invalidate_for<C>(
    redis: &mut C,
    prefix: &str,
    organization: Option<&str>,
    tags: &[&str],
) -> redis::RedisResult<u64>
where
    C: redis::aio::ConnectionLike + Send,
{
    Ok(invalidate_for_keys(redis, prefix, organization, tags)
        .await?
        .0)
}

/// [`invalidate_for`], also returning the response keys it deleted (or found already expired),
/// which the router drops from its memory at once.
pub async fn invalidate_for_keys<C>(
    redis: &mut C,
    prefix: &str,
    organization: Option<&str>,
    tags: &[&str],
) -> redis::RedisResult<(u64, Vec<String>)>
where
    C: redis::aio::ConnectionLike + Send,
{
    if tags.is_empty() {
        return Ok((0, Vec::new()));
    }
    let mut slots: Vec<Option<String>> = vec![None];
    match organization {
        Some(organization) => slots.push(Some(organization.to_string())),
        None => {
            let tenants: Vec<String> = redis::cmd("SMEMBERS")
                .arg(tenants_key(prefix))
                .query_async(redis)
                .await?;
            slots.extend(tenants.into_iter().map(Some));
        }
    }
    let script = redis::Script::new(INVALIDATE_SCRIPT);
    let channel = invalidation_channel(prefix);
    let mut deleted = 0;
    let mut keys = Vec::new();
    for slot in &slots {
        let mut invocation = script.prepare_invoke();
        for tag in tags {
            invocation.key(tag_key(prefix, slot.as_deref(), tag));
        }
        invocation.arg(&channel);
        let (n, mut slot_keys): (u64, Vec<String>) = invocation.invoke_async(redis).await?;
        deleted += n;
        keys.append(&mut slot_keys);
    }
    Ok((deleted, keys))
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use redis::AsyncCommands;

    #[tokio::test]
    async fn invalidates_exactly_the_tagged_responses() {
        let r = crate::testing::redis().await;
        let prefix = r.fresh_prefix();
        let client = redis::Client::open(r.url()).unwrap();
        let mut con = client.get_multiplexed_async_connection().await.unwrap();
        let org = Some("org-a");
        let (one, two, other) = (
            response_key(&prefix, org, "one"),
            response_key(&prefix, org, "two"),
            response_key(&prefix, org, "other"),
        );
        for key in [&one, &two, &other] {
            let _: () = con.set(key, "cached").await.unwrap();
        }
        let c1 = entity_tag("Campaign", "c1");
        let c2 = entity_tag("Campaign", "c2");
        let _: () = con.sadd(tag_key(&prefix, org, &c1), &one).await.unwrap();
        let _: () = con.sadd(tag_key(&prefix, org, &c1), &two).await.unwrap();
        let _: () = con.sadd(tag_key(&prefix, org, &c2), &other).await.unwrap();

        let deleted = invalidate_for(&mut con, &prefix, org, &[c1.as_str()])
            .await
            .unwrap();
        assert_eq!(deleted, 2);
        let left: Vec<Option<String>> = con.mget(&[&one, &two, &other]).await.unwrap();
        assert_eq!(left, vec![None, None, Some("cached".to_string())]);
        let tag_left: bool = con.exists(tag_key(&prefix, org, &c1)).await.unwrap();
        assert!(!tag_left);
        assert_eq!(invalidate_in(&mut con, &prefix, &[]).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn an_invalidation_publishes_the_keys_it_deleted() {
        use futures::StreamExt as _;
        let r = crate::testing::redis().await;
        let prefix = r.fresh_prefix();
        let client = redis::Client::open(r.url()).unwrap();
        let mut pubsub = client.get_async_pubsub().await.unwrap();
        pubsub
            .subscribe(invalidation_channel(&prefix))
            .await
            .unwrap();
        let mut con = client.get_multiplexed_async_connection().await.unwrap();
        let tag = entity_tag("Campaign", "c1");
        let untouched = entity_tag("Campaign", "c2");
        let (one, two) = (
            response_key(&prefix, Some("org-a"), "one"),
            response_key(&prefix, None, "two"),
        );
        for (org, key) in [(Some("org-a"), &one), (None, &two)] {
            let _: () = con.set(key, "cached").await.unwrap();
            let _: () = con.sadd(tag_key(&prefix, org, &tag), key).await.unwrap();
        }

        // Nothing tagged: nothing deleted, nothing published.
        let (deleted, keys) =
            invalidate_for_keys(&mut con, &prefix, Some("org-a"), &[untouched.as_str()])
                .await
                .unwrap();
        assert_eq!((deleted, keys.len()), (0, 0));

        let (deleted, mut keys) =
            invalidate_for_keys(&mut con, &prefix, Some("org-a"), &[tag.as_str()])
                .await
                .unwrap();
        keys.sort();
        let mut expected = vec![one.clone(), two.clone()];
        expected.sort();
        assert_eq!((deleted, &keys), (2, &expected));
        // One message per slot (the cross-tenant one first), each naming its deleted keys.
        let mut published = Vec::new();
        let mut messages = pubsub.on_message();
        while published.len() < 2 {
            let message = messages.next().await.expect("a message");
            assert_eq!(message.get_channel_name(), invalidation_channel(&prefix));
            let payload: String = message.get_payload().unwrap();
            published.extend(payload.split('\n').map(str::to_string));
        }
        published.sort();
        assert_eq!(published, expected);
    }

    #[tokio::test]
    async fn a_tenants_invalidation_stays_in_its_slots_and_a_platform_one_reaches_every_tenant() {
        let r = crate::testing::redis().await;
        let prefix = r.fresh_prefix();
        let client = redis::Client::open(r.url()).unwrap();
        let mut con = client.get_multiplexed_async_connection().await.unwrap();
        let tag = entity_tag("Plan", "p1");
        let mut keys = Vec::new();
        for org in [Some("org-a"), Some("org-b"), None] {
            let key = response_key(&prefix, org, "same-hash");
            let _: () = con.set(&key, "cached").await.unwrap();
            let _: () = con.sadd(tag_key(&prefix, org, &tag), &key).await.unwrap();
            if let Some(org) = org {
                let _: () = con.sadd(tenants_key(&prefix), org).await.unwrap();
            }
            keys.push(key);
        }

        // org-a's change reaches org-a's and the cross-tenant responses, not org-b's.
        let deleted = invalidate_for(&mut con, &prefix, Some("org-a"), &[tag.as_str()])
            .await
            .unwrap();
        assert_eq!(deleted, 2);
        let left: Vec<Option<String>> = con.mget(&keys).await.unwrap();
        assert_eq!(left, vec![None, Some("cached".to_string()), None]);

        // A change for no organization reaches every registered tenant.
        let deleted = invalidate_in(&mut con, &prefix, &[tag.as_str()])
            .await
            .unwrap();
        assert_eq!(deleted, 1);
        let left: Vec<Option<String>> = con.mget(&keys).await.unwrap();
        assert_eq!(left, vec![None, None, None]);
    }

    /// The Redis Cluster hash slot of `key` is computed from its first `{...}`
    /// with something inside, else from the whole key.
    fn hashed_part(key: &str) -> &str {
        if let Some(open) = key.find('{')
            && let Some(len) = key[open + 1..].find('}')
            && len > 0
        {
            return &key[open + 1..open + 1 + len];
        }
        key
    }

    /// Redis Cluster's slot of `key`: CRC16 (XMODEM) of its hashed part, modulo 16384.
    fn slot(key: &str) -> u16 {
        let mut crc: u16 = 0;
        for byte in hashed_part(key).bytes() {
            crc ^= u16::from(byte) << 8;
            for _ in 0..8 {
                crc = if crc & 0x8000 != 0 {
                    (crc << 1) ^ 0x1021
                } else {
                    crc << 1
                };
            }
        }
        crc % 16384
    }

    #[test]
    fn the_slot_function_matches_redis() {
        // Values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
        assert_eq!(slot("123456789"), 0x31C3 % 16384);
        assert_eq!(slot("foo"), 12182);
        assert_eq!(slot("{user1000}.following"), slot("{user1000}.followers"));
    }

    #[test]
    fn one_tenants_keys_share_a_slot_whatever_the_prefix() {
        for prefix in ["", "e2e:0190:", "app{x}:", "odd{", "odd}{"] {
            for org in [Some("0190f0c4-7d1e-7c3a-9b1e-3f1d2c4b5a69"), None] {
                let keys = [
                    response_key(prefix, org, "abc"),
                    response_key(prefix, org, "abc:u:def"),
                    tag_key(prefix, org, "Campaign:c1"),
                    tag_key(prefix, org, &tenant_list_tag("Campaign", org)),
                ];
                let first = slot(&keys[0]);
                for key in &keys {
                    assert_eq!(slot(key), first, "{key}");
                }
            }
            assert_eq!(
                slot(&tenants_key(prefix)),
                slot(&response_key(prefix, None, "x"))
            );
        }
        assert_eq!(hashed_part(&response_key("", Some("o1"), "abc")), "rc:o1");
        assert_eq!(hashed_part(&response_key("", None, "abc")), "rc:all");
    }

    #[test]
    fn tenants_spread_over_the_slots() {
        // 1000 organization ids (UUIDv7-like: a shared time prefix, as ids made in one
        // second have) land in ~970 distinct slots if CRC16 spreads them; all in one
        // slot was the old `{rc}`.
        let tenants = 1000;
        let slots: std::collections::BTreeSet<u16> = (0..tenants)
            .map(|i| {
                let org = format!("0190f0c4-7d1e-7{:03x}-9b1e-{:012x}", i % 4096, i * 7919);
                slot(&response_key("", Some(&org), "abc"))
            })
            .collect();
        assert!(slots.len() > 900, "{} distinct slots", slots.len());
        // Over a 3-shard cluster's slot ranges (0-5460, 5461-10922, 10923-16383) no shard gets
        // much more than its third.
        let mut shards = [0usize; 3];
        for s in &slots {
            shards[usize::from(*s) * 3 / 16384] += 1;
        }
        for count in shards {
            assert!(count < slots.len() / 2, "{shards:?}");
        }
    }
}
