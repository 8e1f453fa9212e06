//! What a cycle tells the rest of the platform: the router's cached campaigns
//! and dashboards of the changed campaigns are invalidated (tenant by tenant,
//! `kit::cache_tags`), and `campaignPerformanceUpdated` subscribers hear of them
//! (`kit::bus`). Both fail open: with Redis down, cached answers expire by their
//! own max-age and subscribers miss the event; the summaries are written anyway.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use promptsales_kit::cache_hints::{entity_tag, list_tags_changed_by};
use promptsales_sales::live::{PerformanceBus, PerformanceUpdated};
use uuid::Uuid;

/// The router's cache in Redis, and the bus.
pub struct Live {
    redis: Option<redis::Client>,
    prefix: String,
    bus: PerformanceBus,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// The tags a change of `campaigns` of `organization` invalidates: each campaign, the
/// organization's dashboards, and its campaign lists (`Campaign:*@<organization>` and the
/// cross-tenant ones, which may hold its campaigns too: their figures changed).
pub fn tags_of(organization: Uuid, campaigns: &BTreeSet<Uuid>) -> Vec<String> {
    let mut tags: Vec<String> = campaigns
        .iter()
        .map(|c| entity_tag("Campaign", &c.to_string()))
        .collect();
    tags.push(entity_tag(
        promptsales_sales::schema::DASHBOARD_TAG_TYPE,
        &organization.to_string(),
    ));
    tags.extend(list_tags_changed_by(
        "Campaign",
        Some(&organization.to_string()),
    ));
    tags
}

impl Live {
    /// Over Redis at `redis_url` (the router's key prefix `prefix`) and `bus`.
    pub fn new(redis_url: Option<&str>, prefix: &str, bus: PerformanceBus) -> Self {
        let redis = redis_url.and_then(|url| match redis::Client::open(url) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(error = %e, "the Redis URL is unusable; the router's cache is not invalidated");
                None
            }
        });
        Self {
            redis,
            prefix: prefix.to_string(),
            bus,
        }
    }

    /// From `PROMPTSALES_REDIS_URL` and `PROMPTSALES_REDIS_KEY_PREFIX` (the router's), with `bus`.
    pub fn from_env(bus: PerformanceBus) -> Self {
        let url = promptsales_kit::config::redis_url_from_env();
        let prefix = std::env::var("PROMPTSALES_REDIS_KEY_PREFIX").unwrap_or_default();
        Self::new(url.as_deref(), &prefix, bus)
    }

    /// Invalidates and publishes what changed.
    pub async fn announce(&self, changed: &BTreeMap<Uuid, BTreeSet<Uuid>>) {
        if let Some(client) = &self.redis {
            let invalidated = async {
                let mut connection = tokio::time::timeout(
                    std::time::Duration::from_secs(2),
                    client.get_multiplexed_async_connection(),
                )
                .await
                .map_err(|_| "Redis did not answer in time".to_string())?
                .map_err(|e| e.to_string())?;
                // Tenant by tenant: an organization's responses and the cross-tenant ones,
                // never the other tenants' slots.
                let (mut total, mut count) = (0, 0);
                for (org, campaigns) in changed {
                    let tags = tags_of(*org, campaigns);
                    let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
                    count += tags.len();
                    for chunk in tags.chunks(500) {
                        total += promptsales_kit::cache_tags::invalidate_for(
                            &mut connection,
                            &self.prefix,
                            Some(&org.to_string()),
                            chunk,
                        )
                        .await
                        .map_err(|e| e.to_string())?;
                    }
                }
                Ok::<(u64, usize), String>((total, count))
            }
            .await;
            match invalidated {
                Ok((n, tags)) => {
                    tracing::debug!(responses = n, tags, "cached responses invalidated")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot invalidate the router's cache; cached answers expire by their max-age")
                }
            }
        }
        let now = Utc::now();
        self.bus.publish_all(
            changed
                .iter()
                .map(|(org, campaigns)| PerformanceUpdated {
                    organization_id: *org,
                    campaign_ids: campaigns.iter().copied().collect(),
                    updated_at: now,
                })
                .collect(),
        );
    }
}
