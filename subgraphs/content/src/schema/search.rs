//! Search results: `AssetSearchHit` (word search) and `ContentSearchHit` (semantic search).

use async_graphql::SimpleObject;

use super::media_asset::MediaAsset;
use crate::domain::search::SearchHit;
use crate::engine::search::SemanticHit;

/// An asset found by a text search, with why it ranks where it does.
#[derive(SimpleObject)]
pub struct AssetSearchHit {
    /// The asset.
    pub asset: MediaAsset,
    /// Relevance: 3 per hashtag equal to a term, 1 per hashtag containing one, 1 per description hit.
    pub score: f64,
    /// The words of the query it matched, in query order.
    pub matched_terms: Vec<String>,
}

impl From<SearchHit> for AssetSearchHit {
    fn from(hit: SearchHit) -> Self {
        Self {
            asset: MediaAsset(hit.asset),
            score: hit.score,
            matched_terms: hit.matched_terms,
        }
    }
}

/// An asset found for a description by semantic search.
#[derive(SimpleObject)]
#[graphql(cache_control(max_age = 60, private))]
pub struct ContentSearchHit {
    /// The asset.
    pub asset: MediaAsset,
    /// Cosine similarity of the asset's embedding with the description's (higher is closer).
    pub score: f64,
    /// The asset's hashtags.
    pub hashtags: Vec<String>,
}

impl From<SemanticHit> for ContentSearchHit {
    fn from(hit: SemanticHit) -> Self {
        Self {
            hashtags: hit.asset.hashtags.clone(),
            score: f64::from(hit.score),
            asset: MediaAsset(hit.asset),
        }
    }
}
