//! The mutations that do more than one write or talk to another service:
//! launching, recording, and the platform round trips.

use std::collections::HashMap;

use async_graphql::{Context, ErrorExtensions, Result};
use chrono::NaiveDate;
use promptsales_kit::cache_hints::tag_changed;
use promptsales_kit::server::RequestMeta;
use promptsales_kit::{ApiError, Decimal4, RequestContext, parse_id};
use uuid::Uuid;

use super::metric::AdDayMetricsInput;
use super::{scope, services, store};
use crate::directory::{Caller, DirectoryError};
use crate::domain::ad::implied_move;
use crate::domain::launch::{
    budget_of, campaign_accepts_spend, campaign_allows, check_fits, plan_launch, planned_spend,
};
use crate::domain::{AdFields, AdMove, AdPatch, AdStatus, CampaignFacts, CampaignState};
use crate::ingest::{self, DayReport};
use crate::platforms::PlatformError;
use crate::store::{Ad, AdChanges, AdMetric, CampaignDecision, CampaignWrite};

/// `SERVICE_UNAVAILABLE`: another service (sales, an ad platform) could not answer; retry later.
pub const SERVICE_UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";

pub(crate) fn unavailable(message: String) -> async_graphql::Error {
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

/// The caller as the directory forwards it to sales (identity and bearer token).
fn caller(ctx: &Context<'_>) -> Result<Caller> {
    Ok(Caller {
        context: ctx.data::<RequestContext>()?.clone(),
        authorization: ctx
            .data_opt::<RequestMeta>()
            .and_then(RequestMeta::authorization)
            .map(str::to_string),
    })
}

/// Today, as the campaign's and ads' dates are compared with it.
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The campaign as sales reports it to the caller; `NOT_FOUND` when the caller cannot see it.
pub(crate) async fn campaign_facts(ctx: &Context<'_>, campaign_id: Uuid) -> Result<CampaignFacts> {
    facts_of(ctx, campaign_id, false).await
}

/// [`campaign_facts`] read now, never from the directory's memory: for the checks that commit
/// budget, which must see a total lowered in sales at once.
async fn fresh_campaign_facts(ctx: &Context<'_>, campaign_id: Uuid) -> Result<CampaignFacts> {
    facts_of(ctx, campaign_id, true).await
}

async fn facts_of(ctx: &Context<'_>, campaign_id: Uuid, fresh: bool) -> Result<CampaignFacts> {
    let (scope, directory, caller) = (scope(ctx)?, &services(ctx)?.directory, caller(ctx)?);
    let facts = if fresh {
        directory.fresh_campaign(&caller, campaign_id).await
    } else {
        directory.campaign(&caller, campaign_id).await
    };
    Ok(facts
        .map_err(directory_error)?
        .filter(|c| scope.allows(c.organization_id))
        .ok_or_else(|| ApiError::not_found("Campaign", campaign_id))?)
}

fn unique_conflict(err: promptsales_kit::StoreError) -> ApiError {
    if crate::store::is_unique_violation(&err) {
        ApiError::Conflict("another ad already has this platform and externalId".into())
    } else {
        ApiError::from(err)
    }
}

/// Checks the launch against the campaign (from the directory) and inserts every ad, or none,
/// under the campaign's lock so that concurrent launches never both pass the budget check.
pub async fn launch(
    ctx: &Context<'_>,
    campaign_id: Uuid,
    inputs: Vec<AdFields>,
) -> Result<Vec<Ad>> {
    let (store, scope) = (store(ctx)?, scope(ctx)?);
    let campaign = fresh_campaign_facts(ctx, campaign_id).await?;
    let markets: HashMap<Uuid, _> = store
        .markets(scope)
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let today = today();
    let decide: CampaignDecision = Box::new(move |ads, spent| {
        let figures = budget_of(campaign.total, ads, spent, None);
        Ok(CampaignWrite {
            insert: plan_launch(&campaign, inputs, &markets, &figures, today)?,
            update: Vec::new(),
        })
    });
    let ads = store
        .write_under_campaign_lock(scope, campaign_id, decide)
        .await
        .map_err(unique_conflict)??;
    tag_changed(ctx, "Campaign", &campaign_id.to_string());
    tracing::info!(campaign = %campaign_id, ads = ads.len(), "ads launched");
    Ok(ads)
}

/// Changes an ad (`updateAd`): its settings, and its status only through the state machine
/// ([`move_ad`] decides the status move; the budget is checked again when a launched ad's
/// plan changes).
pub async fn update(ctx: &Context<'_>, id: Uuid, patch: AdPatch) -> Result<Ad> {
    let current = ad_in_scope(ctx, id).await?;
    let next = patch.status;
    let changes = AdPatch {
        status: None,
        ..patch
    }
    .apply(&current)?;
    let mv = match next {
        Some(to) if to != current.status => {
            Some(AdMove::between(current.status, to).ok_or_else(|| {
                ApiError::bad_input(
                    "input.status",
                    format!(
                        "an ad that is {} cannot become {}",
                        current.status.code().to_uppercase(),
                        to.code().to_uppercase()
                    ),
                )
            })?)
        }
        _ => None,
    }
    .or_else(|| implied_move(&current, &changes, today()));
    move_ad(ctx, current, mv, changes, "input.status").await
}

/// The one path of every ad status change (`updateAd`, `publishAd`, `pauseAd`, a campaign's
/// status change): the state machine's table, the campaign's say on moves that spend, the
/// budget under the campaign's lock for launched plans, and the platform connector for an ad
/// published there (a publication that the platform refuses is undone).
pub async fn move_ad(
    ctx: &Context<'_>,
    current: Ad,
    mv: Option<AdMove>,
    mut changes: AdChanges,
    field: &str,
) -> Result<Ad> {
    let (store, scope) = (store(ctx)?, scope(ctx)?);
    let status = match mv {
        Some(mv) => current.status.apply(mv, field)?,
        None => current.status,
    };
    changes.status = status;
    let plan_changed = changes.daily_budget != current.daily_budget
        || changes.start_date != current.start_date
        || changes.end_date != current.end_date;
    let spends = mv.is_some_and(AdMove::spends);
    if !spends && !(status.is_launched() && plan_changed) {
        // Stopping, or editing what the budget does not see: no campaign check.
        let platform = platform_of(ctx, &current)?;
        if let (Some(platform), Some(external_id), Some(AdMove::Pause | AdMove::End)) =
            (&platform, &current.external_id, mv)
        {
            if current.status == AdStatus::Running {
                retry(|| platform.pause(external_id))
                    .await
                    .map_err(platform_error)?;
            }
        }
        let saved = save(ctx, &current, changes).await?;
        tracing::info!(ad = %saved.id, status = saved.status.code(), "ad updated");
        return Ok(saved);
    }
    let campaign = fresh_campaign_facts(ctx, current.campaign_id).await?;
    if let Some(mv) = mv {
        campaign_allows(
            &campaign,
            mv,
            (changes.start_date, changes.end_date),
            today(),
        )?;
    }
    let platform = if mv == Some(AdMove::Publish) {
        platform_of(ctx, &current)?
    } else {
        None
    };
    let (id, before) = (current.id, current.status);
    let staged = changes.clone();
    let decide: CampaignDecision = Box::new(move |ads, spent| {
        let now = ads
            .iter()
            .find(|a| a.id == id)
            .ok_or_else(|| ApiError::not_found("Ad", id))?;
        if now.status != before {
            return Err(ApiError::Conflict(format!(
                "ad {id} became {} meanwhile; try again",
                now.status.code().to_uppercase()
            )));
        }
        if staged.status.is_launched() {
            let figures = budget_of(campaign.total, ads, spent, Some(id));
            let line = promptsales_kit::budget::AdLine {
                plan: planned_spend(staged.daily_budget, staged.start_date, staged.end_date)
                    .unwrap_or(Decimal4(i64::MAX)),
                spent: spent.get(&id).copied().unwrap_or_default(),
            };
            check_fits(&campaign, &figures, line.commitment(), &format!("ad {id}"))?;
        }
        Ok(CampaignWrite {
            insert: Vec::new(),
            update: vec![(id, staged)],
        })
    });
    let saved = store
        .write_under_campaign_lock(scope, current.campaign_id, decide)
        .await
        .map_err(unique_conflict)??
        .pop()
        .ok_or_else(|| ApiError::not_found("Ad", current.id))?;
    let Some(platform) = platform else {
        tracing::info!(ad = %saved.id, status = saved.status.code(), "ad updated");
        return Ok(saved);
    };
    // A paused ad already exists there: resuming does not create it twice.
    let published = match (&current.external_id, current.status) {
        (Some(existing), AdStatus::Paused) => Ok(existing.clone()),
        _ => platform.publish(&saved).await,
    };
    match published {
        Ok(external_id) => {
            let saved = save(
                ctx,
                &saved,
                changes_of(&saved, saved.status, Some(external_id)),
            )
            .await?;
            tracing::info!(ad = %saved.id, platform = platform.name(), "ad published");
            Ok(saved)
        }
        Err(err) => {
            // Undo the move: the ad is not running anywhere.
            let mut undo = changes_of(&saved, current.status, current.external_id.clone());
            undo.daily_budget = current.daily_budget;
            undo.start_date = current.start_date;
            undo.end_date = current.end_date;
            save(ctx, &saved, undo).await?;
            Err(platform_error(err))
        }
    }
}

/// Tries a platform call three times (short pauses) before reporting its failure.
async fn retry<F, Fut>(call: F) -> Result<(), PlatformError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), PlatformError>>,
{
    let mut last = None;
    for attempt in 0..3u64 {
        match call().await {
            Ok(()) => return Ok(()),
            Err(err @ PlatformError::Refused { .. }) => return Err(err),
            Err(err) => {
                tracing::warn!(error = %err, attempt, "ad platform call failed; retrying");
                last = Some(err);
                tokio::time::sleep(std::time::Duration::from_millis(200 * (attempt + 1))).await;
            }
        }
    }
    Err(last.unwrap_or(PlatformError::Unavailable {
        platform: "unknown",
        message: "no attempt made".into(),
    }))
}

/// What happened to one ad when its campaign's status changed.
#[derive(Debug, Clone)]
pub struct Reconciled {
    /// The ads changed.
    pub changed: Vec<Ad>,
    /// The ads that could not be changed, and why (reported, never dropped).
    pub failed: Vec<(Uuid, String)>,
}

/// Brings a campaign's ads in line with its status as sales reports it now (fresh, not
/// cached): a PAUSED campaign pauses its running ads, a CANCELLED or COMPLETED one ends
/// every ad not ended; each through the platform connector when published there.
pub async fn reconcile_campaign(ctx: &Context<'_>, campaign_id: Uuid) -> Result<Reconciled> {
    let services = services(ctx)?;
    services.directory.forget(campaign_id);
    let campaign = campaign_facts(ctx, campaign_id).await?;
    let ads = store(ctx)?
        .ads_of_campaign(scope(ctx)?, campaign_id)
        .await
        .map_err(ApiError::from)?;
    let mut out = Reconciled {
        changed: Vec::new(),
        failed: Vec::new(),
    };
    let stops = matches!(
        campaign.state,
        CampaignState::Paused | CampaignState::Cancelled | CampaignState::Completed
    );
    for ad in ads {
        if stops && ad.status == AdStatus::Ended && ad.written_status != AdStatus::Ended {
            // It ran to its end date (its platform stopped serving it then): recording ENDED
            // is what any write of it would store, and it closes the door the webhook leaves
            // open to a report of its last days (`takes_platform_figures`).
            let changes = changes_of(&ad, AdStatus::Ended, ad.external_id.clone());
            match save(ctx, &ad, changes).await {
                Ok(saved) => out.changed.push(saved),
                Err(err) => out.failed.push((ad.id, err.message)),
            }
            continue;
        }
        let mv = match campaign.state {
            CampaignState::Paused if ad.status == AdStatus::Running => AdMove::Pause,
            CampaignState::Cancelled | CampaignState::Completed if ad.status != AdStatus::Ended => {
                AdMove::End
            }
            _ => continue,
        };
        let (id, changes) = (ad.id, changes_of(&ad, ad.status, ad.external_id.clone()));
        match move_ad(ctx, ad, Some(mv), changes, "campaignId").await {
            Ok(saved) => out.changed.push(saved),
            Err(err) => {
                tracing::error!(ad = %id, campaign = %campaign_id, error = %err.message, "ad not stopped with its campaign");
                out.failed.push((id, err.message));
            }
        }
    }
    Ok(out)
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
    // The figures themselves first: a malformed report is the caller's fault whatever the campaign.
    for (i, report) in reports.iter().enumerate() {
        report.performance.validate_day(&format!("input[{i}]"))?;
    }
    // Spend is accepted only for ads of a campaign that is active with its launch approved.
    let mut campaigns: Vec<Uuid> = ads.values().map(|a| a.campaign_id).collect();
    campaigns.sort();
    campaigns.dedup();
    for campaign_id in &campaigns {
        campaign_accepts_spend(&campaign_facts(ctx, *campaign_id).await?)?;
    }
    let recorded = ingest::record(
        store.as_ref(),
        &services.live,
        &ads,
        reports,
        "input",
        today(),
    )
    .await?;
    // The campaigns' ad totals changed: cached responses holding them are stale.
    for campaign_id in campaigns {
        tag_changed(ctx, "Campaign", &campaign_id.to_string());
    }
    Ok(recorded)
}

async fn ad_in_scope(ctx: &Context<'_>, id: Uuid) -> Result<Ad> {
    Ok(store(ctx)?
        .ads_by_id(scope(ctx)?, &[id])
        .await
        .map_err(ApiError::from)?
        .pop()
        .ok_or_else(|| ApiError::not_found("Ad", id))?)
}

/// The connector of the ad's platform; `None` when it has no platform.
fn platform_of(
    ctx: &Context<'_>,
    ad: &Ad,
) -> Result<Option<std::sync::Arc<dyn crate::platforms::AdPlatform>>> {
    let Some(name) = ad.platform.clone() else {
        return Ok(None);
    };
    Ok(Some(services(ctx)?.platforms.get(&name).ok_or_else(
        || {
            ApiError::bad_input(
                "id",
                format!("no connector is configured for platform {name:?}"),
            )
        },
    )?))
}

async fn ad_and_platform(
    ctx: &Context<'_>,
    id: Uuid,
) -> Result<(Ad, std::sync::Arc<dyn crate::platforms::AdPlatform>)> {
    let ad = ad_in_scope(ctx, id).await?;
    let platform = platform_of(ctx, &ad)?.ok_or_else(|| {
        ApiError::bad_input("id", "the ad has no platform; set one with updateAd first")
    })?;
    Ok((ad, platform))
}

fn changes_of(ad: &Ad, status: AdStatus, external_id: Option<String>) -> AdChanges {
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
        .map_err(unique_conflict)?
        .ok_or_else(|| ApiError::not_found("Ad", ad.id))?)
}

/// Publishes the ad on its platform and marks it RUNNING (through [`move_ad`]).
pub async fn publish(ctx: &Context<'_>, id: Uuid) -> Result<Ad> {
    let (ad, _) = ad_and_platform(ctx, id).await?;
    if ad.status == AdStatus::Running {
        return Ok(ad);
    }
    let changes = changes_of(&ad, ad.status, ad.external_id.clone());
    move_ad(ctx, ad, Some(AdMove::Publish), changes, "id").await
}

/// Pauses the ad on its platform and marks it PAUSED (through [`move_ad`]).
pub async fn pause(ctx: &Context<'_>, id: Uuid) -> Result<Ad> {
    let (ad, _) = ad_and_platform(ctx, id).await?;
    if ad.status == AdStatus::Paused {
        return Ok(ad);
    }
    if ad.external_id.is_none() {
        return Err(ApiError::bad_input("id", "the ad was never published").into());
    }
    let changes = changes_of(&ad, ad.status, ad.external_id.clone());
    move_ad(ctx, ad, Some(AdMove::Pause), changes, "id").await
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
    // Spend is recorded only for a campaign that is active with its launch approved, as
    // recordAdMetrics and the webhook require.
    campaign_accepts_spend(&campaign_facts(ctx, ad.campaign_id).await?)?;
    let campaign_id = ad.campaign_id;
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
    let recorded = ingest::record(
        store(ctx)?.as_ref(),
        &services(ctx)?.live,
        &ads,
        reports,
        "platform",
        today(),
    )
    .await?;
    // The campaign's ad totals changed: cached responses holding them are stale.
    tag_changed(ctx, "Campaign", &campaign_id.to_string());
    Ok(recorded)
}
