//! Export and erasure of one person's data (GDPR/CCPA).

use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::context::TenantScope;
use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, QueryOrder, TransactionTrait};

use super::{customers, funnel, interactions, leads, sales};
use crate::crypto::KeyRing;
use crate::store::{Lead, Sale, StageChange};

/// The raw rows held about one customer (decoded by the caller, which holds the key ring).
pub(super) struct Held {
    pub customer: customers::Model,
    pub leads: Vec<Lead>,
    pub stage_changes: Vec<StageChange>,
    pub interactions: Vec<interactions::Model>,
    pub sales: Vec<Sale>,
}

/// Everything held about customer `id` in `scope`.
pub(super) async fn held(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    id: Uuid,
) -> Result<Option<Held>, StoreError> {
    let Some(customer) = customers::by_ids(db, scope, &[id])
        .await?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let org = customer.organization_id;
    let lead_rows = leads::Entity::find()
        .filter(leads::Column::CustomerId.eq(id))
        .filter(leads::Column::OrganizationId.eq(org))
        .order_by_asc(leads::Column::Id)
        .all(db)
        .await?;
    let leads = leads::all_to_domain(lead_rows)?;
    let lead_ids: Vec<Uuid> = leads.iter().map(|l| l.id).collect();
    let mut changes = funnel::of_leads(db, TenantScope::Organization(org), &lead_ids).await?;
    let stage_changes = lead_ids
        .iter()
        .flat_map(|l| changes.remove(l).unwrap_or_default())
        .collect();
    let sales = sales::Entity::find()
        .filter(sales::Column::CustomerId.eq(id))
        .filter(sales::Column::OrganizationId.eq(org))
        .order_by_asc(sales::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(sales::to_domain)
        .collect();
    Ok(Some(Held {
        interactions: interactions::of_customer(db, org, id).await?,
        customer,
        leads,
        stage_changes,
        sales,
    }))
}

/// Erases customer `id`'s personal data in one transaction; `false` when not visible.
pub(super) async fn erase<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    scope: TenantScope,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let txn = db.begin().await?;
    // Write first (see `funnel::lock_lead`): the erasure then reads a row nobody else is changing.
    customers::Entity::update_many()
        .col_expr(
            customers::Column::UpdatedAt,
            Expr::col(customers::Column::UpdatedAt).into(),
        )
        .filter(customers::Column::Id.eq(id))
        .filter(super::in_scope(scope, customers::Column::OrganizationId))
        .exec(&txn)
        .await?;
    let Some(customer) = customers::by_ids(&txn, scope, &[id])
        .await?
        .into_iter()
        .next()
    else {
        return Ok(false);
    };
    let index = KeyRing::random_index().map_err(super::keys::key_error)?;
    customers::erase(&txn, customer.organization_id, id, index, now).await?;
    interactions::erase_summaries(&txn, customer.organization_id, id, now).await?;
    txn.commit().await?;
    tracing::info!(customer = %id, organization = %customer.organization_id, "customer's personal data erased");
    Ok(true)
}
