//! What the ads schema talks to besides its store: the campaign directory
//! (sales), the live-metrics bus and the ad platforms.

use std::sync::Arc;

use promptsales_kit::bus::Bus;

use crate::directory::{
    CampaignDirectory, FORGET_CHANNEL, SalesCampaignDirectory, cache_ttl, sales_url,
};
use crate::live::LiveMetrics;
use crate::platforms::{MetaConfig, Platforms};

/// The schema's collaborators.
#[derive(Clone)]
pub struct AdsServices {
    /// Where campaign budgets and dates come from.
    pub directory: Arc<dyn CampaignDirectory>,
    /// Where recorded days are pushed.
    pub live: LiveMetrics,
    /// The ad platforms' connectors.
    pub platforms: Platforms,
}

impl std::fmt::Debug for AdsServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdsServices")
            .field("live", &self.live)
            .field("platforms", &self.platforms)
            .finish()
    }
}

impl AdsServices {
    /// From the environment: sales at `PROMPTSALES_SALES_URL`, Redis at
    /// `PROMPTSALES_REDIS_URL`, the simulator and any configured platform.
    /// Call within a tokio runtime (the Redis listener starts).
    pub fn from_env() -> Self {
        let vars = promptsales_kit::config::Vars::from_env();
        Self::from_parts(
            sales_url(&vars),
            cache_ttl(&vars),
            promptsales_kit::config::redis_url(&vars).as_deref(),
            MetaConfig::from_vars(&vars),
        )
    }

    /// As `settings` say. Call within a tokio runtime (the Redis listener starts).
    pub fn from_settings(settings: &crate::Settings) -> Self {
        Self::from_parts(
            settings.sales_url.clone(),
            settings.campaign_cache_ttl,
            settings.redis_url.as_deref(),
            settings.meta.clone(),
        )
    }

    fn from_parts(
        sales_url: String,
        campaign_cache_ttl: std::time::Duration,
        redis_url: Option<&str>,
        meta: Option<MetaConfig>,
    ) -> Self {
        Self {
            directory: Arc::new(
                SalesCampaignDirectory::new(sales_url, campaign_cache_ttl).sharing_forgets(
                    Bus::on(redis_url, FORGET_CHANNEL, "campaign cache evictions"),
                ),
            ),
            live: LiveMetrics::on(redis_url),
            platforms: Platforms::configured(meta),
        }
    }
}
