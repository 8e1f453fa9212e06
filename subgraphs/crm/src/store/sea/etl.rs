//! What the ETL reads from the crm store: leads and sales changed since a
//! watermark, and the results of (campaign, day) keys recomputed from them.
//!
//! A lead counts on the day it was created (its current stage decides whether it
//! is qualified or won); a sale on the day it closed.

use chrono::{DateTime, NaiveDate, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::changes::{Change, ChangeWindow, KEYS_PER_STATEMENT, SqlParams, day_of};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use crate::store::CampaignDayResults;

/// Stages that count as qualified (SQL or beyond), as the crm's own totals count them.
const QUALIFIED: &str = "('SQL', 'OPPORTUNITY', 'WON')";

#[derive(Debug, FromQueryResult)]
struct Changed {
    id: Uuid,
    updated_at: DateTime<Utc>,
    organization_id: Uuid,
    campaign_id: Uuid,
    day: NaiveDate,
    currency: Option<String>,
}

/// Leads (`sales == false`) or sales changed within `window`.
pub(super) async fn changes(
    db: &impl ConnectionTrait,
    sales: bool,
    window: ChangeWindow,
) -> Result<Vec<Change>, StoreError> {
    let backend = db.get_database_backend();
    let mut p = SqlParams::new(backend);
    let (condition, order) = p.window("t", &window);
    let sql = if sales {
        format!(
            "SELECT t.id, t.updated_at, t.organization_id, t.campaign_id, {} AS day, t.currency \
             FROM sales t WHERE {condition} {order}",
            day_of(backend, "t.closed_at")
        )
    } else {
        format!(
            "SELECT t.id, t.updated_at, t.organization_id, t.campaign_id, {} AS day, \
             CAST(NULL AS TEXT) AS currency FROM leads t WHERE {condition} {order}",
            day_of(backend, "t.created_at")
        )
    };
    let rows = Changed::find_by_statement(p.statement(sql)).all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| Change {
            id: r.id,
            updated_at: r.updated_at,
            organization_id: r.organization_id,
            keys: vec![(r.campaign_id, r.day)],
            channel: None,
            currency: r.currency,
        })
        .collect())
}

#[derive(Debug, FromQueryResult)]
struct LeadCounts {
    organization_id: Uuid,
    campaign_id: Uuid,
    day: NaiveDate,
    leads: i64,
    qualified: i64,
    won: i64,
}

#[derive(Debug, FromQueryResult)]
struct SaleSums {
    organization_id: Uuid,
    campaign_id: Uuid,
    day: NaiveDate,
    currency: String,
    amount: i64,
}

pub(super) async fn campaign_day_results(
    db: &impl ConnectionTrait,
    keys: &[(Uuid, NaiveDate)],
) -> Result<Vec<CampaignDayResults>, StoreError> {
    let backend = db.get_database_backend();
    let mut out: std::collections::BTreeMap<(Uuid, NaiveDate), CampaignDayResults> =
        Default::default();
    for chunk in keys.chunks(KEYS_PER_STATEMENT) {
        let mut p = SqlParams::new(backend);
        let day = day_of(backend, "created_at");
        let keys_in = p.keys_in("campaign_id", &day, chunk);
        let sql = format!(
            "SELECT organization_id, campaign_id, {day} AS day, CAST(COUNT(*) AS BIGINT) AS leads, \
             CAST(SUM(CASE WHEN stage IN {QUALIFIED} THEN 1 ELSE 0 END) AS BIGINT) AS qualified, \
             CAST(SUM(CASE WHEN stage = 'WON' THEN 1 ELSE 0 END) AS BIGINT) AS won \
             FROM leads WHERE {keys_in} GROUP BY organization_id, campaign_id, {day}"
        );
        for r in LeadCounts::find_by_statement(p.statement(sql))
            .all(db)
            .await?
        {
            let entry = out.entry((r.campaign_id, r.day)).or_insert_with(|| {
                CampaignDayResults::empty(r.organization_id, r.campaign_id, r.day)
            });
            entry.leads = r.leads;
            entry.qualified = r.qualified;
            entry.won = r.won;
        }
        let mut p = SqlParams::new(backend);
        let day = day_of(backend, "closed_at");
        let keys_in = p.keys_in("campaign_id", &day, chunk);
        let sql = format!(
            "SELECT organization_id, campaign_id, {day} AS day, currency, \
             CAST(SUM(amount) AS BIGINT) AS amount \
             FROM sales WHERE {keys_in} GROUP BY organization_id, campaign_id, {day}, currency"
        );
        for r in SaleSums::find_by_statement(p.statement(sql))
            .all(db)
            .await?
        {
            out.entry((r.campaign_id, r.day))
                .or_insert_with(|| {
                    CampaignDayResults::empty(r.organization_id, r.campaign_id, r.day)
                })
                .revenue
                .push((r.currency, r.amount));
        }
    }
    Ok(out.into_values().collect())
}
