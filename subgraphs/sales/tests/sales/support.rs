//! The test harness: a migrated store on SQLite or PostgreSQL, the app over
//! it, a statement counter, and fixtures inserted through the store trait.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_graphql::{Request, Response, Variables};
use chrono::NaiveDate;
use promptsales_kit::db::QueryCounter;
use promptsales_kit::server::{SubgraphApp, execute_as};
use promptsales_kit::{Decimal4, RequestContext};
use promptsales_sales::domain::campaign::{Budget, CampaignStatus};
use promptsales_sales::domain::objective::ObjectiveKind;
use promptsales_sales::domain::user::UserType;
use promptsales_sales::store::{
    Campaign, NewCampaign, NewObjective, NewOrganization, NewProduct, NewUser, Organization,
    Product, User,
};
use promptsales_sales::{Mutation, Query, SalesStore, SalesSubscription, app, store_on};
use sea_orm::DatabaseConnection;
use serde_json::Value;
use uuid::Uuid;

enum Backend {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(String),
}

/// One test's world: a fresh database, the store and app over it.
/// Sales' own tests run without an ads subgraph: stopping a campaign has no ads to stop
/// (the cross-subgraph rule is tested end to end in `tests/e2e/rules.rs`).
fn no_ads_subgraph() {
    // SAFETY: set before the harness starts anything that reads the environment; every
    // nextest test runs in a process of its own.
    unsafe { std::env::set_var(promptsales_sales::ads_link::ADS_URL_ENV, "off") };
}

pub struct Harness {
    pub store: Arc<dyn SalesStore>,
    pub db: DatabaseConnection,
    pub counter: QueryCounter,
    pub app: SubgraphApp<Query, Mutation, SalesSubscription>,
    /// The database's URL (tests that open a second connection, as a second replica would).
    pub url: String,
    backend: Backend,
}

impl Harness {
    /// A fresh SQLite file in a temporary folder.
    pub async fn sqlite() -> anyhow::Result<Self> {
        no_ads_subgraph();
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}/t.db?mode=rwc", dir.path().display());
        Self::open(&url, Backend::Sqlite(dir)).await
    }

    /// A fresh database on the test PostgreSQL server.
    pub async fn postgres() -> anyhow::Result<Self> {
        no_ads_subgraph();
        let url = promptsales_kit::testing::postgres()
            .await
            .fresh_database("sales")
            .await?;
        let name = url
            .rsplit('/')
            .next()
            .and_then(|tail| tail.split('?').next())
            .unwrap_or_default()
            .to_string();
        Self::open(&url, Backend::Postgres(name)).await
    }

    async fn open(url: &str, backend: Backend) -> anyhow::Result<Self> {
        let mut db = promptsales_kit::db::connect_and_migrate::<
            promptsales_migrations::sales::Migrator,
        >(url)
        .await?;
        // Attached before the store clones the connection, so every statement of the store is counted.
        let counter = QueryCounter::attach(&mut db);
        let store = store_on(db.clone());
        let app = app(store.clone(), db.clone());
        Ok(Self {
            store,
            db,
            counter,
            app,
            url: url.to_string(),
            backend,
        })
    }

    /// Closes the pool and drops a PostgreSQL test database.
    pub async fn close(self) {
        let _ = self.db.close().await;
        if let Backend::Postgres(name) = &self.backend
            && let Err(e) = promptsales_kit::testing::postgres()
                .await
                .drop_database(name)
                .await
        {
            eprintln!("could not drop test database {name}: {e:#}");
        }
    }

    /// Runs a GraphQL request as `context`.
    pub async fn run(&self, context: &RequestContext, query: &str, variables: Value) -> Response {
        let request = Request::new(query).variables(Variables::from_json(variables));
        execute_as(&self.app, context.clone(), request).await
    }

    /// Runs a request that must succeed and returns its data.
    pub async fn data(
        &self,
        context: &RequestContext,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        let response = self.run(context, query, variables).await;
        anyhow::ensure!(
            response.errors.is_empty(),
            "unexpected errors: {:?}",
            response.errors
        );
        Ok(response.data.into_json()?)
    }

    /// Runs a request that must fail; returns its (code, field) pairs.
    pub async fn failure(
        &self,
        context: &RequestContext,
        query: &str,
        variables: Value,
    ) -> Vec<(String, String)> {
        let response = self.run(context, query, variables).await;
        assert!(
            !response.errors.is_empty(),
            "expected an error, got {:?}",
            response.data
        );
        errors(&response)
    }

    /// How many rows the store holds, per entity, seen unscoped (to prove a failure wrote nothing).
    pub async fn census(&self) -> anyhow::Result<[usize; 3]> {
        use promptsales_kit::PageRequest;
        use promptsales_kit::context::TenantScope;
        let mut counts = [0usize; 3];
        let mut after = None;
        loop {
            let page = self
                .store
                .list_organizations(TenantScope::All, PageRequest { first: 100, after })
                .await?;
            counts[0] += page.items.len();
            after = page.items.last().map(|o| o.id);
            if !page.has_next {
                break;
            }
        }
        let all_users = self
            .store
            .list_users(
                TenantScope::All,
                &Default::default(),
                PageRequest {
                    first: 100,
                    after: None,
                },
            )
            .await?;
        counts[1] = all_users.items.len();
        let all_campaigns = self
            .store
            .list_campaigns(
                TenantScope::All,
                &Default::default(),
                PageRequest {
                    first: 100,
                    after: None,
                },
            )
            .await?;
        counts[2] = all_campaigns.items.len();
        Ok(counts)
    }
}

/// The (code, field) of each error of a response.
pub fn errors(response: &Response) -> Vec<(String, String)> {
    response
        .errors
        .iter()
        .map(|e| {
            let get = |key: &str| {
                e.extensions
                    .as_ref()
                    .and_then(|x| x.get(key))
                    .and_then(|v| match v {
                        async_graphql::Value::String(s) => Some(s.clone()),
                        _ => None,
                    })
                    .unwrap_or_default()
            };
            (get("code"), get("field"))
        })
        .collect()
}

/// A platform-wide caller.
pub fn everyone() -> RequestContext {
    RequestContext::unrestricted()
}

/// A caller acting for one organization.
pub fn tenant(organization: Uuid) -> RequestContext {
    RequestContext {
        organization: Some(organization),
        user: None,
        roles: BTreeMap::from([(
            promptsales_kit::Subsystem::Sales,
            promptsales_kit::Role::Write,
        )]),
    }
}

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid test date")
}

pub async fn organization(h: &Harness, name: &str) -> anyhow::Result<Organization> {
    Ok(h.store
        .insert_organization(NewOrganization {
            id: None,
            name: name.to_string(),
            industry: "retail".into(),
            country: "ES".into(),
            sales_goal: Decimal4::from_units(100_000),
            budget: Decimal4::from_units(20_000),
            currency: "EUR".into(),
        })
        .await?)
}

pub async fn user(h: &Harness, organization_id: Uuid, email: &str) -> anyhow::Result<User> {
    Ok(h.store
        .insert_user(NewUser {
            id: None,
            organization_id,
            email: email.to_string(),
            name: format!("User {email}"),
            phone: None,
            user_type: UserType::Marketer,
            timezone: "Europe/Madrid".into(),
            active: true,
        })
        .await?)
}

pub async fn product(h: &Harness, organization_id: Uuid, name: &str) -> anyhow::Result<Product> {
    Ok(h.store
        .insert_product(NewProduct {
            id: None,
            organization_id,
            name: name.to_string(),
            description: None,
            price: Decimal4::from_units(10),
            currency: "EUR".into(),
        })
        .await?)
}

/// A campaign template; tests change what they need.
pub fn new_campaign(organization_id: Uuid, owner_id: Uuid, name: &str) -> NewCampaign {
    NewCampaign {
        id: None,
        organization_id,
        owner_id,
        name: name.to_string(),
        description: Some("A test campaign".into()),
        key_message: None,
        intent: None,
        status: CampaignStatus::Draft,
        budget: Budget {
            total: Decimal4::from_units(1_000),
            spent: Decimal4::ZERO,
        },
        currency: "EUR".into(),
        start_date: day(2026, 9, 1),
        end_date: day(2026, 10, 31),
        industry: None,
        target_countries: vec!["ES".into()],
        product_ids: Vec::new(),
        objectives: vec![
            NewObjective {
                id: None,
                kind: ObjectiveKind::Sales,
                metric: "revenue".into(),
                target: Decimal4::from_units(5_000),
                current: Decimal4::ZERO,
            },
            NewObjective {
                id: None,
                kind: ObjectiveKind::Awareness,
                metric: "reach".into(),
                target: Decimal4::from_units(100_000),
                current: Decimal4::from_units(10),
            },
        ],
    }
}

pub async fn campaign(h: &Harness, new: NewCampaign) -> anyhow::Result<Campaign> {
    Ok(h.store.insert_campaign(new).await?)
}
