//! Campaigns, their objectives and product links in the sea-orm store.

use promptsales_kit::StrEnum;
use std::collections::HashMap;

use promptsales_kit::context::TenantScope;
use promptsales_kit::{Decimal4, Page, PageRequest, StoreError, new_id};
use sea_orm::sea_query::{Alias, Asterisk, Expr, Func, LikeExpr, Order, Query, WindowStatement};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, TransactionTrait,
};
use uuid::Uuid;

use super::entity::{campaign, campaign_product, objective};
use super::errors::{corrupt, in_scope, write_error};
use crate::domain;
use crate::domain::campaign::{Budget, CampaignStatus};
use crate::domain::objective::ObjectiveKind;
use crate::store::{
    Campaign, CampaignFilter, CampaignObjective, CampaignUpdate, NewCampaign, NewObjective,
    WriteError,
};

pub(super) fn from_model(m: campaign::Model) -> Result<Campaign, StoreError> {
    let status = CampaignStatus::parse(&m.status)
        .ok_or_else(|| corrupt("campaigns", m.id, format!("unknown status {:?}", m.status)))?;
    let target_countries: Vec<String> = serde_json::from_str(&m.target_countries).map_err(|e| {
        corrupt(
            "campaigns",
            m.id,
            format!("target_countries is not a JSON list of strings: {e}"),
        )
    })?;
    Ok(Campaign {
        id: m.id,
        organization_id: m.organization_id,
        owner_id: m.owner_id,
        name: m.name,
        description: m.description,
        key_message: m.key_message,
        intent: m.intent,
        status,
        budget: Budget {
            total: Decimal4(m.budget_total),
            spent: Decimal4(m.budget_spent),
        },
        currency: m.currency,
        start_date: m.start_date,
        end_date: m.end_date,
        industry: m.industry,
        target_countries,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn objective_from_model(m: objective::Model) -> Result<CampaignObjective, StoreError> {
    let kind = ObjectiveKind::parse(&m.kind).ok_or_else(|| {
        corrupt(
            "campaign_objectives",
            m.id,
            format!("unknown kind {:?}", m.kind),
        )
    })?;
    Ok(CampaignObjective {
        id: m.id,
        organization_id: m.organization_id,
        campaign_id: m.campaign_id,
        position: m.position,
        kind,
        metric: m.metric,
        target: Decimal4(m.target),
        current: Decimal4(m.current),
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn countries_json(countries: &[String]) -> String {
    // A list of strings always serialises; the fallback only keeps this total.
    serde_json::to_string(countries).unwrap_or_else(|_| "[]".to_string())
}

fn objective_rows(
    organization_id: Uuid,
    campaign_id: Uuid,
    objectives: Vec<NewObjective>,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<objective::ActiveModel> {
    objectives
        .into_iter()
        .enumerate()
        .map(|(position, o)| {
            objective::ActiveModel::from(objective::Model {
                id: o.id.unwrap_or_else(new_id),
                organization_id,
                campaign_id,
                position: i32::try_from(position).unwrap_or(i32::MAX),
                kind: o.kind.as_str().to_string(),
                metric: o.metric,
                target: o.target.raw(),
                current: o.current.raw(),
                created_at: now,
                updated_at: now,
            })
        })
        .collect()
}

fn product_rows(
    organization_id: Uuid,
    campaign_id: Uuid,
    product_ids: &[Uuid],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<campaign_product::ActiveModel> {
    product_ids
        .iter()
        .map(|&product_id| {
            campaign_product::ActiveModel::from(campaign_product::Model {
                id: new_id(),
                organization_id,
                campaign_id,
                product_id,
                created_at: now,
                updated_at: now,
            })
        })
        .collect()
}

async fn write_children(
    txn: &impl ConnectionTrait,
    objectives: Vec<objective::ActiveModel>,
    products: Vec<campaign_product::ActiveModel>,
) -> Result<(), DbErr> {
    if !objectives.is_empty() {
        objective::Entity::insert_many(objectives)
            .exec_without_returning(txn)
            .await?;
    }
    if !products.is_empty() {
        campaign_product::Entity::insert_many(products)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

const REFERENCE: &str =
    "the organization, owner or a product does not exist in the campaign's organization";

pub(super) async fn insert(
    db: &(impl ConnectionTrait + TransactionTrait),
    new: NewCampaign,
) -> Result<Campaign, WriteError> {
    let now = domain::now();
    let id = new.id.unwrap_or_else(new_id);
    let row = campaign::Model {
        id,
        organization_id: new.organization_id,
        owner_id: new.owner_id,
        name: new.name,
        description: new.description,
        key_message: new.key_message,
        intent: new.intent,
        status: new.status.as_str().to_string(),
        budget_total: new.budget.total.raw(),
        budget_spent: new.budget.spent.raw(),
        currency: new.currency,
        start_date: new.start_date,
        end_date: new.end_date,
        industry: new.industry,
        target_countries: countries_json(&new.target_countries),
        created_at: now,
        updated_at: now,
    };
    let objectives = objective_rows(new.organization_id, id, new.objectives, now);
    let products = product_rows(new.organization_id, id, &new.product_ids, now);
    let unique = format!("a campaign (or one of its objectives) with id {id} already exists");
    let txn = db.begin().await.map_err(StoreError::from)?;
    let written = async {
        campaign::Entity::insert(campaign::ActiveModel::from(row.clone()))
            .exec_without_returning(&txn)
            .await?;
        write_children(&txn, objectives, products).await
    }
    .await;
    match written {
        Ok(()) => txn.commit().await.map_err(StoreError::from)?,
        Err(e) => {
            // Dropping the transaction rolls back too; an explicit rollback frees the connection sooner.
            if let Err(rollback) = txn.rollback().await {
                tracing::warn!(error = %rollback, "rollback of a failed campaign insert failed");
            }
            return Err(write_error(e, &unique, REFERENCE));
        }
    }
    Ok(from_model(row)?)
}

pub(super) async fn update(
    db: &(impl ConnectionTrait + TransactionTrait),
    scope: TenantScope,
    update: CampaignUpdate,
) -> Result<Campaign, WriteError> {
    let now = domain::now();
    let c = update.campaign;
    let changes = campaign::ActiveModel {
        id: NotSet,
        organization_id: NotSet,
        owner_id: Set(c.owner_id),
        name: Set(c.name.clone()),
        description: Set(c.description.clone()),
        key_message: Set(c.key_message.clone()),
        intent: Set(c.intent.clone()),
        // Status moves only through the approval workflow, never through an update.
        status: NotSet,
        budget_total: Set(c.budget.total.raw()),
        budget_spent: Set(c.budget.spent.raw()),
        currency: Set(c.currency.clone()),
        start_date: Set(c.start_date),
        end_date: Set(c.end_date),
        industry: Set(c.industry.clone()),
        target_countries: Set(countries_json(&c.target_countries)),
        created_at: NotSet,
        updated_at: Set(now),
    };
    let txn = db.begin().await.map_err(StoreError::from)?;
    let written = async {
        let result = campaign::Entity::update_many()
            .set(changes)
            .filter(campaign::Column::Id.eq(c.id))
            .filter(campaign::Column::OrganizationId.eq(c.organization_id))
            .filter(campaign::Column::UpdatedAt.eq(c.updated_at))
            .filter(in_scope(campaign::Column::OrganizationId, scope))
            .exec(&txn)
            .await?;
        if result.rows_affected == 0 {
            return Ok(false);
        }
        if let Some(product_ids) = &update.product_ids {
            campaign_product::Entity::delete_many()
                .filter(campaign_product::Column::CampaignId.eq(c.id))
                .exec(&txn)
                .await?;
            write_children(
                &txn,
                Vec::new(),
                product_rows(c.organization_id, c.id, product_ids, now),
            )
            .await?;
        }
        if let Some(objectives) = update.objectives {
            objective::Entity::delete_many()
                .filter(objective::Column::CampaignId.eq(c.id))
                .exec(&txn)
                .await?;
            write_children(
                &txn,
                objective_rows(c.organization_id, c.id, objectives, now),
                Vec::new(),
            )
            .await?;
        }
        Ok(true)
    }
    .await;
    let outcome = match written {
        Ok(true) => {
            txn.commit().await.map_err(StoreError::from)?;
            return Ok(Campaign {
                updated_at: now,
                ..c
            });
        }
        Ok(false) => None,
        Err(e) => Some(e),
    };
    if let Err(rollback) = txn.rollback().await {
        tracing::warn!(error = %rollback, "rollback of a failed campaign update failed");
    }
    match outcome {
        Some(e) => Err(write_error(e, "an objective id is already used", REFERENCE)),
        // Absent and changed-meanwhile look alike to the UPDATE; one more read tells them apart.
        None if by_ids(db, scope, &[c.id]).await?.is_empty() => Err(WriteError::NotFound {
            entity: "Campaign",
            id: c.id,
        }),
        None => Err(WriteError::Conflict(format!(
            "campaign {} was changed by someone else meanwhile; read it again and retry",
            c.id
        ))),
    }
}

pub(super) async fn by_ids(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    ids: &[Uuid],
) -> Result<Vec<Campaign>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    campaign::Entity::find()
        .filter(campaign::Column::Id.is_in(ids.iter().copied()))
        .filter(in_scope(campaign::Column::OrganizationId, scope))
        .all(db)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}

/// The WHERE clause of a listing: scope, filter and the keyset cursor.
fn listing_condition(scope: TenantScope, filter: &CampaignFilter, page: &PageRequest) -> Condition {
    let mut condition = in_scope(campaign::Column::OrganizationId, scope);
    if let Some(organization) = filter.organization_id {
        condition = condition.add(campaign::Column::OrganizationId.eq(organization));
    }
    if !filter.statuses.is_empty() {
        condition = condition
            .add(campaign::Column::Status.is_in(filter.statuses.iter().map(|s| s.as_str())));
    }
    if let Some(search) = &filter.search {
        // LIKE wildcards in the search text are literal characters to the user.
        let escaped = search
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = LikeExpr::new(format!("%{escaped}%")).escape('\\');
        condition =
            condition.add(Expr::expr(Func::lower(Expr::col(campaign::Column::Name))).like(pattern));
    }
    if let Some(day) = filter.starts_after {
        condition = condition.add(campaign::Column::StartDate.gte(day));
    }
    if let Some(day) = filter.ends_before {
        condition = condition.add(campaign::Column::EndDate.lte(day));
    }
    if let Some(after) = page.after {
        condition = condition.add(campaign::Column::Id.gt(after));
    }
    condition
}

pub(super) async fn list(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    filter: &CampaignFilter,
    page: PageRequest,
) -> Result<Page<Campaign>, StoreError> {
    let rows = campaign::Entity::find()
        .filter(listing_condition(scope, filter, &page))
        .order_by_asc(campaign::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?;
    let campaigns = rows
        .into_iter()
        .map(from_model)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(campaigns, &page))
}

/// One page per organization in a single statement: `ROW_NUMBER()` over each
/// organization's campaigns (both SQLite >= 3.25 and PostgreSQL have it).
pub(super) async fn list_per_organization(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    organization_ids: &[Uuid],
    filter: &CampaignFilter,
    page: PageRequest,
) -> Result<HashMap<Uuid, Page<Campaign>>, StoreError> {
    if organization_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rank = Alias::new("rank_in_organization");
    let mut inner = campaign::Entity::find()
        .filter(listing_condition(scope, filter, &page))
        .filter(campaign::Column::OrganizationId.is_in(organization_ids.iter().copied()))
        .into_query();
    inner.expr_window_as(
        Expr::cust("ROW_NUMBER()"),
        WindowStatement::partition_by(campaign::Column::OrganizationId)
            .order_by(campaign::Column::Id, Order::Asc)
            .to_owned(),
        rank.clone(),
    );
    let limit = i64::try_from(page.fetch_limit()).unwrap_or(i64::MAX);
    let outer = Query::select()
        .column(Asterisk)
        .from_subquery(inner, Alias::new("ranked"))
        .and_where(Expr::col(rank).lte(limit))
        .order_by(campaign::Column::OrganizationId, Order::Asc)
        .order_by(campaign::Column::Id, Order::Asc)
        .to_owned();
    let statement = db.get_database_backend().build(&outer);
    let rows = campaign::Model::find_by_statement(statement)
        .all(db)
        .await?;
    let mut grouped: HashMap<Uuid, Vec<Campaign>> = HashMap::new();
    for row in rows {
        let campaign = from_model(row)?;
        grouped
            .entry(campaign.organization_id)
            .or_default()
            .push(campaign);
    }
    Ok(grouped
        .into_iter()
        .map(|(organization, rows)| (organization, Page::from_rows(rows, &page)))
        .collect())
}

pub(super) async fn objectives(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    campaign_ids: &[Uuid],
) -> Result<Vec<CampaignObjective>, StoreError> {
    if campaign_ids.is_empty() {
        return Ok(Vec::new());
    }
    objective::Entity::find()
        .filter(objective::Column::CampaignId.is_in(campaign_ids.iter().copied()))
        .filter(in_scope(objective::Column::OrganizationId, scope))
        .order_by_asc(objective::Column::CampaignId)
        .order_by_asc(objective::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(objective_from_model)
        .collect()
}
