//! The test harness: a migrated store on SQLite or PostgreSQL, the app over it, and helpers.

use std::sync::{Arc, OnceLock};

use anyhow::{Context as _, Result};
use async_graphql::{Request, Response, Variables};
use promptsales_crm::crypto::KeyEncryptionKey;
use promptsales_crm::store::{CrmStore, LeadSource, LeadStage, NewCustomer, NewLead, NewSale};
use promptsales_crm::{Mutation, Query, Services, Subscription};
use promptsales_kit::context::{Role, Subsystem};
use promptsales_kit::db::QueryCounter;
use promptsales_kit::server::{SubgraphApp, execute_as};
use promptsales_kit::{Decimal4, RequestContext};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::Value;
use uuid::Uuid;

/// Which database a contract test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary folder.
    Sqlite,
    /// A fresh database on the test PostgreSQL server.
    Postgres,
}

/// A migrated store, the app over it, and a statement counter on its connection.
pub struct Harness {
    pub store: Arc<dyn CrmStore>,
    pub db: DatabaseConnection,
    pub app: SubgraphApp<Query, Mutation, Subscription>,
    pub services: Services,
    pub counter: QueryCounter,
    _dir: Option<tempfile::TempDir>,
}

/// The certificate key pair every test store of this process uses (RSA 2048: tests only).
pub fn test_kek() -> KeyEncryptionKey {
    static KEK: OnceLock<KeyEncryptionKey> = OnceLock::new();
    KEK.get_or_init(|| match KeyEncryptionKey::generate(2048) {
        Ok((kek, _, _)) => kek,
        Err(e) => panic!("cannot generate a test key pair: {e}"),
    })
    .clone()
}

/// A fresh database URL on `backend` (and the folder that holds it for SQLite).
pub async fn fresh_url(backend: Backend) -> Result<(String, Option<tempfile::TempDir>)> {
    Ok(match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir()?;
            (
                format!("sqlite://{}/t.db?mode=rwc", dir.path().display()),
                Some(dir),
            )
        }
        Backend::Postgres => {
            let url = promptsales_kit::testing::postgres()
                .await
                .fresh_database("crm")
                .await?;
            (url, None)
        }
    })
}

impl Harness {
    /// A fresh, empty, migrated store on `backend`.
    pub async fn new(backend: Backend) -> Result<Self> {
        Self::with_services(backend, Services::local()).await
    }

    /// A fresh store on `backend` whose app uses `services`.
    pub async fn with_services(backend: Backend, services: Services) -> Result<Self> {
        // This crate's tests run crm alone: the ids they name of sales' and ads'
        // entities are not checked here (the end-to-end tests check them against real owners).
        promptsales_kit::testing::without_reference_checks();
        let (url, dir) = fresh_url(backend).await?;
        let mut db =
            promptsales_kit::db::connect_and_migrate::<promptsales_migrations::crm::Migrator>(&url)
                .await
                .with_context(|| format!("cannot open {backend:?} store"))?;
        // Attached before the store gets its clone of the connection, so the store's statements count.
        let counter = QueryCounter::attach(&mut db);
        let store = promptsales_crm::store_on(db.clone(), test_kek()).await?;
        let app = promptsales_crm::app_with(store.clone(), db.clone(), services.clone());
        Ok(Self {
            store,
            db,
            app,
            services,
            counter,
            _dir: dir,
        })
    }

    /// Runs `query` with `variables` as `context`.
    pub async fn run(&self, context: RequestContext, query: &str, variables: Value) -> Response {
        let request = Request::new(query).variables(Variables::from_json(variables));
        execute_as(&self.app, context, request).await
    }

    /// Runs `query` and returns its data, failing on any error.
    pub async fn data(
        &self,
        context: RequestContext,
        query: &str,
        variables: Value,
    ) -> Result<Value> {
        let response = self.run(context, query, variables).await;
        anyhow::ensure!(
            response.errors.is_empty(),
            "unexpected errors: {:?}",
            response.errors
        );
        Ok(response.data.into_json()?)
    }

    /// Rows of a raw SQL query (the store's own view, no decryption).
    pub async fn rows(&self, sql: &str) -> Result<Vec<sea_orm::QueryResult>> {
        Ok(self
            .db
            .query_all(Statement::from_string(self.db.get_database_backend(), sql))
            .await?)
    }

    /// How many rows `table` holds.
    pub async fn count(&self, table: &str) -> Result<i64> {
        let row = self
            .db
            .query_one(Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await?
            .context("no row")?;
        Ok(row.try_get("", "n")?)
    }

    /// Makes every statement that fires `event` (`BEFORE INSERT ON leads`, `BEFORE UPDATE OF
    /// scored_at ON leads`...) fail, as a broken store would, until [`Harness::heal`]; `name`
    /// names the fault.
    pub async fn break_on(&self, name: &str, event: &str) -> Result<()> {
        let statements = match self.db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => vec![
                format!(
                    "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS \
                     $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$"
                ),
                format!("CREATE TRIGGER {name} {event} FOR EACH ROW EXECUTE FUNCTION {name}()"),
            ],
            _ => vec![format!(
                "CREATE TRIGGER {name} {event} BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
            )],
        };
        for sql in statements {
            self.db
                .execute(Statement::from_string(self.db.get_database_backend(), sql))
                .await?;
        }
        Ok(())
    }

    /// Removes the fault `name` on `table` made by [`Harness::break_on`].
    pub async fn heal(&self, name: &str, table: &str) -> Result<()> {
        let sql = match self.db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => format!("DROP TRIGGER {name} ON {table}"),
            _ => format!("DROP TRIGGER {name}"),
        };
        self.db
            .execute(Statement::from_string(self.db.get_database_backend(), sql))
            .await?;
        Ok(())
    }

    /// Rows in customers, leads and sales.
    pub async fn counts(&self) -> Result<(i64, i64, i64)> {
        Ok((
            self.count("customers").await?,
            self.count("leads").await?,
            self.count("sales").await?,
        ))
    }
}

/// A request scoped to `organization` with every crm role (admin includes read and write).
pub fn as_org(organization: Uuid) -> RequestContext {
    RequestContext::for_organization(organization).with_role(Subsystem::Crm, Role::Admin)
}

/// A request of user `user` in `organization` holding `role` in crm.
pub fn as_user(organization: Uuid, user: Uuid, role: Role) -> RequestContext {
    RequestContext::for_organization(organization)
        .with_user(user)
        .with_role(Subsystem::Crm, role)
}

/// An unscoped request (operators, internal jobs).
pub fn unscoped() -> RequestContext {
    RequestContext::unrestricted()
}

/// The single error's `extensions.code` and `extensions.field`.
pub fn error_code(response: &Response) -> (String, Option<String>) {
    let Some(error) = response.errors.first() else {
        return ("<no error>".into(), None);
    };
    let get = |name: &str| {
        error
            .extensions
            .as_ref()
            .and_then(|e| e.get(name))
            .and_then(|v| match v {
                async_graphql::Value::String(s) => Some(s.clone()),
                _ => None,
            })
    };
    (
        get("code").unwrap_or_else(|| "<no code>".into()),
        get("field"),
    )
}

/// A valid new customer of `organization`.
pub fn new_customer(organization: Uuid, email: &str) -> NewCustomer {
    NewCustomer {
        id: None,
        organization_id: organization,
        full_name: "Lucía Pérez".into(),
        email: email.into(),
        phone: Some("+34 600 123 456".into()),
        country: Some("ES".into()),
        city: Some("Madrid".into()),
        latitude: Some(40.4168),
        longitude: Some(-3.7038),
        segment: Some("hiker".into()),
        lifetime_value: Decimal4::from_units(120),
    }
}

/// A valid new lead.
pub fn new_lead(organization: Uuid, customer: Uuid, campaign: Uuid, stage: LeadStage) -> NewLead {
    NewLead {
        id: None,
        organization_id: organization,
        customer_id: customer,
        campaign_id: campaign,
        source: LeadSource::Instagram,
        source_ad_id: None,
        stage,
        score: 60,
        purchase_intent: 0.5,
        assigned_agent_id: None,
        last_interaction_at: None,
    }
}

/// A valid new sale.
pub fn new_sale(
    organization: Uuid,
    customer: Uuid,
    campaign: Uuid,
    units: i64,
    currency: &str,
) -> NewSale {
    NewSale {
        id: None,
        organization_id: organization,
        customer_id: customer,
        lead_id: None,
        campaign_id: campaign,
        product_id: None,
        amount: Decimal4::from_units(units),
        currency: currency.into(),
        closed_at: chrono::Utc::now() - chrono::Duration::days(1),
    }
}
