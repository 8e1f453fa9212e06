//! The GraphQL schema: thin resolvers that parse, call the domain, then the store.

pub mod ad;
pub mod ad_inputs;
pub mod analytics;
pub mod campaign;
pub mod enums;
pub mod launch;
pub mod loaders;
pub mod market;
pub mod media_asset;
pub mod metric;
pub mod operations;
pub mod organization;
pub mod subscription;
pub mod totals;

use std::sync::Arc;

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, Object, Result, Schema, SchemaBuilder};
use chrono::NaiveDate;
use promptsales_kit::context::{Role, Subsystem, TenantScope};
use promptsales_kit::{ApiError, PageRequest, RequestContext, StoreError, parse_id};

use crate::domain::MarketFields;
use crate::services::AdsServices;
use crate::store::{AdsStore, NewMarket, is_unique_violation};
use ad::Ad;
use ad_inputs::{AdFilterInput, CreateAdInput, UpdateAdInput};
use campaign::Campaign;
use launch::AdLaunchInput;
use loaders::Loaders;
use market::{AdMarket, CreateAdMarketInput};
use metric::{AdDayMetricsInput, AdMetric};
use organization::Organization;
use promptsales_kit::references::{self, Reference};
pub use subscription::Subscription;

/// The ads subgraph's executable schema.
pub type AdsSchema = Schema<Query, Mutation, Subscription>;

pub use promptsales_kit::limits::MAX_DEPTH;
/// The most fields one query may select.
pub const MAX_COMPLEXITY: usize = 2_000;

/// The schema without data: what the SDL export needs.
pub fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    promptsales_kit::schema::subgraph_schema(Query, Mutation, Subscription)
        .limit_complexity(MAX_COMPLEXITY)
}

/// The schema over `store`, talking to `services`.
pub fn build(store: Arc<dyn AdsStore>, services: AdsServices) -> AdsSchema {
    builder().data(store).data(services).finish()
}

fn services<'a>(ctx: &Context<'a>) -> Result<&'a AdsServices> {
    ctx.data::<AdsServices>()
}

/// Refuses unless the caller may write ads (the kit's guard checks it per operation
/// too; this keeps each mutation safe on its own).
fn writer(ctx: &Context<'_>) -> Result<()> {
    Ok(ctx
        .data::<RequestContext>()?
        .require(Subsystem::Ads, Role::Write)?)
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

    /// Federation: an ad by key, batched through the ad loader; `null` with `NOT_FOUND`
    /// at its `_entities` index when the caller may not see it, so one unknown key never
    /// fails the other representations of the fetch.
    #[graphql(entity)]
    async fn find_ad_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Ad>> {
        let key = parse_id("id", &id)?;
        Ok(match loaders_of(ctx)?.ad.load_one(key).await? {
            Some(ad) => Some(Ad(ad)),
            None => promptsales_kit::entity_errors::not_found(ctx, "Ad", &id),
        })
    }

    /// Federation: a campaign by key; nothing is read until a field asks.
    #[graphql(entity)]
    async fn find_campaign_by_id(&self, id: ID) -> Result<Campaign> {
        Ok(Campaign::new(parse_id("id", &id)?))
    }

    /// Federation: a media asset by key (content owns it); nothing is read until a field asks.
    #[graphql(entity)]
    async fn find_media_asset_by_id(&self, id: ID) -> Result<media_asset::MediaAsset> {
        Ok(media_asset::MediaAsset::new(parse_id("id", &id)?))
    }

    /// Federation: an organization by key; nothing is read until a field asks.
    #[graphql(entity)]
    async fn find_organization_by_id(&self, id: ID) -> Result<Organization> {
        Ok(Organization::new(parse_id("id", &id)?))
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
        writer(ctx)?;
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
        writer(ctx)?;
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
        let mut named = vec![Reference::campaign("input.campaignId", new.campaign_id)];
        named.extend(Reference::each(
            "input.creativeIds",
            &new.creative_ids,
            Reference::media_asset,
        ));
        references::check_for(ctx, named).await?;
        let ad = store.insert_ad(new).await.map_err(conflict(
            "another ad already has this platform and externalId",
        ))?;
        tracing::info!(ad = %ad.id, campaign = %ad.campaign_id, "ad created");
        Ok(Ad(ad))
    }

    /// Changes an ad's settings or status.
    async fn update_ad(&self, ctx: &Context<'_>, id: ID, input: UpdateAdInput) -> Result<Ad> {
        writer(ctx)?;
        let id = parse_id("id", &id)?;
        let patch = input.into_patch()?;
        if let Some(creatives) = &patch.creative_ids {
            references::check_for(
                ctx,
                Reference::each("input.creativeIds", creatives, Reference::media_asset),
            )
            .await?;
        }
        Ok(Ad(operations::update(ctx, id, patch).await?))
    }

    /// Brings a campaign's ads in line with its status in sales, read fresh: a PAUSED
    /// campaign pauses its running ads, a CANCELLED or COMPLETED one ends every ad, each on
    /// its platform too. Sales calls it when a campaign's status changes; it is idempotent.
    /// An ad that could not be stopped (its platform failing after retries) is reported as
    /// `SERVICE_UNAVAILABLE` naming it, after every other ad was handled.
    async fn reconcile_campaign_ads(&self, ctx: &Context<'_>, campaign_id: ID) -> Result<Vec<Ad>> {
        writer(ctx)?;
        let campaign_id = parse_id("campaignId", &campaign_id)?;
        let done = operations::reconcile_campaign(ctx, campaign_id).await?;
        if !done.failed.is_empty() {
            let list: Vec<String> = done
                .failed
                .iter()
                .map(|(id, why)| format!("{id}: {why}"))
                .collect();
            return Err(operations::unavailable(format!(
                "{} ad(s) could not be stopped with campaign {campaign_id}: {}",
                done.failed.len(),
                list.join("; ")
            )));
        }
        Ok(done.changed.into_iter().map(Ad).collect())
    }

    /// Launches a set of ads for a campaign, all or none: each is checked against the
    /// campaign (asked of sales: status, dates, countries, currency, available budget less
    /// what its ads already launched commit) and its market; the first fault names the ad
    /// (`ads[2].dailyBudget`). Launched ads are SCHEDULED.
    async fn launch_ads(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        ads: Vec<AdLaunchInput>,
    ) -> Result<Vec<Ad>> {
        writer(ctx)?;
        let campaign_id = parse_id("campaignId", &campaign_id)?;
        let inputs = ads
            .into_iter()
            .enumerate()
            .map(|(i, ad)| ad.into_fields(i, campaign_id))
            .collect::<Result<Vec<_>, ApiError>>()?;
        // The campaign is checked by `launch` (its facts come from sales); the creatives here.
        let creatives = inputs
            .iter()
            .enumerate()
            .flat_map(|(i, ad)| {
                Reference::each(
                    &format!("ads[{i}].creativeIds"),
                    &ad.creative_ids,
                    Reference::media_asset,
                )
            })
            .collect();
        references::check_for(ctx, creatives).await?;
        let launched = operations::launch(ctx, campaign_id, inputs).await?;
        Ok(launched.into_iter().map(Ad).collect())
    }

    /// Records days of ads' figures in one batch, all or none; recording a day again
    /// replaces it (never adds). Each recorded day is pushed to `campaignMetrics` subscribers.
    async fn record_ad_metrics(
        &self,
        ctx: &Context<'_>,
        input: Vec<AdDayMetricsInput>,
    ) -> Result<Vec<AdMetric>> {
        writer(ctx)?;
        let recorded = operations::record(ctx, input).await?;
        Ok(recorded.into_iter().map(AdMetric).collect())
    }

    /// Publishes a SCHEDULED or PAUSED ad on its platform (its `platform` connector) and marks it RUNNING.
    async fn publish_ad(&self, ctx: &Context<'_>, id: ID) -> Result<Ad> {
        writer(ctx)?;
        let id = parse_id("id", &id)?;
        Ok(Ad(operations::publish(ctx, id).await?))
    }

    /// Pauses a RUNNING ad on its platform and marks it PAUSED.
    async fn pause_ad(&self, ctx: &Context<'_>, id: ID) -> Result<Ad> {
        writer(ctx)?;
        let id = parse_id("id", &id)?;
        Ok(Ad(operations::pause(ctx, id).await?))
    }

    /// Pulls an ad's daily figures within `from..=to` from its platform and records them (replacing those days).
    async fn sync_ad_metrics(
        &self,
        ctx: &Context<'_>,
        id: ID,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<AdMetric>> {
        writer(ctx)?;
        let id = parse_id("id", &id)?;
        let (from, to) = analytics::period(from, to)?;
        let recorded = operations::sync(ctx, id, from, to).await?;
        Ok(recorded.into_iter().map(AdMetric).collect())
    }
}
