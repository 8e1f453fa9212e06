//! Batching: N parents cost the same number of SQL statements for N = 3 and N = 30.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{Backend, Harness, image, representations, tenant};

contract!(relations_cost_a_constant_number_of_statements);

const CAMPAIGN_ENTITIES: &str = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Campaign { id assetCount \
    assets(first: 5) { edges { node { id description hashtags } } } } } }";
const ASSET_ENTITIES: &str = "query($r: [_Any!]!) { _entities(representations: $r) { ... on MediaAsset { id description \
    hashtags campaigns { id assetCount } } } }";
const ASSET_LIST: &str = "query($first: Int) { mediaAssets(first: $first) { edges { node { id campaigns { id \
    assets(first: 3) { edges { node { id } } } } } } } }";

/// Statements run by one operation, checking it answered one item per parent.
async fn statements(
    h: &Harness,
    org: Uuid,
    query: &str,
    variables: Value,
    parents: usize,
) -> anyhow::Result<u64> {
    h.counter.reset();
    let data = h.ok(&tenant(org), query, variables).await?;
    let count = h.counter.get();
    let items = data["_entities"]
        .as_array()
        .or_else(|| data["mediaAssets"]["edges"].as_array())
        .map(Vec::len)
        .unwrap_or(0);
    anyhow::ensure!(items == parents, "expected {parents} results, got {data:#}");
    let nulls = data["_entities"]
        .as_array()
        .map(|e| e.iter().filter(|x| x.is_null()).count())
        .unwrap_or(0);
    anyhow::ensure!(nulls == 0, "unresolved entities: {data:#}");
    Ok(count)
}

async fn relations_cost_a_constant_number_of_statements(backend: Backend) -> anyhow::Result<()> {
    let mut measured = Vec::new();
    for n in [3usize, 30] {
        // A fresh store each time, so both runs see the same shape of data.
        let h = Harness::new(backend).await?;
        let org = Uuid::now_v7();
        let campaigns: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
        let mut assets = Vec::new();
        for (i, campaign) in campaigns.iter().enumerate() {
            for k in 0..2 {
                let mut asset = image(
                    org,
                    &format!("Asset {k} of campaign {i}"),
                    &["batch", "demo"],
                );
                asset.campaign_ids = vec![*campaign];
                assets.push(asset);
            }
        }
        let assets: Vec<Uuid> = h
            .store
            .insert_assets(assets)
            .await?
            .iter()
            .map(|a| a.id)
            .collect();
        let one_per_campaign: Vec<Uuid> = assets.iter().step_by(2).copied().collect();

        let by_campaign = statements(
            &h,
            org,
            CAMPAIGN_ENTITIES,
            json!({"r": representations("Campaign", &campaigns)}),
            n,
        )
        .await?;
        let by_asset = statements(
            &h,
            org,
            ASSET_ENTITIES,
            json!({"r": representations("MediaAsset", &one_per_campaign)}),
            n,
        )
        .await?;
        let list = statements(&h, org, ASSET_LIST, json!({"first": n}), n).await?;
        measured.push((n, by_campaign, by_asset, list));
    }
    eprintln!(
        "{backend:?} statements (n, Campaign _entities, MediaAsset _entities, mediaAssets list): {measured:?}"
    );
    let (_, c3, a3, l3) = measured[0];
    let (_, c30, a30, l30) = measured[1];
    assert_eq!(
        (c3, a3, l3),
        (c30, a30, l30),
        "statement counts must not grow with N"
    );
    // assets page + counts; assets by id + their campaigns + the campaigns' counts; page + campaigns + their assets.
    assert_eq!((c3, a3, l3), (2, 3, 3));
    Ok(())
}
