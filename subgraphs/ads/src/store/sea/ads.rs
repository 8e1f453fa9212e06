//! Ads, always read with their market (one joined statement).

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Page, PageRequest, StoreError, new_id};
use sea_orm::sea_query::{Alias, Expr, Order, Query, WindowStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    SelectTwo,
};
use uuid::Uuid;

use super::entities::{ad, ad_creative, market};
use super::{convert, in_scope};
use crate::domain::{AdStatus, DatesOn};
use crate::store::{Ad, AdChanges, AdFilter, NewAd, StoreResult};

/// Rows per multi-row insert: far below SQLite's and PostgreSQL's bound-parameter limits.
pub(super) const CHUNK: usize = 500;

fn with_market() -> SelectTwo<ad::Entity, market::Entity> {
    ad::Entity::find().find_also_related(market::Entity)
}

fn read(rows: Vec<(ad::Model, Option<market::Model>)>) -> StoreResult<Vec<Ad>> {
    rows.into_iter().map(|(a, m)| convert::ad(a, m)).collect()
}

fn matching(scope: TenantScope, filter: &AdFilter) -> Condition {
    let mut cond = in_scope(ad::Column::OrganizationId, scope);
    if let Some(campaign) = filter.campaign_id {
        cond = cond.add(ad::Column::CampaignId.eq(campaign));
    }
    if let Some(channel) = filter.channel {
        cond = cond.add(ad::Column::Channel.eq(channel.code()));
    }
    if let Some(status) = filter.status {
        cond = cond.add(reading(status, convert::today()));
    }
    cond
}

/// The rows whose status reads `status` on `today` (the domain's [`AdStatus::read_from`]),
/// so that a list filtered by status shows exactly the ads whose `status` field reads it.
fn reading(status: AdStatus, today: NaiveDate) -> Condition {
    status
        .read_from()
        .iter()
        .fold(Condition::any(), |any, (stored, on)| {
            let dates = match on {
                DatesOn::Any => Condition::all(),
                DatesOn::NotEnded => Condition::all().add(ad::Column::EndDate.gte(today)),
                DatesOn::NotStarted => Condition::all()
                    .add(ad::Column::StartDate.gt(today))
                    .add(ad::Column::EndDate.gte(today)),
                DatesOn::Within => Condition::all()
                    .add(ad::Column::StartDate.lte(today))
                    .add(ad::Column::EndDate.gte(today)),
                DatesOn::Ended => Condition::all().add(ad::Column::EndDate.lt(today)),
            };
            any.add(dates.add(ad::Column::Status.eq(stored.code())))
        })
}

/// Replaces the creative rows of `ads` (id, organization, creatives) with their lists.
pub(super) async fn write_creatives(
    db: &impl ConnectionTrait,
    ads: &[(Uuid, Uuid, Vec<Uuid>)],
) -> StoreResult<()> {
    if ads.is_empty() {
        return Ok(());
    }
    ad_creative::Entity::delete_many()
        .filter(ad_creative::Column::AdId.is_in(ads.iter().map(|(id, _, _)| *id)))
        .exec(db)
        .await?;
    let mut rows = Vec::new();
    for (ad_id, organization_id, creatives) in ads {
        for (position, asset_id) in creatives.iter().enumerate() {
            rows.push(ad_creative::ActiveModel {
                ad_id: sea_orm::ActiveValue::Set(*ad_id),
                position: sea_orm::ActiveValue::Set(
                    i32::try_from(position).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                ),
                organization_id: sea_orm::ActiveValue::Set(*organization_id),
                asset_id: sea_orm::ActiveValue::Set(*asset_id),
            });
        }
    }
    for chunk in rows.chunks(CHUNK) {
        ad_creative::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

pub(super) async fn insert(db: &impl ConnectionTrait, new: NewAd) -> StoreResult<Ad> {
    let id = new.id.unwrap_or_else(new_id);
    let creatives = vec![(id, new.organization_id, new.creative_ids.clone())];
    let row = convert::new_ad(
        NewAd {
            id: Some(id),
            ..new
        },
        Utc::now(),
    )?;
    ad::Entity::insert(row).exec_without_returning(db).await?;
    write_creatives(db, &creatives).await?;
    by_id(db, TenantScope::All, &[id])
        .await?
        .pop()
        .ok_or_else(|| StoreError::Corrupt(format!("ad {id} vanished after its insert")))
}

pub(super) async fn insert_many(db: &impl ConnectionTrait, news: Vec<NewAd>) -> StoreResult<()> {
    let now = Utc::now();
    let news: Vec<NewAd> = news
        .into_iter()
        .map(|n| NewAd {
            id: Some(n.id.unwrap_or_else(new_id)),
            ..n
        })
        .collect();
    let creatives: Vec<(Uuid, Uuid, Vec<Uuid>)> = news
        .iter()
        .filter_map(|n| Some((n.id?, n.organization_id, n.creative_ids.clone())))
        .collect();
    let rows = news
        .into_iter()
        .map(|n| convert::new_ad(n, now))
        .collect::<StoreResult<Vec<_>>>()?;
    for chunk in rows.chunks(CHUNK) {
        ad::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    write_creatives(db, &creatives).await
}

pub(super) async fn update(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    id: Uuid,
    changes: AdChanges,
) -> StoreResult<Option<Ad>> {
    let creatives = changes.creative_ids.clone();
    let result = ad::Entity::update_many()
        .set(convert::ad_changes(changes, Utc::now())?)
        .filter(ad::Column::Id.eq(id))
        .filter(in_scope(ad::Column::OrganizationId, scope))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Ok(None);
    }
    let Some(ad) = by_id(db, scope, &[id]).await?.pop() else {
        return Ok(None);
    };
    write_creatives(db, &[(ad.id, ad.organization_id, creatives)]).await?;
    Ok(Some(ad))
}

pub(super) async fn by_id(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    ids: &[Uuid],
) -> StoreResult<Vec<Ad>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = with_market()
        .filter(ad::Column::Id.is_in(ids.iter().copied()))
        .filter(in_scope(ad::Column::OrganizationId, scope))
        .all(db)
        .await?;
    read(rows)
}

pub(super) async fn page(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    filter: &AdFilter,
    page: &PageRequest,
) -> StoreResult<Page<Ad>> {
    let mut query = with_market().filter(matching(scope, filter));
    if let Some(after) = page.after {
        query = query.filter(ad::Column::Id.gt(after));
    }
    let rows = query
        .order_by_asc(ad::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?;
    Ok(Page::from_rows(read(rows)?, page))
}

/// One statement for any number of campaigns: the ids of each campaign's first
/// `fetch_limit` matching ads come from a `ROW_NUMBER()` window, and the ads
/// with those ids are read with their markets.
pub(super) async fn of_campaigns(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    campaign_ids: &[Uuid],
    filter: &AdFilter,
    page: &PageRequest,
) -> StoreResult<HashMap<Uuid, Page<Ad>>> {
    if campaign_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rank = Alias::new("rank_in_campaign");
    let mut ranked = Query::select();
    ranked
        .column(ad::Column::Id)
        .expr_window_as(
            Expr::cust("ROW_NUMBER()"),
            WindowStatement::partition_by(ad::Column::CampaignId)
                .order_by(ad::Column::Id, Order::Asc)
                .to_owned(),
            rank.clone(),
        )
        .from(ad::Entity)
        .cond_where(
            matching(scope, filter).add(ad::Column::CampaignId.is_in(campaign_ids.iter().copied())),
        );
    if let Some(after) = page.after {
        ranked.and_where(ad::Column::Id.gt(after));
    }
    let mut first_ids = Query::select();
    first_ids
        .column(ad::Column::Id)
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::col(rank).lte(i64::try_from(page.fetch_limit()).unwrap_or(i64::MAX)));
    let rows = with_market()
        .filter(ad::Column::Id.in_subquery(first_ids))
        .order_by_asc(ad::Column::Id)
        .all(db)
        .await?;
    let mut by_campaign: HashMap<Uuid, Vec<Ad>> = HashMap::new();
    for ad in read(rows)? {
        by_campaign.entry(ad.campaign_id).or_default().push(ad);
    }
    Ok(by_campaign
        .into_iter()
        .map(|(campaign, ads)| (campaign, Page::from_rows(ads, page)))
        .collect())
}

pub(super) async fn of_campaign(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    campaign_id: Uuid,
) -> StoreResult<Vec<Ad>> {
    let rows = with_market()
        .filter(ad::Column::CampaignId.eq(campaign_id))
        .filter(in_scope(ad::Column::OrganizationId, scope))
        .order_by_asc(ad::Column::Id)
        .all(db)
        .await?;
    read(rows)
}

pub(super) async fn by_external_id(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    platform: &str,
    external_ids: &[String],
) -> StoreResult<Vec<Ad>> {
    if external_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = with_market()
        .filter(ad::Column::Platform.eq(platform))
        .filter(ad::Column::ExternalId.is_in(external_ids.iter().cloned()))
        .filter(in_scope(ad::Column::OrganizationId, scope))
        .order_by_asc(ad::Column::Id)
        .all(db)
        .await?;
    read(rows)
}

/// The ads in scope showing any of `asset_ids`, as (asset, ad) pairs by asset then ad.
pub(super) async fn using_assets(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    asset_ids: &[Uuid],
) -> StoreResult<Vec<(Uuid, Ad)>> {
    if asset_ids.is_empty() {
        return Ok(Vec::new());
    }
    let links = ad_creative::Entity::find()
        .filter(ad_creative::Column::AssetId.is_in(asset_ids.iter().copied()))
        .filter(in_scope(ad_creative::Column::OrganizationId, scope))
        .order_by_asc(ad_creative::Column::AssetId)
        .order_by_asc(ad_creative::Column::AdId)
        .all(db)
        .await?;
    let mut ad_ids: Vec<Uuid> = links.iter().map(|l| l.ad_id).collect();
    ad_ids.sort();
    ad_ids.dedup();
    let ads: HashMap<Uuid, Ad> = by_id(db, scope, &ad_ids)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut out: Vec<(Uuid, Ad)> = Vec::new();
    for link in links {
        if let Some(ad) = ads.get(&link.ad_id) {
            // An asset shown twice by one ad lists the ad once.
            if !out
                .iter()
                .any(|(asset, a)| *asset == link.asset_id && a.id == ad.id)
            {
                out.push((link.asset_id, ad.clone()));
            }
        }
    }
    Ok(out)
}
