//! The delta ETL against real stores: SQLite files and PostgreSQL databases,
//! the four stores seeded with the demo data. Every test runs on both backends.

use std::sync::Arc;
use std::time::Duration;

use chrono::{Duration as Days, Utc};
use promptsales_ads::store::{AdsStore, NewAdMetric};
use promptsales_content::store::{ContentStore, Revision};
use promptsales_crm::store::{CrmStore, LeadSource, LeadStage, NewLead, NewSale, StageMove};
use promptsales_etl::{Etl, EtlConfig, EtlMetrics, Source, SourceStores};
use promptsales_kit::Decimal4;
use promptsales_kit::context::TenantScope;
use promptsales_kit::demo::demo_plan;
use promptsales_sales::SalesStore;
use promptsales_sales::store::etl::{CommitOutcome, EtlSink};
use uuid::Uuid;

struct Harness {
    ads: Arc<dyn AdsStore>,
    crm: Arc<dyn CrmStore>,
    content: Arc<dyn ContentStore>,
    sales: Arc<dyn SalesStore>,
    sink: Arc<dyn EtlSink>,
    config: EtlConfig,
    databases: Vec<String>,
    _dir: Option<tempfile::TempDir>,
}

impl Harness {
    async fn sqlite() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let url = |name: &str| format!("sqlite://{}/{name}.db?mode=rwc", dir.path().display());
        let urls = [url("sales"), url("ads"), url("crm"), url("content")];
        let mut h = Self::open(urls).await?;
        h._dir = Some(dir);
        Ok(h)
    }

    async fn postgres() -> anyhow::Result<Self> {
        let pg = promptsales_kit::testing::postgres::postgres().await;
        let mut urls = Vec::new();
        for name in ["etl_sales", "etl_ads", "etl_crm", "etl_content"] {
            urls.push(pg.fresh_database(name).await?);
        }
        let names = urls
            .iter()
            .filter_map(|u| u.rsplit('/').next().map(str::to_string))
            .collect();
        let mut h = Self::open([
            urls[0].clone(),
            urls[1].clone(),
            urls[2].clone(),
            urls[3].clone(),
        ])
        .await?;
        h.databases = names;
        Ok(h)
    }

    async fn open(urls: [String; 4]) -> anyhow::Result<Self> {
        let [sales_url, ads_url, crm_url, content_url] = urls;
        let (sales, sales_db) = promptsales_sales::open_store(&sales_url).await?;
        let (ads, _) = promptsales_ads::open_store(&ads_url).await?;
        let key = promptsales_crm::crypto::DataKey::from_bytes([7; 32]);
        let (crm, _) = promptsales_crm::open_store_with_key(&crm_url, &key).await?;
        let (content, _) = promptsales_content::open_store(&content_url).await?;
        promptsales_sales::seed_demo(sales.as_ref()).await?;
        promptsales_ads::seed_demo(ads.as_ref()).await?;
        promptsales_crm::seed_demo(crm.as_ref()).await?;
        promptsales_content::seed_demo(content.as_ref()).await?;
        let config = EtlConfig {
            // Small pages: every test crosses page boundaries.
            page_size: 40,
            settle: Duration::ZERO,
            lease_ttl: Duration::from_secs(2),
            ..EtlConfig::default()
        };
        Ok(Self {
            ads,
            crm,
            content,
            sales,
            sink: promptsales_sales::etl_sink_on(sales_db),
            config,
            databases: Vec::new(),
            _dir: None,
        })
    }

    fn etl(&self) -> Etl {
        Etl::new(
            SourceStores {
                ads: self.ads.clone(),
                crm: self.crm.clone(),
                content: self.content.clone(),
            },
            self.sink.clone(),
            self.config.clone(),
            EtlMetrics::new().expect("metrics"),
        )
    }

    async fn close(self) {
        if !self.databases.is_empty() {
            let pg = promptsales_kit::testing::postgres::postgres().await;
            for name in &self.databases {
                // A server busy elsewhere may hold a drop up; the kit's harness drops leftovers later.
                let _ = tokio::time::timeout(Duration::from_secs(5), pg.drop_database(name)).await;
            }
        }
    }
}

/// Declares each test once per backend.
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() -> anyhow::Result<()> {
                    let h = crate::Harness::sqlite().await?;
                    let outcome = crate::$name(&h).await;
                    h.close().await;
                    outcome
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() -> anyhow::Result<()> {
                    let h = crate::Harness::postgres().await?;
                    let outcome = crate::$name(&h).await;
                    h.close().await;
                    outcome
                }
            )*
        }
    };
}

on_every_backend!(
    the_first_cycle_derives_every_summary_and_the_next_reads_nothing,
    a_cycle_reads_only_the_changed_rows_and_matches_a_rebuild,
    a_row_it_cannot_interpret_is_recorded_and_the_cycle_goes_on,
    one_runner_at_a_time_and_a_lapsed_runner_cannot_commit,
    runs_older_than_the_retention_are_purged_and_each_sources_latest_stays,
);

/// A demo campaign with ads and leads, its organization, an ad of it and a lead of it.
async fn busy_campaign(
    h: &Harness,
) -> anyhow::Result<(Uuid, Uuid, Uuid, promptsales_crm::store::Lead)> {
    for campaign in &demo_plan().campaigns {
        let ads = h.ads.ads_of_campaign(TenantScope::All, campaign.id).await?;
        let leads = h
            .crm
            .list_leads(
                TenantScope::All,
                &promptsales_crm::store::LeadFilter {
                    campaign_id: Some(campaign.id),
                    ..Default::default()
                },
                &promptsales_kit::PageRequest {
                    first: 10,
                    after: None,
                },
            )
            .await?;
        if let (Some(ad), Some(lead)) = (ads.first(), leads.items.first()) {
            return Ok((campaign.organization_id, campaign.id, ad.id, lead.clone()));
        }
    }
    anyhow::bail!("no demo campaign has both ads and leads")
}

async fn the_first_cycle_derives_every_summary_and_the_next_reads_nothing(
    h: &Harness,
) -> anyhow::Result<()> {
    let etl = h.etl();
    let first = etl.run_cycle().await;
    assert!(!first.failed(), "{first:?}");
    assert!(
        first.rows_read() > 0 && first.rows_written() > 0,
        "{first:?}"
    );
    // Pages of 40: the demo's metric days take several commits.
    let ads = first
        .sources
        .iter()
        .find(|s| s.source == Source::AdMetrics)
        .expect("ads");
    assert!(ads.pages > 1, "{ads:?}");
    let snapshot = h.sink.snapshot().await?;
    assert!(!snapshot.ads.is_empty() && !snapshot.crm.is_empty() && !snapshot.content.is_empty());

    let second = etl.run_cycle().await;
    assert_eq!(second.rows_read(), 0, "{second:?}");
    assert_eq!(second.rows_written(), 0);
    assert_eq!(h.sink.snapshot().await?, snapshot);

    // The dashboard's figures are the sources': the crm's leads of a campaign, the ads' spend.
    let (_, campaign, _, _) = busy_campaign(h).await?;
    let leads = h
        .crm
        .list_leads(
            TenantScope::All,
            &promptsales_crm::store::LeadFilter {
                campaign_id: Some(campaign),
                ..Default::default()
            },
            &promptsales_kit::PageRequest {
                first: 10_000,
                after: None,
            },
        )
        .await?;
    let performance = h
        .sales
        .campaign_performance(TenantScope::All, &[campaign])
        .await?;
    assert_eq!(performance[&campaign].leads, leads.items.len() as i64);
    Ok(())
}

async fn a_cycle_reads_only_the_changed_rows_and_matches_a_rebuild(
    h: &Harness,
) -> anyhow::Result<()> {
    let etl = h.etl();
    etl.run_cycle().await;
    let (organization, campaign, ad, lead) = busy_campaign(h).await?;
    let now = Utc::now();
    // One metric day corrected, one new lead, the lead moved on, one sale, one asset rejected.
    let day = now.date_naive() - Days::days(1);
    h.ads
        .record_metric(NewAdMetric {
            id: None,
            organization_id: organization,
            ad_id: ad,
            day,
            performance: promptsales_ads::domain::Performance {
                impressions: 1_000,
                reach: 900,
                clicks: 50,
                engagement: 70,
                spend: Decimal4::from_units(12),
                conversions: 3,
                conversion_value: Decimal4::from_units(90),
            },
        })
        .await?;
    let new_lead = h
        .crm
        .insert_lead(NewLead {
            id: None,
            organization_id: organization,
            customer_id: lead.customer_id,
            campaign_id: campaign,
            source: LeadSource::Facebook,
            source_ad_id: None,
            stage: LeadStage::Mql,
            score: 40,
            purchase_intent: 0.4,
            assigned_agent_id: None,
            last_interaction_at: None,
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    h.crm
        .move_lead_stage(
            TenantScope::All,
            StageMove {
                lead_id: new_lead.id,
                expected_version: new_lead.version,
                to: LeadStage::Sql,
                by: None,
                note: None,
                at: Utc::now(),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let campaigns = h.sink.campaigns(&[campaign]).await?;
    h.crm
        .insert_sale(NewSale {
            id: None,
            organization_id: organization,
            customer_id: lead.customer_id,
            lead_id: None,
            campaign_id: campaign,
            product_id: None,
            amount: Decimal4::from_units(250),
            currency: campaigns[0].currency.clone(),
            closed_at: now - Days::minutes(1),
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let assets = h
        .content
        .campaign_assets(
            TenantScope::All,
            &[campaign],
            &Default::default(),
            &promptsales_kit::PageRequest {
                first: 5,
                after: None,
            },
        )
        .await?;
    let mut changed_asset = false;
    if let Some(asset) = assets.get(&campaign).and_then(|p| p.items.first()) {
        let mut next = asset.clone();
        next.review_status = promptsales_content::domain::ReviewStatus::Rejected;
        h.content
            .update_asset(TenantScope::All, Revision::of(asset), &next)
            .await?;
        changed_asset = true;
    }

    let cycle = etl.run_cycle().await;
    assert!(!cycle.failed(), "{cycle:?}");
    let read = |source: Source| {
        cycle
            .sources
            .iter()
            .find(|s| s.source == source)
            .map_or(0, |s| s.rows_read)
    };
    // Deltas only: exactly the rows changed since the last cycle.
    assert_eq!(read(Source::AdMetrics), 1);
    assert_eq!(read(Source::Leads), 1);
    assert_eq!(read(Source::Sales), 1);
    assert_eq!(read(Source::MediaAssets), u64::from(changed_asset));
    assert_eq!(read(Source::GeneratedContent), 0);
    assert!(cycle.changed[&organization].contains(&campaign));

    // The delta cycle's summaries equal a cold rebuild's from the same sources.
    let after_delta = h.sink.snapshot().await?;
    let rebuilt = etl.rebuild().await?;
    assert!(!rebuilt.failed());
    assert_eq!(h.sink.snapshot().await?, after_delta);

    // The campaign's spent budget is what its ads recorded.
    let spend = h
        .ads
        .totals_of_campaigns(TenantScope::All, &[campaign])
        .await?;
    let performance = h
        .sales
        .campaign_performance(TenantScope::All, &[campaign])
        .await?;
    let spent = after_delta
        .spent
        .iter()
        .find(|(c, _)| *c == campaign)
        .map(|(_, s)| *s);
    let expected = performance[&campaign].spend;
    if campaigns[0].budget_total >= expected {
        assert_eq!(spent, Some(expected));
    }
    // Same-currency campaigns: the ads' own sum, to the ten-thousandth.
    assert!(spend.contains_key(&campaign));
    Ok(())
}

async fn a_row_it_cannot_interpret_is_recorded_and_the_cycle_goes_on(
    h: &Harness,
) -> anyhow::Result<()> {
    let etl = h.etl();
    etl.run_cycle().await;
    let (organization, campaign, _, lead) = busy_campaign(h).await?;
    let sale = |currency: &str, amount| NewSale {
        id: None,
        organization_id: organization,
        customer_id: lead.customer_id,
        lead_id: None,
        campaign_id: campaign,
        product_id: None,
        amount: Decimal4::from_units(amount),
        currency: currency.into(),
        closed_at: Utc::now() - Days::minutes(5),
    };
    let bad = h
        .crm
        .insert_sale(sale("XTS", 999))
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let currency = h.sink.campaigns(&[campaign]).await?[0].currency.clone();
    h.crm
        .insert_sale(sale(&currency, 10))
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let before = h
        .sales
        .campaign_performance(TenantScope::All, &[campaign])
        .await?[&campaign]
        .revenue;
    let cycle = etl.run_cycle().await;
    assert!(!cycle.failed(), "{cycle:?}");
    let sales = cycle
        .sources
        .iter()
        .find(|s| s.source == Source::Sales)
        .expect("sales");
    assert_eq!((sales.rows_read, sales.rows_failed), (2, 1));
    // The good sale counts; the one in a currency without a rate does not.
    let after = h
        .sales
        .campaign_performance(TenantScope::All, &[campaign])
        .await?[&campaign]
        .revenue;
    assert_eq!(after.raw() - before.raw(), Decimal4::from_units(10).raw());
    let status = h.sink.status().await?;
    let crm_sales = status
        .iter()
        .find(|s| s.source == "crm.sales")
        .expect("status");
    assert_eq!(crm_sales.failed_rows, 1);
    assert!(crm_sales.caught_up_to.is_some());
    let _ = bad;
    Ok(())
}

async fn one_runner_at_a_time_and_a_lapsed_runner_cannot_commit(h: &Harness) -> anyhow::Result<()> {
    let ttl = Duration::from_secs(1);
    let held = h
        .sink
        .acquire_lease("crm", "someone-else", ttl)
        .await?
        .expect("a free lease");
    assert!(h.sink.acquire_lease("crm", "me", ttl).await?.is_none());
    // Another runner holds crm: this cycle leaves it alone and does the rest.
    let cycle = h.etl().run_cycle().await;
    let crm: Vec<_> = cycle
        .sources
        .iter()
        .filter(|s| s.source.group() == promptsales_etl::Group::Crm)
        .collect();
    assert!(crm.iter().all(|s| s.status == "busy"), "{crm:?}");
    assert!(h.sink.snapshot().await?.crm.is_empty());
    assert!(!h.sink.snapshot().await?.ads.is_empty());

    // The holder gets stuck: its lease lapses, someone takes over, and its commit is fenced.
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    let taken = h
        .sink
        .acquire_lease("crm", "me", ttl)
        .await?
        .expect("the lapsed lease");
    assert!(taken.fence > held.fence);
    let stale = promptsales_sales::store::etl::EtlCommit {
        lease: held.clone(),
        lease_ttl: ttl,
        source: "crm.leads".into(),
        watermark: None,
        caught_up_to: None,
        ads_keys: Vec::new(),
        ads: Vec::new(),
        crm_keys: Vec::new(),
        crm: Vec::new(),
        content_keys: Vec::new(),
        content: Vec::new(),
        failed: Vec::new(),
        resolved: Vec::new(),
        run: promptsales_sales::store::etl::EtlRun {
            id: Uuid::now_v7(),
            source: "crm.leads".into(),
            status: "ok".into(),
            rows_read: 0,
            rows_written: 0,
            rows_failed: 0,
            started_at: Utc::now(),
            finished_at: Utc::now(),
            error: None,
        },
    };
    assert_eq!(h.sink.commit(stale).await?, CommitOutcome::Fenced);
    h.sink.release_lease(&taken).await?;
    let cycle = h.etl().run_cycle().await;
    assert!(cycle.sources.iter().all(|s| s.status == "ok"), "{cycle:?}");
    assert!(!h.sink.snapshot().await?.crm.is_empty());
    Ok(())
}

async fn runs_older_than_the_retention_are_purged_and_each_sources_latest_stays(
    h: &Harness,
) -> anyhow::Result<()> {
    use promptsales_sales::store::etl::EtlRun;
    let source = "ads.ad_metrics";
    // Two runs of a week and a half ago, the newer of them failed.
    for (days, error) in [(11, None), (10, Some("the old failure".to_string()))] {
        let at = Utc::now() - Days::days(days);
        h.sink
            .record_run(&EtlRun {
                id: Uuid::now_v7(),
                source: source.into(),
                status: if error.is_some() { "failed" } else { "ok" }.into(),
                rows_read: 0,
                rows_written: 0,
                rows_failed: 0,
                started_at: at,
                finished_at: at,
                error,
            })
            .await?;
    }
    let status = |statuses: Vec<promptsales_sales::store::etl::EtlSourceStatus>| {
        statuses.into_iter().find(|s| s.source == source)
    };
    // A cycle with the default retention (168 hours) runs every source once, then purges.
    assert_eq!(h.config.runs_keep, EtlConfig::default().runs_keep);
    let cycle = h.etl().run_cycle().await;
    assert!(!cycle.failed(), "{cycle:?}");
    let after = status(h.sink.status().await?).expect("the source's status");
    assert!(
        after.last_error.is_none(),
        "the old failed run is gone: {:?}",
        after.last_error
    );
    let latest = after.last_run.expect("this cycle's run");
    assert!(latest.started_at > Utc::now() - Days::hours(1));
    assert_eq!(
        h.sink.purge_runs(Utc::now() - Days::hours(168)).await?,
        0,
        "the cycle already purged every old run"
    );

    // Purging everything older than now keeps each source's latest run.
    let sources = h.sink.status().await?.len();
    h.sink.purge_runs(Utc::now() + Days::hours(1)).await?;
    let statuses = h.sink.status().await?;
    assert_eq!(statuses.len(), sources);
    assert!(
        statuses.iter().all(|s| s.last_run.is_some()),
        "{statuses:?}"
    );
    assert_eq!(
        status(statuses).and_then(|s| s.last_run).map(|r| r.id),
        Some(latest.id)
    );
    Ok(())
}
