//! The ads subgraph's integration tests: store contract, API behaviour,
//! batching, seeds and SDL freshness. Every test that touches a store runs
//! once on SQLite (a temporary file) and once on PostgreSQL (a fresh database).

#[macro_use]
#[path = "ads/harness.rs"]
mod harness;

#[path = "ads/api.rs"]
mod api;
#[path = "ads/batching.rs"]
mod batching;
#[path = "ads/contract.rs"]
mod contract;
#[path = "ads/schema_file.rs"]
mod schema_file;
#[path = "ads/seeding.rs"]
mod seeding;
