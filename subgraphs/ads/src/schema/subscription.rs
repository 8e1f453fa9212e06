//! `campaignMetrics`: a campaign's recorded days, pushed as they are ingested.

use async_graphql::{Context, ID, Object, Result, Subscription};
use chrono::{DateTime, NaiveDate, Utc};
use futures::Stream;
use promptsales_kit::context::{Role, Subsystem};
use promptsales_kit::{ApiError, Decimal4, RequestContext, ResultExt, parse_id};
use tokio::sync::broadcast::error::RecvError;

use super::enums::AdChannel;
use super::totals::AdTotals;
use crate::live::{LiveMetrics, MetricEvent};
use crate::services::AdsServices;

/// One day of one ad, as it was recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct AdMetricEvent(pub MetricEvent);

/// One day of one ad, as it was recorded (money in the ad's market currency).
#[Object(cache_control(max_age = 30))]
impl AdMetricEvent {
    /// The ad's campaign.
    async fn campaign_id(&self) -> ID {
        ID(self.0.campaign_id.to_string())
    }

    /// The ad.
    async fn ad_id(&self) -> ID {
        ID(self.0.ad_id.to_string())
    }

    /// The ad's channel.
    async fn channel(&self) -> Option<AdChannel> {
        crate::domain::AdChannel::from_code(&self.0.channel).map(Into::into)
    }

    /// The currency of the money figures.
    async fn currency(&self) -> &str {
        &self.0.currency
    }

    /// The day.
    async fn day(&self) -> NaiveDate {
        self.0.day
    }

    /// The day's figures (as recorded: a day recorded again replaces them).
    async fn totals(&self) -> AdTotals {
        AdTotals(self.0.performance())
    }

    /// Money spent that day.
    async fn spend(&self) -> Decimal4 {
        Decimal4(self.0.spend)
    }

    /// When it was recorded.
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }
}

/// Live updates.
pub struct Subscription;

/// Live updates (need `ads:read`).
#[Subscription]
impl Subscription {
    /// Every day recorded for the campaign's ads from now on (by mutation, webhook or
    /// platform pull, on any instance), within the caller's tenant.
    async fn campaign_metrics(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
    ) -> Result<impl Stream<Item = AdMetricEvent> + use<>> {
        let context = ctx.data::<RequestContext>()?;
        context.require(Subsystem::Ads, Role::Read)?;
        let campaign_id = parse_id("campaignId", &campaign_id)?;
        let scope = context.scope();
        // Refused at subscribe time, as a query would be: a campaign whose ads belong to
        // another tenant is NOT_FOUND. A campaign with no ads names no tenant here, so sales
        // (which owns campaigns) is asked with the caller's token: one the caller cannot see,
        // or that does not exist, is NOT_FOUND too.
        let ads = super::store(ctx)?
            .ads_of_campaign(promptsales_kit::context::TenantScope::All, campaign_id)
            .await
            .api()?;
        if ads.is_empty() {
            super::operations::campaign_facts(ctx, campaign_id).await?;
        } else if ads.iter().any(|ad| !scope.allows(ad.organization_id)) {
            return Err(ApiError::not_found("Campaign", campaign_id).into());
        }
        let live: LiveMetrics = ctx.data::<AdsServices>()?.live.clone();
        let receiver = live.subscribe();
        Ok(futures::stream::unfold(
            receiver,
            move |mut receiver| async move {
                loop {
                    match receiver.recv().await {
                        Ok(event)
                            if event.campaign_id == campaign_id
                                && scope.allows(event.organization_id) =>
                        {
                            return Some((AdMetricEvent(event), receiver));
                        }
                        Ok(_) => {}
                        Err(RecvError::Lagged(skipped)) => {
                            tracing::warn!(
                                skipped,
                                "a live-metrics subscriber fell behind; events skipped"
                            );
                        }
                        Err(RecvError::Closed) => return None,
                    }
                }
            },
        ))
    }
}
