//! What every scenario needs: a migrated store on a backend, the app over it, contexts and GraphQL calls.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context as _;
use async_graphql::{Request, Variables};
use promptsales_content::crypto::{DataKey, LazyCipher};
use promptsales_content::engine::EngineConfig;
use promptsales_content::store::{MediaAsset, NewMediaAsset};
use promptsales_content::{ContentEngine, ContentStore, Mutation, Query, Subscription};
use promptsales_kit::RequestContext;
use promptsales_kit::ai::{AiGateway, HashingEmbedder, TemplateWriter};
use promptsales_kit::db::QueryCounter;
use promptsales_kit::server::{SubgraphApp, execute_as};
use serde_json::{Value, json};
use uuid::Uuid;

/// Which database a scenario runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    /// A SQLite file in a temporary folder.
    Sqlite,
    /// A fresh database on the test PostgreSQL server.
    Postgres,
}

/// A migrated store, the app over it, and a statement counter on its connection.
pub struct Harness {
    pub app: SubgraphApp<Query, Mutation, Subscription>,
    pub store: Arc<dyn ContentStore>,
    pub engine: Arc<ContentEngine>,
    pub db: sea_orm::DatabaseConnection,
    pub counter: QueryCounter,
    /// The database's URL (a second instance opens it too).
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// The offline gateway: the template writer and the hashing embedder, no cache.
pub fn offline_gateway() -> AiGateway {
    AiGateway::new(
        Arc::new(TemplateWriter::new()),
        Arc::new(HashingEmbedder::default()),
    )
}

/// A cipher over a fresh random key (never a key file).
pub fn test_cipher() -> LazyCipher {
    LazyCipher::with_key(&DataKey::from_bytes([42; 32])).expect("a cipher")
}

impl Harness {
    /// A new, empty store on `backend`, with the offline engine.
    pub async fn new(backend: Backend) -> anyhow::Result<Self> {
        Self::with_gateway(backend, offline_gateway(), EngineConfig::default()).await
    }

    /// A new, empty store on `backend`, with an engine over `gateway`.
    pub async fn with_gateway(
        backend: Backend,
        gateway: AiGateway,
        config: EngineConfig,
    ) -> anyhow::Result<Self> {
        // This crate's tests run content alone: the ids they name of sales'
        // entities are not checked here (the end-to-end tests check them against real owners).
        promptsales_kit::testing::without_reference_checks();
        let (url, dir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir()?;
                (
                    format!("sqlite://{}/t.db?mode=rwc", dir.path().display()),
                    Some(dir),
                )
            }
            Backend::Postgres => (
                promptsales_kit::testing::postgres()
                    .await
                    .fresh_database("content")
                    .await?,
                None,
            ),
        };
        let mut db = promptsales_kit::db::connect_and_migrate::<
            promptsales_migrations::content::Migrator,
        >(&url)
        .await
        .with_context(|| format!("migrating {url}"))?;
        // Attached before the store clones the connection, so every statement it runs is counted.
        let counter = QueryCounter::attach(&mut db);
        let store = promptsales_content::store_on(db.clone());
        let engine = ContentEngine::new(store.clone(), gateway, test_cipher(), config);
        let app = promptsales_content::app_with(store.clone(), db.clone(), engine.clone());
        Ok(Self {
            app,
            store,
            engine,
            db,
            counter,
            url,
            _dir: dir,
        })
    }

    /// Runs a GraphQL operation as `context`; the whole response as JSON.
    pub async fn gql(&self, context: &RequestContext, query: &str, variables: Value) -> Value {
        let request = Request::new(query).variables(Variables::from_json(variables));
        let response = execute_as(&self.app, context.clone(), request).await;
        serde_json::to_value(&response).unwrap_or(Value::Null)
    }

    /// Runs an operation that must succeed; its `data`.
    pub async fn ok(
        &self,
        context: &RequestContext,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        let response = self.gql(context, query, variables).await;
        anyhow::ensure!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        Ok(response["data"].clone())
    }

    /// Inserts an asset straight into the store.
    pub async fn insert(&self, asset: NewMediaAsset) -> anyhow::Result<MediaAsset> {
        Ok(self.store.insert_asset(asset).await?)
    }

    /// How many assets the store holds, across tenants.
    pub async fn asset_count(&self) -> anyhow::Result<usize> {
        let page = promptsales_kit::PageRequest {
            first: 100,
            after: None,
        };
        let mut total = 0;
        let mut after = None;
        loop {
            let request = promptsales_kit::PageRequest { after, ..page };
            let found = self
                .store
                .list_assets(
                    promptsales_kit::context::TenantScope::All,
                    &Default::default(),
                    &request,
                )
                .await?;
            total += found.items.len();
            match found.items.last() {
                Some(last) if found.has_next => after = Some(last.id),
                _ => return Ok(total),
            }
        }
    }
}

/// A context acting for one organization.
pub fn tenant(organization: Uuid) -> RequestContext {
    RequestContext {
        organization: Some(organization),
        user: None,
        roles: BTreeMap::from([(
            promptsales_kit::Subsystem::Content,
            promptsales_kit::Role::Write,
        )]),
    }
}

/// A context administering one organization's content.
pub fn admin(organization: Uuid) -> RequestContext {
    RequestContext {
        organization: Some(organization),
        user: Some(Uuid::now_v7()),
        roles: BTreeMap::from([(
            promptsales_kit::Subsystem::Content,
            promptsales_kit::Role::Admin,
        )]),
    }
}

/// An image asset of `organization` with a description and hashtags.
pub fn image(organization: Uuid, description: &str, hashtags: &[&str]) -> NewMediaAsset {
    use promptsales_content::store::{AssetKind, ReviewStatus, TechnicalMetadata, UsageRights};
    NewMediaAsset {
        id: None,
        organization_id: organization,
        kind: AssetKind::Image,
        url: format!(
            "https://assets.promptsales.example/test/{}.jpg",
            Uuid::now_v7()
        ),
        thumbnail_url: None,
        description: description.to_string(),
        hashtags: hashtags.iter().map(|t| t.to_string()).collect(),
        category: Some("social".to_string()),
        technical: TechnicalMetadata {
            format: Some("jpg".into()),
            width: Some(1080),
            height: Some(1080),
            duration_seconds: None,
            size_bytes: Some(250_000),
        },
        rights: UsageRights::default(),
        review_status: ReviewStatus::Approved,
        campaign_ids: Vec::new(),
    }
}

/// The first error's `extensions.code`.
pub fn code(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}

/// The first error's `extensions.field`.
pub fn field(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["field"].as_str()
}

/// `_entities` representations of `typename` for `ids`.
pub fn representations(typename: &str, ids: &[Uuid]) -> Value {
    Value::Array(
        ids.iter()
            .map(|id| json!({"__typename": typename, "id": id.to_string()}))
            .collect(),
    )
}
