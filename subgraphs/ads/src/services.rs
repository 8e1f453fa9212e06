//! What the ads schema talks to besides its store: the campaign directory
//! (sales), the live-metrics bus and the ad platforms.

use std::sync::Arc;

use crate::directory::{CampaignDirectory, SalesCampaignDirectory};
use crate::live::LiveMetrics;
use crate::platforms::Platforms;

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
        Self {
            directory: Arc::new(SalesCampaignDirectory::from_env().sharing_forgets(
                promptsales_kit::bus::Bus::from_env(
                    crate::directory::FORGET_CHANNEL,
                    "campaign cache evictions",
                ),
            )),
            live: LiveMetrics::from_env(),
            platforms: Platforms::from_env(),
        }
    }
}
