//! The sea-orm adapter of the content store (embedded SQLite by default, PostgreSQL).

pub mod campaign_asset;
pub mod conditions;
pub mod media_asset;

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Page, PageRequest, StoreError, new_id};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Alias, Asterisk, Expr, OnConflict, Order, Query, WindowStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult,
    Iterable, QueryFilter, QueryOrder, QuerySelect, TransactionTrait, TryInsertResult,
};
use uuid::Uuid;

use self::conditions::{campaign_filter, has_hashtag, in_scope, links_in_scope, mentions};
use crate::domain::{AssetKind, MediaAsset, NewMediaAsset};
use crate::store::{AssetFilter, CampaignAssetFilter, CampaignAssetLink, ContentStore, Revision};

/// Rows per multi-row INSERT: far below SQLite's bound-variable limit.
const INSERT_CHUNK: usize = 100;

/// The content store over a sea-orm connection.
#[derive(Debug, Clone)]
pub struct SeaContentStore {
    db: DatabaseConnection,
}

impl SeaContentStore {
    /// A store over an already migrated connection.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// Now, at the microsecond precision PostgreSQL keeps, so that what we return equals what a read gives.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn link_model(link: CampaignAssetLink, at: DateTime<Utc>) -> campaign_asset::ActiveModel {
    campaign_asset::ActiveModel {
        campaign_id: Set(link.campaign_id),
        asset_id: Set(link.asset_id),
        organization_id: Set(link.organization_id),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

/// Inserts assets and their links on `conn` (a transaction), in chunks.
async fn insert_all<C: ConnectionTrait>(
    conn: &C,
    assets: &[(MediaAsset, Vec<Uuid>)],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    for chunk in assets.chunks(INSERT_CHUNK) {
        let rows = chunk
            .iter()
            .map(|(asset, _)| media_asset::active_model(asset))
            .collect::<Result<Vec<_>, _>>()?;
        media_asset::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
    }
    let links: Vec<campaign_asset::ActiveModel> = assets
        .iter()
        .flat_map(|(asset, campaigns)| {
            campaigns.iter().map(move |campaign_id| {
                link_model(
                    CampaignAssetLink {
                        campaign_id: *campaign_id,
                        asset_id: asset.id,
                        organization_id: asset.organization_id,
                    },
                    at,
                )
            })
        })
        .collect();
    for chunk in links.chunks(INSERT_CHUNK) {
        campaign_asset::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

fn into_domain(rows: Vec<media_asset::Model>) -> Result<Vec<MediaAsset>, StoreError> {
    rows.into_iter()
        .map(media_asset::Model::into_domain)
        .collect()
}

#[async_trait]
impl ContentStore for SeaContentStore {
    async fn insert_asset(&self, asset: NewMediaAsset) -> Result<MediaAsset, StoreError> {
        let mut inserted = self.insert_assets(vec![asset]).await?;
        inserted
            .pop()
            .ok_or_else(|| StoreError::Corrupt("an insert of one asset returned none".into()))
    }

    async fn insert_assets(
        &self,
        assets: Vec<NewMediaAsset>,
    ) -> Result<Vec<MediaAsset>, StoreError> {
        if assets.is_empty() {
            return Ok(Vec::new());
        }
        let at = now();
        let rows: Vec<(MediaAsset, Vec<Uuid>)> = assets
            .into_iter()
            .map(|new| {
                let id = new.id.unwrap_or_else(new_id);
                (media_asset::created(&new, id, at), new.campaign_ids)
            })
            .collect();
        let txn = self.db.begin().await?;
        insert_all(&txn, &rows, at).await?;
        txn.commit().await?;
        tracing::debug!(count = rows.len(), "media assets inserted");
        Ok(rows.into_iter().map(|(asset, _)| asset).collect())
    }

    async fn link_asset_to_campaign(&self, link: CampaignAssetLink) -> Result<bool, StoreError> {
        let inserted = campaign_asset::Entity::insert(link_model(link, now()))
            .on_conflict(
                OnConflict::columns([
                    campaign_asset::Column::CampaignId,
                    campaign_asset::Column::AssetId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .do_nothing()
            .exec_without_returning(&self.db)
            .await?;
        Ok(matches!(inserted, TryInsertResult::Inserted(n) if n > 0))
    }

    async fn assets_by_ids(
        &self,
        scope: TenantScope,
        ids: &[Uuid],
    ) -> Result<Vec<MediaAsset>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = media_asset::Entity::find()
            .filter(media_asset::Column::Id.is_in(ids.iter().copied()))
            .filter(in_scope(media_asset::Column::OrganizationId, scope))
            .all(&self.db)
            .await?;
        into_domain(rows)
    }

    async fn list_assets(
        &self,
        scope: TenantScope,
        filter: &AssetFilter,
        page: &PageRequest,
    ) -> Result<Page<MediaAsset>, StoreError> {
        let mut condition = in_scope(media_asset::Column::OrganizationId, scope);
        if let Some(kind) = filter.kind {
            condition = condition.add(media_asset::Column::Kind.eq(kind.as_str()));
        }
        if let Some(status) = filter.review_status {
            condition = condition.add(media_asset::Column::ReviewStatus.eq(status.as_str()));
        }
        if let Some(category) = &filter.category {
            condition = condition.add(media_asset::Column::Category.eq(category.as_str()));
        }
        if let Some(tag) = &filter.hashtag {
            condition = condition.add(has_hashtag(tag));
        }
        if let Some(campaign_id) = filter.campaign_id {
            let used_by = Query::select()
                .column(campaign_asset::Column::AssetId)
                .from(campaign_asset::Entity)
                .and_where(
                    Expr::col((campaign_asset::Entity, campaign_asset::Column::CampaignId))
                        .eq(campaign_id),
                )
                .cond_where(links_in_scope(scope))
                .to_owned();
            condition = condition.add(media_asset::Column::Id.in_subquery(used_by));
        }
        if let Some(after) = page.after {
            condition = condition.add(media_asset::Column::Id.gt(after));
        }
        let rows = media_asset::Entity::find()
            .filter(condition)
            .order_by_asc(media_asset::Column::Id)
            .limit(page.fetch_limit())
            .all(&self.db)
            .await?;
        Ok(Page::from_rows(into_domain(rows)?, page))
    }

    async fn campaign_assets(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
        filter: &CampaignAssetFilter,
        page: &PageRequest,
    ) -> Result<HashMap<Uuid, Page<MediaAsset>>, StoreError> {
        if campaign_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let link_campaign = Alias::new("link_campaign_id");
        let link_rank = Alias::new("link_rank");
        let mut condition = Condition::all()
            .add(
                Expr::col((campaign_asset::Entity, campaign_asset::Column::CampaignId))
                    .is_in(campaign_ids.iter().copied()),
            )
            .add(links_in_scope(scope))
            .add(campaign_filter(filter));
        if let Some(after) = page.after {
            condition =
                condition.add(Expr::col((media_asset::Entity, media_asset::Column::Id)).gt(after));
        }
        // One page per campaign in one statement: number each campaign's
        // assets in id order and keep the first `fetch_limit` of each.
        let ranked = Query::select()
            .columns(media_asset::Column::iter().map(|c| (media_asset::Entity, c)))
            .expr_as(
                Expr::col((campaign_asset::Entity, campaign_asset::Column::CampaignId)),
                link_campaign.clone(),
            )
            .expr_window_as(
                Expr::cust("ROW_NUMBER()"),
                WindowStatement::partition_by((
                    campaign_asset::Entity,
                    campaign_asset::Column::CampaignId,
                ))
                .order_by((media_asset::Entity, media_asset::Column::Id), Order::Asc)
                .to_owned(),
                link_rank.clone(),
            )
            .from(media_asset::Entity)
            .inner_join(
                campaign_asset::Entity,
                Condition::all()
                    .add(
                        Expr::col((campaign_asset::Entity, campaign_asset::Column::AssetId))
                            .equals((media_asset::Entity, media_asset::Column::Id)),
                    )
                    .add(
                        Expr::col((
                            campaign_asset::Entity,
                            campaign_asset::Column::OrganizationId,
                        ))
                        .equals((media_asset::Entity, media_asset::Column::OrganizationId)),
                    ),
            )
            .cond_where(condition)
            .to_owned();
        let limit = i64::try_from(page.fetch_limit()).unwrap_or(i64::MAX);
        let select = Query::select()
            .column(Asterisk)
            .from_subquery(ranked, Alias::new("ranked"))
            .and_where(Expr::col(link_rank).lte(limit))
            .order_by(link_campaign.clone(), Order::Asc)
            .order_by(media_asset::Column::Id, Order::Asc)
            .to_owned();
        let backend = self.db.get_database_backend();
        let rows = self.db.query_all(backend.build(&select)).await?;
        let mut grouped: HashMap<Uuid, Vec<MediaAsset>> = HashMap::new();
        for row in rows {
            let campaign_id: Uuid = row.try_get("", "link_campaign_id")?;
            let asset = media_asset::Model::from_query_result(&row, "")?.into_domain()?;
            grouped.entry(campaign_id).or_default().push(asset);
        }
        Ok(grouped
            .into_iter()
            .map(|(campaign_id, rows)| (campaign_id, Page::from_rows(rows, page)))
            .collect())
    }

    async fn campaign_asset_counts(
        &self,
        scope: TenantScope,
        campaign_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, u64>, StoreError> {
        if campaign_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let select = Query::select()
            .column(campaign_asset::Column::CampaignId)
            .expr_as(
                Expr::col(campaign_asset::Column::AssetId).count(),
                Alias::new("asset_count"),
            )
            .from(campaign_asset::Entity)
            .and_where(
                Expr::col((campaign_asset::Entity, campaign_asset::Column::CampaignId))
                    .is_in(campaign_ids.iter().copied()),
            )
            .cond_where(links_in_scope(scope))
            .group_by_col(campaign_asset::Column::CampaignId)
            .to_owned();
        let backend = self.db.get_database_backend();
        let rows = self.db.query_all(backend.build(&select)).await?;
        let mut counts = HashMap::with_capacity(rows.len());
        for row in rows {
            let campaign_id: Uuid = row.try_get("", "campaign_id")?;
            let count: i64 = row.try_get("", "asset_count")?;
            counts.insert(campaign_id, u64::try_from(count).unwrap_or(0));
        }
        Ok(counts)
    }

    async fn campaigns_of_assets(
        &self,
        scope: TenantScope,
        asset_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<Uuid>>, StoreError> {
        if asset_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let links = campaign_asset::Entity::find()
            .filter(campaign_asset::Column::AssetId.is_in(asset_ids.iter().copied()))
            .filter(in_scope(campaign_asset::Column::OrganizationId, scope))
            .order_by_asc(campaign_asset::Column::AssetId)
            .order_by_asc(campaign_asset::Column::CampaignId)
            .all(&self.db)
            .await?;
        let mut campaigns: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for link in links {
            campaigns
                .entry(link.asset_id)
                .or_default()
                .push(link.campaign_id);
        }
        Ok(campaigns)
    }

    async fn search_candidates(
        &self,
        scope: TenantScope,
        terms: &[String],
        kind: Option<AssetKind>,
        limit: u64,
    ) -> Result<Vec<MediaAsset>, StoreError> {
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let mut condition = in_scope(media_asset::Column::OrganizationId, scope);
        if let Some(kind) = kind {
            condition = condition.add(media_asset::Column::Kind.eq(kind.as_str()));
        }
        let any_term = terms
            .iter()
            .fold(Condition::any(), |any, term| any.add(mentions(term)));
        let rows = media_asset::Entity::find()
            .filter(condition.add(any_term))
            .order_by_desc(media_asset::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        into_domain(rows)
    }

    async fn update_asset(
        &self,
        scope: TenantScope,
        expected: Revision,
        next: &MediaAsset,
    ) -> Result<Option<MediaAsset>, StoreError> {
        let at = now();
        let mut row = media_asset::active_model(next)?;
        // Identity, tenant and birth never change.
        row.id = NotSet;
        row.organization_id = NotSet;
        row.created_at = NotSet;
        row.updated_at = Set(at);
        let result = media_asset::Entity::update_many()
            .set(row)
            .filter(media_asset::Column::Id.eq(next.id))
            .filter(in_scope(media_asset::Column::OrganizationId, scope))
            .filter(media_asset::Column::Version.eq(expected.version))
            .filter(media_asset::Column::ReviewStatus.eq(expected.review_status.as_str()))
            .exec(&self.db)
            .await?;
        if result.rows_affected == 0 {
            return Ok(None);
        }
        Ok(Some(MediaAsset {
            updated_at: at,
            ..next.clone()
        }))
    }
}
