//! Semantic search and asset registration: embeddings computed on registration
//! and kept with the asset, the vector index, and the Redis result cache
//! (`content:search:{hash}`, invalidated on registration by bumping the
//! tenant's `content:search:gen:{org}` counter, which is part of every key).

use promptsales_kit::StrEnum;
use std::collections::HashMap;

use promptsales_kit::context::TenantScope;
use promptsales_kit::{ApiError, ResultExt};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::ContentEngine;
use crate::domain::review::is_usable;
use crate::domain::semantic::{asset_text, needs_new_embedding, new_asset_text};
use crate::domain::{AssetKind, MediaAsset, NewMediaAsset, ReviewStatus};
use crate::store::{Revision, StoredEmbedding};

/// Assets embedded per backfill call.
const BACKFILL_BATCH: u64 = 100;

/// What a search asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    /// The description (validated).
    pub text: String,
    /// Only this kind.
    pub kind: Option<AssetKind>,
    /// Only this review state.
    pub review_status: Option<ReviewStatus>,
    /// Only usable assets (approved, rights valid).
    pub usable_only: bool,
    /// How many.
    pub limit: usize,
}

/// One ranked asset.
#[derive(Debug, Clone, PartialEq)]
pub struct SemanticHit {
    /// The asset.
    pub asset: MediaAsset,
    /// Cosine similarity of its embedding with the description's (-1..1).
    pub score: f32,
}

/// Loads the current model's vectors into the index, then embeds every asset lacking one of
/// that model and dimension, in batches, each added to the index as it is stored. Returns the
/// dimension. Vectors of another model (the configured one changed) are never loaded: the
/// assets they belong to are re-embedded here.
pub(super) async fn backfill_and_build(engine: &ContentEngine) -> Result<usize, ApiError> {
    let model = engine.ai.embedder().model().to_string();
    // The model's dimension, from one embedding (remote models do not say it otherwise).
    let probe = engine
        .ai
        .embedder()
        .embed(&["dimension probe".to_string()])
        .await
        .map_err(ApiError::from)?;
    let dimensions = probe.vectors.first().map_or(0, Vec::len);
    if dimensions == 0 {
        return Err(ApiError::Unavailable(
            "the embedding model returned no vector".into(),
        ));
    }
    let vectors = engine.store.asset_vectors(&model, dimensions).await.api()?;
    let count = vectors.len();
    engine.index.rebuild(
        vectors
            .into_iter()
            .map(|v| (v.organization_id, v.id, v.vector))
            .collect(),
    );
    tracing::info!(vectors = count, model = %model, dimensions, "search index loaded");
    // Bounded: each round embeds a batch; a batch that cannot be stored stops the loop.
    for _ in 0..10_000 {
        let missing = engine
            .store
            .assets_without_embedding(&model, dimensions, BACKFILL_BATCH)
            .await
            .api()?;
        if missing.is_empty() {
            break;
        }
        let texts: Vec<String> = missing.iter().map(asset_text).collect();
        let embeddings = engine
            .ai
            .embed(None, "content.embed_backfill", &texts)
            .await?;
        let rows: Vec<(Uuid, StoredEmbedding)> = missing
            .iter()
            .zip(embeddings.vectors)
            .map(|(asset, vector)| {
                (
                    asset.id,
                    StoredEmbedding {
                        model: model.clone(),
                        vector,
                    },
                )
            })
            .collect();
        engine.store.set_embeddings(&rows).await.api()?;
        let organizations: HashMap<Uuid, Uuid> =
            missing.iter().map(|a| (a.id, a.organization_id)).collect();
        engine.index.upsert_many(
            rows.iter()
                .filter_map(|(id, e)| Some((*organizations.get(id)?, *id, e.vector.as_slice()))),
        );
        tracing::info!(count = rows.len(), model = %model, "asset embeddings backfilled");
    }
    tracing::info!(vectors = engine.index.len(), model = %model, "search index built");
    Ok(dimensions)
}

/// The hits that pass the request's filters, at most its limit.
fn keep(hits: Vec<SemanticHit>, request: &SearchRequest) -> Vec<SemanticHit> {
    let now = chrono::Utc::now();
    hits.into_iter()
        .filter(|h| request.kind.is_none_or(|k| h.asset.kind == k))
        .filter(|h| {
            request
                .review_status
                .is_none_or(|s| h.asset.review_status == s)
        })
        .filter(|h| !request.usable_only || is_usable(&h.asset, now))
        .take(request.limit)
        .collect()
}

fn generation_key(organization: Option<Uuid>) -> String {
    format!(
        "content:search:gen:{}",
        organization.map_or_else(|| "all".to_string(), |o| o.to_string())
    )
}

impl ContentEngine {
    /// Embeds one asset's text; `None` (logged) when the embedder fails, so registration never depends on it.
    async fn embed_asset(&self, asset_text: String, organization: Uuid) -> Option<StoredEmbedding> {
        match self
            .ai
            .embed(Some(organization), "content.embed_asset", &[asset_text])
            .await
        {
            Ok(mut e) => e.vectors.pop().map(|vector| StoredEmbedding {
                model: self.ai.embedder().model().to_string(),
                vector,
            }),
            Err(e) => {
                tracing::warn!(error = %e, "asset embedding failed; it will be backfilled at the next start");
                None
            }
        }
    }

    /// Drops the tenant's cached searches (and the unrestricted ones) by bumping their generation counters.
    async fn invalidate_searches(&self, organization: Uuid) {
        if let Some(cache) = self.cache() {
            for key in [generation_key(Some(organization)), generation_key(None)] {
                if cache.incr(&key).await.is_none() {
                    tracing::warn!("search cache not invalidated: Redis unavailable");
                }
            }
        }
    }

    /// Registers an asset with its embedding (one transaction), indexes it and invalidates cached searches.
    pub async fn register_asset(&self, new: NewMediaAsset) -> Result<MediaAsset, ApiError> {
        let organization = new.organization_id;
        let embedding = self.embed_asset(new_asset_text(&new), organization).await;
        let asset = self
            .store
            .register_asset(new, embedding.clone())
            .await
            .api()?;
        if let Some(embedding) = embedding {
            self.index.upsert(organization, asset.id, &embedding.vector);
        }
        self.invalidate_searches(organization).await;
        Ok(asset)
    }

    /// Writes a changed asset; re-embeds and re-indexes it when its text changed.
    pub async fn update_asset(
        &self,
        scope: TenantScope,
        current: &MediaAsset,
        next: &MediaAsset,
    ) -> Result<Option<MediaAsset>, ApiError> {
        let updated = self
            .store
            .update_asset(scope, Revision::of(current), next)
            .await
            .api()?;
        if let Some(updated) = &updated {
            if needs_new_embedding(current, updated)
                && let Some(embedding) = self
                    .embed_asset(asset_text(updated), updated.organization_id)
                    .await
            {
                self.store
                    .set_embeddings(&[(updated.id, embedding.clone())])
                    .await
                    .api()?;
                self.index
                    .upsert(updated.organization_id, updated.id, &embedding.vector);
            }
            self.invalidate_searches(updated.organization_id).await;
        }
        Ok(updated)
    }

    async fn search_key(&self, scope: TenantScope, request: &SearchRequest) -> Option<String> {
        let cache = self.cache()?;
        let generation = cache
            .get(&generation_key(scope.organization()))
            .await
            .unwrap_or_else(|| "0".to_string());
        let mut hasher = Sha256::new();
        hasher.update(format!(
            "{:?}|{generation}|{}|{:?}|{:?}|{}|{}|{}",
            scope.organization(),
            self.ai.embedder().model(),
            request.kind.map(AssetKind::as_str),
            request.review_status.map(ReviewStatus::as_str),
            request.usable_only,
            request.limit,
            request.text.to_lowercase(),
        ));
        let hash: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Some(format!("content:search:{hash}"))
    }

    async fn load_ranked(
        &self,
        scope: TenantScope,
        ranked: &[(Uuid, f32)],
    ) -> Result<Vec<SemanticHit>, ApiError> {
        let ids: Vec<Uuid> = ranked.iter().map(|(id, _)| *id).collect();
        let mut assets: HashMap<Uuid, MediaAsset> = self
            .store
            .assets_by_ids(scope, &ids)
            .await
            .api()?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        Ok(ranked
            .iter()
            .filter_map(|(id, score)| {
                assets.remove(id).map(|asset| SemanticHit {
                    asset,
                    score: *score,
                })
            })
            .collect())
    }

    /// Assets for a description, best first: cache, else embedding + vector index.
    #[tracing::instrument(name = "content.search", skip_all, fields(limit = request.limit))]
    pub async fn search(
        &self,
        scope: TenantScope,
        request: &SearchRequest,
    ) -> Result<Vec<SemanticHit>, ApiError> {
        let key = self.search_key(scope, request).await;
        if let (Some(cache), Some(key)) = (self.cache(), &key)
            && let Some(text) = cache.get(key).await
            && let Ok(ranked) = serde_json::from_str::<Vec<(Uuid, f32)>>(&text)
        {
            // Assets may have changed since: the filters apply again to what is read now.
            let hits = self.load_ranked(scope, &ranked).await?;
            return Ok(keep(hits, request));
        }
        self.ensure_index().await?;
        let embedded = self
            .ai
            .embed(
                scope.organization(),
                "content.search",
                std::slice::from_ref(&request.text),
            )
            .await?;
        let Some(query) = embedded.vectors.first() else {
            return Ok(Vec::new());
        };
        // Filters apply after the index: read more candidates than asked for.
        let candidates = self.index.search(
            scope,
            query,
            request.limit.saturating_mul(4).saturating_add(20),
        );
        let hits = keep(self.load_ranked(scope, &candidates).await?, request);
        if let (Some(cache), Some(key)) = (self.cache(), &key) {
            let ranked: Vec<(Uuid, f32)> = hits.iter().map(|h| (h.asset.id, h.score)).collect();
            if let Ok(text) = serde_json::to_string(&ranked) {
                cache.set(key, &text, self.config.search_cache_ttl).await;
            }
        }
        Ok(hits)
    }
}
