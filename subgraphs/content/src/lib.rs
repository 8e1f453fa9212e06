//! The content subgraph of PromptSales: media assets (images, videos, texts,
//! audio) with their hashtags, technical metadata, usage rights, review
//! status and versions, the campaigns that use them, semantic search, AI
//! campaign content under human review, prompt templates, outreach, the
//! request log of AI calls and the third-party service registry.
//!
//! Layers: `schema` (thin GraphQL) -> `engine` (AI gateway, vector index,
//! caches, jobs) and `domain` (rules, no I/O) -> `store` (the narrow trait)
//! -> `store::sea` (the sea-orm adapter).

pub mod crypto;
pub mod domain;
pub mod engine;
pub mod schema;
pub mod seed;
pub mod settings;
pub mod store;

use std::sync::Arc;

use anyhow::Context as _;
use promptsales_kit::auth::Verifier;
use promptsales_kit::server::{
    SubgraphApp, db_readiness, router_with_limits, serve, shutdown_signal,
};
use sea_orm::DatabaseConnection;

pub use engine::ContentEngine;
pub use schema::{ContentSchema, Mutation, Query, Subscription};
pub use seed::seed_demo;
pub use settings::Settings;
pub use store::ContentStore;
use store::sea::SeaContentStore;

/// The subgraph's name (config prefix, logs, metrics).
pub const NAME: &str = "content";

/// The executable schema over a store and its engine (Federation enabled, kit extensions, depth/complexity limits).
pub fn build_schema(store: Arc<dyn ContentStore>, engine: Arc<ContentEngine>) -> ContentSchema {
    schema::builder().data(store).data(engine).finish()
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

/// The servable app with the engine the environment configures (offline defaults when
/// the AI configuration is invalid: logged as an error; `run` refuses to start instead).
pub fn app(
    store: Arc<dyn ContentStore>,
    db: DatabaseConnection,
) -> SubgraphApp<Query, Mutation, Subscription> {
    let engine = ContentEngine::from_env(store.clone()).unwrap_or_else(|e| {
        tracing::error!(error = %format!("{e:#}"), "invalid AI configuration; using the offline defaults");
        ContentEngine::new(
            store.clone(),
            promptsales_kit::ai::AiGateway::new(
                Arc::new(promptsales_kit::ai::TemplateWriter::new()),
                Arc::new(promptsales_kit::ai::HashingEmbedder::default()),
            ),
            crypto::LazyCipher::default(),
            engine::EngineConfig::default(),
        )
    });
    app_with(store, db, engine)
}

/// The servable app over an explicit engine (tests: a local model server, a test Redis, a test key).
pub fn app_with(
    store: Arc<dyn ContentStore>,
    db: DatabaseConnection,
    engine: Arc<ContentEngine>,
) -> SubgraphApp<Query, Mutation, Subscription> {
    let loaders_store = store.clone();
    SubgraphApp {
        name: NAME,
        schema: build_schema(store, engine),
        request_data: Arc::new(move |context, _, data| {
            schema::loaders::install(loaders_store.clone(), context.scope(), data);
        }),
        readiness: db_readiness(db),
    }
}

/// Runs the service from its configuration until Ctrl-C or SIGTERM.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let config = &settings.service;
    let (store, db) = open_store(&config.database_url).await?;
    let engine = ContentEngine::from_settings(store.clone(), &settings)
        .context("invalid AI configuration")?;
    // The vector index is built from the store at start (embedding what lacks a vector).
    let warming = engine.clone();
    tokio::spawn(async move {
        if let Err(e) = warming.ensure_index().await {
            tracing::warn!(
                code = e.code(),
                "search index not built at start; the first search retries"
            );
        }
    });
    // Batches interrupted by a restart (this instance's or another's) are resumed, once each.
    let resumer = engine.spawn_resumer();
    let router = router_with_limits(
        app_with(store, db, engine),
        Arc::new(Verifier::remote(&settings.auth)),
        settings.limits,
    )
    .context("cannot build the HTTP router")?;
    tracing::info!(listen = %config.listen, "content subgraph listening");
    let served = serve(config.listen, router, shutdown_signal())
        .await
        .with_context(|| format!("cannot serve on {}", config.listen));
    resumer.abort();
    served
}
