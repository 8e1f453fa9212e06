//! `AssetSearchHit`: one ranked result of `searchAssets`.

use async_graphql::SimpleObject;

use super::media_asset::MediaAsset;
use crate::domain::search::SearchHit;

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
