//! Analytics over leads and sales: window-function rankings, revenue per channel, ETL totals.

use promptsales_kit::StrEnum;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::context::TenantScope;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Alias, Func, SimpleExpr};
use sea_orm::{ConnectionTrait, FromQueryResult, QuerySelect, Statement, Value};

use super::{in_scope, leads, sales};
use crate::store::types::money;
use crate::store::{CampaignConversion, CampaignTotals, ChannelRevenue, LeadSource};

/// `WHERE` clause and values for an optional organization filter on `column`.
fn scope_sql(scope: TenantScope, column: &str) -> (String, Vec<Value>) {
    match scope.organization() {
        Some(org) => (format!("WHERE {column} = $1"), vec![org.into()]),
        None => (String::new(), Vec::new()),
    }
}

#[derive(Debug, FromQueryResult)]
struct RankRow {
    organization_id: Uuid,
    campaign_id: Uuid,
    leads: i64,
    won: i64,
    lost: i64,
    conversion_rate: f64,
    conversion_rank: i64,
}

/// Campaigns ranked by conversion within each organization: `RANK() OVER (PARTITION BY organization_id ...)`.
pub(super) async fn conversion_ranking(
    db: &impl ConnectionTrait,
    scope: TenantScope,
) -> Result<Vec<CampaignConversion>, StoreError> {
    let (filter, values) = scope_sql(scope, "organization_id");
    let sql = format!(
        "SELECT organization_id, campaign_id, leads, won, lost, conversion_rate, \
           CAST(RANK() OVER (PARTITION BY organization_id ORDER BY conversion_rate DESC) AS BIGINT) AS conversion_rank \
         FROM ( \
           SELECT organization_id, campaign_id, COUNT(*) AS leads, \
             CAST(SUM(CASE WHEN stage = 'WON' THEN 1 ELSE 0 END) AS BIGINT) AS won, \
             CAST(SUM(CASE WHEN stage = 'LOST' THEN 1 ELSE 0 END) AS BIGINT) AS lost, \
             CAST(SUM(CASE WHEN stage = 'WON' THEN 1 ELSE 0 END) AS DOUBLE PRECISION) / COUNT(*) AS conversion_rate \
           FROM leads {filter} GROUP BY organization_id, campaign_id \
         ) per_campaign \
         ORDER BY organization_id, conversion_rank, campaign_id"
    );
    let rows = RankRow::find_by_statement(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        values,
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CampaignConversion {
            organization_id: r.organization_id,
            campaign_id: r.campaign_id,
            leads: r.leads,
            won: r.won,
            lost: r.lost,
            conversion_rate: r.conversion_rate,
            rank: r.conversion_rank,
        })
        .collect())
}

#[derive(Debug, FromQueryResult)]
struct ChannelRow {
    source: Option<String>,
    currency: String,
    total: i64,
    sales: i64,
}

/// Revenue per source channel of the sales' leads (sales without a lead: no channel).
pub(super) async fn revenue_by_channel(
    db: &impl ConnectionTrait,
    scope: TenantScope,
) -> Result<Vec<ChannelRevenue>, StoreError> {
    let (filter, values) = scope_sql(scope, "s.organization_id");
    let sql = format!(
        "SELECT l.source AS source, s.currency AS currency, CAST(SUM(s.amount) AS BIGINT) AS total, \
           COUNT(s.id) AS sales \
         FROM sales s LEFT JOIN leads l ON l.id = s.lead_id AND l.organization_id = s.organization_id \
         {filter} GROUP BY l.source, s.currency ORDER BY currency, total DESC, source"
    );
    let rows = ChannelRow::find_by_statement(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        values,
    ))
    .all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            let source = r
                .source
                .as_deref()
                .map(|s| {
                    LeadSource::parse(s)
                        .ok_or_else(|| StoreError::Corrupt(format!("lead source {s:?}")))
                })
                .transpose()?;
            Ok(ChannelRevenue {
                source,
                revenue: money(r.total, r.currency),
                sales: r.sales,
            })
        })
        .collect()
}

#[derive(Debug, FromQueryResult)]
struct ChangedRow {
    organization_id: Uuid,
    campaign_id: Uuid,
    updated_at: DateTime<Utc>,
}

#[derive(Debug, FromQueryResult)]
struct LeadCountRow {
    campaign_id: Uuid,
    leads: i64,
    qualified: i64,
    won: i64,
    lost: i64,
    customers: i64,
}

#[derive(Debug, FromQueryResult)]
struct SaleSumRow {
    campaign_id: Uuid,
    currency: String,
    total: i64,
    sales: i64,
}

/// Totals of campaigns whose leads or sales changed after `after`, oldest change first.
pub(super) async fn campaign_totals(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    after: Option<DateTime<Utc>>,
    limit: u64,
) -> Result<Vec<CampaignTotals>, StoreError> {
    let mut conditions = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    if let Some(org) = scope.organization() {
        values.push(org.into());
        conditions.push(format!("organization_id = ${}", values.len()));
    }
    if let Some(after) = after {
        values.push(after.into());
        conditions.push(format!("updated_at > ${}", values.len()));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let sql = format!(
        "SELECT organization_id, campaign_id, MAX(updated_at) AS updated_at FROM ( \
           SELECT organization_id, campaign_id, updated_at FROM leads {filter} \
           UNION ALL SELECT organization_id, campaign_id, updated_at FROM sales {filter} \
         ) changed GROUP BY organization_id, campaign_id \
         ORDER BY updated_at, campaign_id LIMIT {limit}"
    );
    let changed = ChangedRow::find_by_statement(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        values,
    ))
    .all(db)
    .await?;
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = changed.iter().map(|c| c.campaign_id).collect();
    let count = |stage_sql: &str| -> SimpleExpr {
        Func::cast_as(
            Func::sum(Expr::cust(format!(
                "CASE WHEN {stage_sql} THEN 1 ELSE 0 END"
            ))),
            Alias::new("BIGINT"),
        )
        .into()
    };
    let lead_counts = leads::Entity::find()
        .select_only()
        .column(leads::Column::CampaignId)
        .column_as(leads::Column::Id.count(), "leads")
        .column_as(count("stage IN ('SQL', 'OPPORTUNITY', 'WON')"), "qualified")
        .column_as(count("stage = 'WON'"), "won")
        .column_as(count("stage = 'LOST'"), "lost")
        .column_as(Expr::cust("COUNT(DISTINCT customer_id)"), "customers")
        .filter(leads::Column::CampaignId.is_in(ids.clone()))
        .filter(in_scope(scope, leads::Column::OrganizationId))
        .group_by(leads::Column::CampaignId)
        .into_model::<LeadCountRow>()
        .all(db)
        .await?;
    let sale_sums = sales::Entity::find()
        .select_only()
        .column(sales::Column::CampaignId)
        .column(sales::Column::Currency)
        .column_as(
            SimpleExpr::from(Func::cast_as(
                Func::sum(Expr::col(sales::Column::Amount)),
                Alias::new("BIGINT"),
            )),
            "total",
        )
        .column_as(sales::Column::Id.count(), "sales")
        .filter(sales::Column::CampaignId.is_in(ids))
        .filter(in_scope(scope, sales::Column::OrganizationId))
        .group_by(sales::Column::CampaignId)
        .group_by(sales::Column::Currency)
        .into_model::<SaleSumRow>()
        .all(db)
        .await?;
    let counts: HashMap<Uuid, LeadCountRow> = lead_counts
        .into_iter()
        .map(|r| (r.campaign_id, r))
        .collect();
    let mut revenue: HashMap<Uuid, (Vec<_>, i64)> = HashMap::new();
    for row in sale_sums {
        let entry = revenue.entry(row.campaign_id).or_default();
        entry.0.push(money(row.total, row.currency));
        entry.1 += row.sales;
    }
    Ok(changed
        .into_iter()
        .map(|c| {
            let n = counts.get(&c.campaign_id);
            let (mut money, sales) = revenue.remove(&c.campaign_id).unwrap_or_default();
            money.sort_by(|a, b| a.currency.cmp(&b.currency));
            CampaignTotals {
                organization_id: c.organization_id,
                campaign_id: c.campaign_id,
                leads: n.map_or(0, |n| n.leads),
                qualified: n.map_or(0, |n| n.qualified),
                won: n.map_or(0, |n| n.won),
                lost: n.map_or(0, |n| n.lost),
                customers: n.map_or(0, |n| n.customers),
                sales,
                revenue: money,
                updated_at: c.updated_at,
            }
        })
        .collect())
}
