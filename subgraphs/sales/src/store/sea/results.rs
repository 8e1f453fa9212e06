//! The result summaries in the sea-orm store: upserts (what the ETL and the
//! demo seed write) and the aggregates the planner and the dashboards read.
//!
//! Sums are cast to BIGINT because PostgreSQL sums BIGINTs into NUMERIC.

use std::collections::HashMap;

use chrono::NaiveDate;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Decimal4, StoreError, new_id};
use sea_orm::sea_query::{Alias, Expr, OnConflict, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};
use uuid::Uuid;

use crate::domain;
use crate::domain::planner::ChannelHistory;
use crate::store::results::{
    AdsSummaryRow, CampaignTotals, ContentSummaryRow, CrmSummaryRow, Totals,
};

fn col(name: &str) -> Alias {
    Alias::new(name)
}

fn sum(column: &str) -> SimpleExpr {
    Expr::cust(format!("CAST(SUM({column}) AS BIGINT)"))
}

/// Inserts `rows` (each a list of values for `columns`) into `table`, replacing on `key` conflicts.
async fn upsert(
    db: &impl ConnectionTrait,
    table: &str,
    columns: &[&str],
    key: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), StoreError> {
    // Chunks keep each statement under SQLite's bound-parameter limit.
    for chunk in rows.chunks(200) {
        let now = domain::now();
        let mut insert = Query::insert();
        insert.into_table(col(table)).columns(
            ["id", "created_at", "updated_at"]
                .iter()
                .chain(columns)
                .map(|c| col(c)),
        );
        for row in chunk {
            let mut values: Vec<SimpleExpr> = vec![new_id().into(), now.into(), now.into()];
            values.extend(row.iter().cloned().map(SimpleExpr::from));
            insert
                .values(values)
                .map_err(|e| StoreError::Corrupt(format!("summary row: {e}")))?;
        }
        let mut update: Vec<Alias> = columns
            .iter()
            .filter(|c| !key.contains(c))
            .map(|c| col(c))
            .collect();
        update.push(col("updated_at"));
        insert.on_conflict(
            OnConflict::columns(key.iter().map(|c| col(c)))
                .update_columns(update)
                .to_owned(),
        );
        let statement = db.get_database_backend().build(&insert);
        db.execute(statement).await?;
    }
    Ok(())
}

pub(super) async fn upsert_ads(
    db: &impl ConnectionTrait,
    rows: &[AdsSummaryRow],
) -> Result<(), StoreError> {
    let values = rows
        .iter()
        .map(|r| {
            vec![
                r.organization_id.into(),
                r.campaign_id.into(),
                r.day.into(),
                r.channel.clone().into(),
                r.impressions.into(),
                r.clicks.into(),
                r.reach.into(),
                r.engagement.into(),
                r.spend.raw().into(),
                r.conversions.into(),
                r.conversion_value.raw().into(),
            ]
        })
        .collect();
    upsert(
        db,
        "ads_summary",
        &[
            "organization_id",
            "campaign_id",
            "day",
            "channel",
            "impressions",
            "clicks",
            "reach",
            "engagement",
            "spend",
            "conversions",
            "conversion_value",
        ],
        &["campaign_id", "day", "channel"],
        values,
    )
    .await
}

pub(super) async fn upsert_content(
    db: &impl ConnectionTrait,
    rows: &[ContentSummaryRow],
) -> Result<(), StoreError> {
    let values = rows
        .iter()
        .map(|r| {
            vec![
                r.organization_id.into(),
                r.campaign_id.into(),
                r.day.into(),
                r.content_type.clone().into(),
                r.total.into(),
                r.approved.into(),
                r.rejected.into(),
                r.pending.into(),
            ]
        })
        .collect();
    upsert(
        db,
        "content_summary",
        &[
            "organization_id",
            "campaign_id",
            "day",
            "content_type",
            "pieces_total",
            "pieces_approved",
            "pieces_rejected",
            "pieces_pending",
        ],
        &["campaign_id", "day", "content_type"],
        values,
    )
    .await
}

pub(super) async fn upsert_crm(
    db: &impl ConnectionTrait,
    rows: &[CrmSummaryRow],
) -> Result<(), StoreError> {
    let values = rows
        .iter()
        .map(|r| {
            vec![
                r.organization_id.into(),
                r.campaign_id.into(),
                r.day.into(),
                r.leads.into(),
                r.qualified.into(),
                r.customers.into(),
                r.revenue.raw().into(),
            ]
        })
        .collect();
    upsert(
        db,
        "crm_summary",
        &[
            "organization_id",
            "campaign_id",
            "day",
            "leads",
            "qualified",
            "customers",
            "revenue",
        ],
        &["campaign_id", "day"],
        values,
    )
    .await
}

#[derive(Debug, FromQueryResult)]
struct AdsTotals {
    campaign_id: Uuid,
    organization_id: Uuid,
    spend: Option<i64>,
    impressions: Option<i64>,
    clicks: Option<i64>,
    conversions: Option<i64>,
}

#[derive(Debug, FromQueryResult)]
struct CrmTotals {
    campaign_id: Uuid,
    organization_id: Uuid,
    leads: Option<i64>,
    customers: Option<i64>,
    revenue: Option<i64>,
}

/// Where the two aggregate queries look: some campaigns, or an organization's days.
enum Range<'a> {
    Campaigns(&'a [Uuid]),
    Organization {
        scope: TenantScope,
        organization_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    },
}

async fn totals(
    db: &impl ConnectionTrait,
    range: Range<'_>,
) -> Result<HashMap<Uuid, (Uuid, Totals)>, DbErr> {
    let restrict = |q: &mut sea_orm::sea_query::SelectStatement| match &range {
        Range::Campaigns(ids) => {
            q.and_where(Expr::col(col("campaign_id")).is_in(ids.iter().copied()));
        }
        Range::Organization {
            scope,
            organization_id,
            from,
            to,
        } => {
            q.and_where(Expr::col(col("organization_id")).eq(*organization_id))
                .and_where(Expr::col(col("day")).gte(*from))
                .and_where(Expr::col(col("day")).lte(*to));
            if let Some(own) = scope.organization() {
                q.and_where(Expr::col(col("organization_id")).eq(own));
            }
        }
    };
    let backend = db.get_database_backend();
    let mut ads = Query::select();
    ads.from(col("ads_summary"))
        .column(col("campaign_id"))
        .column(col("organization_id"))
        .expr_as(sum("spend"), col("spend"))
        .expr_as(sum("impressions"), col("impressions"))
        .expr_as(sum("clicks"), col("clicks"))
        .expr_as(sum("conversions"), col("conversions"))
        .group_by_col(col("campaign_id"))
        .group_by_col(col("organization_id"));
    restrict(&mut ads);
    let mut crm = Query::select();
    crm.from(col("crm_summary"))
        .column(col("campaign_id"))
        .column(col("organization_id"))
        .expr_as(sum("leads"), col("leads"))
        .expr_as(sum("customers"), col("customers"))
        .expr_as(sum("revenue"), col("revenue"))
        .group_by_col(col("campaign_id"))
        .group_by_col(col("organization_id"));
    restrict(&mut crm);
    let mut out: HashMap<Uuid, (Uuid, Totals)> = HashMap::new();
    for a in AdsTotals::find_by_statement(backend.build(&ads))
        .all(db)
        .await?
    {
        let t = &mut out
            .entry(a.campaign_id)
            .or_insert((a.organization_id, Totals::default()))
            .1;
        t.spend = Decimal4(a.spend.unwrap_or(0));
        t.impressions = a.impressions.unwrap_or(0);
        t.clicks = a.clicks.unwrap_or(0);
        t.conversions = a.conversions.unwrap_or(0);
    }
    for c in CrmTotals::find_by_statement(backend.build(&crm))
        .all(db)
        .await?
    {
        let t = &mut out
            .entry(c.campaign_id)
            .or_insert((c.organization_id, Totals::default()))
            .1;
        t.leads = c.leads.unwrap_or(0);
        t.customers = c.customers.unwrap_or(0);
        t.revenue = Decimal4(c.revenue.unwrap_or(0));
    }
    Ok(out)
}

pub(super) async fn refresh_performance(
    db: &impl ConnectionTrait,
    campaign_ids: &[Uuid],
) -> Result<(), StoreError> {
    if campaign_ids.is_empty() {
        return Ok(());
    }
    let all = totals(db, Range::Campaigns(campaign_ids)).await?;
    let rows = all
        .into_iter()
        .map(|(campaign, (organization, t))| {
            vec![
                organization.into(),
                campaign.into(),
                t.spend.raw().into(),
                t.impressions.into(),
                t.clicks.into(),
                t.conversions.into(),
                t.leads.into(),
                t.customers.into(),
                t.revenue.raw().into(),
            ]
        })
        .collect();
    upsert(
        db,
        "campaign_performance",
        &[
            "organization_id",
            "campaign_id",
            "spend",
            "impressions",
            "clicks",
            "conversions",
            "leads",
            "customers",
            "revenue",
        ],
        &["campaign_id"],
        rows,
    )
    .await
}

#[derive(Debug, FromQueryResult)]
struct ChannelRow {
    channel: String,
    spend: Option<i64>,
    conversions: Option<i64>,
    conversion_value: Option<i64>,
}

pub(super) async fn channel_history(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    organization_id: Uuid,
) -> Result<Vec<ChannelHistory>, StoreError> {
    let mut q = Query::select();
    q.from(col("ads_summary"))
        .column(col("channel"))
        .expr_as(sum("spend"), col("spend"))
        .expr_as(sum("conversions"), col("conversions"))
        .expr_as(sum("conversion_value"), col("conversion_value"))
        .and_where(Expr::col(col("organization_id")).eq(organization_id))
        .group_by_col(col("channel"))
        .order_by(col("channel"), sea_orm::sea_query::Order::Asc);
    if let Some(own) = scope.organization() {
        q.and_where(Expr::col(col("organization_id")).eq(own));
    }
    let rows = ChannelRow::find_by_statement(db.get_database_backend().build(&q))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| ChannelHistory {
            channel: r.channel,
            spend: Decimal4(r.spend.unwrap_or(0)),
            conversions: r.conversions.unwrap_or(0),
            revenue: Decimal4(r.conversion_value.unwrap_or(0)),
        })
        .collect())
}

pub(super) async fn campaign_totals(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    organization_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<CampaignTotals>, StoreError> {
    let all = totals(
        db,
        Range::Organization {
            scope,
            organization_id,
            from,
            to,
        },
    )
    .await?;
    let mut out: Vec<CampaignTotals> = all
        .into_iter()
        .map(|(campaign_id, (_, totals))| CampaignTotals {
            campaign_id,
            totals,
        })
        .collect();
    out.sort_by_key(|c| c.campaign_id);
    Ok(out)
}

pub(super) async fn refresh_dashboard_totals(db: &impl ConnectionTrait) -> Result<(), StoreError> {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_unprepared("REFRESH MATERIALIZED VIEW CONCURRENTLY dashboard_totals")
            .await?;
    }
    Ok(())
}

#[derive(Debug, FromQueryResult)]
struct PerformanceRow {
    campaign_id: Uuid,
    spend: i64,
    impressions: i64,
    clicks: i64,
    conversions: i64,
    leads: i64,
    customers: i64,
    revenue: i64,
}

pub(super) async fn performance_of(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    campaign_ids: &[Uuid],
) -> Result<HashMap<Uuid, Totals>, StoreError> {
    if campaign_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut q = Query::select();
    q.from(col("campaign_performance"))
        .columns(
            [
                "campaign_id",
                "spend",
                "impressions",
                "clicks",
                "conversions",
                "leads",
                "customers",
                "revenue",
            ]
            .map(col),
        )
        .and_where(Expr::col(col("campaign_id")).is_in(campaign_ids.iter().copied()));
    if let Some(own) = scope.organization() {
        q.and_where(Expr::col(col("organization_id")).eq(own));
    }
    let rows = PerformanceRow::find_by_statement(db.get_database_backend().build(&q))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.campaign_id,
                Totals {
                    spend: Decimal4(r.spend),
                    impressions: r.impressions,
                    clicks: r.clicks,
                    conversions: r.conversions,
                    leads: r.leads,
                    customers: r.customers,
                    revenue: Decimal4(r.revenue),
                },
            )
        })
        .collect())
}
