//! The content subgraph of PromptSales: media assets (images, videos, texts,
//! audio) with their hashtags, technical metadata, usage rights and review
//! status, the campaigns that use them, and a ranked text search.
//!
//! Layers: `schema` (thin GraphQL) -> `domain` (rules, no I/O) -> `store`
//! (the narrow trait) -> `store::sea` (the sea-orm adapter).

pub mod domain;
pub mod schema;
pub mod seed;
pub mod store;

use std::sync::Arc;

use anyhow::Context as _;
use async_graphql::EmptySubscription;
use promptsales_kit::ServiceConfig;
use promptsales_kit::server::{SubgraphApp, db_readiness, router, serve, shutdown_signal};
use sea_orm::DatabaseConnection;

pub use schema::{ContentSchema, Mutation, Query};
pub use seed::seed_demo;
pub use store::ContentStore;
use store::sea::SeaContentStore;

/// The subgraph's name (config prefix, logs, metrics).
pub const NAME: &str = "content";

/// The executable schema over a store (Federation enabled, kit ErrorCodes extension, depth/complexity limits).
pub fn build_schema(store: Arc<dyn ContentStore>) -> ContentSchema {
    schema::builder().data(store).finish()
}

/// The Federation v2 SDL, as committed in `schema/content.graphql`; needs no store.
pub fn schema_sdl() -> String {
    promptsales_kit::sdl::federation_sdl(&schema::builder().finish())
}

/// Connects to `database_url` (`sqlite://` or `postgres://`) and applies the content migrations.
pub async fn open_store(
    database_url: &str,
) -> anyhow::Result<(Arc<dyn ContentStore>, DatabaseConnection)> {
    let db = promptsales_kit::db::connect_and_migrate::<promptsales_migrations::content::Migrator>(
        database_url,
    )
    .await
    .context("cannot open the content store")?;
    Ok((store_on(db.clone()), db))
}

/// A store over an already migrated connection (tests attach a `QueryCounter` to it first).
pub fn store_on(db: DatabaseConnection) -> Arc<dyn ContentStore> {
    Arc::new(SeaContentStore::new(db))
}

/// The servable app: schema, per-request DataLoaders and a readiness probe on `db`.
pub fn app(
    store: Arc<dyn ContentStore>,
    db: DatabaseConnection,
) -> SubgraphApp<Query, Mutation, EmptySubscription> {
    let loaders_store = store.clone();
    SubgraphApp {
        name: NAME,
        schema: build_schema(store),
        request_data: Arc::new(move |context, data| {
            schema::loaders::install(loaders_store.clone(), context.scope(), data);
        }),
        readiness: db_readiness(db),
    }
}

/// Runs the service from its configuration until Ctrl-C or SIGTERM.
pub async fn run(config: ServiceConfig) -> anyhow::Result<()> {
    let (store, db) = open_store(&config.database_url).await?;
    let router = router(app(store, db)).context("cannot register the metrics")?;
    tracing::info!(listen = %config.listen, "content subgraph listening");
    serve(config.listen, router, shutdown_signal())
        .await
        .with_context(|| format!("cannot serve on {}", config.listen))
}
