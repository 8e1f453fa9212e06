//! The ads subgraph of PromptSales: ad execution per channel and market, and
//! the daily figures of every ad, with `Campaign` extended by its ads and
//! their totals.
//!
//! Layers (see `subgraphs/README.md`): [`schema`] (thin GraphQL) ->
//! [`domain`] (rules, no I/O) -> [`store::AdsStore`] -> [`store::sea`].

pub mod domain;
pub mod schema;
pub mod seed;
pub mod store;

use std::sync::Arc;

use anyhow::Context as _;
use async_graphql::{Data, EmptySubscription};
use promptsales_kit::server::{self, RequestDataHook, SubgraphApp};
use promptsales_kit::{RequestContext, ServiceConfig};
use sea_orm::DatabaseConnection;

pub use schema::{AdsSchema, Mutation, Query};
pub use seed::seed_demo;
pub use store::{AdsStore, SeaAdsStore};

/// The subgraph's name.
pub const NAME: &str = "ads";

/// The executable schema over a store (Federation enabled, kit ErrorCodes extension, depth/complexity limits).
pub fn build_schema(store: Arc<dyn AdsStore>) -> AdsSchema {
    schema::build(store)
}

/// The Federation v2 SDL, as committed in `schema/ads.graphql`.
pub fn schema_sdl() -> String {
    promptsales_kit::sdl::federation_sdl(&schema::builder().finish())
}

/// Connects to `database_url` (`sqlite://` or `postgres://`) and applies the ads migrations.
pub async fn open_store(
    database_url: &str,
) -> anyhow::Result<(Arc<dyn AdsStore>, DatabaseConnection)> {
    let db = promptsales_kit::db::connect_and_migrate::<promptsales_migrations::ads::Migrator>(
        database_url,
    )
    .await
    .context("cannot open the ads store")?;
    Ok((Arc::new(SeaAdsStore::new(db.clone())), db))
}

/// The servable app: schema, per-request DataLoaders scoped to the caller's tenant, and readiness.
pub fn app(
    store: Arc<dyn AdsStore>,
    db: DatabaseConnection,
) -> SubgraphApp<Query, Mutation, EmptySubscription> {
    let schema = build_schema(store.clone());
    let request_data: RequestDataHook =
        Arc::new(move |context: &RequestContext, data: &mut Data| {
            data.insert(schema::loaders::Loaders::new(
                store.clone(),
                context.scope(),
            ));
        });
    SubgraphApp {
        name: NAME,
        schema,
        request_data,
        readiness: server::db_readiness(db),
    }
}

/// Runs the service from its config until Ctrl-C or SIGTERM.
pub async fn run(config: ServiceConfig) -> anyhow::Result<()> {
    let (store, db) = open_store(&config.database_url).await?;
    let router = server::router(app(store, db)).context("cannot set up the metrics registry")?;
    tracing::info!(listen = %config.listen, "ads subgraph listening");
    server::serve(config.listen, router, server::shutdown_signal())
        .await
        .with_context(|| format!("cannot serve on {}", config.listen))
}
