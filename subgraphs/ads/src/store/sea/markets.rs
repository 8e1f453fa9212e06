//! Markets.

use chrono::Utc;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{StoreError, new_id};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entities::market;
use super::{convert, in_scope};
use crate::store::{Market, NewMarket, StoreResult};

pub(super) async fn insert(db: &impl ConnectionTrait, new: NewMarket) -> StoreResult<Market> {
    let id = new.id.unwrap_or_else(new_id);
    let row = convert::new_market(
        NewMarket {
            id: Some(id),
            ..new
        },
        Utc::now(),
    );
    market::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    get(db, TenantScope::All, id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("market {id} vanished after its insert")))
}

pub(super) async fn insert_many(
    db: &impl ConnectionTrait,
    news: Vec<NewMarket>,
) -> StoreResult<()> {
    let now = Utc::now();
    let rows: Vec<_> = news
        .into_iter()
        .map(|n| convert::new_market(n, now))
        .collect();
    for chunk in rows.chunks(super::ads::CHUNK) {
        market::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

pub(super) async fn list(
    db: &impl ConnectionTrait,
    scope: TenantScope,
) -> StoreResult<Vec<Market>> {
    let rows = market::Entity::find()
        .filter(in_scope(market::Column::OrganizationId, scope))
        .order_by_asc(market::Column::Country)
        .order_by_asc(market::Column::Language)
        .order_by_asc(market::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(convert::market).collect())
}

pub(super) async fn get(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    id: Uuid,
) -> StoreResult<Option<Market>> {
    let row = market::Entity::find()
        .filter(market::Column::Id.eq(id))
        .filter(in_scope(market::Column::OrganizationId, scope))
        .one(db)
        .await?;
    Ok(row.map(convert::market))
}
