//! The demo seed: 100+ assets once, linked to the demo campaigns, found by search.

use promptsales_kit::demo::{demo_id, demo_plan, kind};
use serde_json::json;

use crate::support::{Backend, Harness, representations, tenant};

contract!(seeds_the_demo_assets_once);

async fn seeds_the_demo_assets_once(backend: Backend) -> anyhow::Result<()> {
    let h = Harness::new(backend).await?;
    assert!(promptsales_content::seed_demo(h.store.as_ref()).await?);
    let count = h.asset_count().await?;
    assert!(count >= 100, "{count} demo assets");
    assert!(
        !promptsales_content::seed_demo(h.store.as_ref()).await?,
        "a second run writes nothing"
    );
    assert_eq!(h.asset_count().await?, count);
    let templates = h
        .ok(&tenant(demo_plan().organizations[0].id), "{ promptTemplates(filter: {name: \"cto-intro\"}) { edges { node { version purpose } } } }", json!({}))
        .await?;
    assert_eq!(
        templates["promptTemplates"]["edges"],
        json!([{"node": {"version": 1, "purpose": "OUTREACH"}}, {"node": {"version": 2, "purpose": "OUTREACH"}}]),
        "two versions to compare"
    );

    let plan = demo_plan();
    let aurora = plan.organizations[0].id;
    let campaigns: Vec<_> = plan
        .campaigns
        .iter()
        .filter(|c| c.organization_id == aurora)
        .map(|c| c.id)
        .collect();
    let data = h
        .ok(
            &tenant(aurora),
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Campaign { assetCount assets(filter: {status: APPROVED}) { edges { node { description hashtags organization { id } } } } } } }",
            json!({"r": representations("Campaign", &campaigns)}),
        )
        .await?;
    for campaign in data["_entities"].as_array().cloned().unwrap_or_default() {
        assert!(
            campaign["assetCount"]
                .as_i64()
                .is_some_and(|n| (4..=8).contains(&n)),
            "{campaign}"
        );
        for edge in campaign["assets"]["edges"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            assert_eq!(
                edge["node"]["organization"]["id"],
                json!(aurora.to_string())
            );
            assert!(
                edge["node"]["hashtags"]
                    .as_array()
                    .is_some_and(|t| t.contains(&json!("aurora")))
            );
        }
    }
    let data = h
        .ok(
            &tenant(aurora),
            "{ searchAssets(text: \"tent camping\", first: 5) { asset { id description } score } }",
            json!({}),
        )
        .await?;
    let hits = data["searchAssets"].as_array().cloned().unwrap_or_default();
    assert_eq!(hits.len(), 5, "{data:#}");
    let data = h
        .ok(
            &tenant(aurora),
            "query($id: ID!) { mediaAsset(id: $id) { url kind } }",
            json!({"id": demo_id(kind::ASSET, 1).to_string()}),
        )
        .await?;
    assert!(
        data["mediaAsset"]["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://assets.promptsales.example/aurora-outdoor/"))
    );
    Ok(())
}
