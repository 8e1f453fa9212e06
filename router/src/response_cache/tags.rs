//! Invalidation by entity tag, and the barrier that keeps a request from
//! reading a response a mutation it follows has just invalidated.
//!
//! A mutation's invalidation runs while its response is being sent (the hook
//! that sees its tags cannot wait), so it is registered as pending first:
//! every cache lookup that starts later in this router waits (at most the
//! Redis timeout) until no invalidation is pending. A response computed while
//! an invalidation ran is not stored, since it may predate the change.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;

use super::hot::HotCache;
use crate::redis_conn::Redis;

const FEATURE: &str = "response_cache";

/// Pending invalidations of one router.
#[derive(Debug)]
pub struct Invalidations {
    pending: watch::Sender<usize>,
    started: AtomicU64,
    hot: Arc<HotCache>,
}

impl Invalidations {
    /// No invalidation pending; the keys they delete also leave `hot`.
    pub fn new(hot: Arc<HotCache>) -> Self {
        Self {
            pending: watch::Sender::new(0),
            started: AtomicU64::new(0),
            hot,
        }
    }

    /// How many invalidations have started; a response may be stored only if this has not moved since it was computed.
    pub fn generation(&self) -> u64 {
        self.started.load(Ordering::SeqCst)
    }

    /// Starts invalidating `tags` for a change to `organization`'s data (`None`: any tenant's)
    /// in the background; later lookups wait for it.
    pub fn start(
        self: &Arc<Self>,
        redis: Arc<Redis>,
        organization: Option<String>,
        tags: Vec<String>,
    ) {
        if tags.is_empty() {
            return;
        }
        self.started.fetch_add(1, Ordering::SeqCst);
        self.pending.send_modify(|n| *n += 1);
        let this = self.clone();
        tokio::spawn(async move {
            let prefix = redis.prefix().to_string();
            let result = redis
                .run(FEATURE, |mut connection| async move {
                    let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
                    promptsales_kit::cache_tags::invalidate_for_keys(
                        &mut connection,
                        &prefix,
                        organization.as_deref(),
                        &tags,
                    )
                    .await
                })
                .await;
            match result {
                Ok((deleted, keys)) => {
                    this.hot.drop_keys(keys.iter().map(String::as_str));
                    tracing::debug!(deleted, "cached responses invalidated");
                }
                Err(failure) => {
                    // Whatever it reached is unknown: nothing kept in memory is trusted.
                    this.hot.clear();
                    tracing::warn!(%failure, "cache invalidation failed; entries expire by their TTL")
                }
            }
            this.pending.send_modify(|n| *n = n.saturating_sub(1));
        });
    }

    /// Waits until no invalidation is pending; `false` if that took longer than `timeout`.
    pub async fn settled(&self, timeout: Duration) -> bool {
        let mut pending = self.pending.subscribe();
        if *pending.borrow() == 0 {
            return true;
        }
        tokio::time::timeout(timeout, pending.wait_for(|n| *n == 0))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}
