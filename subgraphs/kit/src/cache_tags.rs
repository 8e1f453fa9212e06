//! Invalidating the router's response cache by entity tag, from any component.
//!
//! The router stores each cached response under `{prefix}{rc}:<hash>` and adds
//! that key to one Redis set per entity it holds, `{prefix}{rc}:tag:<Type>:<id>`
//! (tags come from [`crate::cache_hints`]). A mutation through the router
//! invalidates the tags it returns by itself; a component that changes data
//! without going through the router (the ETL, a webhook) calls [`invalidate`]
//! with the tags of the entities it changed and, when it created or deleted
//! some, the list tags of their type ([`list_tags_changed_by`] the organization
//! the rows belong to; [`list_tag`] reaches every tenant's lists):
//!
//! ```no_run
//! # async fn example(redis: &mut redis::aio::ConnectionManager) -> redis::RedisResult<()> {
//! let (organization_id, campaign_id) = ("0190f0c4-...", "0190f0c5-...");
//! let mut tags = vec![promptsales_kit::cache_tags::entity_tag("Campaign", campaign_id)];
//! tags.extend(promptsales_kit::cache_tags::list_tags_changed_by("Campaign", Some(organization_id)));
//! let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
//! promptsales_kit::cache_tags::invalidate(redis, &tags).await?;
//! # Ok(()) }
//! ```
//!
//! The prefix is the router's `PROMPTSALES_REDIS_KEY_PREFIX` (empty by default;
//! tests give each router its own); [`invalidate_in`] takes it explicitly.
//!
//! Every key carries the hash tag `{rc}`, so they all live in one Redis Cluster
//! slot: the lookup (`MGET` of a shared and a per-user key), the store
//! (`MULTI` of a response and its tag sets) and [`INVALIDATE_SCRIPT`] (which
//! deletes keys it reads from the tag sets) never cross slots. The price is
//! that the response cache is not spread over a cluster's shards.
//! The router also needs Redis 7 or later (`EXPIRE ... NX|GT` on the tag sets).

pub use crate::cache_hints::{
    entity_tag, list_tag, list_tags_changed_by, list_tags_stored_for, tenant_list_tag,
};

/// The Redis Cluster hash tag every response-cache key carries (one slot for all of them).
pub const HASH_TAG: &str = "{rc}";

/// The key of a cached response: `{prefix}{rc}:<hash>`.
pub fn response_key(prefix: &str, hash: &str) -> String {
    format!("{prefix}{HASH_TAG}:{hash}")
}

/// The set of cached-response keys tagged with `tag`: `{prefix}{rc}:tag:<tag>`.
pub fn tag_key(prefix: &str, tag: &str) -> String {
    format!("{prefix}{HASH_TAG}:tag:{tag}")
}

/// Deletes every response listed in the given tag sets, then the sets; returns how many responses were deleted.
/// One script, so a response stored concurrently is either deleted or tagged after the deletion.
pub const INVALIDATE_SCRIPT: &str = r#"
local deleted = 0
for _, tag in ipairs(KEYS) do
  local members = redis.call('SMEMBERS', tag)
  for i = 1, #members, 500 do
    deleted = deleted + redis.call('DEL', unpack(members, i, math.min(i + 499, #members)))
  end
  redis.call('DEL', tag)
end
return deleted
"#;

/// Invalidates every cached response tagged with one of `tags` (router key prefix empty); returns how many were deleted.
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
    if tags.is_empty() {
        return Ok(0);
    }
    let script = redis::Script::new(INVALIDATE_SCRIPT);
    let mut invocation = script.prepare_invoke();
    for tag in tags {
        invocation.key(tag_key(prefix, tag));
    }
    invocation.invoke_async(redis).await
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
        let (one, two, other) = (
            response_key(&prefix, "one"),
            response_key(&prefix, "two"),
            response_key(&prefix, "other"),
        );
        for key in [&one, &two, &other] {
            let _: () = con.set(key, "cached").await.unwrap();
        }
        let c1 = entity_tag("Campaign", "c1");
        let c2 = entity_tag("Campaign", "c2");
        let _: () = con.sadd(tag_key(&prefix, &c1), &one).await.unwrap();
        let _: () = con.sadd(tag_key(&prefix, &c1), &two).await.unwrap();
        let _: () = con.sadd(tag_key(&prefix, &c2), &other).await.unwrap();

        let deleted = invalidate_in(&mut con, &prefix, &[c1.as_str()])
            .await
            .unwrap();
        assert_eq!(deleted, 2);
        let left: Vec<Option<String>> = con.mget(&[&one, &two, &other]).await.unwrap();
        assert_eq!(left, vec![None, None, Some("cached".to_string())]);
        let tag_left: bool = con.exists(tag_key(&prefix, &c1)).await.unwrap();
        assert!(!tag_left);
        assert_eq!(invalidate_in(&mut con, &prefix, &[]).await.unwrap(), 0);
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

    #[test]
    fn every_key_hashes_to_the_same_slot_whatever_the_prefix() {
        for prefix in ["", "e2e:0190:", "app{x}:", "odd{", "odd}{"] {
            let keys = [
                response_key(prefix, "abc"),
                response_key(prefix, "abc:u:def"),
                tag_key(prefix, "Campaign:c1"),
                tag_key(prefix, &tenant_list_tag("Campaign", Some("org-a"))),
            ];
            let first = hashed_part(&keys[0]);
            for key in &keys {
                assert_eq!(hashed_part(key), first, "{key}");
            }
        }
        assert_eq!(hashed_part(&response_key("", "abc")), "rc");
    }
}
