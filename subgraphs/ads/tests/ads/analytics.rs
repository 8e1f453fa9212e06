//! Analytics on data the test builds, with answers worked out by hand: sums per channel
//! and market, RANK() within channel, EXCEPT between periods, the daily series and the
//! budget suggestion, on a campaign and on its organization.

use anyhow::Result;
use promptsales_ads::domain::{AdChannel, AdStatus};
use promptsales_ads::store::{Ad, AdChanges};
use promptsales_kit::context::TenantScope;
use promptsales_kit::new_id;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{Env, day_n, figures, in_test_month, iso_n, tenant};

on_each_backend!(analytics_have_the_answers_worked_out_by_hand);

const CAMPAIGN: &str = r#"query($reps: [_Any!]!, $by: AdRankingMetric!, $top: Int) {
  _entities(representations: $reps) {
    ... on Campaign {
      adPerformance(from: "2026-10-08", to: "2026-10-14") { channel country currency totals { impressions clicks spend conversions } }
      adRanking(from: "2026-10-08", to: "2026-10-14", by: $by, top: $top) { rank channel ad { name } }
      adConversionShift(from: "2026-10-08", to: "2026-10-14") { previousFrom previousTo gained lost }
      adDailySeries(from: "2026-10-08", to: "2026-10-14") { day currency totals { impressions spend } }
      adBudgetSuggestion(from: "2026-10-08", to: "2026-10-14") {
        currency moved reasoning
        channels { channel currentDailyBudget suggestedDailyBudget marginalReturn basis }
      }
    }
    ... on Organization {
      adPerformance(from: "2026-10-08", to: "2026-10-14") { channel country totals { impressions } }
      adConversionShift(from: "2026-10-08", to: "2026-10-14") { gained lost }
      adRanking(from: "2026-10-08", to: "2026-10-14", by: CONVERSIONS, top: 1) { rank channel ad { name } }
    }
  }
}"#;

async fn running(env: &Env, ad: &Ad) -> Result<()> {
    env.store
        .update_ad(
            TenantScope::All,
            ad.id,
            AdChanges {
                name: ad.name.clone(),
                status: AdStatus::Running,
                audience_segment_id: None,
                creative_ids: vec![],
                daily_budget: ad.daily_budget,
                bid_strategy: ad.bid_strategy,
                start_date: ad.start_date,
                end_date: ad.end_date,
                platform: None,
                external_id: None,
            },
        )
        .await?;
    Ok(())
}

fn ranking(entity: &Value) -> Vec<(i64, String, String)> {
    entity["adRanking"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["rank"].as_i64().unwrap_or(0),
                r["channel"].as_str().unwrap_or_default().to_string(),
                r["ad"]["name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn r(rank: i64, channel: &str, name: &str) -> (i64, String, String) {
    (rank, channel.to_string(), name.to_string())
}

async fn analytics_have_the_answers_worked_out_by_hand(env: &Env) -> Result<()> {
    let (org, other_org) = (new_id(), new_id());
    let (c, c2) = (new_id(), new_id());
    let es = env.market(org, "ES", "EUR").await?;
    let fr = env.market(org, "FR", "EUR").await?;
    let ad = |market, campaign: Uuid, channel, name: &'static str| {
        let market: &promptsales_ads::store::Market = market;
        async move { env.ad(market, campaign, channel, name).await }
    };
    let fb1 = ad(&es, c, AdChannel::Facebook, "fb1").await?;
    let fb2 = ad(&fr, c, AdChannel::Facebook, "fb2").await?;
    let fb3 = ad(&es, c, AdChannel::Facebook, "fb3").await?;
    let g1 = ad(&es, c, AdChannel::Google, "g1").await?;
    let e1 = ad(&es, c, AdChannel::Email, "e1").await?;
    let s1 = ad(&es, c, AdChannel::Sms, "s1").await?;
    let l1 = ad(&es, c2, AdChannel::Linkedin, "l1").await?;
    for a in [&fb1, &fb2, &fb3, &g1, &e1] {
        running(env, a).await?;
    }
    // This period (10-08..10-14).
    env.day(&fb1, day_n(8), figures(1000, 30, 10, 2, 50))
        .await?;
    env.day(&fb2, day_n(9), figures(1000, 10, 10, 1, 40))
        .await?;
    env.day(&fb3, day_n(10), figures(2000, 60, 20, 0, 0))
        .await?;
    env.day(&g1, day_n(8), figures(500, 5, 5, 0, 0)).await?;
    env.day(&e1, day_n(9), figures(100, 10, 1, 3, 30)).await?;
    env.day(&l1, day_n(8), figures(300, 3, 3, 1, 10)).await?;
    // The previous one (10-01..10-07).
    env.day(&g1, day_n(3), figures(500, 5, 5, 2, 20)).await?;
    env.day(&fb1, day_n(2), figures(100, 1, 1, 1, 5)).await?;
    env.day(&s1, day_n(4), figures(100, 1, 1, 1, 2)).await?;
    // Outside both, and another tenant's campaign with the same id: neither counts.
    env.day(&e1, day_n(15), figures(9999, 99, 99, 99, 99))
        .await?;
    let theirs = env.market(other_org, "ES", "EUR").await?;
    let x = env.ad(&theirs, c, AdChannel::Tiktok, "theirs").await?;
    env.day(&x, day_n(8), figures(7777, 77, 77, 7, 77)).await?;

    let me = tenant(org);
    let query = |by: &str, top: Option<i64>| {
        json!({"reps": [{"__typename": "Campaign", "id": c.to_string()}, {"__typename": "Organization", "id": org.to_string()}],
               "by": by, "top": top})
    };
    let data = env
        .gql_ok(&me, &in_test_month(CAMPAIGN), query("CTR", None))
        .await;
    let campaign = &data["_entities"][0];
    let organization = &data["_entities"][1];

    let perf = |channel: &str,
                country: &str,
                impressions: i64,
                clicks: i64,
                spend: &str,
                conversions: i64| {
        json!({"channel": channel, "country": country, "currency": "EUR",
               "totals": {"impressions": impressions, "clicks": clicks, "spend": spend, "conversions": conversions}})
    };
    assert_eq!(
        campaign["adPerformance"],
        json!([
            perf("EMAIL", "ES", 100, 10, "1.00", 3),
            perf("FACEBOOK", "ES", 3000, 90, "30.00", 2),
            perf("FACEBOOK", "FR", 1000, 10, "10.00", 1),
            perf("GOOGLE", "ES", 500, 5, "5.00", 0),
        ])
    );
    // CTR: fb1 and fb3 tie at 3 % and share rank 1; fb2 (1 %) is third.
    assert_eq!(
        ranking(campaign),
        [
            r(1, "EMAIL", "e1"),
            r(1, "FACEBOOK", "fb1"),
            r(1, "FACEBOOK", "fb3"),
            r(3, "FACEBOOK", "fb2"),
            r(1, "GOOGLE", "g1")
        ]
    );
    assert_eq!(
        campaign["adConversionShift"],
        json!({"previousFrom": iso_n(1), "previousTo": iso_n(7), "gained": ["EMAIL"], "lost": ["GOOGLE", "SMS"]})
    );
    let series: Vec<(String, i64, String)> = campaign["adDailySeries"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["day"].as_str().unwrap_or_default().to_string(),
                p["totals"]["impressions"].as_i64().unwrap_or(-1),
                p["totals"]["spend"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    let point = |d: &str, i: i64, s: &str| (d.to_string(), i, s.to_string());
    assert_eq!(
        series,
        [
            point(&iso_n(8), 1500, "15.00"),
            point(&iso_n(9), 1100, "11.00"),
            point(&iso_n(10), 2000, "20.00"),
            point(&iso_n(11), 0, "0.00"),
            point(&iso_n(12), 0, "0.00"),
            point(&iso_n(13), 0, "0.00"),
            point(&iso_n(14), 0, "0.00"),
        ]
    );
    // Marginal returns: email 30 (average, one day), google 0 (average), facebook -4.5
    // (slope over three days); mean 8.5: google and facebook give 20 % to email.
    let suggestion = &campaign["adBudgetSuggestion"];
    assert_eq!(suggestion["currency"], "EUR");
    assert_eq!(suggestion["moved"], "32.00");
    let channels: Vec<(String, String, String, String)> = suggestion["channels"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["channel"].as_str().unwrap_or_default().into(),
                c["currentDailyBudget"].as_str().unwrap_or_default().into(),
                c["suggestedDailyBudget"]
                    .as_str()
                    .unwrap_or_default()
                    .into(),
                c["basis"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    let row = |a: &str, b: &str, c: &str, d: &str| {
        (a.to_string(), b.to_string(), c.to_string(), d.to_string())
    };
    assert_eq!(
        channels,
        [
            row("EMAIL", "40.00", "72.00", "AVERAGE"),
            row("GOOGLE", "40.00", "32.00", "AVERAGE"),
            row("FACEBOOK", "120.00", "96.00", "SLOPE"),
        ]
    );
    let slope = suggestion["channels"][2]["marginalReturn"]
        .as_f64()
        .unwrap_or(0.0);
    assert!((slope + 4.5).abs() < 1e-9, "{slope}");
    let reasoning = suggestion["reasoning"].as_str().unwrap_or_default();
    assert!(
        reasoning.starts_with("Move 32.00 EUR/day to email"),
        "{reasoning}"
    );

    // The organization adds its other campaign (linkedin) and never the other tenant's ads.
    let org_channels: Vec<String> = organization["adPerformance"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            format!(
                "{}/{}/{}",
                p["channel"].as_str().unwrap_or_default(),
                p["country"].as_str().unwrap_or_default(),
                p["totals"]["impressions"]
            )
        })
        .collect();
    assert_eq!(
        org_channels,
        [
            "EMAIL/ES/100",
            "FACEBOOK/ES/3000",
            "FACEBOOK/FR/1000",
            "GOOGLE/ES/500",
            "LINKEDIN/ES/300"
        ]
    );
    assert_eq!(
        organization["adConversionShift"],
        json!({"gained": ["EMAIL", "LINKEDIN"], "lost": ["GOOGLE", "SMS"]})
    );
    assert_eq!(
        ranking(organization),
        [
            r(1, "EMAIL", "e1"),
            r(1, "FACEBOOK", "fb1"),
            r(1, "GOOGLE", "g1"),
            r(1, "LINKEDIN", "l1")
        ]
    );

    // By conversions and by ROAS: fb1 (2; 5.0) > fb2 (1; 4.0) > fb3 (0; 0.0); top 2 keeps two.
    let by_conversions = env
        .gql_ok(&me, &in_test_month(CAMPAIGN), query("CONVERSIONS", Some(2)))
        .await;
    assert_eq!(
        ranking(&by_conversions["_entities"][0]),
        [
            r(1, "EMAIL", "e1"),
            r(1, "FACEBOOK", "fb1"),
            r(2, "FACEBOOK", "fb2"),
            r(1, "GOOGLE", "g1")
        ]
    );
    let by_roas = env
        .gql_ok(&me, &in_test_month(CAMPAIGN), query("ROAS", None))
        .await;
    assert_eq!(
        ranking(&by_roas["_entities"][0]),
        [
            r(1, "EMAIL", "e1"),
            r(1, "FACEBOOK", "fb1"),
            r(2, "FACEBOOK", "fb2"),
            r(3, "FACEBOOK", "fb3"),
            r(1, "GOOGLE", "g1")
        ]
    );

    // The other tenant sees none of it, even asking for this organization by id.
    let stranger = env
        .gql_ok(
            &tenant(other_org),
            &in_test_month(CAMPAIGN),
            query("CTR", None),
        )
        .await;
    assert_eq!(stranger["_entities"][1]["adPerformance"], json!([]));
    assert_eq!(
        stranger["_entities"][0]["adPerformance"],
        json!([{"channel": "TIKTOK", "country": "ES", "currency": "EUR", "totals": {"impressions": 7777, "clicks": 77, "spend": "77.00", "conversions": 7}}])
    );
    let bad = env
        .gql(&me, &in_test_month(r#"{ _entities(representations: [{__typename: "Campaign", id: "00000000-0000-0000-0000-000000000001"}]) { ... on Campaign { adDailySeries(from: "2026-10-08", to: "2026-10-01") { day } } } }"#), json!({}))
        .await;
    assert_eq!(bad["errors"][0]["extensions"]["field"], "to", "{bad:#}");
    Ok(())
}
