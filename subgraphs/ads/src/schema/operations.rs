//! The mutations that do more than one write or talk to another service:
//! launching, recording, and the platform round trips.

use std::collections::HashMap;

use async_graphql::{Context, ErrorExtensions, Result};
use chrono::NaiveDate;
use promptsales_kit::{ApiError, Decimal4, RequestContext, parse_id};
use uuid::Uuid;

use super::metric::AdDayMetricsInput;
use super::{scope, services, store};
use crate::directory::{Caller, DirectoryError};
use crate::domain::launch::{plan_launch, planned_spend, remaining_commitment};
use crate::domain::{AdFields, AdStatus};
use crate::ingest::{self, DayReport};
use crate::platforms::PlatformError;
use crate::services::CallerAuthorization;
use crate::store::{Ad, AdChanges, AdMetric};

/// `SERVICE_UNAVAILABLE`: another service (sales, an ad platform) could not answer; retry later.
pub const SERVICE_UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";

fn unavailable(message: String) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", SERVICE_UNAVAILABLE))
}

fn directory_error(err: DirectoryError) -> async_graphql::Error {
    match err {
        DirectoryError::Refused { code, message } if code == "FORBIDDEN" => {
            ApiError::Forbidden(format!("sales: {message}")).into()
        }
        DirectoryError::Refused { code, message } if code == "UNAUTHENTICATED" => {
            ApiError::Unauthenticated(format!("sales: {message}")).into()
        }
        other => {
            tracing::warn!(error = %other, "campaign directory failed");
            unavailable(other.to_string())
        }
    }
}

fn platform_error(err: PlatformError) -> async_graphql::Error {
    tracing::warn!(error = %err, "ad platform call failed");
    match err {
        PlatformError::Refused { .. } => ApiError::Conflict(err.to_string()).into(),
        PlatformError::Unavailable { .. } => unavailable(err.to_string()),
    }
}

/// Checks the launch against the campaign (from the directory) and inserts every ad, or none.
pub async fn launch(
    ctx: &Context<'_>,
    campaign_id: Uuid,
    inputs: Vec<AdFields>,
) -> Result<Vec<Ad>> {
    let (store, scope, services) = (store(ctx)?, scope(ctx)?, services(ctx)?);
    let caller = Caller {
        context: ctx.data::<RequestContext>()?.clone(),
        authorization: ctx
            .data_opt::<CallerAuthorization>()
            .cloned()
            .unwrap_or_default()
            .0,
    };
    let campaign = services
        .directory
        .campaign(&caller, campaign_id)
        .await
        .map_err(directory_error)?
        .filter(|c| scope.allows(c.organization_id))
        .ok_or_else(|| ApiError::not_found("Campaign", campaign_id))?;
    let markets: HashMap<Uuid, _> = store
        .markets(scope)
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    // What the campaign's launched ads still commit: their plans less their spend.
    let existing = store
        .ads_of_campaign(scope, campaign_id)
        .await
        .map_err(ApiError::from)?;
    let live: Vec<&Ad> = existing
        .iter()
        .filter(|a| {
            matches!(
                a.status,
                AdStatus::Scheduled | AdStatus::Running | AdStatus::Paused
            )
        })
        .collect();
    let ids: Vec<Uuid> = live.iter().map(|a| a.id).collect();
    let spent = store
        .totals_of_ads(scope, &ids)
        .await
        .map_err(ApiError::from)?;
    let mut committed = Decimal4::ZERO;
    for ad in live {
        let plan = planned_spend(ad.daily_budget, ad.start_date, ad.end_date)
            .unwrap_or(Decimal4(i64::MAX));
        let spend = spent.get(&ad.id).map(|p| p.spend).unwrap_or_default();
        committed = Decimal4(
            committed
                .0
                .saturating_add(remaining_commitment(plan, spend).0),
        );
    }
    let news = plan_launch(&campaign, inputs, &markets, committed)?;
    let count = news.len();
    let ads = store.insert_ads(news).await.map_err(|e| {
        if crate::store::is_unique_violation(&e) {
            ApiError::Conflict("another ad already has this platform and externalId".into())
        } else {
            ApiError::from(e)
        }
    })?;
    tracing::info!(campaign = %campaign_id, ads = count, "ads launched");
    Ok(ads)
}

/// Records a batch of days given through GraphQL (fields named `input[i].x`).
pub async fn record(ctx: &Context<'_>, input: Vec<AdDayMetricsInput>) -> Result<Vec<AdMetric>> {
    let (store, scope, services) = (store(ctx)?, scope(ctx)?, services(ctx)?);
    let mut reports = Vec::with_capacity(input.len());
    for (i, day) in input.iter().enumerate() {
        reports.push(DayReport {
            ad_id: parse_id(&format!("input[{i}].adId"), &day.ad_id)?,
            day: day.day,
            performance: day.performance(),
        });
    }
    let mut ids: Vec<Uuid> = reports.iter().map(|r| r.ad_id).collect();
    ids.sort();
    ids.dedup();
    let ads: HashMap<Uuid, Ad> = store
        .ads_by_id(scope, &ids)
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    Ok(ingest::record(store.as_ref(), &services.live, &ads, reports, "input").await?)
}

async fn ad_and_platform(
    ctx: &Context<'_>,
    id: Uuid,
) -> Result<(Ad, std::sync::Arc<dyn crate::platforms::AdPlatform>)> {
    let ad = store(ctx)?
        .ads_by_id(scope(ctx)?, &[id])
        .await
        .map_err(ApiError::from)?
        .pop()
        .ok_or_else(|| ApiError::not_found("Ad", id))?;
    let name = ad.platform.clone().ok_or_else(|| {
        ApiError::bad_input("id", "the ad has no platform; set one with updateAd first")
    })?;
    let platform = services(ctx)?.platforms.get(&name).ok_or_else(|| {
        ApiError::bad_input(
            "id",
            format!("no connector is configured for platform {name:?}"),
        )
    })?;
    Ok((ad, platform))
}

fn changes(ad: &Ad, status: AdStatus, external_id: Option<String>) -> AdChanges {
    AdChanges {
        name: ad.name.clone(),
        status,
        audience_segment_id: ad.audience_segment_id,
        creative_ids: ad.creative_ids.clone(),
        daily_budget: ad.daily_budget,
        bid_strategy: ad.bid_strategy,
        start_date: ad.start_date,
        end_date: ad.end_date,
        platform: ad.platform.clone(),
        external_id,
    }
}

async fn save(ctx: &Context<'_>, ad: &Ad, changes: AdChanges) -> Result<Ad> {
    Ok(store(ctx)?
        .update_ad(scope(ctx)?, ad.id, changes)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::not_found("Ad", ad.id))?)
}

/// Publishes the ad on its platform and marks it RUNNING.
pub async fn publish(ctx: &Context<'_>, id: Uuid) -> Result<Ad> {
    let (ad, platform) = ad_and_platform(ctx, id).await?;
    let next = ad.status.transition(AdStatus::Running, "id")?;
    if next == ad.status {
        return Ok(ad);
    }
    // A paused ad already exists there: resuming does not create it twice.
    let external_id = match (&ad.external_id, ad.status) {
        (Some(existing), AdStatus::Paused) => existing.clone(),
        _ => platform.publish(&ad).await.map_err(platform_error)?,
    };
    let saved = save(ctx, &ad, changes(&ad, AdStatus::Running, Some(external_id))).await?;
    tracing::info!(ad = %id, platform = platform.name(), "ad published");
    Ok(saved)
}

/// Pauses the ad on its platform and marks it PAUSED.
pub async fn pause(ctx: &Context<'_>, id: Uuid) -> Result<Ad> {
    let (ad, platform) = ad_and_platform(ctx, id).await?;
    ad.status.transition(AdStatus::Paused, "id")?;
    let external_id = ad
        .external_id
        .clone()
        .ok_or_else(|| ApiError::bad_input("id", "the ad was never published"))?;
    platform.pause(&external_id).await.map_err(platform_error)?;
    let saved = save(ctx, &ad, changes(&ad, AdStatus::Paused, Some(external_id))).await?;
    tracing::info!(ad = %id, platform = platform.name(), "ad paused");
    Ok(saved)
}

/// Pulls the ad's days from its platform and records them.
pub async fn sync(
    ctx: &Context<'_>,
    id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<AdMetric>> {
    let (ad, platform) = ad_and_platform(ctx, id).await?;
    let external_id = ad
        .external_id
        .clone()
        .ok_or_else(|| ApiError::bad_input("id", "the ad was never published"))?;
    let days = platform
        .pull_metrics(&external_id, from, to)
        .await
        .map_err(platform_error)?;
    let reports = days
        .into_iter()
        .map(|d| DayReport {
            ad_id: ad.id,
            day: d.day,
            performance: d.performance,
        })
        .collect();
    let ads = HashMap::from([(ad.id, ad)]);
    Ok(ingest::record(
        store(ctx)?.as_ref(),
        &services(ctx)?.live,
        &ads,
        reports,
        "platform",
    )
    .await?)
}
