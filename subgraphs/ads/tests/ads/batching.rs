//! N parents cost the same number of SQL statements as 3: every relation goes through a DataLoader.

use anyhow::Result;
use promptsales_ads::domain::AdChannel;
use promptsales_kit::new_id;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{Env, day_n, figures, in_test_month, operator};

on_each_backend!(entity_and_list_resolution_cost_constant_statements);

const CAMPAIGNS: &str = r#"query($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Campaign {
      id
      adTotals { impressions spend ctr cpc cpa roas }
      channelBreakdown { channel totals { clicks spend } }
      ads(first: 5, filter: {status: DRAFT}) {
        edges { node { id name dailyBudget { amount currency } market { country } creatives { id } totals { clicks } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}"#;

const ADS: &str = r#"query($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Ad { id name campaign { id adTotals { clicks } } totals { impressions } }
  }
}"#;

const LIST: &str = r#"query($first: Int!) {
  ads(first: $first) {
    edges { node { id totals { clicks } metrics(from: "2026-10-01", to: "2026-10-31") { day clicks ctr } campaign { adTotals { spend } } } }
  }
}"#;

/// Statements run by one request, with the campaigns' and ads' counts checked on the way.
async fn statements(env: &Env, query: &str, variables: Value, check: impl Fn(&Value)) -> u64 {
    env.counter.reset();
    let data = env.gql_ok(&operator(), query, variables).await;
    let count = env.counter.get();
    check(&data);
    count
}

fn reps(typename: &str, ids: &[Uuid]) -> Value {
    json!({"reps": ids.iter().map(|id| json!({"__typename": typename, "id": id.to_string()})).collect::<Vec<_>>()})
}

async fn entity_and_list_resolution_cost_constant_statements(env: &Env) -> Result<()> {
    let org = new_id();
    let market = env.market(org, "ES", "EUR").await?;
    let mut campaigns = Vec::new();
    let mut ads = Vec::new();
    for i in 0..30 {
        let campaign = new_id();
        campaigns.push(campaign);
        for channel in [AdChannel::Facebook, AdChannel::Google] {
            let ad = env
                .ad(
                    &market,
                    campaign,
                    channel,
                    &format!("ad {i} {}", channel.code()),
                )
                .await?;
            env.day(&ad, day_n(1), figures(1_000 + i, 10, 5, 1, 20))
                .await?;
            ads.push(ad.id);
        }
    }

    let mut measured = Vec::new();
    for n in [3usize, 30] {
        let by_campaign = statements(env, CAMPAIGNS, reps("Campaign", &campaigns[..n]), |data| {
            let entities = data["_entities"].as_array().cloned().unwrap_or_default();
            assert_eq!(entities.len(), n);
            for e in &entities {
                assert_eq!(e["ads"]["edges"].as_array().map(Vec::len), Some(2), "{e:#}");
                assert_eq!(
                    e["channelBreakdown"].as_array().map(Vec::len),
                    Some(2),
                    "{e:#}"
                );
                assert_eq!(e["adTotals"]["spend"], "10.00");
            }
        })
        .await;
        let by_ad = statements(env, ADS, reps("Ad", &ads[..n]), |data| {
            assert_eq!(data["_entities"].as_array().map(Vec::len), Some(n));
            assert_eq!(
                data["_entities"][n - 1]["totals"]["impressions"]
                    .as_i64()
                    .map(|v| v >= 1_000),
                Some(true)
            );
        })
        .await;
        let listed = statements(env, &in_test_month(LIST), json!({"first": n}), |data| {
            let edges = data["ads"]["edges"].as_array().cloned().unwrap_or_default();
            assert_eq!(edges.len(), n);
            assert!(
                edges
                    .iter()
                    .all(|e| e["node"]["metrics"].as_array().map(Vec::len) == Some(1))
            );
        })
        .await;
        measured.push((by_campaign, by_ad, listed));
    }
    eprintln!(
        "statements for 3 and 30 parents (campaign entities, ad entities, ad list): {measured:?}"
    );
    assert_eq!(
        measured[0], measured[1],
        "the cost grew with the number of parents"
    );
    // Campaign: ads page + totals + breakdown + the ads' totals. Ad: ads + totals + campaign totals.
    // List: the page + totals + metrics + campaign totals.
    assert_eq!(measured[0], (4, 3, 4));
    Ok(())
}
