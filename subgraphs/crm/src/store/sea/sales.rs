//! The `sales` table.

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Decimal4, Money, StoreError};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Alias, Func, SimpleExpr};
use sea_orm::{ConnectionTrait, FromQueryResult, QueryOrder, QuerySelect, Set};

use super::errors::{Violation, violation};
use super::{in_scope, leads};
use crate::domain;
use crate::store::{CampaignSales, InsertError, NewSale, Sale};

/// A `sales` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sales")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub customer_id: Uuid,
    pub lead_id: Option<Uuid>,
    pub campaign_id: Uuid,
    pub product_id: Option<Uuid>,
    pub amount: i64,
    pub currency: String,
    pub closed_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

pub(super) fn to_domain(row: Model) -> Sale {
    Sale {
        id: row.id,
        organization_id: row.organization_id,
        customer_id: row.customer_id,
        lead_id: row.lead_id,
        campaign_id: row.campaign_id,
        product_id: row.product_id,
        amount: Decimal4(row.amount),
        currency: row.currency,
        closed_at: row.closed_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

pub(super) async fn by_ids(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    ids: &[Uuid],
) -> Result<Vec<Sale>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .filter(in_scope(scope, Column::OrganizationId))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(to_domain).collect())
}

#[derive(Debug, FromQueryResult)]
struct RevenueRow {
    campaign_id: Uuid,
    currency: String,
    total: i64,
    sales: i64,
}

pub(super) async fn of_campaigns(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    campaign_ids: &[Uuid],
) -> Result<HashMap<Uuid, CampaignSales>, StoreError> {
    if campaign_ids.is_empty() {
        return Ok(HashMap::new());
    }
    // PostgreSQL sums BIGINT into NUMERIC; the cast keeps an exact integer of ten-thousandths everywhere.
    let total = SimpleExpr::from(Func::cast_as(
        Func::sum(Expr::col(Column::Amount)),
        Alias::new("BIGINT"),
    ));
    let rows = Entity::find()
        .select_only()
        .column(Column::CampaignId)
        .column(Column::Currency)
        .column_as(total, "total")
        .column_as(Column::Id.count(), "sales")
        .filter(Column::CampaignId.is_in(campaign_ids.iter().copied()))
        .filter(in_scope(scope, Column::OrganizationId))
        .group_by(Column::CampaignId)
        .group_by(Column::Currency)
        .order_by_asc(Column::Currency)
        .into_model::<RevenueRow>()
        .all(db)
        .await?;
    let mut by_campaign: HashMap<Uuid, CampaignSales> = HashMap::new();
    for row in rows {
        let entry = by_campaign.entry(row.campaign_id).or_default();
        entry.revenue.push(Money {
            amount: Decimal4(row.total),
            currency: row.currency,
        });
        entry.count += row.sales;
    }
    Ok(by_campaign)
}

pub(super) async fn insert(
    db: &impl ConnectionTrait,
    new: NewSale,
    now: DateTime<Utc>,
) -> Result<Sale, InsertError> {
    domain::sale::validate(&new, now)?;
    // Stores keep microseconds: what is returned is what a later read gives.
    let new = NewSale {
        closed_at: new.closed_at.trunc_subsecs(6),
        ..new
    };
    if let Some(lead_id) = new.lead_id {
        // Leads never change customer or campaign, so this read cannot go stale before the insert.
        let lead = leads::in_organization(db, new.organization_id, lead_id)
            .await?
            .ok_or(InsertError::NotFound {
                entity: "Lead",
                id: lead_id,
            })?;
        domain::sale::check_lead(&new, &lead)?;
    }
    let id = new.id.unwrap_or_else(promptsales_kit::new_id);
    let row = ActiveModel {
        id: Set(id),
        organization_id: Set(new.organization_id),
        customer_id: Set(new.customer_id),
        lead_id: Set(new.lead_id),
        campaign_id: Set(new.campaign_id),
        product_id: Set(new.product_id),
        amount: Set(new.amount.raw()),
        currency: Set(new.currency.clone()),
        closed_at: Set(new.closed_at),
        created_at: Set(now),
        updated_at: Set(now),
    };
    if let Err(err) = Entity::insert(row).exec_without_returning(db).await {
        return Err(match violation(err) {
            Ok(Violation::Unique(_)) => InsertError::Conflict(format!("sale {id} already exists")),
            // The lead was found above, so the customer is what the organization lacks.
            Ok(Violation::ForeignKey) => InsertError::NotFound {
                entity: "Customer",
                id: new.customer_id,
            },
            Err(err) => InsertError::Store(err.into()),
        });
    }
    Ok(Sale {
        id,
        organization_id: new.organization_id,
        customer_id: new.customer_id,
        lead_id: new.lead_id,
        campaign_id: new.campaign_id,
        product_id: new.product_id,
        amount: new.amount,
        currency: new.currency,
        closed_at: new.closed_at,
        created_at: now,
        updated_at: now,
    })
}
