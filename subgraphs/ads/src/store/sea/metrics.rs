//! Daily metrics and their sums; sums are computed in SQL, one statement for any number of parents.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::context::TenantScope;
use sea_orm::sea_query::{Alias, Expr, Func, OnConflict, Query, SelectStatement, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IdenStatic, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entities::{ad, ad_metric};
use super::{convert, in_scope};
use crate::domain::{AdChannel, Performance};
use crate::store::{AdMetric, ChannelPerformance, NewAdMetric, StoreResult};

/// The summed columns and their aliases (read back by `convert::performance`).
const SUMS: [(ad_metric::Column, &str); 7] = [
    (ad_metric::Column::Impressions, "impressions"),
    (ad_metric::Column::Reach, "reach"),
    (ad_metric::Column::Clicks, "clicks"),
    (ad_metric::Column::Engagement, "engagement"),
    (ad_metric::Column::Spend, "spend"),
    (ad_metric::Column::Conversions, "conversions"),
    (ad_metric::Column::ConversionValue, "conversion_value"),
];

/// Columns a recorded day replaces; id, ad, day, organization and created_at stay.
const REPLACED: [ad_metric::Column; 8] = [
    ad_metric::Column::Impressions,
    ad_metric::Column::Reach,
    ad_metric::Column::Clicks,
    ad_metric::Column::Engagement,
    ad_metric::Column::Spend,
    ad_metric::Column::Conversions,
    ad_metric::Column::ConversionValue,
    ad_metric::Column::UpdatedAt,
];

fn upsert() -> OnConflict {
    OnConflict::columns([ad_metric::Column::AdId, ad_metric::Column::Day])
        .update_columns(REPLACED)
        .to_owned()
}

pub(super) async fn record(db: &impl ConnectionTrait, new: NewAdMetric) -> StoreResult<AdMetric> {
    let (ad_id, day) = (new.ad_id, new.day);
    ad_metric::Entity::insert(convert::new_metric(new, Utc::now()))
        .on_conflict(upsert())
        .exec_without_returning(db)
        .await?;
    let row = ad_metric::Entity::find()
        .filter(ad_metric::Column::AdId.eq(ad_id))
        .filter(ad_metric::Column::Day.eq(day))
        .one(db)
        .await?
        .ok_or_else(|| {
            StoreError::Corrupt(format!(
                "metrics of ad {ad_id} on {day} vanished after their upsert"
            ))
        })?;
    Ok(convert::metric(row))
}

/// Upserts `news` (the caller holds a transaction), then reads them back in one statement per chunk.
pub(super) async fn record_many(
    db: &impl ConnectionTrait,
    news: Vec<NewAdMetric>,
) -> StoreResult<Vec<AdMetric>> {
    let keys: Vec<(Uuid, NaiveDate)> = news.iter().map(|n| (n.ad_id, n.day)).collect();
    insert_many(db, news).await?;
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(super::ads::CHUNK) {
        let mut any = sea_orm::Condition::any();
        for (ad_id, day) in chunk {
            any = any.add(
                sea_orm::Condition::all()
                    .add(ad_metric::Column::AdId.eq(*ad_id))
                    .add(ad_metric::Column::Day.eq(*day)),
            );
        }
        let rows = ad_metric::Entity::find().filter(any).all(db).await?;
        out.extend(rows.into_iter().map(convert::metric));
    }
    // The caller's order: one result per recorded day.
    out.sort_by_key(|m| {
        keys.iter()
            .position(|k| *k == (m.ad_id, m.day))
            .unwrap_or(usize::MAX)
    });
    Ok(out)
}

pub(super) async fn insert_many(
    db: &impl ConnectionTrait,
    news: Vec<NewAdMetric>,
) -> StoreResult<()> {
    let now = Utc::now();
    let rows: Vec<_> = news
        .into_iter()
        .map(|n| convert::new_metric(n, now))
        .collect();
    for chunk in rows.chunks(super::ads::CHUNK) {
        ad_metric::Entity::insert_many(chunk.to_vec())
            .on_conflict(upsert())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

pub(super) async fn of_ads(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    ad_ids: &[Uuid],
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<AdMetric>> {
    if ad_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = ad_metric::Entity::find()
        .filter(ad_metric::Column::AdId.is_in(ad_ids.iter().copied()))
        .filter(ad_metric::Column::Day.between(from, to))
        .filter(in_scope(ad_metric::Column::OrganizationId, scope))
        .order_by_asc(ad_metric::Column::AdId)
        .order_by_asc(ad_metric::Column::Day)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(convert::metric).collect())
}

/// `CAST(COALESCE(SUM(col), 0) AS BIGINT)`: PostgreSQL sums BIGINT as NUMERIC, and ads without days sum to NULL.
fn sum(column: ad_metric::Column) -> SimpleExpr {
    let total = Func::sum(Expr::col((ad_metric::Entity, column)));
    Func::cast_as(
        Func::coalesce([total.into(), Expr::val(0i64).into()]),
        Alias::new("BIGINT"),
    )
    .into()
}

/// Sums of the ads in scope whose `key` is among `keys`, grouped by `group` (ads LEFT JOIN their days).
fn sums_by(
    scope: TenantScope,
    key: ad::Column,
    keys: &[Uuid],
    group: &[ad::Column],
) -> SelectStatement {
    let mut q = Query::select();
    for column in group {
        q.column((ad::Entity, *column));
    }
    for (column, alias) in SUMS {
        q.expr_as(sum(column), Alias::new(alias));
    }
    q.from(ad::Entity)
        .left_join(
            ad_metric::Entity,
            Expr::col((ad_metric::Entity, ad_metric::Column::AdId))
                .equals((ad::Entity, ad::Column::Id)),
        )
        .cond_where(
            in_scope(ad::Column::OrganizationId, scope).add(key.is_in(keys.iter().copied())),
        );
    for column in group {
        q.group_by_col((ad::Entity, *column));
    }
    q
}

async fn sums(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    key: ad::Column,
    keys: &[Uuid],
) -> StoreResult<HashMap<Uuid, Performance>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let statement = db
        .get_database_backend()
        .build(&sums_by(scope, key, keys, &[key]));
    let mut out = HashMap::new();
    for row in db.query_all(statement).await? {
        let id: Uuid = row.try_get("", key.as_str())?;
        out.insert(id, convert::performance(&row)?);
    }
    Ok(out)
}

pub(super) async fn totals_of_ads(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    ad_ids: &[Uuid],
) -> StoreResult<HashMap<Uuid, Performance>> {
    sums(db, scope, ad::Column::Id, ad_ids).await
}

pub(super) async fn totals_of_campaigns(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    campaign_ids: &[Uuid],
) -> StoreResult<HashMap<Uuid, Performance>> {
    sums(db, scope, ad::Column::CampaignId, campaign_ids).await
}

pub(super) async fn channel_totals_of_campaigns(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    campaign_ids: &[Uuid],
) -> StoreResult<Vec<ChannelPerformance>> {
    if campaign_ids.is_empty() {
        return Ok(Vec::new());
    }
    let group = [ad::Column::CampaignId, ad::Column::Channel];
    let mut select = sums_by(scope, ad::Column::CampaignId, campaign_ids, &group);
    select
        .order_by((ad::Entity, ad::Column::CampaignId), sea_orm::Order::Asc)
        .order_by((ad::Entity, ad::Column::Channel), sea_orm::Order::Asc);
    let statement = db.get_database_backend().build(&select);
    let mut out = Vec::new();
    for row in db.query_all(statement).await? {
        let campaign_id: Uuid = row.try_get("", "campaign_id")?;
        let code: String = row.try_get("", "channel")?;
        let channel = AdChannel::from_code(&code).ok_or_else(|| {
            StoreError::Corrupt(format!("campaign {campaign_id}: channel {code:?}"))
        })?;
        out.push(ChannelPerformance {
            campaign_id,
            channel,
            performance: convert::performance(&row)?,
        });
    }
    Ok(out)
}
