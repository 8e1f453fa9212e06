//! Embeddings across models: a changed embedder re-embeds every asset in batches and the index
//! never holds vectors of two models; the local sentence model (all-MiniLM-L6-v2) through the
//! GraphQL search on the labelled paraphrase set of `eval/search.jsonl`.

use std::path::PathBuf;
use std::sync::Arc;

use promptsales_content::ContentEngine;
use promptsales_content::engine::EngineConfig;
use promptsales_content::store::StoredEmbedding;
use promptsales_kit::ai::{AiGateway, HashingEmbedder, LocalEmbedder, TemplateWriter};
use promptsales_kit::context::TenantScope;
use promptsales_kit::demo::{demo_id, kind};
use serde_json::json;

use crate::support::{Backend, Harness, tenant, test_cipher};

contract!(a_model_change_reembeds_every_asset_and_never_mixes_models);

fn engine_with(h: &Harness, dimensions: usize) -> Arc<ContentEngine> {
    ContentEngine::new(
        h.store.clone(),
        AiGateway::new(
            Arc::new(TemplateWriter::new()),
            Arc::new(HashingEmbedder::new(dimensions)),
        ),
        test_cipher(),
        EngineConfig::default(),
    )
}

async fn a_model_change_reembeds_every_asset_and_never_mixes_models(
    backend: Backend,
) -> anyhow::Result<()> {
    let h = Harness::new(backend).await?;
    promptsales_content::seed_demo(h.store.as_ref()).await?;
    let count = promptsales_content::seed::demo_assets()?.len();
    assert_eq!(
        h.engine
            .embedding_dimensions()
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?,
        512
    );
    assert_eq!(
        h.store.asset_vectors("hashing-bow-512", 512).await?.len(),
        count
    );
    assert_eq!(h.engine.index.len(), count);

    // The configured model changes: a new engine (a restart) re-embeds everything with it.
    let changed = engine_with(&h, 256);
    assert!(
        h.store
            .asset_vectors("hashing-bow-256", 256)
            .await?
            .is_empty()
    );
    assert_eq!(
        changed
            .embedding_dimensions()
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?,
        256
    );
    assert_eq!(changed.index.len(), count, "every asset, once");
    assert!(
        h.store
            .asset_vectors("hashing-bow-512", 512)
            .await?
            .is_empty()
    );
    let stored = h.store.asset_vectors("hashing-bow-256", 256).await?;
    assert_eq!(stored.len(), count);
    assert!(stored.iter().all(|v| v.vector.len() == 256));

    // A vector recorded under the model's name but of another size is not loaded: re-embedded.
    let odd = demo_id(kind::ASSET, 1);
    h.store
        .set_embeddings(&[(
            odd,
            StoredEmbedding {
                model: "hashing-bow-256".into(),
                vector: vec![1.0, 0.0, 0.0],
            },
        )])
        .await?;
    assert_eq!(
        h.store.asset_vectors("hashing-bow-256", 256).await?.len(),
        count - 1
    );
    let restarted = engine_with(&h, 256);
    assert!(
        h.store
            .assets_without_embedding("hashing-bow-256", 256, 10)
            .await?
            .iter()
            .any(|a| a.id == odd)
    );
    restarted
        .ensure_index()
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    assert_eq!(restarted.index.len(), count);
    assert_eq!(
        h.store.asset_vectors("hashing-bow-256", 256).await?.len(),
        count
    );

    // Searches of the new engine rank by the new vectors.
    let org = h
        .store
        .assets_by_ids(TenantScope::All, &[odd])
        .await?
        .first()
        .map(|a| a.organization_id)
        .ok_or_else(|| anyhow::anyhow!("demo asset 1 missing"))?;
    let hits = restarted
        .search(
            TenantScope::Organization(org),
            &promptsales_content::engine::search::SearchRequest {
                text: "mountaineer in a red insulated parka".into(),
                kind: None,
                review_status: None,
                usable_only: false,
                limit: 5,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    assert!(hits.iter().any(|h| h.asset.id == odd), "{hits:?}");
    Ok(())
}

/// The fetched model (scripts/test.sh sets `PROMPTSALES_TEST_MODELS_DIR`); in CI its absence fails.
fn local_model() -> Option<LocalEmbedder> {
    let models = std::env::var_os("PROMPTSALES_TEST_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(promptsales_kit::ai::config::models_dir);
    match LocalEmbedder::new(promptsales_kit::ai::local_embedder::model_dir(&models)) {
        Ok(model) => Some(model),
        Err(e) => {
            assert!(std::env::var_os("CI").is_none(), "{e}");
            eprintln!("SKIPPED: {e}");
            None
        }
    }
}

const SEARCH: &str = "query($d: String!, $n: Int) { searchContent(description: $d, first: $n) { score asset { id } } }";

#[tokio::test]
async fn the_local_model_finds_paraphrases_through_graphql_search() -> anyhow::Result<()> {
    let Some(model) = local_model() else {
        return Ok(());
    };
    let gateway = AiGateway::new(Arc::new(TemplateWriter::new()), Arc::new(model));
    let h = Harness::with_gateway(Backend::Sqlite, gateway, EngineConfig::default()).await?;
    promptsales_content::seed_demo(h.store.as_ref()).await?;
    assert_eq!(
        h.engine
            .embedding_dimensions()
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?,
        384
    );
    let (mut found, mut wanted) = (0usize, 0usize);
    for line in include_str!("../../eval/search.jsonl").lines() {
        let labelled: serde_json::Value = serde_json::from_str(line)?;
        let expected: Vec<String> = labelled["expected"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n.as_u64())
            .map(|n| demo_id(kind::ASSET, n as u32).to_string())
            .collect();
        let first = demo_id(
            kind::ASSET,
            labelled["expected"][0].as_u64().unwrap_or(0) as u32,
        );
        let org = h
            .store
            .assets_by_ids(TenantScope::All, &[first])
            .await?
            .first()
            .map(|a| a.organization_id)
            .ok_or_else(|| anyhow::anyhow!("{line} names no demo asset"))?;
        let data = h
            .ok(
                &tenant(org),
                SEARCH,
                json!({"d": labelled["query"], "n": 5}),
            )
            .await?;
        let got: Vec<&str> = data["searchContent"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|hit| hit["asset"]["id"].as_str())
            .collect();
        found += expected
            .iter()
            .filter(|e| got.contains(&e.as_str()))
            .count();
        wanted += expected.len();
    }
    let recall = found as f64 / wanted.max(1) as f64;
    println!("local model through searchContent: recall@5 = {recall:.3} ({found}/{wanted})");
    assert!(recall >= 0.9, "recall@5 {recall:.3} below 0.9");
    Ok(())
}
