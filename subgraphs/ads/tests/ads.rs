//! The ads subgraph's integration tests: store contract, API behaviour,
//! batching, seeds, SDL freshness, launches against the real sales subgraph,
//! ingestion and the webhook, platform connectors, analytics and live metrics.
//! Every test that touches a store runs once on SQLite (a temporary file) and
//! once on PostgreSQL (a fresh database).

#[macro_use]
#[path = "ads/harness.rs"]
mod harness;

#[path = "ads/analytics.rs"]
mod analytics;
#[path = "ads/api.rs"]
mod api;
#[path = "ads/batching.rs"]
mod batching;
#[path = "ads/contract.rs"]
mod contract;
#[path = "ads/dates.rs"]
mod dates;
#[path = "ads/launch.rs"]
mod launch;
#[path = "ads/live.rs"]
mod live;
#[path = "ads/metrics.rs"]
mod metrics;
#[path = "ads/platforms.rs"]
mod platforms;
#[path = "ads/sales.rs"]
mod sales;
#[path = "ads/schema_file.rs"]
mod schema_file;
#[path = "ads/seeding.rs"]
mod seeding;
#[path = "ads/served.rs"]
mod served;
