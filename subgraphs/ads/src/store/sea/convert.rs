//! Rows to domain types and back; a row the domain cannot read is `StoreError::Corrupt`.

use chrono::{DateTime, NaiveDate, Utc};
use promptsales_kit::{Decimal4, StoreError, new_id};
use sea_orm::{ActiveValue::Set, QueryResult};
use uuid::Uuid;

use super::entities::{ad, ad_metric, market};
use crate::domain::{AdChannel, AdStatus, BidStrategy, Performance};
use crate::store::{Ad, AdChanges, AdMetric, Market, NewAd, NewAdMetric, NewMarket, StoreResult};

pub(super) fn market(row: market::Model) -> Market {
    Market {
        id: row.id,
        organization_id: row.organization_id,
        country: row.country,
        currency: row.currency,
        language: row.language,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

pub(super) fn new_market(new: NewMarket, now: DateTime<Utc>) -> market::ActiveModel {
    market::ActiveModel {
        id: Set(new.id.unwrap_or_else(new_id)),
        organization_id: Set(new.organization_id),
        country: Set(new.country),
        currency: Set(new.currency),
        language: Set(new.language),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

fn corrupt(id: Uuid, what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("ad {id}: {what} {value:?}"))
}

/// The day ads' statuses read as of ([`AdStatus::as_of`]): today, in UTC as every date here.
pub(super) fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// An ad as it reads today: its status is the stored one as of today's date
/// ([`AdStatus::as_of`]), so that no ad leaves the store RUNNING outside its dates.
pub(super) fn ad(row: ad::Model, market_row: Option<market::Model>) -> StoreResult<Ad> {
    let id = row.id;
    let market_row =
        market_row.ok_or_else(|| corrupt(id, "market missing", &row.market_id.to_string()))?;
    let channel =
        AdChannel::from_code(&row.channel).ok_or_else(|| corrupt(id, "channel", &row.channel))?;
    let written_status =
        AdStatus::from_code(&row.status).ok_or_else(|| corrupt(id, "status", &row.status))?;
    let status = written_status.as_of(row.start_date, row.end_date, today());
    let bid_strategy = BidStrategy::from_code(&row.bid_strategy)
        .ok_or_else(|| corrupt(id, "bid strategy", &row.bid_strategy))?;
    let creative_ids: Vec<Uuid> = serde_json::from_str(&row.creative_ids)
        .map_err(|_| corrupt(id, "creative ids", &row.creative_ids))?;
    Ok(Ad {
        id,
        organization_id: row.organization_id,
        campaign_id: row.campaign_id,
        channel,
        market: market(market_row),
        name: row.name,
        status,
        written_status,
        audience_segment_id: row.audience_segment_id,
        creative_ids,
        daily_budget: Decimal4(row.daily_budget),
        bid_strategy,
        start_date: row.start_date,
        end_date: row.end_date,
        platform: row.platform,
        external_id: row.external_id,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn json_ids(ids: &[Uuid]) -> StoreResult<String> {
    serde_json::to_string(ids).map_err(|e| StoreError::Corrupt(format!("creative ids: {e}")))
}

pub(super) fn new_ad(new: NewAd, now: DateTime<Utc>) -> StoreResult<ad::ActiveModel> {
    Ok(ad::ActiveModel {
        id: Set(new.id.unwrap_or_else(new_id)),
        organization_id: Set(new.organization_id),
        campaign_id: Set(new.campaign_id),
        channel: Set(new.channel.code().to_string()),
        market_id: Set(new.market_id),
        name: Set(new.name),
        status: Set(new.status.code().to_string()),
        audience_segment_id: Set(new.audience_segment_id),
        creative_ids: Set(json_ids(&new.creative_ids)?),
        daily_budget: Set(new.daily_budget.raw()),
        bid_strategy: Set(new.bid_strategy.code().to_string()),
        start_date: Set(new.start_date),
        end_date: Set(new.end_date),
        platform: Set(new.platform),
        external_id: Set(new.external_id),
        created_at: Set(now),
        updated_at: Set(now),
    })
}

/// The changed columns only; the rest stay `NotSet` so an update never touches them.
pub(super) fn ad_changes(changes: AdChanges, now: DateTime<Utc>) -> StoreResult<ad::ActiveModel> {
    Ok(ad::ActiveModel {
        name: Set(changes.name),
        status: Set(changes.status.code().to_string()),
        audience_segment_id: Set(changes.audience_segment_id),
        creative_ids: Set(json_ids(&changes.creative_ids)?),
        daily_budget: Set(changes.daily_budget.raw()),
        bid_strategy: Set(changes.bid_strategy.code().to_string()),
        start_date: Set(changes.start_date),
        end_date: Set(changes.end_date),
        platform: Set(changes.platform),
        external_id: Set(changes.external_id),
        updated_at: Set(now),
        ..Default::default()
    })
}

pub(super) fn metric(row: ad_metric::Model) -> AdMetric {
    AdMetric {
        id: row.id,
        organization_id: row.organization_id,
        ad_id: row.ad_id,
        day: row.day,
        performance: Performance {
            impressions: row.impressions,
            reach: row.reach,
            clicks: row.clicks,
            engagement: row.engagement,
            spend: Decimal4(row.spend),
            conversions: row.conversions,
            conversion_value: Decimal4(row.conversion_value),
        },
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

pub(super) fn new_metric(new: NewAdMetric, now: DateTime<Utc>) -> ad_metric::ActiveModel {
    let p = new.performance;
    ad_metric::ActiveModel {
        id: Set(new.id.unwrap_or_else(new_id)),
        organization_id: Set(new.organization_id),
        ad_id: Set(new.ad_id),
        day: Set(new.day),
        impressions: Set(p.impressions),
        reach: Set(p.reach),
        clicks: Set(p.clicks),
        engagement: Set(p.engagement),
        spend: Set(p.spend.raw()),
        conversions: Set(p.conversions),
        conversion_value: Set(p.conversion_value.raw()),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// The summed columns of an aggregate row (aliases as in `metrics::SUMS`).
pub(super) fn performance(row: &QueryResult) -> StoreResult<Performance> {
    let get = |name: &str| row.try_get::<i64>("", name);
    Ok(Performance {
        impressions: get("impressions")?,
        reach: get("reach")?,
        clicks: get("clicks")?,
        engagement: get("engagement")?,
        spend: Decimal4(get("spend")?),
        conversions: get("conversions")?,
        conversion_value: Decimal4(get("conversion_value")?),
    })
}
