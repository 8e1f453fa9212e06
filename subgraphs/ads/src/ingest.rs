//! Recording days of figures, whoever reports them (the mutation, a platform's
//! webhook, a pull from a platform): checked, upserted in one transaction,
//! then pushed to live subscribers.

use std::collections::HashMap;

use chrono::NaiveDate;
use promptsales_kit::ApiError;
use uuid::Uuid;

use crate::domain::Performance;
use crate::live::{LiveMetrics, MetricEvent};
use crate::store::{Ad, AdMetric, AdsStore, NewAdMetric};

/// The most days one batch records.
pub const MAX_BATCH: usize = 1_000;

/// One day of one ad to record.
#[derive(Debug, Clone, PartialEq)]
pub struct DayReport {
    /// The ad (already found within the caller's scope).
    pub ad_id: Uuid,
    /// The day.
    pub day: NaiveDate,
    /// The figures.
    pub performance: Performance,
}

/// Checks every report (fields named `{prefix}[i].x`), refuses a repeated (ad, day), a day
/// after `today` or outside the ad's dates,
/// records them all or none, and pushes them live. `ads` holds the reports' ads.
pub async fn record(
    store: &dyn AdsStore,
    live: &LiveMetrics,
    ads: &HashMap<Uuid, Ad>,
    reports: Vec<DayReport>,
    prefix: &str,
    today: NaiveDate,
) -> Result<Vec<AdMetric>, ApiError> {
    if reports.len() > MAX_BATCH {
        return Err(ApiError::bad_input(
            prefix,
            format!("a batch records at most {MAX_BATCH} days"),
        ));
    }
    let mut seen: HashMap<(Uuid, NaiveDate), usize> = HashMap::new();
    let mut news = Vec::with_capacity(reports.len());
    for (i, report) in reports.into_iter().enumerate() {
        let at = format!("{prefix}[{i}]");
        let ad = ads
            .get(&report.ad_id)
            .ok_or_else(|| ApiError::not_found("Ad", report.ad_id))?;
        report.performance.validate_day(&at)?;
        // Figures exist only for days that happened, within the days the ad may run.
        if report.day > today {
            return Err(ApiError::bad_input(
                format!("{at}.day"),
                format!("{} is in the future (today is {today})", report.day),
            ));
        }
        if report.day < ad.start_date || report.day > ad.end_date {
            return Err(ApiError::bad_input(
                format!("{at}.day"),
                format!(
                    "{} is outside the ad's dates ({} to {})",
                    report.day, ad.start_date, ad.end_date
                ),
            ));
        }
        if let Some(first) = seen.insert((report.ad_id, report.day), i) {
            return Err(ApiError::bad_input(
                format!("{at}.day"),
                format!(
                    "ad {} on {} is already in this batch at {prefix}[{first}]",
                    report.ad_id, report.day
                ),
            ));
        }
        news.push(NewAdMetric {
            id: None,
            organization_id: ad.organization_id,
            ad_id: report.ad_id,
            day: report.day,
            performance: report.performance,
        });
    }
    let recorded = store.record_metrics(news).await.map_err(ApiError::from)?;
    let events = recorded
        .iter()
        .filter_map(|m| {
            let ad = ads.get(&m.ad_id)?;
            Some(MetricEvent::new(
                m,
                ad.campaign_id,
                ad.channel,
                &ad.market.currency,
            ))
        })
        .collect();
    live.publish(events);
    tracing::info!(days = recorded.len(), "ad metrics recorded");
    Ok(recorded)
}
