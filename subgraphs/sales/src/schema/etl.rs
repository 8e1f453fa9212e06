//! The delta ETL in GraphQL: its status for admins, and the live performance
//! updates it publishes.

use async_graphql::{Context, ID, SimpleObject};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use promptsales_kit::context::Role;
use promptsales_kit::{ApiError, RequestContext, ResultExt, parse_id};
use tokio::sync::broadcast::error::RecvError;

use crate::domain::access;
use crate::store::etl::EtlRun;

/// One cycle of the ETL over one source.
#[derive(SimpleObject)]
#[graphql(cache_control(max_age = 0, private))]
pub struct EtlRunInfo {
    /// `ok`, `failed` or `fenced`.
    pub status: String,
    /// Changed rows read.
    pub rows_read: i64,
    /// Summary rows written.
    pub rows_written: i64,
    /// Rows recorded as failed.
    pub rows_failed: i64,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it last committed or failed.
    pub finished_at: DateTime<Utc>,
    /// What went wrong.
    pub error: Option<String>,
}

impl From<EtlRun> for EtlRunInfo {
    fn from(r: EtlRun) -> Self {
        Self {
            status: r.status,
            rows_read: r.rows_read,
            rows_written: r.rows_written,
            rows_failed: r.rows_failed,
            started_at: r.started_at,
            finished_at: r.finished_at,
            error: r.error,
        }
    }
}

/// What the ETL has read of one source table.
#[derive(SimpleObject)]
#[graphql(cache_control(max_age = 0, private))]
pub struct EtlSourceStatus {
    /// `store.table`, e.g. `crm.sales`.
    pub source: String,
    /// The `updated_at` of the last row read.
    pub watermark_updated_at: Option<DateTime<Utc>>,
    /// The id of the last row read.
    pub watermark_id: Option<ID>,
    /// Every change before this instant is in the summaries.
    pub caught_up_to: Option<DateTime<Utc>>,
    /// Seconds between `caughtUpTo` and now.
    pub lag_seconds: Option<f64>,
    /// The latest run.
    pub last_run: Option<EtlRunInfo>,
    /// The latest run that failed.
    pub last_error: Option<EtlRunInfo>,
    /// Source rows skipped because they could not be interpreted.
    pub failed_rows: i64,
}

/// `etlStatus`.
pub async fn status(ctx: &Context<'_>) -> async_graphql::Result<Vec<EtlSourceStatus>> {
    let context = ctx.data::<RequestContext>()?;
    access::require(context, Role::Admin)?;
    let now = Utc::now();
    Ok(super::store(ctx)?
        .etl_status()
        .await
        .api()?
        .into_iter()
        .map(|s| EtlSourceStatus {
            source: s.source,
            watermark_updated_at: s.watermark.map(|w| w.updated_at),
            watermark_id: s.watermark.map(|w| ID(w.id.to_string())),
            caught_up_to: s.caught_up_to,
            lag_seconds: s
                .caught_up_to
                .map(|t| (now - t).num_milliseconds().max(0) as f64 / 1000.0),
            last_run: s.last_run.map(Into::into),
            last_error: s.last_error.map(Into::into),
            failed_rows: s.failed_rows,
        })
        .collect())
}

/// Campaigns of an organization with new figures.
#[derive(SimpleObject, Clone)]
pub struct CampaignPerformanceUpdate {
    /// The organization.
    pub organization_id: ID,
    /// Its campaigns whose figures changed (among the ones subscribed to).
    pub campaign_ids: Vec<ID>,
    /// When the ETL committed them.
    pub updated_at: DateTime<Utc>,
}

/// `campaignPerformanceUpdated`.
pub async fn performance_updates(
    ctx: &Context<'_>,
    organization_id: &ID,
    campaign_ids: Option<Vec<ID>>,
) -> async_graphql::Result<impl Stream<Item = CampaignPerformanceUpdate> + use<>> {
    let context = ctx.data::<RequestContext>()?;
    access::require(context, Role::Read)?;
    let organization = parse_id("organizationId", organization_id)?;
    // Another tenant's ids are refused at subscribe time as a query refuses them: NOT_FOUND,
    // which says no more about them than an id that does not exist.
    if !context.scope().allows(organization) {
        return Err(ApiError::not_found("Organization", organization).into());
    }
    let only: Option<Vec<uuid::Uuid>> = campaign_ids
        .map(|ids| {
            ids.iter()
                .map(|id| parse_id("campaignIds", id))
                .collect::<Result<_, _>>()
        })
        .transpose()?;
    if let Some(only) = &only {
        let loader = super::loaders::loader::<super::loaders::CampaignLoader>(ctx)?;
        let found = loader.load_many(only.iter().copied()).await.api()?;
        if let Some(missing) = only.iter().find(|id| {
            found
                .get(*id)
                .is_none_or(|campaign| campaign.organization_id != organization)
        }) {
            return Err(ApiError::not_found("Campaign", missing).into());
        }
    }
    let receiver = crate::live::bus().subscribe();
    let updates = futures::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(u) => return Some((u, receiver)),
                // A slow subscriber skips what it missed; the figures are in the summaries.
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a performance subscriber fell behind");
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Ok(updates.filter_map(move |u| {
        let kept: Vec<ID> = if u.organization_id == organization {
            u.campaign_ids
                .iter()
                .filter(|c| only.as_ref().is_none_or(|only| only.contains(c)))
                .map(|c| ID(c.to_string()))
                .collect()
        } else {
            Vec::new()
        };
        let update = (!kept.is_empty()).then(|| CampaignPerformanceUpdate {
            organization_id: ID(u.organization_id.to_string()),
            campaign_ids: kept,
            updated_at: u.updated_at,
        });
        async move { update }
    }))
}
