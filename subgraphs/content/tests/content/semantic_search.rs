//! Semantic search: recall on a labelled query set over the demo assets, embeddings kept with
//! the assets, the Redis result cache and its invalidation on registration, asset versions.

use std::sync::Arc;
use std::time::Duration;

use promptsales_content::engine::EngineConfig;
use promptsales_kit::ai::{AiGateway, HashingEmbedder, RedisCache, TemplateWriter};
use promptsales_kit::demo::{demo_id, kind};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{Backend, Harness, code, field, tenant};

contract!(
    labelled_queries_find_their_assets,
    search_results_are_cached_and_invalidated_on_registration,
);

#[derive(Deserialize)]
struct Fixture {
    k: usize,
    queries: Vec<Labelled>,
    hard_queries: Vec<Labelled>,
}

#[derive(Deserialize)]
struct Labelled {
    query: String,
    expected: Vec<u32>,
}

const SEARCH: &str = "query($d: String!, $n: Int, $u: Boolean! = false) { searchContent(description: $d, first: $n, usableOnly: $u) { score hashtags asset { id description } } }";

fn ids(data: &Value) -> Vec<String> {
    data["searchContent"]
        .as_array()
        .map(|hits| {
            hits.iter()
                .filter_map(|h| h["asset"]["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Recall@k (expected assets found in the top k, over all queries) and mean reciprocal rank.
async fn measure(h: &Harness, queries: &[Labelled], k: usize) -> anyhow::Result<(f64, f64)> {
    let (mut found, mut wanted, mut reciprocal) = (0usize, 0usize, 0.0f64);
    for labelled in queries {
        let expected: Vec<Uuid> = labelled
            .expected
            .iter()
            .map(|n| demo_id(kind::ASSET, *n))
            .collect();
        let owner = h
            .store
            .assets_by_ids(promptsales_kit::context::TenantScope::All, &expected[..1])
            .await?;
        let org = owner
            .first()
            .map(|a| a.organization_id)
            .ok_or_else(|| anyhow::anyhow!("demo asset missing"))?;
        let data = h
            .ok(&tenant(org), SEARCH, json!({"d": labelled.query, "n": k}))
            .await?;
        let got = ids(&data);
        let hits = expected
            .iter()
            .filter(|id| got.contains(&id.to_string()))
            .count();
        found += hits;
        wanted += expected.len();
        if let Some(rank) = got
            .iter()
            .position(|id| expected.iter().any(|e| e.to_string() == *id))
        {
            reciprocal += 1.0 / (rank as f64 + 1.0);
        }
        if hits < expected.len() {
            println!(
                "partial: {:?} found {hits}/{}",
                labelled.query,
                expected.len()
            );
        }
        let scores: Vec<f64> = data["searchContent"]
            .as_array()
            .map(|a| a.iter().filter_map(|h| h["score"].as_f64()).collect())
            .unwrap_or_default();
        assert!(
            scores.windows(2).all(|w| w[0] >= w[1]),
            "ranked best first: {scores:?}"
        );
        assert!(
            data["searchContent"][0]["hashtags"]
                .as_array()
                .is_some_and(|t| !t.is_empty())
        );
    }
    Ok((
        found as f64 / wanted.max(1) as f64,
        reciprocal / queries.len().max(1) as f64,
    ))
}

async fn labelled_queries_find_their_assets(backend: Backend) -> anyhow::Result<()> {
    let h = Harness::new(backend).await?;
    promptsales_content::seed_demo(h.store.as_ref()).await?;
    let fixture: Fixture = serde_json::from_str(include_str!("fixtures/search_queries.json"))?;
    let model = h.engine.ai.embedder().model().to_string();
    let (recall, mrr) = measure(&h, &fixture.queries, fixture.k).await?;
    println!(
        "semantic search ({backend:?}, {model}): recall@{} = {recall:.3}, MRR = {mrr:.3} over {} labelled queries",
        fixture.k,
        fixture.queries.len()
    );
    let (hard_recall, hard_mrr) = measure(&h, &fixture.hard_queries, fixture.k).await?;
    println!(
        "semantic search ({backend:?}, {model}): recall@{} = {hard_recall:.3}, MRR = {hard_mrr:.3} over {} hard (synonym) queries",
        fixture.k,
        fixture.hard_queries.len()
    );
    assert!(recall >= 0.9, "recall@{} fell to {recall:.3}", fixture.k);
    assert!(
        hard_recall >= 0.5,
        "hard recall@{} fell to {hard_recall:.3}",
        fixture.k
    );

    // Embeddings are kept with the assets: every demo asset has one of the current model.
    let missing = h
        .store
        .assets_without_embedding(
            h.engine.ai.embedder().model(),
            h.engine
                .embedding_dimensions()
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?,
            10,
        )
        .await?;
    assert!(
        missing.is_empty(),
        "{} assets lack an embedding",
        missing.len()
    );
    let bad = h
        .gql(&tenant(Uuid::now_v7()), SEARCH, json!({"d": " !? "}))
        .await;
    assert_eq!(
        (code(&bad), field(&bad)),
        (Some("BAD_USER_INPUT"), Some("description"))
    );
    Ok(())
}

async fn search_results_are_cached_and_invalidated_on_registration(
    backend: Backend,
) -> anyhow::Result<()> {
    let redis = promptsales_kit::testing::redis().await;
    let prefix = redis.fresh_prefix();
    let cache = Arc::new(RedisCache::open(redis.url(), prefix.clone())?);
    let gateway = AiGateway::new(
        Arc::new(TemplateWriter::new()),
        Arc::new(HashingEmbedder::default()),
    )
    .with_cache(cache.clone(), Duration::from_secs(600));
    let h = Harness::with_gateway(backend, gateway, EngineConfig::default()).await?;
    let (org, other) = (Uuid::now_v7(), Uuid::now_v7());
    let ctx = tenant(org);
    const REGISTER: &str = "mutation($d: String!, $t: [String!]!) { registerMediaAsset(input: {kind: IMAGE, url: \"https://assets.example/x.jpg\", description: $d, hashtags: $t}) { id reviewStatus usable } }";
    let first = h
        .ok(
            &ctx,
            REGISTER,
            json!({"d": "Kayak paddling through a calm fjord", "t": ["kayak"]}),
        )
        .await?;
    h.ok(
        &ctx,
        REGISTER,
        json!({"d": "City skyline at night", "t": ["city"]}),
    )
    .await?;
    h.ok(
        &tenant(other),
        REGISTER,
        json!({"d": "Another tenant's kayak on a fjord", "t": ["kayak"]}),
    )
    .await?;
    assert_eq!(
        first["registerMediaAsset"]["usable"], false,
        "pending review is not usable"
    );

    let query = json!({"d": "kayaking on a fjord", "n": 5});
    let before = h.ok(&ctx, SEARCH, query.clone()).await?;
    let found = ids(&before);
    assert_eq!(found.len(), 2, "the tenant's two assets only: {before}");
    assert_eq!(
        found[0],
        first["registerMediaAsset"]["id"].as_str().unwrap_or("")
    );
    let keys: Vec<String> = cache
        .run(redis::cmd("KEYS").arg(format!("{prefix}content:search:*")))
        .await?;
    assert!(
        keys.iter().any(|k| !k.contains(":gen:")),
        "the result is cached: {keys:?}"
    );
    let again = h.ok(&ctx, SEARCH, query.clone()).await?;
    assert_eq!(ids(&again), found);

    // A new asset invalidates the tenant's cached searches.
    let newer = h
        .ok(
            &ctx,
            REGISTER,
            json!({"d": "Two kayaks on a fjord at dawn", "t": ["kayak", "fjord"]}),
        )
        .await?;
    let after = h.ok(&ctx, SEARCH, query).await?;
    assert!(
        ids(&after).contains(
            &newer["registerMediaAsset"]["id"]
                .as_str()
                .unwrap_or("")
                .to_string()
        ),
        "{after}"
    );
    let usable = h
        .ok(
            &ctx,
            SEARCH,
            json!({"d": "kayaking on a fjord", "n": 5, "u": true}),
        )
        .await?;
    assert_eq!(usable["searchContent"], json!([]), "nothing approved yet");

    // A changed description is re-embedded and the old version kept.
    let id = first["registerMediaAsset"]["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    h.ok(&ctx, "mutation($id: ID!) { updateMediaAsset(id: $id, input: {description: \"A red canoe on a mountain lake\"}) { version } }", json!({"id": id}))
        .await?;
    let canoe = h
        .ok(&ctx, SEARCH, json!({"d": "red canoe on a lake", "n": 1}))
        .await?;
    assert_eq!(ids(&canoe), vec![id.clone()]);
    let history = h
        .ok(&ctx, "query($id: ID!) { mediaAsset(id: $id) { version previousVersions { version description } } }", json!({"id": id}))
        .await?;
    assert_eq!(
        history["mediaAsset"],
        json!({"version": 2, "previousVersions": [{"version": 1, "description": "Kayak paddling through a calm fjord"}]})
    );
    Ok(())
}
