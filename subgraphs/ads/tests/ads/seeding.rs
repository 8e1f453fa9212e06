//! The demo seed: written once, plausible, and visible through the graph.

use anyhow::Result;
use promptsales_kit::demo::demo_plan;
use serde_json::json;

use crate::harness::{Env, tenant};

on_each_backend!(the_demo_seed_is_idempotent_and_shows_in_the_graph);

async fn the_demo_seed_is_idempotent_and_shows_in_the_graph(env: &Env) -> Result<()> {
    assert!(promptsales_ads::seed_demo(env.store.as_ref()).await?);
    let counts = env.row_counts().await?;
    assert!(!promptsales_ads::seed_demo(env.store.as_ref()).await?);
    assert_eq!(env.row_counts().await?, counts, "a second seed wrote");

    let plan = demo_plan();
    let ads: usize = plan.campaigns.iter().map(|c| c.channels.len()).sum();
    assert_eq!(counts.0, ads);
    assert_eq!(counts.1, 16);

    let active = plan
        .campaigns
        .iter()
        .find(|c| c.status == "active")
        .expect("an active demo campaign");
    let draft = plan
        .campaigns
        .iter()
        .find(|c| c.status == "draft")
        .expect("a draft demo campaign");
    let query = r#"query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Campaign {
        adTotals { impressions clicks ctr }
        ads { edges { node { status market { country } } } } } } }"#;
    let reps = json!({"reps": [
        {"__typename": "Campaign", "id": active.id.to_string()},
        {"__typename": "Campaign", "id": draft.id.to_string()},
    ]});
    let data = env
        .gql_ok(&tenant(active.organization_id), query, reps)
        .await;
    let running = &data["_entities"][0];
    let ctr = running["adTotals"]["ctr"].as_f64().unwrap_or_default();
    assert!((0.005..=0.03).contains(&ctr), "ctr {ctr}");
    assert_eq!(running["ads"]["edges"][0]["node"]["status"], "RUNNING");
    assert_eq!(
        running["ads"]["edges"][0]["node"]["market"]["country"],
        active.countries[0]
    );
    // The draft belongs to the same organization only if the plan says so; its figures are zero either way.
    assert_eq!(data["_entities"][1]["adTotals"]["impressions"], 0);
    Ok(())
}
