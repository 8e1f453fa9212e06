//! The delta ETL: content, ads and crm changes into the sales summaries.
//!
//! A cycle takes, per source group (`ads`, `crm`, `content`), the group's lease
//! in sales (one runner at a time; a fencing token every commit checks; an expiry
//! so a stuck runner's hold lapses). For each source table of the group it reads
//! the rows changed since the table's watermark, through the store trait's narrow
//! "changes since" method, in pages. A page gives the (campaign, day) keys its
//! rows touch; those keys are recomputed from the source's truth (never by adding
//! increments, so a page read twice cannot double count) and written, with the
//! campaigns' performance and spent budget, the watermark advance and the run, in
//! one sales transaction. A crash anywhere leaves either the page committed or
//! nothing of it: the next cycle reads it again and writes the same figures.
//!
//! After a cycle, the router's cached campaigns and dashboards of the changed
//! campaigns are invalidated and `campaignPerformanceUpdated` subscribers hear of
//! them ([`live`]). See `etl/README.md` for how it scales out.

pub mod config;
pub mod live;
pub mod metrics;
pub mod rates;
#[cfg(test)]
mod stored_names;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use promptsales_ads::store::AdsStore;
use promptsales_content::store::ContentStore;
use promptsales_crm::store::CrmStore;
use promptsales_kit::changes::{Change, ChangeWindow, Watermark};
use promptsales_kit::{Decimal4, StoreError, StrEnum};
use promptsales_sales::store::etl::{
    CommitOutcome, EtlCampaign, EtlCommit, EtlRun, EtlSink, FailedRow, Lease,
};
use promptsales_sales::store::results::{AdsSummaryRow, ContentSummaryRow, CrmSummaryRow};
use uuid::Uuid;

pub use config::EtlConfig;
pub use metrics::EtlMetrics;
pub use rates::Rates;

/// A group of sources whose summaries one lease covers; its name (`ads`) is the lease's.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "lowercase")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    /// Ad metrics into `ads_summary`.
    Ads,
    /// Leads and sales into `crm_summary`.
    Crm,
    /// Assets and generated content into `content_summary`.
    Content,
}

impl Group {
    /// Its name, the lease's ([`StrEnum::as_str`]); `ALL` is in cycle order.
    pub fn name(self) -> &'static str {
        self.as_str()
    }

    /// Its source tables.
    pub fn sources(self) -> &'static [Source] {
        match self {
            Self::Ads => &[Source::AdMetrics],
            Self::Crm => &[Source::Leads, Source::Sales],
            Self::Content => &[Source::MediaAssets, Source::GeneratedContent],
        }
    }
}

/// One source table, named `store.table` (the watermark's key, the metrics' label).
///
/// No `serialize_all` case spells a store prefix, so each variant names its table.
#[derive(
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    strum::Display,
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
)]
pub enum Source {
    /// Ad metrics.
    #[strum(serialize = "ads.ad_metrics")]
    AdMetrics,
    /// Leads.
    #[strum(serialize = "crm.leads")]
    Leads,
    /// Sales.
    #[strum(serialize = "crm.sales")]
    Sales,
    /// Media assets.
    #[strum(serialize = "content.media_assets")]
    MediaAssets,
    /// Generated content.
    #[strum(serialize = "content.generated_content")]
    GeneratedContent,
}

impl Source {
    /// Its name: `store.table` ([`StrEnum::as_str`]).
    pub fn name(self) -> &'static str {
        self.as_str()
    }

    /// Its group.
    pub fn group(self) -> Group {
        match self {
            Self::AdMetrics => Group::Ads,
            Self::Leads | Self::Sales => Group::Crm,
            Self::MediaAssets | Self::GeneratedContent => Group::Content,
        }
    }
}

/// The stores the ETL reads, through their traits only.
#[derive(Clone)]
pub struct SourceStores {
    /// The ads store.
    pub ads: Arc<dyn AdsStore>,
    /// The crm store.
    pub crm: Arc<dyn CrmStore>,
    /// The content store.
    pub content: Arc<dyn ContentStore>,
}

/// Why a cycle of a source failed.
#[derive(Debug, thiserror::Error)]
pub enum EtlError {
    /// A store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// What one cycle did to one source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceReport {
    /// The source.
    pub source: Source,
    /// `ok`, `busy` (another runner holds its group), `fenced` or `failed`.
    pub status: &'static str,
    /// Changed rows read.
    pub rows_read: u64,
    /// Summary rows written.
    pub rows_written: u64,
    /// Rows recorded as failed.
    pub rows_failed: u64,
    /// Pages committed.
    pub pages: u64,
    /// Seconds spent.
    pub seconds: f64,
    /// The error, when it failed.
    pub error: Option<String>,
}

/// What one cycle did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CycleReport {
    /// Per source.
    pub sources: Vec<SourceReport>,
    /// The campaigns whose summaries changed, per organization.
    pub changed: BTreeMap<Uuid, BTreeSet<Uuid>>,
}

impl CycleReport {
    /// Changed rows read, over every source.
    pub fn rows_read(&self) -> u64 {
        self.sources.iter().map(|s| s.rows_read).sum()
    }

    /// Summary rows written, over every source.
    pub fn rows_written(&self) -> u64 {
        self.sources.iter().map(|s| s.rows_written).sum()
    }

    /// Rows recorded as failed, over every source.
    pub fn rows_failed(&self) -> u64 {
        self.sources.iter().map(|s| s.rows_failed).sum()
    }

    /// Whether any source failed.
    pub fn failed(&self) -> bool {
        self.sources.iter().any(|s| s.status == "failed")
    }
}

/// The ETL over its stores.
pub struct Etl {
    sources: SourceStores,
    sink: Arc<dyn EtlSink>,
    config: EtlConfig,
    metrics: EtlMetrics,
    live: Option<live::Live>,
    owner: String,
}

impl std::fmt::Debug for Etl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Etl")
            .field("owner", &self.owner)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A page of one source, prepared for its commit.
struct Prepared {
    commit_keys: Vec<(Uuid, NaiveDate)>,
    ads: Vec<AdsSummaryRow>,
    crm: Vec<CrmSummaryRow>,
    content: Vec<ContentSummaryRow>,
    failed: Vec<FailedRow>,
    resolved: Vec<Uuid>,
}

impl Etl {
    /// An ETL over `sources` writing into `sink` (no live updates until [`Etl::with_live`]).
    pub fn new(
        sources: SourceStores,
        sink: Arc<dyn EtlSink>,
        config: EtlConfig,
        metrics: EtlMetrics,
    ) -> Self {
        Self {
            sources,
            sink,
            config,
            metrics,
            live: None,
            owner: format!("etl-{}-{}", std::process::id(), Uuid::now_v7()),
        }
    }

    /// Invalidates the router cache and publishes performance updates after each cycle.
    pub fn with_live(mut self, live: live::Live) -> Self {
        self.live = Some(live);
        self
    }

    /// Reads changes however young (no write is in flight: right after seeding, in tests).
    pub fn without_settling(mut self) -> Self {
        self.config.settle = std::time::Duration::ZERO;
        self
    }

    /// Its metrics.
    pub fn metrics(&self) -> &EtlMetrics {
        &self.metrics
    }

    /// Its sink.
    pub fn sink(&self) -> &Arc<dyn EtlSink> {
        &self.sink
    }

    /// One cycle over every group; a failing source is reported and the others go on.
    pub async fn run_cycle(&self) -> CycleReport {
        let mut report = CycleReport::default();
        for group in Group::ALL.iter().copied() {
            self.run_group(group, &mut report).await;
        }
        self.update_lag().await;
        self.purge_runs().await;
        if let Some(live) = &self.live
            && !report.changed.is_empty()
        {
            live.announce(&report.changed).await;
        }
        report
    }

    /// Deletes the EtlRun rows older than `runs_keep` (one run per source and cycle would
    /// otherwise grow without bound); a failure is logged, the next cycle tries again.
    async fn purge_runs(&self) {
        if self.config.runs_keep.is_zero() {
            return;
        }
        let Ok(keep) = chrono::Duration::from_std(self.config.runs_keep) else {
            return;
        };
        let Some(before) = Utc::now().checked_sub_signed(keep) else {
            return;
        };
        match self.sink.purge_runs(before).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(runs = n, %before, "old ETL runs purged"),
            Err(e) => tracing::warn!(error = %e, "cannot purge old ETL runs"),
        }
    }

    /// Sets `promptsales_etl_lag_seconds` from the watermarks in sales.
    async fn update_lag(&self) {
        match self.sink.status().await {
            Ok(statuses) => {
                let now = Utc::now();
                for s in statuses {
                    let lag = s
                        .caught_up_to
                        .map(|t| (now - t).num_milliseconds().max(0) as f64 / 1000.0);
                    if let Some(lag) = lag {
                        self.metrics
                            .lag
                            .with_label_values(&[s.source.as_str()])
                            .set(lag);
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the ETL watermarks for the lag"),
        }
    }

    async fn run_group(&self, group: Group, report: &mut CycleReport) {
        let lease = match self
            .sink
            .acquire_lease(group.name(), &self.owner, self.config.lease_ttl)
            .await
        {
            Ok(Some(lease)) => lease,
            Ok(None) => {
                tracing::info!(
                    group = group.name(),
                    "another runner holds this source group; skipped"
                );
                for source in group.sources() {
                    report.sources.push(SourceReport {
                        source: *source,
                        status: "busy",
                        rows_read: 0,
                        rows_written: 0,
                        rows_failed: 0,
                        pages: 0,
                        seconds: 0.0,
                        error: None,
                    });
                }
                return;
            }
            Err(e) => {
                tracing::warn!(group = group.name(), error = %e, "cannot take the ETL lease");
                for source in group.sources() {
                    self.metrics
                        .failures
                        .with_label_values(&[source.name()])
                        .inc();
                    report.sources.push(SourceReport {
                        source: *source,
                        status: "failed",
                        rows_read: 0,
                        rows_written: 0,
                        rows_failed: 0,
                        pages: 0,
                        seconds: 0.0,
                        error: Some(e.to_string()),
                    });
                }
                return;
            }
        };
        let mut fenced = false;
        for source in group.sources() {
            if fenced {
                break;
            }
            let source_report = self.run_source(*source, &lease, report).await;
            fenced = source_report.status == "fenced";
            report.sources.push(source_report);
        }
        if !fenced && let Err(e) = self.sink.release_lease(&lease).await {
            tracing::warn!(group = group.name(), error = %e, "cannot release the ETL lease; it expires");
        }
    }

    async fn run_source(
        &self,
        source: Source,
        lease: &Lease,
        report: &mut CycleReport,
    ) -> SourceReport {
        let started = Instant::now();
        let started_at = Utc::now();
        let mut out = SourceReport {
            source,
            status: "ok",
            rows_read: 0,
            rows_written: 0,
            rows_failed: 0,
            pages: 0,
            seconds: 0.0,
            error: None,
        };
        let mut run = EtlRun {
            id: Uuid::now_v7(),
            source: source.name().to_string(),
            status: "ok".into(),
            rows_read: 0,
            rows_written: 0,
            rows_failed: 0,
            started_at,
            finished_at: started_at,
            error: None,
        };
        let result = self
            .read_source(source, lease, &mut out, &mut run, report)
            .await;
        out.seconds = started.elapsed().as_secs_f64();
        let name = source.name();
        self.metrics
            .duration
            .with_label_values(&[name])
            .observe(out.seconds);
        self.metrics
            .rows_read
            .with_label_values(&[name])
            .inc_by(out.rows_read);
        self.metrics
            .rows_written
            .with_label_values(&[name])
            .inc_by(out.rows_written);
        self.metrics
            .rows_failed
            .with_label_values(&[name])
            .inc_by(out.rows_failed);
        if let Err(e) = result {
            tracing::warn!(source = name, error = %e, "ETL cycle of a source failed; the next cycle retries");
            self.metrics.failures.with_label_values(&[name]).inc();
            out.status = "failed";
            out.error = Some(e.to_string());
            run.status = "failed".into();
            run.error = Some(e.to_string());
            run.finished_at = Utc::now();
            if let Err(e) = self.sink.record_run(&run).await {
                tracing::warn!(source = name, error = %e, "cannot record the failed ETL run");
            }
        } else if out.status == "fenced" {
            tracing::warn!(
                source = name,
                "the lease moved to another runner; this cycle's rest is theirs"
            );
        } else {
            tracing::info!(
                source = name,
                rows_read = out.rows_read,
                rows_written = out.rows_written,
                rows_failed = out.rows_failed,
                seconds = out.seconds,
                "ETL cycle of a source done"
            );
        }
        out
    }

    async fn read_source(
        &self,
        source: Source,
        lease: &Lease,
        out: &mut SourceReport,
        run: &mut EtlRun,
        report: &mut CycleReport,
    ) -> Result<(), EtlError> {
        let mut after = self.sink.watermark(source.name()).await?;
        let until = Utc::now()
            - chrono::Duration::from_std(self.config.settle).unwrap_or(chrono::Duration::zero());
        loop {
            let window = ChangeWindow {
                after,
                until,
                limit: self.config.page_size,
            };
            let page = self.changes(source, window).await?;
            let last = page.last().map(Change::watermark);
            let done = (page.len() as u64) < self.config.page_size;
            out.rows_read += page.len() as u64;
            let prepared = self.prepare(source, &page).await?;
            let written = (prepared.ads.len() + prepared.crm.len() + prepared.content.len()) as u64;
            out.rows_written += written;
            out.rows_failed += prepared.failed.len() as u64;
            run.rows_read = out.rows_read as i64;
            run.rows_written = out.rows_written as i64;
            run.rows_failed = out.rows_failed as i64;
            run.finished_at = Utc::now();
            let (ads_keys, crm_keys, content_keys) = match source.group() {
                Group::Ads => (prepared.commit_keys, Vec::new(), Vec::new()),
                Group::Crm => (Vec::new(), prepared.commit_keys, Vec::new()),
                Group::Content => (Vec::new(), Vec::new(), prepared.commit_keys),
            };
            let commit = EtlCommit {
                lease: lease.clone(),
                lease_ttl: self.config.lease_ttl,
                source: source.name().to_string(),
                watermark: last,
                caught_up_to: done.then_some(until),
                ads_keys,
                ads: prepared.ads,
                crm_keys,
                crm: prepared.crm,
                content_keys,
                content: prepared.content,
                failed: prepared.failed,
                resolved: prepared.resolved,
                run: run.clone(),
            };
            match self.sink.commit(commit).await? {
                CommitOutcome::Committed(committed) => {
                    out.pages += 1;
                    for (organization, campaign) in committed.campaigns {
                        report
                            .changed
                            .entry(organization)
                            .or_default()
                            .insert(campaign);
                    }
                    for (campaign, spend) in committed.over_budget {
                        tracing::warn!(%campaign, %spend, "ads spent more than the campaign's budget; its spent budget is left as it was");
                    }
                }
                CommitOutcome::Fenced => {
                    out.status = "fenced";
                    return Ok(());
                }
            }
            if done {
                return Ok(());
            }
            after = last;
        }
    }

    async fn changes(&self, source: Source, window: ChangeWindow) -> Result<Vec<Change>, EtlError> {
        Ok(match source {
            Source::AdMetrics => self.sources.ads.metric_changes(window).await?,
            Source::Leads => self.sources.crm.result_changes(false, window).await?,
            Source::Sales => self.sources.crm.result_changes(true, window).await?,
            Source::MediaAssets => self.sources.content.content_changes(false, window).await?,
            Source::GeneratedContent => self.sources.content.content_changes(true, window).await?,
        })
    }

    /// Checks a page's rows, then recomputes the keys they touch from the source's truth.
    async fn prepare(&self, source: Source, page: &[Change]) -> Result<Prepared, EtlError> {
        let campaign_ids: BTreeSet<Uuid> = page
            .iter()
            .flat_map(|c| c.keys.iter().map(|(campaign, _)| *campaign))
            .collect();
        let campaign_ids: Vec<Uuid> = campaign_ids.into_iter().collect();
        let campaigns: HashMap<Uuid, EtlCampaign> = self
            .sink
            .campaigns(&campaign_ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let mut keys: BTreeSet<(Uuid, NaiveDate)> = BTreeSet::new();
        let mut failed = Vec::new();
        let mut resolved = Vec::new();
        for change in page {
            match self.check(change, &campaigns) {
                Ok(()) => {
                    resolved.push(change.id);
                    keys.extend(change.keys.iter().copied());
                }
                Err(reason) => {
                    // Its keys are still recomputed when they are sound: the rest of a
                    // campaign's day counts, only this row's share is left out.
                    keys.extend(change.keys.iter().copied().filter(|(c, _)| {
                        campaigns
                            .get(c)
                            .is_some_and(|c| c.organization_id == change.organization_id)
                    }));
                    failed.push(FailedRow {
                        source: source.name().to_string(),
                        row_id: change.id,
                        organization_id: Some(change.organization_id),
                        reason,
                        row_updated_at: change.updated_at,
                    });
                }
            }
        }
        let keys: Vec<(Uuid, NaiveDate)> = keys.into_iter().collect();
        let mut prepared = Prepared {
            commit_keys: keys.clone(),
            ads: Vec::new(),
            crm: Vec::new(),
            content: Vec::new(),
            failed,
            resolved,
        };
        if keys.is_empty() {
            return Ok(prepared);
        }
        match source.group() {
            Group::Ads => prepared.ads = self.recompute_ads(&keys, &campaigns).await?,
            Group::Crm => prepared.crm = self.recompute_crm(&keys, &campaigns).await?,
            Group::Content => prepared.content = self.recompute_content(&keys, &campaigns).await?,
        }
        Ok(prepared)
    }

    /// Why a changed row cannot be interpreted, if it cannot.
    fn check(&self, change: &Change, campaigns: &HashMap<Uuid, EtlCampaign>) -> Result<(), String> {
        for (campaign_id, _) in &change.keys {
            let Some(campaign) = campaigns.get(campaign_id) else {
                return Err(format!("campaign {campaign_id} does not exist in sales"));
            };
            if campaign.organization_id != change.organization_id {
                return Err(format!(
                    "campaign {campaign_id} belongs to another organization"
                ));
            }
            if let Some(currency) = &change.currency
                && !self.config.rates.can_convert(currency, &campaign.currency)
            {
                return Err(format!(
                    "cannot convert {currency} into the campaign's {}",
                    campaign.currency
                ));
            }
        }
        if let Some(channel) = &change.channel
            && promptsales_ads::domain::AdChannel::from_code(channel).is_none()
        {
            return Err(format!("unknown channel {channel:?}"));
        }
        Ok(())
    }

    /// The campaign of a recomputed key, when it is this organization's.
    fn owner_of<'a>(
        campaigns: &'a HashMap<Uuid, EtlCampaign>,
        campaign_id: Uuid,
        organization_id: Uuid,
    ) -> Option<&'a EtlCampaign> {
        campaigns
            .get(&campaign_id)
            .filter(|c| c.organization_id == organization_id)
    }

    async fn recompute_ads(
        &self,
        keys: &[(Uuid, NaiveDate)],
        campaigns: &HashMap<Uuid, EtlCampaign>,
    ) -> Result<Vec<AdsSummaryRow>, EtlError> {
        let mut rows: BTreeMap<(Uuid, NaiveDate, String), AdsSummaryRow> = BTreeMap::new();
        for f in self.sources.ads.campaign_day_figures(keys).await? {
            let Some(campaign) = Self::owner_of(campaigns, f.campaign_id, f.organization_id) else {
                continue;
            };
            if promptsales_ads::domain::AdChannel::from_code(&f.channel).is_none() {
                continue;
            }
            let rates = &self.config.rates;
            let (Some(spend), Some(value)) = (
                rates.convert(f.spend, &f.currency, &campaign.currency),
                rates.convert(f.conversion_value, &f.currency, &campaign.currency),
            ) else {
                continue;
            };
            let row = rows
                .entry((f.campaign_id, f.day, f.channel.clone()))
                .or_insert_with(|| AdsSummaryRow {
                    organization_id: f.organization_id,
                    campaign_id: f.campaign_id,
                    day: f.day,
                    channel: f.channel.clone(),
                    impressions: 0,
                    clicks: 0,
                    reach: 0,
                    engagement: 0,
                    spend: Decimal4::ZERO,
                    conversions: 0,
                    conversion_value: Decimal4::ZERO,
                });
            row.impressions += f.impressions;
            row.clicks += f.clicks;
            row.reach += f.reach;
            row.engagement += f.engagement;
            row.spend = Decimal4(row.spend.raw() + spend);
            row.conversions += f.conversions;
            row.conversion_value = Decimal4(row.conversion_value.raw() + value);
        }
        Ok(rows.into_values().collect())
    }

    async fn recompute_crm(
        &self,
        keys: &[(Uuid, NaiveDate)],
        campaigns: &HashMap<Uuid, EtlCampaign>,
    ) -> Result<Vec<CrmSummaryRow>, EtlError> {
        let mut out = Vec::new();
        for r in self.sources.crm.campaign_day_results(keys).await? {
            let Some(campaign) = Self::owner_of(campaigns, r.campaign_id, r.organization_id) else {
                continue;
            };
            let revenue: i64 = r
                .revenue
                .iter()
                .filter_map(|(currency, amount)| {
                    self.config
                        .rates
                        .convert(*amount, currency, &campaign.currency)
                })
                .sum();
            out.push(CrmSummaryRow {
                organization_id: r.organization_id,
                campaign_id: r.campaign_id,
                day: r.day,
                leads: r.leads,
                qualified: r.qualified,
                customers: r.won,
                revenue: Decimal4(revenue),
            });
        }
        Ok(out)
    }

    async fn recompute_content(
        &self,
        keys: &[(Uuid, NaiveDate)],
        campaigns: &HashMap<Uuid, EtlCampaign>,
    ) -> Result<Vec<ContentSummaryRow>, EtlError> {
        Ok(self
            .sources
            .content
            .campaign_day_content(keys)
            .await?
            .into_iter()
            .filter(|c| Self::owner_of(campaigns, c.campaign_id, c.organization_id).is_some())
            .map(|c| ContentSummaryRow {
                organization_id: c.organization_id,
                campaign_id: c.campaign_id,
                day: c.day,
                content_type: c.content_type,
                total: c.total,
                approved: c.approved,
                rejected: c.rejected,
                pending: c.pending,
            })
            .collect())
    }

    /// A cold rebuild: forgets every summary and watermark, then reads every source from the start.
    pub async fn rebuild(&self) -> Result<CycleReport, EtlError> {
        self.sink.reset().await?;
        Ok(self.run_cycle().await)
    }
}

/// The instant `t` as seconds before now (for printing a lag).
pub fn seconds_since(t: DateTime<Utc>) -> f64 {
    (Utc::now() - t).num_milliseconds().max(0) as f64 / 1000.0
}

/// The position after which nothing was read yet (re-exported for tests).
pub type Position = Option<Watermark>;

/// The sales store, the ETL's sink in it and its three sources, opened (and migrated) at
/// `urls` (sales, ads, crm, content).
pub async fn open_stores(
    urls: [&str; 4],
) -> anyhow::Result<(
    Arc<dyn promptsales_sales::SalesStore>,
    Arc<dyn EtlSink>,
    SourceStores,
)> {
    use anyhow::Context as _;
    let [sales_url, ads_url, crm_url, content_url] = urls;
    let (sales, sales_db) = promptsales_sales::open_store(sales_url)
        .await
        .context("opening the sales store")?;
    let (ads, _) = promptsales_ads::open_store(ads_url)
        .await
        .context("opening the ads store")?;
    let (crm, _) = promptsales_crm::open_store(crm_url)
        .await
        .context("opening the crm store")?;
    let (content, _) = promptsales_content::open_store(content_url)
        .await
        .context("opening the content store")?;
    Ok((
        sales,
        promptsales_sales::etl_sink_on(sales_db),
        SourceStores { ads, crm, content },
    ))
}

/// The ETL over the stores the environment names (each subgraph's `PROMPTSALES_<NAME>_DATABASE_URL`,
/// see `kit::config`), configured by [`EtlConfig::from_env`]; with live updates when `live`.
pub async fn open_from_env(live: bool) -> anyhow::Result<Etl> {
    let url = |name: &str| -> anyhow::Result<String> {
        Ok(promptsales_kit::ServiceConfig::from_env(name)?.database_url)
    };
    let urls = [
        url(promptsales_sales::NAME)?,
        url(promptsales_ads::NAME)?,
        url(promptsales_crm::NAME)?,
        url(promptsales_content::NAME)?,
    ];
    let (_, sink, sources) = open_stores([&urls[0], &urls[1], &urls[2], &urls[3]]).await?;
    let etl = Etl::new(sources, sink, EtlConfig::from_env()?, EtlMetrics::new()?);
    Ok(if live {
        etl.with_live(live::Live::from_env(promptsales_sales::live::bus().clone()))
    } else {
        etl
    })
}

/// Flushes what the cycle published (a one-shot process is about to exit).
pub async fn flush_live() {
    promptsales_sales::live::bus()
        .flushed(std::time::Duration::from_secs(3))
        .await;
}
