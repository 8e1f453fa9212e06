//! Live campaign performance: the ETL publishes, after each cycle, which
//! campaigns of an organization it changed; `campaignPerformanceUpdated`
//! delivers that to subscribers on every sales replica (through Redis, see
//! `kit::bus`).

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use promptsales_kit::bus::Bus;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The pub/sub channel.
pub const CHANNEL: &str = "sales:performance";

/// Some campaigns of an organization have new figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerformanceUpdated {
    /// The organization.
    pub organization_id: Uuid,
    /// Its campaigns whose summaries changed.
    pub campaign_ids: Vec<Uuid>,
    /// When the ETL committed them.
    pub updated_at: DateTime<Utc>,
}

/// The bus of performance updates.
pub type PerformanceBus = Bus<PerformanceUpdated>;

static BUS: OnceLock<PerformanceBus> = OnceLock::new();

/// This process's bus: the one [`start`]ed, else one from `PROMPTSALES_REDIS_URL` (tools,
/// tests); the first call must be within a tokio runtime.
pub fn bus() -> &'static PerformanceBus {
    BUS.get_or_init(|| Bus::from_env(CHANNEL, "campaign performance updates"))
}

/// Starts this process's bus through the Redis at `redis_url` (`None`: this instance only),
/// unless it runs already; call within a tokio runtime.
pub fn start(redis_url: Option<&str>) -> &'static PerformanceBus {
    BUS.get_or_init(|| Bus::on(redis_url, CHANNEL, "campaign performance updates"))
}
