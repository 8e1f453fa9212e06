//! The ads subgraph of PromptSales: ad execution per channel and market, the
//! daily figures of every ad, launches checked against the campaign's budget,
//! platform connectors, analytics and live metrics; `Campaign` and
//! `Organization` are extended with their ads and analytics, `MediaAsset` is
//! referenced by ads' creatives.
//!
//! Layers (see `subgraphs/README.md`): [`schema`] (thin GraphQL) ->
//! [`domain`] (rules, no I/O) -> [`store::AdsStore`] -> [`store::sea`].
//! Beside them: [`directory`] (campaigns from sales), [`platforms`] (ad
//! platforms), [`live`] (Redis pub/sub), [`http`] (the platforms' webhook).

pub mod directory;
pub mod domain;
pub mod http;
pub mod ingest;
pub mod live;
pub mod platforms;
pub mod schema;
pub mod seed;
pub mod services;
pub mod settings;
pub mod store;

use std::sync::Arc;

use anyhow::Context as _;
use async_graphql::Data;
use promptsales_kit::RequestContext;
use promptsales_kit::auth::Verifier;
use promptsales_kit::server::{self, RequestDataHook, RequestMeta, SubgraphApp};
use sea_orm::DatabaseConnection;

pub use schema::{AdsSchema, Mutation, Query, Subscription};
pub use seed::{seed_demo, seed_demo_on};
pub use services::AdsServices;
pub use settings::Settings;
pub use store::{AdsStore, SeaAdsStore};

/// The subgraph's name.
pub const NAME: &str = "ads";

/// The executable schema over a store and its services (Federation enabled, kit ErrorCodes extension, limits).
pub fn build_schema(store: Arc<dyn AdsStore>, services: AdsServices) -> AdsSchema {
    schema::build(store, services)
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

/// The servable app with services from the environment ([`AdsServices::from_env`]); call within a tokio runtime.
pub fn app(
    store: Arc<dyn AdsStore>,
    db: DatabaseConnection,
) -> SubgraphApp<Query, Mutation, Subscription> {
    app_with(store, db, AdsServices::from_env())
}

/// The servable app: schema, per-request DataLoaders scoped to the caller's tenant, and
/// readiness. (The caller's token, forwarded to sales, is the kit's [`RequestMeta`].)
pub fn app_with(
    store: Arc<dyn AdsStore>,
    db: DatabaseConnection,
    services: AdsServices,
) -> SubgraphApp<Query, Mutation, Subscription> {
    let schema = build_schema(store.clone(), services);
    let request_data: RequestDataHook = Arc::new(
        move |context: &RequestContext, _: &RequestMeta, data: &mut Data| {
            data.insert(schema::loaders::Loaders::new(
                store.clone(),
                context.scope(),
            ));
        },
    );
    SubgraphApp {
        name: NAME,
        schema,
        request_data,
        readiness: server::db_readiness(db),
    }
}

/// The HTTP surface: the kit's GraphQL server for `app` (`router` builds it,
/// e.g. with a verifier), plus the platforms' webhook, within the transport limits of
/// the environment (`PROMPTSALES_SUBGRAPH_MAX_BODY_SIZE`, ...).
pub fn http_router(
    graphql: axum::Router,
    store: Arc<dyn AdsStore>,
    services: &AdsServices,
    webhooks: http::WebhookConfig,
) -> anyhow::Result<axum::Router> {
    let limits = server::transport::ServerLimits::from_env()?;
    Ok(http_router_within(
        graphql, store, services, webhooks, &limits,
    ))
}

/// [`http_router`] with the webhook within `limits` (those `graphql` was built with).
pub fn http_router_within(
    graphql: axum::Router,
    store: Arc<dyn AdsStore>,
    services: &AdsServices,
    webhooks: http::WebhookConfig,
    limits: &server::transport::ServerLimits,
) -> axum::Router {
    let webhook = http::webhook_routes(store, services.live.clone(), webhooks);
    graphql.merge(server::beside(webhook, limits))
}

/// Runs the service as `settings` say until Ctrl-C or SIGTERM.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let config = &settings.service;
    let (store, db) = open_store(&config.database_url).await?;
    let services = AdsServices::from_settings(&settings);
    let graphql = server::router_with_limits(
        app_with(store.clone(), db, services.clone()),
        Arc::new(Verifier::remote(&settings.auth)),
        settings.limits,
    )
    .context("cannot set up the GraphQL server")?;
    let router = http_router_within(
        graphql,
        store,
        &services,
        settings.webhooks.clone(),
        &settings.limits,
    );
    tracing::info!(listen = %config.listen, "ads subgraph listening");
    server::serve(config.listen, router, server::shutdown_signal())
        .await
        .with_context(|| format!("cannot serve on {}", config.listen))
}
