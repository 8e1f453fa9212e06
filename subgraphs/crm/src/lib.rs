//! The crm subgraph: customers (personal data under envelope encryption, an
//! e-mail blind index, export and erasure on request), lead capture (GraphQL
//! and a signed webhook, merged per person), the funnel with its history and
//! optimistic concurrency, interactions, lead scoring (logistic regression per
//! organization), the agent queue with live updates, the copilot, and
//! analytics; plus the `Campaign` fields that come from them (leads, funnel,
//! revenue). See `subgraphs/README.md` for the anatomy every subgraph shares.

pub mod crypto;
pub mod domain;
pub mod queue_bus;
pub mod schema;
pub mod seed;
pub mod services;
pub mod settings;
pub mod store;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use promptsales_kit::auth::Verifier;
use promptsales_kit::server::{
    RequestDataHook, SubgraphApp, db_readiness, router_with_limits, serve, shutdown_signal,
};
use sea_orm::{ConnectionTrait, DatabaseConnection};

pub use schema::{CrmSchema, Mutation, Query, Subscription};
pub use seed::{seed_demo, seed_demo_on};
pub use services::Services;
pub use settings::Settings;
pub use store::CrmStore;

use crate::crypto::{DataKey, KeyEncryptionKey, KeySettings};
use crate::store::sea::SeaCrmStore;

/// The subgraph's name.
pub const NAME: &str = "crm";

/// Environment variable: seconds between background re-encryption batches (0 disables them).
pub const REENCRYPT_INTERVAL_ENV: &str = "PROMPTSALES_CRM_REENCRYPT_INTERVAL";
/// Rows per background re-encryption batch.
pub const REENCRYPT_BATCH: u64 = 500;

/// The executable schema over a store, with process-local services (Federation enabled, kit error
/// codes, depth and complexity limits).
pub fn build_schema(store: Arc<dyn CrmStore>) -> CrmSchema {
    build_schema_with(store, Services::local())
}

/// The executable schema over a store and services.
pub fn build_schema_with(store: Arc<dyn CrmStore>, services: Services) -> CrmSchema {
    schema::builder().data(store).data(services).finish()
}

/// The Federation v2 SDL, as committed in `schema/crm.graphql`; needs no store.
pub fn schema_sdl() -> String {
    promptsales_kit::sdl::federation_sdl(&schema::builder().finish())
}

/// Connects to `database_url` (`sqlite://` or `postgres://`), applies migrations, and seals
/// personal data under data keys wrapped by the configured certificate
/// (`PROMPTSALES_CRM_KEK_CERT` / `PROMPTSALES_CRM_KEK_KEY`, else a development pair generated
/// once in the data folder); the legacy key (`PROMPTSALES_CRM_DATA_KEY` or `crm.key`), when
/// present, still opens rows written before envelope encryption.
pub async fn open_store(
    database_url: &str,
) -> anyhow::Result<(Arc<dyn CrmStore>, DatabaseConnection)> {
    let (store, db) = open_configured_sea_store(database_url).await?;
    Ok((Arc::new(store), db))
}

/// [`open_store`], returning the concrete store (the seed generator seals rows with its key ring).
pub async fn open_configured_sea_store(
    database_url: &str,
) -> anyhow::Result<(SeaCrmStore, DatabaseConnection)> {
    let keys = KeySettings::from_vars(&promptsales_kit::config::Vars::from_env());
    open_keyed_sea_store(database_url, &keys).await
}

/// [`open_configured_sea_store`] with the keys `keys` configure (a running subgraph's settings).
pub async fn open_keyed_sea_store(
    database_url: &str,
    keys: &KeySettings,
) -> anyhow::Result<(SeaCrmStore, DatabaseConnection)> {
    let kek =
        crypto::kek::load_configured(keys).context("cannot load the crm certificate key pair")?;
    let legacy =
        crypto::key_file::load_legacy_key(keys).context("cannot load the legacy crm data key")?;
    if let Some(previous) =
        crypto::kek::load_previous(keys).context("cannot load the previous crm certificate")?
    {
        let db = promptsales_kit::db::connect_and_migrate::<promptsales_migrations::crm::Migrator>(
            database_url,
        )
        .await
        .context("cannot open the crm store")?;
        store::sea::keys::rewrap(&db, &previous, &kek, chrono::Utc::now())
            .await
            .context("cannot re-wrap the crm data keys under the new certificate")?;
        db.close().await.context("cannot close the crm store")?;
    }
    open_sea_store(database_url, kek, legacy).await
}

/// [`open_store`] with an explicit key pair and legacy key (tests, tools).
pub async fn open_store_with(
    database_url: &str,
    kek: KeyEncryptionKey,
    legacy: Option<DataKey>,
) -> anyhow::Result<(Arc<dyn CrmStore>, DatabaseConnection)> {
    let (store, db) = open_sea_store(database_url, kek, legacy).await?;
    Ok((Arc::new(store), db))
}

/// The concrete store (for the background re-encryption job and tests that need its methods).
pub async fn open_sea_store(
    database_url: &str,
    kek: KeyEncryptionKey,
    legacy: Option<DataKey>,
) -> anyhow::Result<(SeaCrmStore, DatabaseConnection)> {
    let db = promptsales_kit::db::connect_and_migrate::<promptsales_migrations::crm::Migrator>(
        database_url,
    )
    .await
    .context("cannot open the crm store")?;
    let store = SeaCrmStore::open(db.clone(), kek, legacy)
        .await
        .context("the configured crm keys cannot open the stored personal data")?;
    Ok((store, db))
}

/// A store whose data keys are wrapped by a key pair generated for this process only,
/// with `key` as the legacy key (end-to-end tests that start from an empty database).
pub async fn open_store_with_key(
    database_url: &str,
    key: &DataKey,
) -> anyhow::Result<(Arc<dyn CrmStore>, DatabaseConnection)> {
    let (kek, _, _) = KeyEncryptionKey::generate(2048)?;
    open_store_with(database_url, kek, Some(key.clone())).await
}

/// A store over an already open, migrated connection (tests attach a query counter to it first).
pub async fn store_on(
    db: DatabaseConnection,
    kek: KeyEncryptionKey,
) -> anyhow::Result<Arc<dyn CrmStore>> {
    Ok(Arc::new(SeaCrmStore::open(db, kek, None).await?))
}

/// The servable app with process-local services: schema, per-request DataLoaders scoped to the
/// caller's tenant, readiness.
pub fn app(
    store: Arc<dyn CrmStore>,
    db: DatabaseConnection,
) -> SubgraphApp<Query, Mutation, Subscription> {
    app_with(store, db, Services::local())
}

/// The servable app over `services`.
pub fn app_with(
    store: Arc<dyn CrmStore>,
    db: DatabaseConnection,
    services: Services,
) -> SubgraphApp<Query, Mutation, Subscription> {
    let schema = build_schema_with(store.clone(), services);
    let request_data: RequestDataHook =
        Arc::new(move |context, _, data| schema::loaders::install(&store, context.scope(), data));
    SubgraphApp {
        name: NAME,
        schema,
        request_data,
        readiness: db_readiness(db),
    }
}

/// Re-encrypts rows sealed under older data keys, a batch at a time, forever.
async fn reencrypt_in_background(store: Arc<dyn CrmStore>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        loop {
            match store.reencrypt_batch(REENCRYPT_BATCH).await {
                Ok(report) if report.customers + report.interactions > 0 => {
                    tracing::info!(
                        customers = report.customers,
                        interactions = report.interactions,
                        remaining = report.remaining,
                        "re-encrypted personal data under the active data key"
                    );
                    if report.remaining == 0 {
                        break;
                    }
                }
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "background re-encryption failed; retrying later");
                    break;
                }
            }
        }
    }
}

/// Runs the service as `settings` say until Ctrl-C or SIGTERM: GraphQL, the lead-capture
/// webhook, and background re-encryption after key rotations.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let config = &settings.service;
    let (store, db) = open_keyed_sea_store(&config.database_url, &settings.keys).await?;
    let store: Arc<dyn CrmStore> = Arc::new(store);
    tracing::info!(backend = ?db.get_database_backend(), "crm store ready");
    let services = Services::from_settings(&settings)?;
    if let Some(every) = settings.reencrypt_interval {
        tokio::spawn(reencrypt_in_background(store.clone(), every));
    }
    let router = router_with_limits(
        app_with(store.clone(), db, services.clone()),
        Arc::new(Verifier::remote(&settings.auth)),
        settings.limits,
    )
    .context("cannot build the HTTP router")?
    .merge(webhook::routes_with(
        store,
        services,
        settings.webhook,
        settings.service_identity.clone(),
    ));
    tracing::info!(listen = %config.listen, "crm subgraph serving /graphql and {}", webhook::PATH);
    serve(config.listen, router, shutdown_signal())
        .await
        .with_context(|| format!("cannot serve on {}", config.listen))?;
    Ok(())
}
