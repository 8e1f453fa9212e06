//! The ETL's writes in sales (see `store::etl`): one transaction per page.
//!
//! On PostgreSQL every commit first takes a transaction-scoped advisory lock, so
//! commits of different source groups that touch the same campaigns queue rather
//! than deadlock; on SQLite writers are serialised anyway.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use promptsales_kit::changes::{KEYS_PER_STATEMENT, SqlParams, Watermark};
use promptsales_kit::{Decimal4, StoreError};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, FromQueryResult, TransactionTrait,
};
use uuid::Uuid;

use super::results;
use crate::domain;
use crate::store::etl::{
    CommitOutcome, Committed, EtlCampaign, EtlCommit, EtlRun, EtlSourceStatus, FailedRow, Lease,
    SummarySnapshot,
};
use crate::store::results::{AdsSummaryRow, ContentSummaryRow, CrmSummaryRow};

/// The advisory lock key every ETL commit takes on PostgreSQL ("ETL" in ASCII).
const COMMIT_LOCK: i64 = 0x0045_544C;

fn ttl(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::seconds(30))
}

pub(super) async fn acquire_lease(
    db: &DatabaseConnection,
    name: &str,
    owner: &str,
    lease: Duration,
) -> Result<Option<Lease>, StoreError> {
    let backend = db.get_database_backend();
    let now = domain::now();
    let mut p = SqlParams::new(backend);
    let sql = format!(
        "INSERT INTO etl_leases (name, owner, fence, lease_until, created_at, updated_at) \
         VALUES ({}, NULL, 0, NULL, {}, {}) ON CONFLICT (name) DO NOTHING",
        p.bind(name),
        p.bind(now),
        p.bind(now)
    );
    db.execute(p.statement(sql)).await?;
    // One statement decides: concurrent acquirers cannot both match the free lease.
    let mut p = SqlParams::new(backend);
    let sql = format!(
        "UPDATE etl_leases SET owner = {}, fence = fence + 1, lease_until = {}, updated_at = {} \
         WHERE name = {} AND (lease_until IS NULL OR lease_until < {})",
        p.bind(owner),
        p.bind(now + ttl(lease)),
        p.bind(now),
        p.bind(name),
        p.bind(now)
    );
    if db.execute(p.statement(sql)).await?.rows_affected() == 0 {
        return Ok(None);
    }
    #[derive(FromQueryResult)]
    struct Held {
        owner: Option<String>,
        fence: i64,
    }
    let mut p = SqlParams::new(backend);
    let sql = format!(
        "SELECT owner, fence FROM etl_leases WHERE name = {}",
        p.bind(name)
    );
    let held = Held::find_by_statement(p.statement(sql)).one(db).await?;
    Ok(held
        .filter(|h| h.owner.as_deref() == Some(owner))
        .map(|h| Lease {
            name: name.to_string(),
            owner: owner.to_string(),
            fence: h.fence,
        }))
}

pub(super) async fn release_lease(
    db: &DatabaseConnection,
    lease: &Lease,
) -> Result<(), StoreError> {
    let mut p = SqlParams::new(db.get_database_backend());
    let sql = format!(
        "UPDATE etl_leases SET lease_until = NULL, updated_at = {} \
         WHERE name = {} AND owner = {} AND fence = {}",
        p.bind(domain::now()),
        p.bind(lease.name.clone()),
        p.bind(lease.owner.clone()),
        p.bind(lease.fence)
    );
    db.execute(p.statement(sql)).await?;
    Ok(())
}

#[derive(FromQueryResult)]
struct WatermarkRow {
    source: String,
    last_updated_at: Option<DateTime<Utc>>,
    last_id: Option<Uuid>,
    caught_up_to: Option<DateTime<Utc>>,
}

impl WatermarkRow {
    fn watermark(&self) -> Option<Watermark> {
        Some(Watermark {
            updated_at: self.last_updated_at?,
            id: self.last_id?,
        })
    }
}

pub(super) async fn watermark(
    db: &DatabaseConnection,
    source: &str,
) -> Result<Option<Watermark>, StoreError> {
    let mut p = SqlParams::new(db.get_database_backend());
    let sql = format!(
        "SELECT source, last_updated_at, last_id, caught_up_to FROM etl_watermarks WHERE source = {}",
        p.bind(source)
    );
    Ok(WatermarkRow::find_by_statement(p.statement(sql))
        .one(db)
        .await?
        .and_then(|w| w.watermark()))
}

pub(super) async fn campaigns(
    db: &DatabaseConnection,
    ids: &[Uuid],
) -> Result<Vec<EtlCampaign>, StoreError> {
    #[derive(FromQueryResult)]
    struct Row {
        id: Uuid,
        organization_id: Uuid,
        currency: String,
        budget_total: i64,
    }
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(KEYS_PER_STATEMENT) {
        let mut p = SqlParams::new(db.get_database_backend());
        let list: Vec<String> = chunk.iter().map(|id| p.bind(*id)).collect();
        let sql = format!(
            "SELECT id, organization_id, currency, budget_total FROM campaigns WHERE id IN ({})",
            list.join(", ")
        );
        out.extend(
            Row::find_by_statement(p.statement(sql))
                .all(db)
                .await?
                .into_iter()
                .map(|r| EtlCampaign {
                    id: r.id,
                    organization_id: r.organization_id,
                    currency: r.currency,
                    budget_total: Decimal4(r.budget_total),
                }),
        );
    }
    Ok(out)
}

async fn delete_keys(
    db: &impl ConnectionTrait,
    table: &str,
    keys: &[(Uuid, NaiveDate)],
) -> Result<(), StoreError> {
    for chunk in keys.chunks(KEYS_PER_STATEMENT) {
        let mut p = SqlParams::new(db.get_database_backend());
        let keys_in = p.keys_in("campaign_id", "day", chunk);
        db.execute(p.statement(format!("DELETE FROM {table} WHERE {keys_in}")))
            .await?;
    }
    Ok(())
}

async fn delete_campaigns(
    db: &impl ConnectionTrait,
    table: &str,
    campaigns: &[Uuid],
) -> Result<(), StoreError> {
    for chunk in campaigns.chunks(KEYS_PER_STATEMENT) {
        let mut p = SqlParams::new(db.get_database_backend());
        let list: Vec<String> = chunk.iter().map(|id| p.bind(*id)).collect();
        db.execute(p.statement(format!(
            "DELETE FROM {table} WHERE campaign_id IN ({})",
            list.join(", ")
        )))
        .await?;
    }
    Ok(())
}

/// Sets each campaign's spent budget to its ads' spend (their performance row); returns the
/// campaigns whose spend is above their total (left unchanged: the budget's check holds).
async fn update_spent(
    db: &impl ConnectionTrait,
    campaigns: &[Uuid],
) -> Result<Vec<(Uuid, Decimal4)>, StoreError> {
    #[derive(FromQueryResult)]
    struct Row {
        id: Uuid,
        budget_total: i64,
        budget_spent: i64,
        spend: Option<i64>,
    }
    let backend = db.get_database_backend();
    let mut over = Vec::new();
    for chunk in campaigns.chunks(KEYS_PER_STATEMENT) {
        let mut p = SqlParams::new(backend);
        let list: Vec<String> = chunk.iter().map(|id| p.bind(*id)).collect();
        let sql = format!(
            "SELECT c.id, c.budget_total, c.budget_spent, p.spend FROM campaigns c \
             LEFT JOIN campaign_performance p ON p.campaign_id = c.id WHERE c.id IN ({})",
            list.join(", ")
        );
        for row in Row::find_by_statement(p.statement(sql)).all(db).await? {
            let spend = row.spend.unwrap_or(0);
            if spend == row.budget_spent {
                continue;
            }
            if spend > row.budget_total || spend < 0 {
                over.push((row.id, Decimal4(spend)));
                continue;
            }
            let mut p = SqlParams::new(backend);
            let sql = format!(
                "UPDATE campaigns SET budget_spent = {}, updated_at = {} WHERE id = {}",
                p.bind(spend),
                p.bind(domain::now()),
                p.bind(row.id)
            );
            db.execute(p.statement(sql)).await?;
        }
    }
    Ok(over)
}

async fn write_run(db: &impl ConnectionTrait, run: &EtlRun) -> Result<(), StoreError> {
    let now = domain::now();
    let mut p = SqlParams::new(db.get_database_backend());
    let sql = format!(
        "INSERT INTO etl_runs (id, source, status, rows_read, rows_written, rows_failed, started_at, \
         finished_at, error, created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) \
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, rows_read = excluded.rows_read, \
         rows_written = excluded.rows_written, rows_failed = excluded.rows_failed, \
         finished_at = excluded.finished_at, error = excluded.error, updated_at = excluded.updated_at",
        p.bind(run.id),
        p.bind(run.source.clone()),
        p.bind(run.status.clone()),
        p.bind(run.rows_read),
        p.bind(run.rows_written),
        p.bind(run.rows_failed),
        p.bind(run.started_at),
        p.bind(run.finished_at),
        p.bind(run.error.clone()),
        p.bind(now),
        p.bind(now)
    );
    db.execute(p.statement(sql)).await?;
    Ok(())
}

async fn write_failures(
    db: &impl ConnectionTrait,
    source: &str,
    failed: &[FailedRow],
    resolved: &[Uuid],
) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    let now = domain::now();
    for f in failed {
        let mut p = SqlParams::new(backend);
        let sql = format!(
            "INSERT INTO etl_failed_rows (source, row_id, organization_id, reason, row_updated_at, \
             created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}) \
             ON CONFLICT (source, row_id) DO UPDATE SET reason = excluded.reason, \
             row_updated_at = excluded.row_updated_at, updated_at = excluded.updated_at",
            p.bind(f.source.clone()),
            p.bind(f.row_id),
            p.bind(f.organization_id),
            p.bind(f.reason.clone()),
            p.bind(f.row_updated_at),
            p.bind(now),
            p.bind(now)
        );
        db.execute(p.statement(sql)).await?;
    }
    for chunk in resolved.chunks(KEYS_PER_STATEMENT) {
        let mut p = SqlParams::new(backend);
        let source = p.bind(source);
        let list: Vec<String> = chunk.iter().map(|id| p.bind(*id)).collect();
        let sql = format!(
            "DELETE FROM etl_failed_rows WHERE source = {source} AND row_id IN ({})",
            list.join(", ")
        );
        db.execute(p.statement(sql)).await?;
    }
    Ok(())
}

pub(super) async fn commit(
    db: &DatabaseConnection,
    commit: EtlCommit,
) -> Result<CommitOutcome, StoreError> {
    let backend = db.get_database_backend();
    let txn = db.begin().await?;
    if backend == DatabaseBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({COMMIT_LOCK})"))
            .await?;
    }
    let now = domain::now();
    // The fence: only the lease's current holder writes, and its lease runs on from here.
    let mut p = SqlParams::new(backend);
    let sql = format!(
        "UPDATE etl_leases SET lease_until = {}, updated_at = {} \
         WHERE name = {} AND owner = {} AND fence = {}",
        p.bind(now + ttl(commit.lease_ttl)),
        p.bind(now),
        p.bind(commit.lease.name.clone()),
        p.bind(commit.lease.owner.clone()),
        p.bind(commit.lease.fence)
    );
    if txn.execute(p.statement(sql)).await?.rows_affected() != 1 {
        txn.rollback().await?;
        return Ok(CommitOutcome::Fenced);
    }

    delete_keys(&txn, "ads_summary", &commit.ads_keys).await?;
    results::upsert_ads(&txn, &commit.ads).await?;
    delete_keys(&txn, "crm_summary", &commit.crm_keys).await?;
    results::upsert_crm(&txn, &commit.crm).await?;
    delete_keys(&txn, "content_summary", &commit.content_keys).await?;
    results::upsert_content(&txn, &commit.content).await?;

    let touched: BTreeSet<Uuid> = commit
        .ads_keys
        .iter()
        .chain(&commit.crm_keys)
        .chain(&commit.content_keys)
        .map(|(c, _)| *c)
        .collect();
    let touched: Vec<Uuid> = touched.into_iter().collect();
    // Performance is recomputed from the summaries; a campaign left without any loses its row.
    delete_campaigns(&txn, "campaign_performance", &touched).await?;
    results::refresh_performance(&txn, &touched).await?;
    let spent_campaigns: BTreeSet<Uuid> = commit.ads_keys.iter().map(|(c, _)| *c).collect();
    let spent_campaigns: Vec<Uuid> = spent_campaigns.into_iter().collect();
    let over_budget = update_spent(&txn, &spent_campaigns).await?;

    let mut failed = commit.failed.clone();
    failed.extend(over_budget.iter().map(|(campaign, spend)| FailedRow {
        source: "sales.campaigns".into(),
        row_id: *campaign,
        organization_id: None,
        reason: format!(
            "the ads spent {spend}, more than the campaign's budget total; spent left unchanged"
        ),
        row_updated_at: now,
    }));
    write_failures(&txn, &commit.source, &failed, &commit.resolved).await?;

    let mut p = SqlParams::new(backend);
    let (t, id) = match commit.watermark {
        Some(w) => (Some(w.updated_at), Some(w.id)),
        None => (None, None),
    };
    let sql = format!(
        "INSERT INTO etl_watermarks (source, last_updated_at, last_id, caught_up_to, created_at, updated_at) \
         VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT (source) DO UPDATE SET \
         last_updated_at = COALESCE(excluded.last_updated_at, etl_watermarks.last_updated_at), \
         last_id = COALESCE(excluded.last_id, etl_watermarks.last_id), \
         caught_up_to = COALESCE(excluded.caught_up_to, etl_watermarks.caught_up_to), \
         updated_at = excluded.updated_at",
        p.bind(commit.source.clone()),
        p.bind(t),
        p.bind(id),
        p.bind(commit.caught_up_to),
        p.bind(now),
        p.bind(now)
    );
    txn.execute(p.statement(sql)).await?;
    write_run(&txn, &commit.run).await?;
    if backend == DatabaseBackend::Postgres && !touched.is_empty() {
        results::refresh_dashboard_totals(&txn).await?;
    }
    txn.commit().await?;

    let mut organizations: std::collections::HashMap<Uuid, Uuid> = Default::default();
    for r in &commit.ads {
        organizations.insert(r.campaign_id, r.organization_id);
    }
    for r in &commit.crm {
        organizations.insert(r.campaign_id, r.organization_id);
    }
    for r in &commit.content {
        organizations.insert(r.campaign_id, r.organization_id);
    }
    let missing: Vec<Uuid> = touched
        .iter()
        .filter(|c| !organizations.contains_key(c))
        .copied()
        .collect();
    if !missing.is_empty() {
        for c in campaigns(db, &missing).await? {
            organizations.insert(c.id, c.organization_id);
        }
    }
    Ok(CommitOutcome::Committed(Committed {
        campaigns: touched
            .iter()
            .filter_map(|c| organizations.get(c).map(|o| (*o, *c)))
            .collect(),
        over_budget,
    }))
}

pub(super) async fn record_run(db: &DatabaseConnection, run: &EtlRun) -> Result<(), StoreError> {
    write_run(db, run).await
}

pub(super) async fn purge_runs(
    db: &DatabaseConnection,
    before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let mut p = SqlParams::new(db.get_database_backend());
    // A run goes only when a newer one of its source exists: the latest always stays.
    let sql = format!(
        "DELETE FROM etl_runs WHERE started_at < {} AND EXISTS (\
         SELECT 1 FROM etl_runs AS newer WHERE newer.source = etl_runs.source \
         AND (newer.started_at > etl_runs.started_at \
         OR (newer.started_at = etl_runs.started_at AND newer.id > etl_runs.id)))",
        p.bind(before)
    );
    Ok(db.execute(p.statement(sql)).await?.rows_affected())
}

#[derive(FromQueryResult)]
struct RunRow {
    id: Uuid,
    source: String,
    status: String,
    rows_read: i64,
    rows_written: i64,
    rows_failed: i64,
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
    error: Option<String>,
}

impl From<RunRow> for EtlRun {
    fn from(r: RunRow) -> Self {
        Self {
            id: r.id,
            source: r.source,
            status: r.status,
            rows_read: r.rows_read,
            rows_written: r.rows_written,
            rows_failed: r.rows_failed,
            started_at: r.started_at,
            finished_at: r.finished_at,
            error: r.error,
        }
    }
}

pub(super) async fn status(db: &DatabaseConnection) -> Result<Vec<EtlSourceStatus>, StoreError> {
    let backend = db.get_database_backend();
    let marks = WatermarkRow::find_by_statement(sea_orm::Statement::from_string(
        backend,
        "SELECT source, last_updated_at, last_id, caught_up_to FROM etl_watermarks ORDER BY source",
    ))
    .all(db)
    .await?;
    let mut out = Vec::with_capacity(marks.len());
    for mark in marks {
        let latest = |failed: bool| {
            let mut p = SqlParams::new(backend);
            let source = p.bind(mark.source.clone());
            let extra = if failed { " AND error IS NOT NULL" } else { "" };
            p.statement(format!(
                "SELECT id, source, status, rows_read, rows_written, rows_failed, started_at, \
                 finished_at, error FROM etl_runs WHERE source = {source}{extra} \
                 ORDER BY started_at DESC, id DESC LIMIT 1"
            ))
        };
        let last_run = RunRow::find_by_statement(latest(false)).one(db).await?;
        let last_error = RunRow::find_by_statement(latest(true)).one(db).await?;
        #[derive(FromQueryResult)]
        struct Count {
            n: i64,
        }
        let mut p = SqlParams::new(backend);
        let source = p.bind(mark.source.clone());
        let failed = Count::find_by_statement(p.statement(format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM etl_failed_rows WHERE source = {source}"
        )))
        .one(db)
        .await?
        .map_or(0, |c| c.n);
        out.push(EtlSourceStatus {
            watermark: mark.watermark(),
            caught_up_to: mark.caught_up_to,
            source: mark.source,
            last_run: last_run.map(Into::into),
            last_error: last_error.map(Into::into),
            failed_rows: failed,
        });
    }
    Ok(out)
}

pub(super) async fn snapshot(db: &DatabaseConnection) -> Result<SummarySnapshot, StoreError> {
    let backend = db.get_database_backend();
    let q = |sql: &str| sea_orm::Statement::from_string(backend, sql.to_string());
    #[derive(FromQueryResult)]
    struct Ads {
        organization_id: Uuid,
        campaign_id: Uuid,
        day: NaiveDate,
        channel: String,
        impressions: i64,
        clicks: i64,
        reach: i64,
        engagement: i64,
        spend: i64,
        conversions: i64,
        conversion_value: i64,
    }
    #[derive(FromQueryResult)]
    struct Crm {
        organization_id: Uuid,
        campaign_id: Uuid,
        day: NaiveDate,
        leads: i64,
        qualified: i64,
        customers: i64,
        revenue: i64,
    }
    #[derive(FromQueryResult)]
    struct Content {
        organization_id: Uuid,
        campaign_id: Uuid,
        day: NaiveDate,
        content_type: String,
        pieces_total: i64,
        pieces_approved: i64,
        pieces_rejected: i64,
        pieces_pending: i64,
    }
    #[derive(FromQueryResult)]
    struct Perf {
        campaign_id: Uuid,
        spend: i64,
        impressions: i64,
        clicks: i64,
        conversions: i64,
        leads: i64,
        customers: i64,
        revenue: i64,
    }
    #[derive(FromQueryResult)]
    struct Spent {
        id: Uuid,
        budget_spent: i64,
    }
    let mut snapshot = SummarySnapshot {
        ads: Ads::find_by_statement(q("SELECT * FROM ads_summary"))
            .all(db)
            .await?
            .into_iter()
            .map(|r| AdsSummaryRow {
                organization_id: r.organization_id,
                campaign_id: r.campaign_id,
                day: r.day,
                channel: r.channel,
                impressions: r.impressions,
                clicks: r.clicks,
                reach: r.reach,
                engagement: r.engagement,
                spend: Decimal4(r.spend),
                conversions: r.conversions,
                conversion_value: Decimal4(r.conversion_value),
            })
            .collect(),
        crm: Crm::find_by_statement(q("SELECT * FROM crm_summary"))
            .all(db)
            .await?
            .into_iter()
            .map(|r| CrmSummaryRow {
                organization_id: r.organization_id,
                campaign_id: r.campaign_id,
                day: r.day,
                leads: r.leads,
                qualified: r.qualified,
                customers: r.customers,
                revenue: Decimal4(r.revenue),
            })
            .collect(),
        content: Content::find_by_statement(q("SELECT * FROM content_summary"))
            .all(db)
            .await?
            .into_iter()
            .map(|r| ContentSummaryRow {
                organization_id: r.organization_id,
                campaign_id: r.campaign_id,
                day: r.day,
                content_type: r.content_type,
                total: r.pieces_total,
                approved: r.pieces_approved,
                rejected: r.pieces_rejected,
                pending: r.pieces_pending,
            })
            .collect(),
        performance: Perf::find_by_statement(q("SELECT * FROM campaign_performance"))
            .all(db)
            .await?
            .into_iter()
            .map(|r| {
                (
                    r.campaign_id,
                    [
                        r.spend,
                        r.impressions,
                        r.clicks,
                        r.conversions,
                        r.leads,
                        r.customers,
                        r.revenue,
                    ],
                )
            })
            .collect(),
        spent: Spent::find_by_statement(q("SELECT id, budget_spent FROM campaigns"))
            .all(db)
            .await?
            .into_iter()
            .map(|r| (r.id, Decimal4(r.budget_spent)))
            .collect(),
    };
    snapshot.ads.sort_by(|a, b| {
        (a.campaign_id, a.day, &a.channel).cmp(&(b.campaign_id, b.day, &b.channel))
    });
    snapshot
        .crm
        .sort_by(|a, b| (a.campaign_id, a.day).cmp(&(b.campaign_id, b.day)));
    snapshot.content.sort_by(|a, b| {
        (a.campaign_id, a.day, &a.content_type).cmp(&(b.campaign_id, b.day, &b.content_type))
    });
    snapshot.performance.sort();
    snapshot.spent.sort();
    Ok(snapshot)
}

pub(super) async fn reset(db: &DatabaseConnection) -> Result<(), StoreError> {
    let txn = db.begin().await?;
    for table in [
        "ads_summary",
        "crm_summary",
        "content_summary",
        "campaign_performance",
        "etl_watermarks",
        "etl_failed_rows",
    ] {
        txn.execute_unprepared(&format!("DELETE FROM {table}"))
            .await?;
    }
    txn.commit().await?;
    Ok(())
}
