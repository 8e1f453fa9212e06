//! Products (and the campaign -> product links) in the sea-orm store.

use promptsales_kit::context::TenantScope;
use promptsales_kit::{Decimal4, StoreError, new_id};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entity::{campaign_product, product};
use super::errors::{corrupt, in_scope, write_error};
use crate::domain;
use crate::store::{NewProduct, Product, WriteError};

fn from_model(m: product::Model) -> Product {
    Product {
        id: m.id,
        organization_id: m.organization_id,
        name: m.name,
        description: m.description,
        price: Decimal4(m.price),
        currency: m.currency,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

pub(super) async fn insert(
    db: &impl ConnectionTrait,
    new: NewProduct,
) -> Result<Product, WriteError> {
    let now = domain::now();
    let id = new.id.unwrap_or_else(new_id);
    let row = product::Model {
        id,
        organization_id: new.organization_id,
        name: new.name,
        description: new.description,
        price: new.price.raw(),
        currency: new.currency,
        created_at: now,
        updated_at: now,
    };
    product::Entity::insert(product::ActiveModel::from(row.clone()))
        .exec_without_returning(db)
        .await
        .map_err(|e| {
            write_error(
                e,
                &format!("a product with id {id} already exists"),
                &format!("organization {} does not exist", row.organization_id),
            )
        })?;
    Ok(from_model(row))
}

pub(super) async fn by_ids(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    ids: &[Uuid],
) -> Result<Vec<Product>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = product::Entity::find()
        .filter(product::Column::Id.is_in(ids.iter().copied()))
        .filter(in_scope(product::Column::OrganizationId, scope))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(from_model).collect())
}

pub(super) async fn by_organizations(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    organization_ids: &[Uuid],
) -> Result<Vec<Product>, StoreError> {
    if organization_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = product::Entity::find()
        .filter(product::Column::OrganizationId.is_in(organization_ids.iter().copied()))
        .filter(in_scope(product::Column::OrganizationId, scope))
        .order_by_asc(product::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(from_model).collect())
}

pub(super) async fn by_campaigns(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    campaign_ids: &[Uuid],
) -> Result<Vec<(Uuid, Product)>, StoreError> {
    if campaign_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = campaign_product::Entity::find()
        .find_also_related(product::Entity)
        .filter(campaign_product::Column::CampaignId.is_in(campaign_ids.iter().copied()))
        .filter(in_scope(campaign_product::Column::OrganizationId, scope))
        .order_by_asc(campaign_product::Column::Id)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(link, product)| {
            let product = product
                .ok_or_else(|| corrupt("campaign_products", link.id, "names a missing product"))?;
            Ok((link.campaign_id, from_model(product)))
        })
        .collect()
}
