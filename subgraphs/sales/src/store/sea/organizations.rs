//! Organizations in the sea-orm store.

use promptsales_kit::context::TenantScope;
use promptsales_kit::{Decimal4, Page, PageRequest, StoreError, new_id};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::entity::organization;
use super::errors::{in_scope, write_error};
use crate::domain;
use crate::store::{NewOrganization, Organization, WriteError};

fn from_model(m: organization::Model) -> Organization {
    Organization {
        id: m.id,
        name: m.name,
        industry: m.industry,
        country: m.country,
        sales_goal: Decimal4(m.sales_goal),
        budget: Decimal4(m.budget),
        currency: m.currency,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

pub(super) async fn insert(
    db: &impl ConnectionTrait,
    new: NewOrganization,
) -> Result<Organization, WriteError> {
    let now = domain::now();
    let id = new.id.unwrap_or_else(new_id);
    let row = organization::Model {
        id,
        organization_id: id,
        name: new.name,
        industry: new.industry,
        country: new.country,
        sales_goal: new.sales_goal.raw(),
        budget: new.budget.raw(),
        currency: new.currency,
        created_at: now,
        updated_at: now,
    };
    organization::Entity::insert(organization::ActiveModel::from(row.clone()))
        .exec_without_returning(db)
        .await
        .map_err(|e| {
            write_error(
                e,
                &format!("an organization with id {id} already exists"),
                "invalid reference",
            )
        })?;
    Ok(from_model(row))
}

pub(super) async fn update(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    org: Organization,
) -> Result<Organization, WriteError> {
    let now = domain::now();
    let changes = organization::ActiveModel {
        id: NotSet,
        organization_id: NotSet,
        name: Set(org.name.clone()),
        industry: Set(org.industry.clone()),
        country: Set(org.country.clone()),
        sales_goal: Set(org.sales_goal.raw()),
        budget: Set(org.budget.raw()),
        currency: Set(org.currency.clone()),
        created_at: NotSet,
        updated_at: Set(now),
    };
    let result = organization::Entity::update_many()
        .set(changes)
        .filter(organization::Column::Id.eq(org.id))
        .filter(organization::Column::UpdatedAt.eq(org.updated_at))
        .filter(in_scope(organization::Column::OrganizationId, scope))
        .exec(db)
        .await
        .map_err(|e| write_error(e, "conflicting organization", "invalid reference"))?;
    if result.rows_affected == 0 {
        // Absent and changed-meanwhile look alike to the UPDATE; one more read tells them apart.
        return Err(if by_ids(db, scope, &[org.id]).await?.is_empty() {
            WriteError::NotFound {
                entity: "Organization",
                id: org.id,
            }
        } else {
            WriteError::Conflict(format!(
                "organization {} was changed by someone else meanwhile; read it again and retry",
                org.id
            ))
        });
    }
    Ok(Organization {
        updated_at: now,
        ..org
    })
}

pub(super) async fn by_ids(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    ids: &[Uuid],
) -> Result<Vec<Organization>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids.iter().copied()))
        .filter(in_scope(organization::Column::OrganizationId, scope))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(from_model).collect())
}

pub(super) async fn list(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    page: PageRequest,
) -> Result<Page<Organization>, StoreError> {
    let mut query =
        organization::Entity::find().filter(in_scope(organization::Column::OrganizationId, scope));
    if let Some(after) = page.after {
        query = query.filter(organization::Column::Id.gt(after));
    }
    let rows = query
        .order_by_asc(organization::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, &page).map(from_model))
}
