//! What the ETL reads from the ads store: metric days changed since a watermark,
//! and the figures of (campaign, day) keys recomputed from the metrics.

use chrono::{DateTime, NaiveDate, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::changes::{Change, ChangeWindow, KEYS_PER_STATEMENT, SqlParams};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use crate::store::CampaignDayFigures;

#[derive(Debug, FromQueryResult)]
struct ChangedMetric {
    id: Uuid,
    updated_at: DateTime<Utc>,
    organization_id: Uuid,
    campaign_id: Uuid,
    day: NaiveDate,
    channel: String,
    currency: String,
}

pub(super) async fn metric_changes(
    db: &impl ConnectionTrait,
    window: ChangeWindow,
) -> Result<Vec<Change>, StoreError> {
    let mut p = SqlParams::new(db.get_database_backend());
    let (condition, order) = p.window("m", &window);
    let sql = format!(
        "SELECT m.id, m.updated_at, m.organization_id, a.campaign_id, m.day, a.channel, mk.currency \
         FROM ad_metrics m JOIN ads a ON a.id = m.ad_id JOIN markets mk ON mk.id = a.market_id \
         WHERE {condition} {order}"
    );
    let rows = ChangedMetric::find_by_statement(p.statement(sql))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Change {
            id: r.id,
            updated_at: r.updated_at,
            organization_id: r.organization_id,
            keys: vec![(r.campaign_id, r.day)],
            channel: Some(r.channel),
            currency: Some(r.currency),
        })
        .collect())
}

#[derive(Debug, FromQueryResult)]
struct FigureRow {
    organization_id: Uuid,
    campaign_id: Uuid,
    day: NaiveDate,
    channel: String,
    currency: String,
    impressions: i64,
    clicks: i64,
    reach: i64,
    engagement: i64,
    spend: i64,
    conversions: i64,
    conversion_value: i64,
}

pub(super) async fn campaign_day_figures(
    db: &impl ConnectionTrait,
    keys: &[(Uuid, NaiveDate)],
) -> Result<Vec<CampaignDayFigures>, StoreError> {
    let mut out = Vec::new();
    for chunk in keys.chunks(KEYS_PER_STATEMENT) {
        let mut p = SqlParams::new(db.get_database_backend());
        let keys = p.keys_in("a.campaign_id", "m.day", chunk);
        let sum = |c: &str| format!("CAST(SUM(m.{c}) AS BIGINT) AS {c}");
        let sums = [
            "impressions",
            "clicks",
            "reach",
            "engagement",
            "spend",
            "conversions",
            "conversion_value",
        ]
        .map(sum)
        .join(", ");
        let sql = format!(
            "SELECT a.organization_id, a.campaign_id, m.day, a.channel, mk.currency, {sums} \
             FROM ad_metrics m JOIN ads a ON a.id = m.ad_id JOIN markets mk ON mk.id = a.market_id \
             WHERE {keys} \
             GROUP BY a.organization_id, a.campaign_id, m.day, a.channel, mk.currency"
        );
        for r in FigureRow::find_by_statement(p.statement(sql))
            .all(db)
            .await?
        {
            out.push(CampaignDayFigures {
                organization_id: r.organization_id,
                campaign_id: r.campaign_id,
                day: r.day,
                channel: r.channel,
                currency: r.currency,
                impressions: r.impressions,
                clicks: r.clicks,
                reach: r.reach,
                engagement: r.engagement,
                spend: r.spend,
                conversions: r.conversions,
                conversion_value: r.conversion_value,
            });
        }
    }
    Ok(out)
}
