//! The crm subgraph: customers (personal data encrypted at rest), leads and
//! sales, and the `Campaign` fields that come from them (leads, funnel,
//! revenue). See `subgraphs/README.md` for the anatomy every subgraph shares.

pub mod crypto;
pub mod domain;
pub mod schema;
pub mod seed;
pub mod store;

use std::sync::Arc;

use anyhow::Context as _;
use async_graphql::EmptySubscription;
use promptsales_kit::ServiceConfig;
use promptsales_kit::server::{
    RequestDataHook, SubgraphApp, db_readiness, router, serve, shutdown_signal,
};
use sea_orm::{ConnectionTrait, DatabaseConnection};

pub use schema::{CrmSchema, Mutation, Query};
pub use seed::seed_demo;
pub use store::CrmStore;

use crate::crypto::{DataKey, PersonalDataCipher};
use crate::store::sea::SeaCrmStore;

/// The subgraph's name.
pub const NAME: &str = "crm";

/// The executable schema over a store (Federation enabled, kit error codes, depth and complexity limits).
pub fn build_schema(store: Arc<dyn CrmStore>) -> CrmSchema {
    schema::builder().data(store).finish()
}

/// The Federation v2 SDL, as committed in `schema/crm.graphql`; needs no store.
pub fn schema_sdl() -> String {
    promptsales_kit::sdl::federation_sdl(&schema::builder().finish())
}

/// Connects to `database_url` (`sqlite://` or `postgres://`), applies migrations, and seals
/// personal data with the configured data key (`PROMPTSALES_CRM_DATA_KEY`, else `crm.key` in the data folder).
pub async fn open_store(
    database_url: &str,
) -> anyhow::Result<(Arc<dyn CrmStore>, DatabaseConnection)> {
    let key = crypto::key_file::load_data_key().context("cannot load the crm data key")?;
    open_store_with_key(database_url, &key).await
}

/// [`open_store`] with an explicit data key (tests, tools).
pub async fn open_store_with_key(
    database_url: &str,
    key: &DataKey,
) -> anyhow::Result<(Arc<dyn CrmStore>, DatabaseConnection)> {
    let db = promptsales_kit::db::connect_and_migrate::<promptsales_migrations::crm::Migrator>(
        database_url,
    )
    .await
    .context("cannot open the crm store")?;
    let store = SeaCrmStore::new(db.clone(), PersonalDataCipher::new(key)?);
    store
        .check_data_key()
        .await
        .context("the configured crm data key cannot open the stored personal data")?;
    Ok((Arc::new(store), db))
}

/// A store over an already open, migrated connection (tests attach a query counter to it first).
pub fn store_on(db: DatabaseConnection, key: &DataKey) -> anyhow::Result<Arc<dyn CrmStore>> {
    Ok(Arc::new(SeaCrmStore::new(
        db,
        PersonalDataCipher::new(key)?,
    )))
}

/// The servable app: schema, per-request DataLoaders scoped to the caller's tenant, readiness.
pub fn app(
    store: Arc<dyn CrmStore>,
    db: DatabaseConnection,
) -> SubgraphApp<Query, Mutation, EmptySubscription> {
    let schema = build_schema(store.clone());
    let request_data: RequestDataHook =
        Arc::new(move |context, data| schema::loaders::install(&store, context.scope(), data));
    SubgraphApp {
        name: NAME,
        schema,
        request_data,
        readiness: db_readiness(db),
    }
}

/// Runs the service from its configuration until Ctrl-C or SIGTERM.
pub async fn run(config: ServiceConfig) -> anyhow::Result<()> {
    let (store, db) = open_store(&config.database_url).await?;
    tracing::info!(backend = ?db.get_database_backend(), "crm store ready");
    let router = router(app(store, db)).context("cannot build the HTTP router")?;
    tracing::info!(listen = %config.listen, "crm subgraph serving /graphql");
    serve(config.listen, router, shutdown_signal())
        .await
        .with_context(|| format!("cannot serve on {}", config.listen))?;
    Ok(())
}
