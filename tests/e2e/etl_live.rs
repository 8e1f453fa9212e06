//! Live dashboards through the real router: an ad metric, a lead and a sale
//! made through the graph reach `dashboard` and the campaign's `performance`
//! after one ETL cycle; the cached dashboard is invalidated (a MISS with the
//! new figures), and so is a cached campaign list; a `campaignPerformanceUpdated`
//! subscriber hears of it, and the campaign's spent budget is the ads' recorded spend
//! after every cycle.

use std::time::Duration;

use anyhow::{Context, Result};
use promptsales_etl::{Etl, EtlConfig, EtlMetrics};
use serde_json::{Value, json};

use super::edge;
use super::fixture;
use super::harness::bearer;
use super::routed_subscriptions::{next_json, subscribe};

const DASHBOARD: &str = r#"
query Dashboard($org: ID!, $from: NaiveDate!, $to: NaiveDate!) {
  dashboard(organizationId: $org, from: $from, to: $to) {
    totals { spend { amount } revenue { amount } impressions leads customers }
  }
}"#;

const PERFORMANCE: &str = r#"
query Performance($id: ID!) {
  campaign(id: $id) {
    id
    budget { spent { amount } }
    performance { spend { amount } revenue { amount } impressions leads customers }
  }
}"#;

/// A campaign list that selects no `id`: only the list's own tag can invalidate it.
const CAMPAIGNS: &str = r#"
query Campaigns($org: ID!) {
  campaigns(filter: {organizationId: $org}, first: 100) {
    edges { node { name performance { impressions spend { amount } } } }
  }
}"#;

/// The impressions of every campaign of a `CAMPAIGNS` answer.
fn listed_impressions(body: &Value) -> Result<i64> {
    let edges = body["data"]["campaigns"]["edges"]
        .as_array()
        .with_context(|| format!("a campaign list: {body:#}"))?;
    Ok(edges
        .iter()
        .map(|e| {
            e["node"]["performance"]["impressions"]
                .as_i64()
                .unwrap_or(0)
        })
        .sum())
}

/// The campaign's spent budget in sales, and the spend ads recorded for it, read through the router.
async fn spent_and_ads_spend(
    router: &super::harness::Router,
    auth: &[(&str, String)],
    campaign: &str,
) -> Result<(f64, f64)> {
    let read = router
        .post(
            r#"query($id: ID!) { campaign(id: $id) { budget { spent { amount } } adTotals { spend } } }"#,
            json!({"id": campaign}),
            auth,
        )
        .await?;
    let c = &read["data"]["campaign"];
    let ads: f64 = c["adTotals"]["spend"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("the ads' spend: {read:#}"))?;
    Ok((amount(&c["budget"]["spent"]), ads))
}

fn amount(v: &Value) -> f64 {
    v["amount"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN)
}

#[tokio::test]
async fn a_cycle_brings_a_metric_a_lead_and_a_sale_to_the_cached_dashboard_and_its_subscribers()
-> Result<()> {
    let f = fixture::start().await?;
    let redis_url = edge::shared_redis_url().await;
    let (router, prefix) = edge::router(&f, &redis_url, &[]).await?;
    let etl = Etl::new(
        f.etl_sources.clone(),
        f.etl_sink.clone(),
        EtlConfig {
            settle: Duration::ZERO,
            ..EtlConfig::default()
        },
        EtlMetrics::new()?,
    )
    .with_live(promptsales_etl::live::Live::new(
        Some(&redis_url),
        &prefix,
        promptsales_sales::live::bus().clone(),
    ));
    let first = etl.run_cycle().await;
    assert!(!first.failed(), "{first:?}");

    let auth = f.as_org_a();
    let org = f.org_a.to_string();
    let campaign = f.campaign_1.to_string();
    let (spent, ads_spend) = spent_and_ads_spend(&router, &auth, &campaign).await?;
    assert!(
        (spent - ads_spend).abs() < 1e-9,
        "after the first cycle: spent {spent} vs the ads' {ads_spend}"
    );
    let list = edge::query(CAMPAIGNS, json!({ "org": org }));
    let listed = edge::post(&router.url, list.clone(), &auth).await?;
    assert_eq!(listed.cache(), "MISS", "{listed:#?}");
    let listed = edge::until_hit(&router.url, &list, &auth).await?;
    let impressions_listed = listed_impressions(&listed.body)?;
    // The fixture's whole month (its days are relative to today).
    let dashboard = edge::query(
        DASHBOARD,
        json!({ "org": org, "from": fixture::iso(1), "to": fixture::iso(31) }),
    );
    let before = edge::post(&router.url, dashboard.clone(), &auth).await?;
    assert_eq!(before.cache(), "MISS", "{before:#?}");
    let cached = edge::until_hit(&router.url, &dashboard, &auth).await?;
    let totals_before = cached.body["data"]["dashboard"]["totals"].clone();
    let performance = edge::query(PERFORMANCE, json!({ "id": campaign }));
    let perf_before = edge::post(&router.url, performance.clone(), &auth).await?;
    let perf_before = perf_before.body["data"]["campaign"]["performance"].clone();

    // A subscriber of the organization's campaign 1.
    let reader = f.token(Some(f.org_a), &["sales:read"]);
    let mut socket = subscribe(
        &router.url,
        &reader,
        &format!(
            r#"subscription {{ campaignPerformanceUpdated(organizationId: "{org}", campaignIds: ["{campaign}"]) {{ organizationId campaignIds }} }}"#
        ),
    )
    .await?;

    // Through the graph: a metric day, a captured lead, a sale to its customer.
    let ads = router
        .post(
            r#"query($c: ID!) { ads(filter: {campaignId: $c}) { edges { node { id } } } }"#,
            json!({"c": campaign}),
            &auth,
        )
        .await?;
    let ad_id = ads["data"]["ads"]["edges"][0]["node"]["id"]
        .as_str()
        .with_context(|| format!("an ad of campaign 1: {ads:#}"))?
        .to_string();
    let record =
        r#"mutation($input: [AdDayMetricsInput!]!) { recordAdMetrics(input: $input) { id } }"#;
    let day = json!({"input": [{"adId": ad_id, "day": fixture::iso(20), "impressions": 4321, "clicks": 12, "spend": "6.50"}]});
    let recorded = router.post(record, day.clone(), &auth).await?;
    assert!(recorded.get("errors").is_none(), "{recorded:#}");
    let captured = router
        .post(
            r#"mutation($input: CaptureLeadInput!) { captureLead(input: $input) { lead { id customer { id } } } }"#,
            json!({"input": {
                "campaignId": campaign,
                "email": "etl.live@example.test",
                "fullName": "Etl Live",
                "source": "EMAIL",
            }}),
            &auth,
        )
        .await?;
    let customer = captured["data"]["captureLead"]["lead"]["customer"]["id"]
        .as_str()
        .with_context(|| format!("a captured lead: {captured:#}"))?
        .to_string();
    let sold = router
        .post(
            r#"mutation($input: CreateSaleInput!) { createSale(input: $input) { id } }"#,
            json!({"input": {
                "campaignId": campaign,
                "customerId": customer,
                "amount": "125.00",
                "currency": "EUR",
            }}),
            &auth,
        )
        .await?;
    assert!(sold.get("errors").is_none(), "{sold:#}");

    // One cycle: the subscriber hears of campaign 1. (The router opens its own subscription
    // to the subgraph when it gets ours, so the cause repeats until the message arrives;
    // re-recording the same day changes no figure.)
    let message = loop {
        let cycle = etl.run_cycle().await;
        assert!(!cycle.failed(), "{cycle:?}");
        if let Ok(message) =
            tokio::time::timeout(Duration::from_millis(500), next_json(&mut socket)).await
        {
            break message?;
        }
        let again = router.post(record, day.clone(), &auth).await?;
        assert!(again.get("errors").is_none(), "{again:#}");
    };
    assert_eq!(message["type"], "next", "{message:#}");
    assert_eq!(
        message["payload"]["data"]["campaignPerformanceUpdated"],
        json!({"organizationId": org, "campaignIds": [campaign]})
    );

    // The cached dashboard was invalidated: a MISS, with the new figures.
    let after = edge::post(&router.url, dashboard.clone(), &auth).await?;
    assert_eq!(after.cache(), "MISS", "{after:#?}");
    let totals = &after.body["data"]["dashboard"]["totals"];
    assert_eq!(
        totals["impressions"].as_i64().unwrap_or(0)
            - totals_before["impressions"].as_i64().unwrap_or(0),
        4321,
        "{totals:#} vs {totals_before:#}"
    );
    assert!((amount(&totals["spend"]) - amount(&totals_before["spend"]) - 6.5).abs() < 1e-9);
    assert_eq!(
        totals["leads"].as_i64().unwrap_or(0) - totals_before["leads"].as_i64().unwrap_or(0),
        1
    );
    assert!((amount(&totals["revenue"]) - amount(&totals_before["revenue"]) - 125.0).abs() < 1e-9);

    // So was the cached campaign list (it names no campaign id: its list tag did it).
    let listed = edge::post(&router.url, list, &auth).await?;
    assert_eq!(listed.cache(), "MISS", "{listed:#?}");
    assert_eq!(
        listed_impressions(&listed.body)? - impressions_listed,
        4321,
        "{listed:#?}"
    );

    // The campaign's performance shows them too, and its spent budget is the ads' spend.
    let perf_after = edge::post(&router.url, performance, &auth).await?;
    let campaign_after = &perf_after.body["data"]["campaign"];
    let p = &campaign_after["performance"];
    assert_eq!(
        p["impressions"].as_i64().unwrap_or(0) - perf_before["impressions"].as_i64().unwrap_or(0),
        4321,
        "{perf_after:#?}"
    );
    assert_eq!(
        p["leads"].as_i64().unwrap_or(0) - perf_before["leads"].as_i64().unwrap_or(0),
        1
    );
    let (spent, ads_spend) = spent_and_ads_spend(&router, &auth, &campaign).await?;
    assert!(
        (spent - ads_spend).abs() < 1e-9,
        "after the last cycle: spent {spent} vs the ads' {ads_spend}"
    );
    assert!(
        (amount(&campaign_after["budget"]["spent"]) - ads_spend).abs() < 1e-9,
        "{campaign_after:#} vs {ads_spend}"
    );
    assert!((amount(&p["spend"]) - ads_spend).abs() < 1e-9);

    // Admins see the ETL's sources.
    let admin = bearer(&f.token(Some(f.org_a), &["sales:admin"]));
    let status = router
        .post(
            "{ etlStatus { source lagSeconds failedRows lastRun { status rowsRead } } }",
            json!({}),
            &admin,
        )
        .await?;
    let sources = status["data"]["etlStatus"]
        .as_array()
        .with_context(|| format!("{status:#}"))?;
    assert!(
        sources.iter().any(|s| s["source"] == "ads.ad_metrics"),
        "{status:#}"
    );
    Ok(())
}
