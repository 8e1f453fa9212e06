//! The content subgraph's integration tests.
//!
//! Contract scenarios run twice, on SQLite in a temporary folder and on a
//! fresh PostgreSQL database, through the real schema and store.

#[path = "content/support.rs"]
mod support;

/// Runs each scenario `fn(Backend) -> anyhow::Result<()>` on both backends.
macro_rules! contract {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                #[tokio::test]
                async fn sqlite() -> anyhow::Result<()> {
                    super::$scenario(crate::support::Backend::Sqlite).await
                }

                #[tokio::test]
                async fn postgres() -> anyhow::Result<()> {
                    super::$scenario(crate::support::Backend::Postgres).await
                }
            }
        )*
    };
}

#[path = "content/bad_input.rs"]
mod bad_input;
#[path = "content/batching.rs"]
mod batching;
#[path = "content/embedding_models.rs"]
mod embedding_models;
#[path = "content/generation.rs"]
mod generation;
#[path = "content/lifecycle.rs"]
mod lifecycle;
#[path = "content/listing.rs"]
mod listing;
#[path = "content/openai_server.rs"]
mod openai_server;
#[path = "content/outreach.rs"]
mod outreach;
#[path = "content/outreach_instances.rs"]
mod outreach_instances;
#[path = "content/schema.rs"]
mod schema;
#[path = "content/search.rs"]
mod search;
#[path = "content/seed.rs"]
mod seed;
#[path = "content/semantic_search.rs"]
mod semantic_search;
#[path = "content/services.rs"]
mod services;
#[path = "content/tenancy.rs"]
mod tenancy;
