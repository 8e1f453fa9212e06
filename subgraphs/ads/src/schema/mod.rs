//! The GraphQL schema: thin resolvers that parse, call the domain, then the store.

pub mod ad;
pub mod ad_inputs;
pub mod campaign;
pub mod enums;
pub mod loaders;
pub mod market;
pub mod media_asset;
pub mod metric;
pub mod totals;

use std::sync::Arc;

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, EmptySubscription, ID, Object, Result, Schema, SchemaBuilder};
use chrono::NaiveDate;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{ApiError, PageRequest, RequestContext, StoreError, parse_id};

use crate::domain::MarketFields;
use crate::store::{AdsStore, NewAdMetric, NewMarket, is_unique_violation};
use ad::Ad;
use ad_inputs::{AdFilterInput, CreateAdInput, UpdateAdInput};
use campaign::Campaign;
use loaders::Loaders;
use market::{AdMarket, CreateAdMarketInput};
use metric::{AdMetric, AdMetricsInput};

/// The ads subgraph's executable schema.
pub type AdsSchema = Schema<Query, Mutation, EmptySubscription>;

pub use promptsales_kit::limits::MAX_DEPTH;
/// The most fields one query may select.
pub const MAX_COMPLEXITY: usize = 2_000;

/// The schema without data: what the SDL export needs.
pub fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    promptsales_kit::schema::subgraph_schema(Query, Mutation, EmptySubscription)
        .limit_complexity(MAX_COMPLEXITY)
}

/// The schema over `store`.
pub fn build(store: Arc<dyn AdsStore>) -> AdsSchema {
    builder().data(store).finish()
}

fn store<'a>(ctx: &Context<'a>) -> Result<&'a Arc<dyn AdsStore>> {
    ctx.data::<Arc<dyn AdsStore>>()
}

fn scope(ctx: &Context<'_>) -> Result<TenantScope> {
    Ok(ctx.data::<RequestContext>()?.scope())
}

/// The request's loaders (added by the app's request-data hook).
pub(crate) fn loaders_of<'a>(ctx: &Context<'a>) -> Result<&'a Loaders> {
    ctx.data::<Loaders>()
}

/// A uniqueness failure as `CONFLICT` with `message`; anything else stays internal.
fn conflict(message: &'static str) -> impl FnOnce(StoreError) -> ApiError {
    move |err| {
        if is_unique_violation(&err) {
            ApiError::Conflict(message.to_string())
        } else {
            ApiError::from(err)
        }
    }
}

async fn ad_in_scope(ctx: &Context<'_>, id: uuid::Uuid) -> Result<crate::store::Ad> {
    let ad = loaders_of(ctx)?.ad.load_one(id).await?;
    Ok(ad.ok_or_else(|| ApiError::not_found("Ad", id))?)
}

/// Queries.
pub struct Query;

/// Reads.
#[Object]
impl Query {
    /// One ad.
    async fn ad(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Ad>> {
        let id = parse_id("id", &id)?;
        Ok(Some(Ad(ad_in_scope(ctx, id).await?)))
    }

    /// Ads of the caller's organization (all, for an unscoped caller), in creation order.
    async fn ads(
        &self,
        ctx: &Context<'_>,
        filter: Option<AdFilterInput>,
        #[graphql(desc = "Page size, 1..100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The endCursor of the previous page.")] after: Option<String>,
    ) -> Result<Connection<String, Ad, EmptyFields, EmptyFields>> {
        let filter = filter.unwrap_or_default().into_filter()?;
        let page = PageRequest::new(first, after)?;
        let ads = store(ctx)?
            .ads(scope(ctx)?, &filter, &page)
            .await
            .map_err(ApiError::from)?;
        Ok(ads.into_connection(&page, |ad| ad.id, Ad))
    }

    /// The markets of the caller's organization, by country.
    async fn markets(&self, ctx: &Context<'_>) -> Result<Vec<AdMarket>> {
        let markets = store(ctx)?
            .markets(scope(ctx)?)
            .await
            .map_err(ApiError::from)?;
        Ok(markets.into_iter().map(AdMarket).collect())
    }

    /// Federation: an ad by key, batched through the ad loader; `null` when the caller may
    /// not see it, so one unknown key never fails the other representations of the fetch.
    #[graphql(entity)]
    async fn find_ad_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Ad>> {
        let id = parse_id("id", &id)?;
        Ok(loaders_of(ctx)?.ad.load_one(id).await?.map(Ad))
    }

    /// Federation: a campaign by key; nothing is read until a field asks.
    #[graphql(entity)]
    async fn find_campaign_by_id(&self, id: ID) -> Result<Campaign> {
        Ok(Campaign::new(parse_id("id", &id)?))
    }
}

/// Mutations.
pub struct Mutation;

/// Writes.
#[Object]
impl Mutation {
    /// Adds a market (country, currency, language) to an organization.
    async fn create_market(
        &self,
        ctx: &Context<'_>,
        input: CreateAdMarketInput,
    ) -> Result<AdMarket> {
        let organization_id = input
            .organization_id
            .as_ref()
            .map(|id| parse_id("input.organizationId", id))
            .transpose()?;
        let organization_id =
            scope(ctx)?.organization_for_write(organization_id, "input.organizationId")?;
        let fields = MarketFields {
            country: input.country,
            currency: input.currency,
            language: input.language,
        }
        .validated("input")?;
        let market = store(ctx)?
            .insert_market(NewMarket {
                id: None,
                organization_id,
                country: fields.country,
                currency: fields.currency,
                language: fields.language,
            })
            .await
            .map_err(conflict(
                "the organization already has a market for this country and language",
            ))?;
        tracing::info!(market = %market.id, organization = %organization_id, "market created");
        Ok(AdMarket(market))
    }

    /// Creates an ad, as a DRAFT, in its market's organization.
    async fn create_ad(&self, ctx: &Context<'_>, input: CreateAdInput) -> Result<Ad> {
        let fields = input.into_fields()?;
        let store = store(ctx)?;
        let market = store
            .market(scope(ctx)?, fields.market_id)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| {
                ApiError::bad_input(
                    "input.marketId",
                    format!("market {} does not exist", fields.market_id),
                )
            })?;
        let new = fields.into_new_ad(market.organization_id)?;
        let ad = store.insert_ad(new).await.map_err(conflict(
            "another ad already has this platform and externalId",
        ))?;
        tracing::info!(ad = %ad.id, campaign = %ad.campaign_id, "ad created");
        Ok(Ad(ad))
    }

    /// Changes an ad's settings or status.
    async fn update_ad(&self, ctx: &Context<'_>, id: ID, input: UpdateAdInput) -> Result<Ad> {
        let id = parse_id("id", &id)?;
        let patch = input.into_patch()?;
        let scope = scope(ctx)?;
        let store = store(ctx)?;
        let current = store
            .ads_by_id(scope, &[id])
            .await
            .map_err(ApiError::from)?
            .pop()
            .ok_or_else(|| ApiError::not_found("Ad", id))?;
        let changes = patch.apply(&current)?;
        let ad = store
            .update_ad(scope, id, changes)
            .await
            .map_err(conflict(
                "another ad already has this platform and externalId",
            ))?
            .ok_or_else(|| ApiError::not_found("Ad", id))?;
        tracing::info!(ad = %ad.id, status = ad.status.code(), "ad updated");
        Ok(Ad(ad))
    }

    /// Records one day of an ad's figures; recording the same day again replaces them (never adds).
    async fn record_ad_metrics(
        &self,
        ctx: &Context<'_>,
        ad_id: ID,
        day: NaiveDate,
        input: AdMetricsInput,
    ) -> Result<AdMetric> {
        let ad_id = parse_id("adId", &ad_id)?;
        let performance = input.performance();
        performance.validate_day("input")?;
        let store = store(ctx)?;
        let ad = store
            .ads_by_id(scope(ctx)?, &[ad_id])
            .await
            .map_err(ApiError::from)?
            .pop()
            .ok_or_else(|| ApiError::not_found("Ad", ad_id))?;
        let metric = store
            .record_metric(NewAdMetric {
                id: None,
                organization_id: ad.organization_id,
                ad_id,
                day,
                performance,
            })
            .await
            .map_err(ApiError::from)?;
        tracing::info!(ad = %ad_id, %day, "ad metrics recorded");
        Ok(AdMetric(metric))
    }
}
