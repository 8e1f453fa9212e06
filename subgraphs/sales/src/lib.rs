//! The sales subgraph: organizations, users, products and campaigns (the
//! central portal's data), served as a Federation v2 subgraph.
//!
//! Layers: [`schema`] (thin GraphQL) -> [`domain`] (rules, no I/O) ->
//! [`store::SalesStore`] (the narrow interface) -> [`store::sea`] (sea-orm,
//! SQLite embedded default or PostgreSQL).

pub mod ads_link;
pub mod audit;
pub mod auth;
pub mod domain;
pub mod limits;
pub mod live;
pub mod reconcile;
pub mod scheduler;
pub mod schema;
pub mod seed;
pub mod settings;
pub mod store;

use std::sync::Arc;

use promptsales_kit::client_addr::TrustedProxies;
use promptsales_kit::server::transport::ServerLimits;
use promptsales_kit::server::{SubgraphApp, db_readiness};

pub use schema::{Mutation, Query, SalesSchema, SalesSubscription};
pub use seed::{seed_demo, seed_demo_on};
pub use settings::Settings;
pub use store::SalesStore;
pub use store::sea::SeaSalesStore;

/// The subgraph's name (config, logs, metrics).
pub const NAME: &str = "sales";

/// The executable schema over a store (Federation enabled, kit ErrorCodes extension, depth/complexity limits).
pub fn build_schema(store: Arc<dyn SalesStore>) -> SalesSchema {
    schema::builder().data(store).finish()
}

/// The Federation v2 SDL, as committed in `schema/sales.graphql`; needs no store.
pub fn schema_sdl() -> String {
    promptsales_kit::sdl::federation_sdl(&schema::builder().finish())
}

/// Connects to `database_url` (`sqlite://` or `postgres://`) and applies the sales migrations.
pub async fn open_store(
    database_url: &str,
) -> anyhow::Result<(Arc<dyn SalesStore>, sea_orm::DatabaseConnection)> {
    let db = promptsales_kit::db::connect_and_migrate::<promptsales_migrations::sales::Migrator>(
        database_url,
    )
    .await?;
    Ok((store_on(db.clone()), db))
}

/// The store over an already open and migrated connection (tests count its statements).
pub fn store_on(db: sea_orm::DatabaseConnection) -> Arc<dyn SalesStore> {
    Arc::new(SeaSalesStore::new(db))
}

/// The ETL's side of the store over an already open and migrated connection.
pub fn etl_sink_on(db: sea_orm::DatabaseConnection) -> Arc<dyn store::etl::EtlSink> {
    Arc::new(SeaSalesStore::new(db))
}

/// The servable app: schema, per-request DataLoaders scoped to the caller's tenant, and a
/// readiness ping; client addresses are the peers' (no proxy is trusted).
pub fn app(
    store: Arc<dyn SalesStore>,
    db: sea_orm::DatabaseConnection,
) -> SubgraphApp<Query, Mutation, SalesSubscription> {
    app_trusting(store, db, Arc::new(TrustedProxies::none()))
}

/// [`app`], each operation's audit origin ([`audit::origin`]) taken from its request or
/// WebSocket connection, believing `X-Forwarded-For` only from `trusted` peers.
pub fn app_trusting(
    store: Arc<dyn SalesStore>,
    db: sea_orm::DatabaseConnection,
    trusted: Arc<TrustedProxies>,
) -> SubgraphApp<Query, Mutation, SalesSubscription> {
    let schema = build_schema(store.clone());
    // Permissions (auth::permissions) read the identity tables of the same database.
    let auth_store: Arc<dyn auth::AuthStore> = Arc::new(auth::SeaAuthStore::new(db.clone()));
    SubgraphApp {
        name: NAME,
        schema,
        request_data: Arc::new(move |context, meta, data| {
            schema::loaders::register(&store, context.scope(), data);
            data.insert(auth_store.clone());
            data.insert(audit::origin_of_request(meta, &trusted));
        }),
        readiness: db_readiness(db),
    }
}

/// The whole HTTP surface of the sales subgraph: the GraphQL app (verifying
/// tokens with the issuer's own keys) and the OAuth endpoints of `issuer`,
/// as the environment's [`Settings`] say (tests and tools; a running subgraph
/// reads its settings once, see [`http_router_for`]).
pub fn http_router(
    store: Arc<dyn SalesStore>,
    db: sea_orm::DatabaseConnection,
    issuer: Arc<auth::Issuer>,
) -> anyhow::Result<axum::Router> {
    http_router_for(store, db, issuer, &Settings::from_env()?)
}

/// [`http_router`] as `settings` say: failed logins throttled in their Redis, client
/// addresses believed from their trusted proxies, within their transport limits.
pub fn http_router_for(
    store: Arc<dyn SalesStore>,
    db: sea_orm::DatabaseConnection,
    issuer: Arc<auth::Issuer>,
    settings: &Settings,
) -> anyhow::Result<axum::Router> {
    let throttle = Arc::new(auth::throttle::LoginThrottle::from_settings(settings));
    http_router_within(
        store,
        db,
        issuer,
        Some(throttle),
        settings.trusted_proxies.clone(),
        settings.limits,
    )
}

/// [`http_router`] with the given failed-login throttle (`None`: none), believing
/// `X-Forwarded-For` only from `trusted` peers, within `limits`: the GraphQL endpoint and
/// the issuer's OAuth endpoints alike (body size, request timeout).
pub fn http_router_within(
    store: Arc<dyn SalesStore>,
    db: sea_orm::DatabaseConnection,
    issuer: Arc<auth::Issuer>,
    throttle: Option<Arc<auth::throttle::LoginThrottle>>,
    trusted: TrustedProxies,
    limits: ServerLimits,
) -> anyhow::Result<axum::Router> {
    let trusted = Arc::new(trusted);
    let verifier = Arc::new(issuer.verifier());
    let tokens = auth::TokenService {
        issuer,
        store: Arc::new(auth::SeaAuthStore::new(db.clone())),
        audit: store.clone(),
        throttle,
        trusted_proxies: trusted.clone(),
    };
    // Every operation's origin (client IP, user agent) is known to the audit log.
    let graphql = promptsales_kit::server::router_with_limits(
        app_trusting(store, db, trusted),
        verifier,
        limits,
    )?;
    let oauth = promptsales_kit::server::beside(auth::http::routes(tokens), &limits);
    Ok(graphql.merge(oauth))
}

/// Runs the service as `settings` say until Ctrl-C or SIGTERM.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let config = &settings.service;
    let (store, db) = open_store(&config.database_url).await?;
    let issuer = Arc::new(auth::Issuer::from_settings(&settings)?);
    // Key rotations made with `promptsales signing-key` take effect without a restart.
    let keys = issuer.spawn_reload(settings.key_reload_interval);
    // Keeps the audit log to its 90 days; stops with the process.
    let purge = audit::spawn_purge_job(store.clone());
    // Plan limits for the subgraphs that enforce them from Redis (`plan:{org}`).
    let publisher = limits::install(limits::PlanLimitsPublisher::from_settings(&settings));
    let limits = limits::spawn_refresh(store.clone(), publisher.clone());
    // Reminders and overdue alerts of the agenda, once each across replicas.
    let agenda = scheduler::spawn(
        store.clone(),
        &config.database_url,
        settings.scheduler_interval,
    );
    // Campaign stops that ads has not confirmed yet, retried until it does.
    let reconcile = reconcile::spawn(store.clone(), issuer.clone(), reconcile::EVERY);
    // Listening for the ETL's performance updates from the start, not from the first subscriber.
    live::start(settings.bus_redis_url.as_deref());
    let router = http_router_for(store, db.clone(), issuer, &settings)?;
    tracing::info!(listen = %config.listen, "sales subgraph listening");
    // Served with the peer address: failed logins are also counted per client IP
    // when no proxy forwards one.
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    promptsales_kit::server::serve_on(listener, router, promptsales_kit::server::shutdown_signal())
        .await?;
    keys.abort();
    purge.abort();
    limits.abort();
    reconcile.abort();
    agenda.iter().for_each(|task| task.abort());
    if let Err(e) = db.close().await {
        tracing::warn!(error = %e, "closing the database failed");
    }
    Ok(())
}
