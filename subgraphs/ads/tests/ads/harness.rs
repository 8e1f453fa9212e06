//! Opening a store on each backend, fixtures, and running GraphQL as a caller.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Result;
use async_graphql::Variables;
use chrono::NaiveDate;
use promptsales_ads::directory::{Caller, CampaignDirectory, DirectoryError};
use promptsales_ads::domain::{AdChannel, AdStatus, BidStrategy, Performance};
use promptsales_ads::domain::{CampaignFacts, CampaignState};
use promptsales_ads::live::LiveMetrics;
use promptsales_ads::platforms::{Platforms, SimulatorPlatform};
use promptsales_ads::store::{Ad, AdsStore, Market, NewAd, NewAdMetric, NewMarket, SeaAdsStore};
use promptsales_ads::{AdsServices, Mutation, Query, Subscription};
use promptsales_kit::context::{Role, Subsystem};
use promptsales_kit::db::QueryCounter;
use promptsales_kit::server::SubgraphApp;
use promptsales_kit::{Decimal4, RequestContext};
use sea_orm::DatabaseConnection;
use serde_json::Value;
use uuid::Uuid;

/// Runs each named `async fn(&Env) -> Result<()>` of the calling module on SQLite and on PostgreSQL.
///
/// On tokio's current-thread runtime: DataLoaders batch the keys registered
/// within their 1 ms window, and on one thread every sibling resolver
/// registers its key before the window's timer can fire, so statement counts
/// are exact rather than dependent on how fast a debug build polls.
macro_rules! on_each_backend {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() -> anyhow::Result<()> {
                    let env = crate::harness::Env::sqlite().await?;
                    super::$test(&env).await?;
                    env.close().await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $test() -> anyhow::Result<()> {
                    let env = crate::harness::Env::postgres().await?;
                    super::$test(&env).await?;
                    env.close().await
                }
            )*
        }
    };
}

/// A migrated store on one backend, with a statement counter and the servable app.
pub struct Env {
    /// The store.
    pub store: Arc<dyn AdsStore>,
    /// Counts every statement run on the store's connection.
    pub counter: QueryCounter,
    /// The app (schema + per-request loaders), as served, with [`test_services`].
    pub app: SubgraphApp<Query, Mutation, Subscription>,
    /// The connection (migrated).
    pub db: DatabaseConnection,
    postgres_database: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl Env {
    /// A store in a SQLite file in a fresh temporary folder.
    pub async fn sqlite() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}/t.db?mode=rwc", dir.path().display());
        Self::open(&url, None, Some(dir)).await
    }

    /// A store in a fresh PostgreSQL database.
    pub async fn postgres() -> Result<Self> {
        let url = promptsales_kit::testing::postgres()
            .await
            .fresh_database("ads")
            .await?;
        let name = url
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .split('?')
            .next()
            .unwrap_or_default()
            .to_string();
        Self::open(&url, Some(name), None).await
    }

    async fn open(
        url: &str,
        postgres_database: Option<String>,
        dir: Option<tempfile::TempDir>,
    ) -> Result<Self> {
        // Ads runs alone here: the ids it names of sales' and content's entities are not
        // checked, except by the tests that start a real sales (`references_to`).
        promptsales_kit::testing::without_reference_checks();
        let mut db =
            promptsales_kit::db::connect_and_migrate::<promptsales_migrations::ads::Migrator>(url)
                .await?;
        // Attached before the store clones the connection, so the store's statements are counted.
        let counter = QueryCounter::attach(&mut db);
        let store: Arc<dyn AdsStore> = Arc::new(SeaAdsStore::new(db.clone()));
        let app = promptsales_ads::app_with(store.clone(), db.clone(), test_services());
        Ok(Self {
            store,
            counter,
            app,
            db,
            postgres_database,
            _dir: dir,
        })
    }

    /// Closes the pool and drops the PostgreSQL database.
    pub async fn close(self) -> Result<()> {
        self.db.close().await?;
        if let Some(name) = &self.postgres_database {
            promptsales_kit::testing::postgres()
                .await
                .drop_database(name)
                .await?;
        }
        Ok(())
    }

    /// The app over this store with other services (a real sales directory, a Redis bus).
    pub fn app_with(&self, services: AdsServices) -> SubgraphApp<Query, Mutation, Subscription> {
        promptsales_ads::app_with(self.store.clone(), self.db.clone(), services)
    }

    /// Runs a GraphQL request as `context` through the app (loaders and all); the response as JSON.
    pub async fn gql(&self, context: &RequestContext, query: &str, variables: Value) -> Value {
        gql_on(&self.app, context, query, variables).await
    }

    /// Like [`Self::gql`], failing on any error.
    pub async fn gql_ok(&self, context: &RequestContext, query: &str, variables: Value) -> Value {
        let response = self.gql(context, query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }

    /// How many ads, markets and metric days exist, in every tenant.
    pub async fn row_counts(&self) -> Result<(usize, usize, usize)> {
        let everyone = promptsales_kit::context::TenantScope::All;
        let ads = self
            .store
            .ads(
                everyone,
                &Default::default(),
                &promptsales_kit::PageRequest {
                    first: 100_000,
                    after: None,
                },
            )
            .await?;
        let markets = self.store.markets(everyone).await?;
        let ids: Vec<Uuid> = ads.items.iter().map(|a| a.id).collect();
        let days = self
            .store
            .metrics_of_ads(everyone, &ids, date(2000, 1, 1), date(2100, 1, 1))
            .await?;
        Ok((ads.items.len(), markets.len(), days.len()))
    }

    /// Inserts a market.
    pub async fn market(
        &self,
        organization_id: Uuid,
        country: &str,
        currency: &str,
    ) -> Result<Market> {
        Ok(self
            .store
            .insert_market(NewMarket {
                id: None,
                organization_id,
                country: country.into(),
                currency: currency.into(),
                language: country.to_ascii_lowercase(),
            })
            .await?)
    }

    /// Inserts a DRAFT ad of `campaign_id` in `market`.
    pub async fn ad(
        &self,
        market: &Market,
        campaign_id: Uuid,
        channel: AdChannel,
        name: &str,
    ) -> Result<Ad> {
        Ok(self
            .store
            .insert_ad(new_ad(market, campaign_id, channel, name))
            .await?)
    }

    /// Records one day of an ad.
    pub async fn day(&self, ad: &Ad, day: NaiveDate, performance: Performance) -> Result<()> {
        self.store
            .record_metric(NewAdMetric {
                id: None,
                organization_id: ad.organization_id,
                ad_id: ad.id,
                day,
                performance,
            })
            .await?;
        Ok(())
    }
}

/// Runs a GraphQL request as `context` through `app`; the response as JSON.
pub async fn gql_on(
    app: &SubgraphApp<Query, Mutation, Subscription>,
    context: &RequestContext,
    query: &str,
    variables: Value,
) -> Value {
    let request = async_graphql::Request::new(query).variables(Variables::from_json(variables));
    let response = promptsales_kit::server::execute_as(app, context.clone(), request).await;
    serde_json::to_value(&response).unwrap_or(Value::Null)
}

/// Like [`gql_on`], as a request that came with the `Authorization` header `authorization`
/// (which the campaign directory forwards to sales).
pub async fn gql_authorized(
    app: &SubgraphApp<Query, Mutation, Subscription>,
    context: &RequestContext,
    authorization: &str,
    query: &str,
    variables: Value,
) -> Value {
    let mut headers = axum::http::HeaderMap::new();
    if let Ok(value) = axum::http::HeaderValue::from_str(authorization) {
        headers.insert(axum::http::header::AUTHORIZATION, value);
    }
    let meta = promptsales_kit::server::RequestMeta::new(headers, None);
    let request = async_graphql::Request::new(query).variables(Variables::from_json(variables));
    let response =
        promptsales_kit::server::execute_with_meta(app, context.clone(), meta, request).await;
    serde_json::to_value(&response).unwrap_or(Value::Null)
}

/// A campaign directory for the tests that are not about campaigns' rules: every campaign
/// the caller names exists in the caller's organization, in the state given with its launch
/// approved, from 2000 to 2100 with a budget no test reaches. The launch tests and the e2e
/// tests use the real sales subgraph instead.
pub struct CampaignsIn(pub CampaignState);

#[async_trait::async_trait]
impl CampaignDirectory for CampaignsIn {
    async fn campaign(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<Option<CampaignFacts>, DirectoryError> {
        let Some(organization_id) = caller.context.organization else {
            return Ok(None);
        };
        Ok(Some(CampaignFacts {
            id,
            organization_id,
            state: self.0,
            currency: "EUR".into(),
            start_date: date(2000, 1, 1),
            end_date: date(2100, 12, 31),
            total: Decimal4::from_units(1_000_000_000),
            launch_approved: true,
            target_countries: Vec::new(),
        }))
    }
}

/// Services for tests that do not exercise them: every campaign active ([`CampaignsIn`];
/// launch tests bring the real sales), live metrics on this instance only, the simulator platform.
pub fn test_services() -> AdsServices {
    AdsServices {
        directory: Arc::new(CampaignsIn(CampaignState::Active)),
        live: LiveMetrics::local_only(),
        platforms: Platforms::none().with(Arc::new(SimulatorPlatform)),
    }
}

/// A valid new ad.
pub fn new_ad(market: &Market, campaign_id: Uuid, channel: AdChannel, name: &str) -> NewAd {
    NewAd {
        id: None,
        organization_id: market.organization_id,
        campaign_id,
        channel,
        market_id: market.id,
        name: name.into(),
        status: AdStatus::Draft,
        audience_segment_id: None,
        creative_ids: Vec::new(),
        daily_budget: Decimal4::from_units(40),
        bid_strategy: BidStrategy::LowestCost,
        start_date: day_n(1),
        end_date: day_n(31),
        platform: None,
        external_id: None,
    }
}

/// Figures of one day.
pub fn figures(
    impressions: i64,
    clicks: i64,
    spend_units: i64,
    conversions: i64,
    value_units: i64,
) -> Performance {
    Performance {
        impressions,
        reach: impressions / 2,
        clicks,
        engagement: clicks * 2,
        spend: Decimal4::from_units(spend_units),
        conversions,
        conversion_value: Decimal4::from_units(value_units),
    }
}

/// A date.
pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// Day `n` of the tests' month, the 31 days a [`new_ad`] runs: day 28 is today, so days 1-28
/// have happened (metrics may be recorded for them) and the ad is running today. Fixed dates
/// would age: once past, every test ad would read ENDED. `n` may fall outside 1..=31.
pub fn day_n(n: i64) -> NaiveDate {
    chrono::Utc::now().date_naive() + chrono::Duration::days(n - 28)
}

/// [`day_n`] as GraphQL writes it (`YYYY-MM-DD`).
pub fn iso_n(n: i64) -> String {
    day_n(n).to_string()
}

/// `text` (a GraphQL document) with each `2026-10-DD` written in it replaced by day `DD` of the
/// tests' month ([`iso_n`]): documents keep readable literals and still follow today.
pub fn in_test_month(text: &str) -> String {
    let mut pieces = text.split("2026-10-");
    let mut out = pieces.next().unwrap_or_default().to_string();
    for piece in pieces {
        match piece.get(..2).and_then(|d| d.parse::<i64>().ok()) {
            Some(n) => {
                out.push_str(&iso_n(n));
                out.push_str(&piece[2..]);
            }
            None => {
                out.push_str("2026-10-");
                out.push_str(piece);
            }
        }
    }
    out
}

/// A caller acting for one organization, who may write ads (and read campaigns in sales).
pub fn tenant(organization: Uuid) -> RequestContext {
    RequestContext::for_organization(organization)
        .with_role(Subsystem::Ads, Role::Write)
        .with_role(Subsystem::Sales, Role::Read)
}

/// A caller of one organization with only `role` on ads (or none).
pub fn tenant_with(organization: Uuid, role: Option<Role>) -> RequestContext {
    let context = RequestContext {
        organization: Some(organization),
        user: None,
        roles: BTreeMap::new(),
    };
    match role {
        Some(role) => context.with_role(Subsystem::Ads, role),
        None => context,
    }
}

/// A caller acting for every organization (operators, internal jobs).
pub fn operator() -> RequestContext {
    RequestContext::unrestricted()
}

/// The `extensions.code` of each error of a response.
pub fn codes(response: &Value) -> Vec<String> {
    errors(response)
        .iter()
        .map(|e| {
            e["extensions"]["code"]
                .as_str()
                .unwrap_or("<none>")
                .to_string()
        })
        .collect()
}

/// The errors of a response.
pub fn errors(response: &Value) -> Vec<Value> {
    response["errors"].as_array().cloned().unwrap_or_default()
}

/// The single error's code and field, failing if there is not exactly one error.
pub fn the_error(response: &Value) -> (String, Option<String>) {
    let errors = errors(response);
    assert_eq!(errors.len(), 1, "expected one error: {response:#}");
    let ext = &errors[0]["extensions"];
    (
        ext["code"].as_str().unwrap_or("<none>").to_string(),
        ext["field"].as_str().map(str::to_string),
    )
}
