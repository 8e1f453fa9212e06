//! Analytics in SQL that runs unchanged on SQLite and PostgreSQL: sums per
//! channel and market, `RANK() OVER (PARTITION BY channel ...)` for rankings,
//! `EXCEPT` for channels that converted in one period and not the other.
//!
//! The statements are written as SQL (clearer than a builder for windows and
//! set operations) with numbered parameters: `$1` on PostgreSQL, `?1` on SQLite.

use chrono::NaiveDate;
use promptsales_kit::context::TenantScope;
use promptsales_kit::{Decimal4, StoreError};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};

use super::convert;
use crate::domain::AdChannel;
use crate::store::{
    ChannelDay, ChannelMarketPerformance, DailyPerformance, RankBy, RankedAd, StoreResult,
    SubjectKind, Subjects,
};

/// Bound values and their placeholders for one statement.
struct Params {
    backend: DbBackend,
    values: Vec<Value>,
}

impl Params {
    fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            values: Vec::new(),
        }
    }

    /// Binds `value`; returns its placeholder (reusable within the statement).
    fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => format!("?{}", self.values.len()),
        }
    }

    /// `a.campaign_id IN (..) AND a.organization_id = ..`: the subjects' ads within the scope.
    fn ads_of(&mut self, scope: TenantScope, subjects: &Subjects) -> String {
        let list: Vec<String> = subjects.ids.iter().map(|id| self.bind(*id)).collect();
        let mut cond = format!("{} IN ({})", subject_column(subjects), list.join(", "));
        if let Some(org) = scope.organization() {
            cond.push_str(&format!(" AND a.organization_id = {}", self.bind(org)));
        }
        cond
    }

    fn statement(self, sql: String) -> Statement {
        Statement::from_sql_and_values(self.backend, sql, self.values)
    }
}

/// The column the subjects are ids of.
fn subject_column(subjects: &Subjects) -> &'static str {
    match subjects.kind {
        SubjectKind::Campaign => "a.campaign_id",
        SubjectKind::Organization => "a.organization_id",
    }
}

/// The summed figures, aliased as `convert::performance` reads them. PostgreSQL sums BIGINT as NUMERIC.
const SUMS: &str = "CAST(SUM(m.impressions) AS BIGINT) AS impressions, \
    CAST(SUM(m.reach) AS BIGINT) AS reach, \
    CAST(SUM(m.clicks) AS BIGINT) AS clicks, \
    CAST(SUM(m.engagement) AS BIGINT) AS engagement, \
    CAST(SUM(m.spend) AS BIGINT) AS spend, \
    CAST(SUM(m.conversions) AS BIGINT) AS conversions, \
    CAST(SUM(m.conversion_value) AS BIGINT) AS conversion_value";

fn channel(row: &QueryResult) -> StoreResult<AdChannel> {
    let code: String = row.try_get("", "channel")?;
    AdChannel::from_code(&code).ok_or_else(|| StoreError::Corrupt(format!("channel {code:?}")))
}

pub(super) async fn by_channel_market(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    subjects: &Subjects,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<ChannelMarketPerformance>> {
    if subjects.ids.is_empty() {
        return Ok(Vec::new());
    }
    let subject = subject_column(subjects);
    let mut p = Params::new(db.get_database_backend());
    let ads = p.ads_of(scope, subjects);
    let (f, t) = (p.bind(from), p.bind(to));
    let sql = format!(
        "SELECT {subject} AS subject_id, a.channel AS channel, mk.country AS country, mk.currency AS currency, {SUMS} \
         FROM ads a JOIN markets mk ON mk.id = a.market_id JOIN ad_metrics m ON m.ad_id = a.id \
         WHERE {ads} AND m.day BETWEEN {f} AND {t} \
         GROUP BY {subject}, a.channel, mk.country, mk.currency \
         ORDER BY {subject}, a.channel, mk.country, mk.currency"
    );
    let mut out = Vec::new();
    for row in db.query_all(p.statement(sql)).await? {
        out.push(ChannelMarketPerformance {
            subject_id: row.try_get("", "subject_id")?,
            channel: channel(&row)?,
            country: row.try_get("", "country")?,
            currency: row.try_get("", "currency")?,
            performance: convert::performance(&row)?,
        });
    }
    Ok(out)
}

pub(super) async fn ranking(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    subjects: &Subjects,
    from: NaiveDate,
    to: NaiveDate,
    by: RankBy,
) -> StoreResult<Vec<RankedAd>> {
    if subjects.ids.is_empty() {
        return Ok(Vec::new());
    }
    let subject = subject_column(subjects);
    let mut p = Params::new(db.get_database_backend());
    let ads = p.ads_of(scope, subjects);
    let (f, t) = (p.bind(from), p.bind(to));
    // A ratio without a denominator is NULL and ranks last on both databases
    // (PostgreSQL sorts NULLs first in DESC, SQLite last: `IS NULL` settles it).
    let score = match by {
        RankBy::Ctr => "CAST(clicks AS DOUBLE PRECISION) / NULLIF(impressions, 0)",
        RankBy::Conversions => "conversions",
        RankBy::Roas => "CAST(conversion_value AS DOUBLE PRECISION) / NULLIF(spend, 0)",
    };
    let sql = format!(
        "SELECT subject_id, ad_id, channel, impressions, reach, clicks, engagement, spend, conversions, conversion_value, \
                RANK() OVER (PARTITION BY subject_id, channel ORDER BY ({score}) IS NULL, {score} DESC) AS rank_in_channel \
         FROM ( \
           SELECT {subject} AS subject_id, a.id AS ad_id, a.channel AS channel, {SUMS} \
           FROM ads a JOIN ad_metrics m ON m.ad_id = a.id \
           WHERE {ads} AND m.day BETWEEN {f} AND {t} \
           GROUP BY {subject}, a.id, a.channel \
         ) per_ad \
         ORDER BY subject_id, channel, rank_in_channel, ad_id"
    );
    let mut out = Vec::new();
    for row in db.query_all(p.statement(sql)).await? {
        out.push(RankedAd {
            subject_id: row.try_get("", "subject_id")?,
            ad_id: row.try_get("", "ad_id")?,
            channel: channel(&row)?,
            rank: row.try_get("", "rank_in_channel")?,
            performance: convert::performance(&row)?,
        });
    }
    Ok(out)
}

pub(super) async fn converting_only_in(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    subjects: &Subjects,
    current: (NaiveDate, NaiveDate),
    previous: (NaiveDate, NaiveDate),
) -> StoreResult<Vec<(uuid::Uuid, AdChannel)>> {
    if subjects.ids.is_empty() {
        return Ok(Vec::new());
    }
    let subject = subject_column(subjects);
    let mut p = Params::new(db.get_database_backend());
    let ads = p.ads_of(scope, subjects);
    let (cf, ct) = (p.bind(current.0), p.bind(current.1));
    let (pf, pt) = (p.bind(previous.0), p.bind(previous.1));
    let converting = |f: &str, t: &str| {
        format!(
            "SELECT {subject} AS subject_id, a.channel AS channel FROM ads a JOIN ad_metrics m ON m.ad_id = a.id \
             WHERE {ads} AND m.day BETWEEN {f} AND {t} \
             GROUP BY {subject}, a.channel HAVING SUM(m.conversions) > 0"
        )
    };
    let sql = format!(
        "{} EXCEPT {} ORDER BY subject_id, channel",
        converting(&cf, &ct),
        converting(&pf, &pt)
    );
    let mut out = Vec::new();
    for row in db.query_all(p.statement(sql)).await? {
        out.push((row.try_get("", "subject_id")?, channel(&row)?));
    }
    Ok(out)
}

pub(super) async fn daily(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    subjects: &Subjects,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<DailyPerformance>> {
    if subjects.ids.is_empty() {
        return Ok(Vec::new());
    }
    let subject = subject_column(subjects);
    let mut p = Params::new(db.get_database_backend());
    let ads = p.ads_of(scope, subjects);
    let (f, t) = (p.bind(from), p.bind(to));
    let sql = format!(
        "SELECT {subject} AS subject_id, m.day AS day, mk.currency AS currency, {SUMS} \
         FROM ads a JOIN markets mk ON mk.id = a.market_id JOIN ad_metrics m ON m.ad_id = a.id \
         WHERE {ads} AND m.day BETWEEN {f} AND {t} \
         GROUP BY {subject}, m.day, mk.currency ORDER BY {subject}, m.day, mk.currency"
    );
    let mut out = Vec::new();
    for row in db.query_all(p.statement(sql)).await? {
        out.push(DailyPerformance {
            subject_id: row.try_get("", "subject_id")?,
            day: row.try_get("", "day")?,
            currency: row.try_get("", "currency")?,
            performance: convert::performance(&row)?,
        });
    }
    Ok(out)
}

pub(super) async fn channel_days(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    subjects: &Subjects,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<ChannelDay>> {
    if subjects.ids.is_empty() {
        return Ok(Vec::new());
    }
    let subject = subject_column(subjects);
    let mut p = Params::new(db.get_database_backend());
    let ads = p.ads_of(scope, subjects);
    let (f, t) = (p.bind(from), p.bind(to));
    let sql = format!(
        "SELECT {subject} AS subject_id, a.channel AS channel, m.day AS day, \
                CAST(SUM(m.spend) AS BIGINT) AS spend, \
                CAST(SUM(m.conversion_value) AS BIGINT) AS conversion_value \
         FROM ads a JOIN ad_metrics m ON m.ad_id = a.id \
         WHERE {ads} AND m.day BETWEEN {f} AND {t} \
         GROUP BY {subject}, a.channel, m.day ORDER BY {subject}, a.channel, m.day"
    );
    let mut out = Vec::new();
    for row in db.query_all(p.statement(sql)).await? {
        out.push(ChannelDay {
            subject_id: row.try_get("", "subject_id")?,
            channel: channel(&row)?,
            day: row.try_get("", "day")?,
            spend: Decimal4(row.try_get("", "spend")?),
            conversion_value: Decimal4(row.try_get("", "conversion_value")?),
        });
    }
    Ok(out)
}
